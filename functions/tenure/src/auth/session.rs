//! The admin's session, kept only in their browser: a cookie encrypted and authenticated
//! (AES-256-GCM, the `cookie` crate's private jar; the cookie's name is bound in) with the key
//! ring's [`KeyPurpose::Session`] key. Nothing about it lives in one instance: any instance with
//! the key ring opens it. A rotated key still opens cookies sealed with the previous one.
//!
//! Over https the cookie is `__Host-tenure-session`: `Secure`, `Path=/`, no `Domain`, so no
//! other site or subdomain can set or read it; always `HttpOnly` and `SameSite=Lax`.
//!
//! A session ends 30 minutes after its last use ([`IDLE_LIFETIME`]; each use more than a minute
//! after the last one seals it again with the new time) and 8 hours after sign-in at the latest
//! ([`ABSOLUTE_LIFETIME`]); signing out removes it.
//!
//! A sign-in in flight (its `state`, `nonce`, PKCE verifier and where to go next) is a second,
//! short-lived cookie of the same kind ([`SignInFlow`]), so the callback can only be completed
//! in the browser that started it.

use cookie::{Cookie, CookieJar, Key, SameSite};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::Identity;
use crate::store::KeyRing;
use crate::store::key_ring::{DeploymentKey, KeyRingError};
use crate::store::secrets::KeyPurpose;

/// A session ends this long after its last use.
pub const IDLE_LIFETIME: SignedDuration = SignedDuration::from_mins(30);
/// A session ends this long after sign-in, however much it is used.
pub const ABSOLUTE_LIFETIME: SignedDuration = SignedDuration::from_hours(8);
/// A sign-in must come back within this time.
pub const SIGN_IN_LIFETIME: SignedDuration = SignedDuration::from_mins(10);
/// How far in the future a session's last use may lie (clocks of instances differ).
const CLOCK_SKEW: SignedDuration = SignedDuration::from_secs(60);
/// A use this long after the last one seals the cookie again with the new time.
const TOUCH_AFTER: SignedDuration = SignedDuration::from_mins(1);

/// A signed-in admin's session. `Debug` shows neither its id nor its CSRF token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// A random id: links started in this session are bound to it.
    pub id: String,
    /// Who signed in.
    pub identity: Identity,
    /// The token every state-changing request of this session carries (form field
    /// `csrf_token` or header `X-CSRF-Token`).
    pub csrf_token: String,
    /// When they signed in.
    pub signed_in_at: Timestamp,
    /// When the session was last used.
    pub seen_at: Timestamp,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &"[REDACTED]")
            .field("identity", &self.identity)
            .field("csrf_token", &"[REDACTED]")
            .field("signed_in_at", &self.signed_in_at)
            .field("seen_at", &self.seen_at)
            .finish()
    }
}

impl Session {
    /// A new session for `identity`, signed in `now`.
    pub fn new(identity: Identity, now: Timestamp) -> Self {
        Self {
            id: random_token(),
            identity,
            csrf_token: random_token(),
            signed_in_at: now,
            seen_at: now,
        }
    }

    /// Whether it has ended by `now` (idle or absolute lifetime), or claims a time to come.
    pub fn has_ended(&self, now: Timestamp) -> bool {
        now.duration_since(self.seen_at) > IDLE_LIFETIME
            || now.duration_since(self.signed_in_at) > ABSOLUTE_LIFETIME
            || self.seen_at > now + CLOCK_SKEW
    }

    /// Whether a use at `now` should seal the cookie again (to move the idle deadline).
    pub fn needs_touch(&self, now: Timestamp) -> bool {
        now.duration_since(self.seen_at) > TOUCH_AFTER
    }
}

/// A sign-in in flight, kept in its own short-lived cookie. `Debug` shows none of its values.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInFlow {
    /// The `state` sent to Microsoft.
    pub state: String,
    /// The `nonce` sent to Microsoft, expected back in the ID token.
    pub nonce: String,
    /// The PKCE verifier.
    pub verifier: String,
    /// Where to go after signing in (a local path).
    pub next: String,
    /// The cloud signed in to, by name.
    pub cloud: String,
    /// When it must be back.
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for SignInFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInFlow")
            .field("next", &self.next)
            .field("cloud", &self.cloud)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A session cookie that could not be sealed or opened for a reason other than being absent,
/// forged or old (those are simply no session).
#[derive(Debug, thiserror::Error)]
#[error("the session key could not be read: {0}")]
pub struct SessionError(#[from] KeyRingError);

/// How session cookies are named and marked for this deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionCookies {
    secure: bool,
}

impl SessionCookies {
    /// Cookies for a deployment reached over https (`__Host-` names, `Secure`) or, for local
    /// use, plain http.
    pub fn new(https: bool) -> Self {
        Self { secure: https }
    }

    /// The session cookie's name.
    pub fn session_name(self) -> &'static str {
        if self.secure {
            "__Host-tenure-session"
        } else {
            "tenure-session"
        }
    }

    /// The sign-in flow cookie's name.
    pub fn sign_in_name(self) -> &'static str {
        if self.secure {
            "__Host-tenure-sign-in"
        } else {
            "tenure-sign-in"
        }
    }

    /// `Set-Cookie` for `session`, sealed with the current key.
    pub async fn seal_session(
        self,
        keys: &KeyRing,
        session: &Session,
    ) -> Result<String, SessionError> {
        self.seal(keys, self.session_name(), session, ABSOLUTE_LIFETIME)
            .await
    }

    /// The session the request's `Cookie` headers carry, if one opens and has not ended.
    pub async fn open_session<'a>(
        self,
        keys: &KeyRing,
        cookie_headers: impl Iterator<Item = &'a str>,
        now: Timestamp,
    ) -> Result<Option<Session>, SessionError> {
        let session: Option<Session> = self.open(keys, self.session_name(), cookie_headers).await?;
        Ok(session.filter(|s| !s.has_ended(now)))
    }

    /// `Set-Cookie` for a sign-in in flight.
    pub async fn seal_sign_in(
        self,
        keys: &KeyRing,
        flow: &SignInFlow,
    ) -> Result<String, SessionError> {
        self.seal(keys, self.sign_in_name(), flow, SIGN_IN_LIFETIME)
            .await
    }

    /// The sign-in in flight the request carries, if one opens and has not expired.
    pub async fn open_sign_in<'a>(
        self,
        keys: &KeyRing,
        cookie_headers: impl Iterator<Item = &'a str>,
        now: Timestamp,
    ) -> Result<Option<SignInFlow>, SessionError> {
        let flow: Option<SignInFlow> = self.open(keys, self.sign_in_name(), cookie_headers).await?;
        Ok(flow.filter(|f| f.expires_at > now))
    }

    /// `Set-Cookie` that removes the session cookie.
    pub fn clear_session(self) -> String {
        self.removal(self.session_name())
    }

    /// `Set-Cookie` that removes the sign-in flow cookie.
    pub fn clear_sign_in(self) -> String {
        self.removal(self.sign_in_name())
    }

    fn removal(self, name: &'static str) -> String {
        let mut cookie = self.template(name, String::new());
        cookie.make_removal();
        cookie.to_string()
    }

    fn template(self, name: &'static str, value: String) -> Cookie<'static> {
        Cookie::build((name, value))
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .build()
    }

    async fn seal<T: Serialize>(
        self,
        keys: &KeyRing,
        name: &'static str,
        value: &T,
        lifetime: SignedDuration,
    ) -> Result<String, SessionError> {
        let keys = keys.keys(KeyPurpose::Session).await?;
        let key = cookie_key(keys.current());
        let json = serde_json::to_string(value).unwrap_or_default();
        let mut cookie = self.template(name, json);
        cookie.set_max_age(cookie::time::Duration::seconds(lifetime.as_secs()));
        let mut jar = CookieJar::new();
        jar.private_mut(&key).add(cookie);
        Ok(jar.get(name).map(ToString::to_string).unwrap_or_default())
    }

    async fn open<'a, T: DeserializeOwned>(
        self,
        keys: &KeyRing,
        name: &'static str,
        cookie_headers: impl Iterator<Item = &'a str>,
    ) -> Result<Option<T>, SessionError> {
        let mut jar = CookieJar::new();
        for header in cookie_headers {
            for cookie in Cookie::split_parse(header.to_owned()).flatten() {
                if cookie.name() == name {
                    jar.add_original(cookie);
                }
            }
        }
        if jar.get(name).is_none() {
            return Ok(None);
        }
        let opened = |set: &crate::store::key_ring::KeySet| {
            set.accepted().find_map(|key| {
                let cookie = jar.private(&cookie_key(key)).get(name)?;
                serde_json::from_str::<T>(cookie.value()).ok()
            })
        };
        let cached = keys.keys(KeyPurpose::Session).await?;
        if let Some(value) = opened(&cached) {
            return Ok(Some(value));
        }
        // Perhaps sealed with a key another instance rotated in since this one read the keys.
        let fresh = keys.reread(KeyPurpose::Session).await?;
        Ok(opened(&fresh))
    }
}

fn cookie_key(key: &DeploymentKey) -> Key {
    Key::from(key.expose())
}

/// 32 random bytes, base64url.
pub(crate) fn random_token() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
