//! API tokens for automation (CI uploading a plugin, an HR system uploading an export):
//! `tenure_<token id>_<secret>`, bound to one connection, scoped, expiring, revocable.
//!
//! What is kept of a token is its [`StoredToken`]: who made it, when, for what, and an
//! HMAC-SHA256 of its secret under the deployment's `api-token-hmac` key (key id named, so a
//! rotation keeps tokens working until the key after next). The secret itself is shown once
//! and never stored, logged or answered again. Checking a presented token recomputes the HMAC
//! and compares in constant time (`hmac`'s `verify_slice`).

use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, Mac as _};
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::store::connections::ConnectionId;
use crate::store::key_ring::KeyId;

/// Every token starts with this.
pub const TOKEN_PREFIX: &str = "tenure_";

/// A token id's length: 16 lowercase hex digits (64 random bits; not secret).
const ID_HEX: usize = 16;

/// A secret's random bytes (256 bits), written as 64 lowercase hex digits.
const SECRET_BYTES: usize = 32;

/// What a token may do. Creating, listing and revoking tokens is for signed-in
/// administrators only: no scope allows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    /// Upload and activate the connection's mapping plugins (and list them).
    #[serde(rename = "plugins:write")]
    PluginsWrite,
    /// Upload the connection's HR export.
    #[serde(rename = "hr:write")]
    HrWrite,
    /// Read what is planned and held: pending approvals, plugin versions.
    #[serde(rename = "plans:read")]
    PlansRead,
    /// Approve held changes and confirm reviewed match reports.
    #[serde(rename = "plans:approve")]
    PlansApprove,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Self; 4] = [
        Self::PluginsWrite,
        Self::HrWrite,
        Self::PlansRead,
        Self::PlansApprove,
    ];

    /// The scope's name, as tokens and requests write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PluginsWrite => "plugins:write",
            Self::HrWrite => "hr:write",
            Self::PlansRead => "plans:read",
            Self::PlansApprove => "plans:approve",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope name that is not one of [`Scope::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a scope: use plugins:write, hr:write, plans:read or plans:approve")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| UnknownScope(s.to_owned()))
    }
}

/// A token's id: 16 hex digits, such as `0f3a9c2d4b5e6f70`. Not secret: it names the
/// token in lists, audit records and logs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TokenId(String);

impl TokenId {
    /// A new random id.
    pub fn random() -> Self {
        let mut bytes = [0u8; ID_HEX / 2];
        rand::fill(&mut bytes);
        Self(hex::encode(bytes))
    }

    /// Checks an id: 16 lowercase hex digits.
    pub fn parse(text: &str) -> Result<Self, MalformedToken> {
        let valid = text.len() == ID_HEX
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(MalformedToken)
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TokenId {
    type Error = MalformedToken;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TokenId> for String {
    fn from(id: TokenId) -> Self {
        id.0
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bearer value that is not `tenure_<16 hex digits>_<64 hex digits>`. Says nothing of what
/// was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a Tenure API token (they look like tenure_<id>_<secret>)")]
pub struct MalformedToken;

/// A token as presented: its id and its secret (printed by neither `Debug` nor `Display`).
#[derive(Debug)]
pub struct PresentedToken {
    /// The id.
    pub id: TokenId,
    secret: SecretString,
}

impl PresentedToken {
    /// Reads `tenure_<id>_<secret>`.
    pub fn parse(text: &str) -> Result<Self, MalformedToken> {
        let rest = text.strip_prefix(TOKEN_PREFIX).ok_or(MalformedToken)?;
        let (id, secret) = rest.split_once('_').ok_or(MalformedToken)?;
        let id = TokenId::parse(id)?;
        let valid = secret.len() == SECRET_BYTES * 2
            && secret
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !valid {
            return Err(MalformedToken);
        }
        Ok(Self {
            id,
            secret: SecretString::from(secret.to_owned()),
        })
    }
}

/// A new token's whole value, `tenure_<id>_<secret>`, for the one answer that shows it.
pub struct NewToken {
    /// The id.
    pub id: TokenId,
    value: SecretString,
    secret: SecretString,
}

impl NewToken {
    /// A new token with a random id and 256 random bits of secret.
    pub fn generate() -> Self {
        let id = TokenId::random();
        let mut bytes = secrecy::zeroize::Zeroizing::new([0u8; SECRET_BYTES]);
        rand::fill(&mut bytes[..]);
        let secret = hex::encode(&bytes[..]);
        Self {
            value: SecretString::from(format!("{TOKEN_PREFIX}{id}_{secret}")),
            secret: SecretString::from(secret),
            id,
        }
    }

    /// The token as the caller will send it.
    pub fn value(&self) -> &SecretString {
        &self.value
    }
}

impl fmt::Debug for NewToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewToken")
            .field("id", &self.id)
            .field("value", &"[REDACTED]")
            .finish()
    }
}

/// What is kept of a token: everything but its secret, and the HMAC of the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredToken {
    /// The id.
    pub id: TokenId,
    /// What the administrator called it.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// Who made it: `<tenant id>/<object id>` of the signed-in administrator.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When it was revoked, and by whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revocation>,
    /// The `api-token-hmac` key the secret was hashed with.
    pub key_id: KeyId,
    /// HMAC-SHA256 of the secret (hex).
    pub hmac: String,
}

/// A token's revocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// When.
    pub at: Timestamp,
    /// Who: `<tenant id>/<object id>`.
    pub by: String,
}

/// Whether a token may be used at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// It works.
    Active,
    /// Its expiry has passed.
    Expired,
    /// It was revoked.
    Revoked,
}

impl StoredToken {
    /// Whether it works at `now`.
    pub fn state(&self, now: Timestamp) -> TokenState {
        if self.revoked.is_some() {
            TokenState::Revoked
        } else if now >= self.expires_at {
            TokenState::Expired
        } else {
            TokenState::Active
        }
    }

    /// Whether it grants one of `scopes`.
    pub fn grants_any(&self, scopes: &[Scope]) -> bool {
        self.scopes.iter().any(|s| scopes.contains(s))
    }
}

/// The HMAC-SHA256 (hex) of a token's secret, bound to its connection and id, under `key`.
pub fn token_hmac(key: &[u8], connection: &ConnectionId, token: &NewToken) -> String {
    hex::encode(
        mac(key, connection, &token.id, token.secret.expose_secret())
            .finalize()
            .into_bytes(),
    )
}

/// Whether `presented` is the token `stored` was made from (constant-time comparison).
pub fn verify(
    key: &[u8],
    connection: &ConnectionId,
    stored: &StoredToken,
    presented: &PresentedToken,
) -> bool {
    let Ok(expected) = hex::decode(&stored.hmac) else {
        return false;
    };
    stored.id == presented.id
        && mac(
            key,
            connection,
            &presented.id,
            presented.secret.expose_secret(),
        )
        .verify_slice(&expected)
        .is_ok()
}

fn mac(key: &[u8], connection: &ConnectionId, id: &TokenId, secret: &str) -> Hmac<Sha256> {
    #[allow(clippy::expect_used)]
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key).expect("HMAC-SHA256 takes a key of any length");
    for part in [
        "tenure-api-token/1",
        connection.as_str(),
        id.as_str(),
        secret,
    ] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reads_back_and_verifies_only_for_its_connection() {
        let key = [7u8; 64];
        let contoso = ConnectionId::parse("contoso").expect("an id");
        let fabrikam = ConnectionId::parse("fabrikam").expect("an id");
        let token = NewToken::generate();
        let stored = StoredToken {
            id: token.id.clone(),
            name: "ci".into(),
            scopes: vec![Scope::PluginsWrite],
            created_by: "t/o".into(),
            created_at: Timestamp::UNIX_EPOCH,
            expires_at: Timestamp::MAX,
            revoked: None,
            key_id: KeyId(1),
            hmac: token_hmac(&key, &contoso, &token),
        };
        let presented = PresentedToken::parse(token.value().expose_secret()).expect("parses");
        assert!(verify(&key, &contoso, &stored, &presented));
        assert!(!verify(&key, &fabrikam, &stored, &presented));
        assert!(!verify(&[8u8; 64], &contoso, &stored, &presented));
        let mut tampered = token.value().expose_secret().to_owned();
        let last = if tampered.ends_with('0') { "1" } else { "0" };
        tampered.replace_range(tampered.len() - 1.., last);
        let tampered = PresentedToken::parse(&tampered).expect("still well formed");
        assert!(!verify(&key, &contoso, &stored, &tampered));
        assert!(!format!("{token:?} {presented:?}").contains(&token.secret.expose_secret()[..16]));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in [
            "",
            "tenure_",
            "tenure_0123456789abcdef",
            "tenure_0123456789abcdef_",
            "tenure_0123456789ABCDEF_0000000000000000000000000000000000000000000000000000000000000000",
            "tenure_0123456789abcdef_000000000000000000000000000000000000000000000000000000000000000",
            "other_0123456789abcdef_0000000000000000000000000000000000000000000000000000000000000000",
        ] {
            assert!(PresentedToken::parse(bad).is_err(), "{bad}");
        }
        assert!(
            PresentedToken::parse(
                "tenure_0123456789abcdef_0000000000000000000000000000000000000000000000000000000000000000"
            )
            .is_ok()
        );
    }
}
