//! Checking an ID token from Microsoft's identity platform v2.0, as Microsoft documents it for
//! multi-tenant apps: the signature with a key from the authority's published key set (found
//! through its discovery document), the issuer for the token's own `tid` (the discovery
//! document's `{tenantid}` template filled in), the audience, the lifetime with a small skew,
//! and the nonce of the sign-in. `jsonwebtoken` does the JOSE.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use subtle::ConstantTimeEq as _;

use super::Identity;

/// The clock skew allowed on `exp` and `nbf`.
pub const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// How long discovery documents and key sets are used before they are fetched again.
const CACHE_FOR: Duration = Duration::from_secs(24 * 3_600);

/// At most this many key-set fetches per minute for tokens naming a key not in the cached set
/// (Microsoft rolls keys over; a made-up `kid` must not make every request a fetch).
const REFETCHES_PER_MINUTE: usize = 5;

/// What an authority's discovery document says, the parts Tenure uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProviderMetadata {
    /// The issuer, or for `organizations` and `common` its template with `{tenantid}`.
    pub issuer: String,
    /// Where to send the user to sign in.
    pub authorization_endpoint: String,
    /// Where to redeem the code.
    pub token_endpoint: String,
    /// The signing keys.
    pub jwks_uri: String,
}

/// Why an ID token (or the authority behind it) was refused. Never carries the token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdTokenError {
    /// The discovery document or the key set could not be fetched or read.
    #[error("could not read {url}: {message}")]
    Provider {
        /// What was fetched.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// Not a JWT Tenure can read, or not signed with RS256.
    #[error("the ID token is malformed: {0}")]
    Malformed(String),
    /// Signed with a key the authority does not publish.
    #[error("the ID token is signed with key {kid:?}, which the authority does not publish")]
    UnknownKey {
        /// The key id the token names.
        kid: String,
    },
    /// The signature does not verify.
    #[error("the ID token's signature is not valid")]
    Signature,
    /// Issued for another app.
    #[error("the ID token was issued for another application")]
    Audience,
    /// Expired.
    #[error("the ID token has expired")]
    Expired,
    /// Not valid yet.
    #[error("the ID token is not valid yet")]
    NotYetValid,
    /// Issued by someone other than the authority for the token's tenant.
    #[error("the ID token's issuer {found:?} is not {expected:?}")]
    Issuer {
        /// The token's `iss`.
        found: String,
        /// The authority's issuer for the token's `tid`.
        expected: String,
    },
    /// The nonce is not the sign-in's (a replayed or injected token).
    #[error("the ID token's nonce is not the one this sign-in sent")]
    Nonce,
    /// A claim Tenure needs is missing or malformed.
    #[error("the ID token has no valid {0} claim")]
    Claim(&'static str),
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    tid: Option<String>,
    oid: Option<String>,
    #[serde(default)]
    preferred_username: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    wids: Vec<String>,
    #[serde(default)]
    nonce: Option<String>,
}

struct Provider {
    metadata: ProviderMetadata,
    keys: JwkSet,
    fetched_at: Instant,
    refetches: Vec<Instant>,
}

/// Checks ID tokens; keeps each authority's discovery document and keys (one per process,
/// shared by every request).
pub struct OidcVerifier {
    http: reqwest::Client,
    providers: Mutex<HashMap<String, Arc<Mutex<Provider>>>>,
}

impl std::fmt::Debug for OidcVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcVerifier").finish_non_exhaustive()
    }
}

impl Default for OidcVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl OidcVerifier {
    /// A verifier with nothing cached.
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            http,
            providers: Mutex::new(HashMap::new()),
        }
    }

    /// The discovery document of `tenant` (a tenant id, a domain, or `organizations`) at the
    /// login authority `login` (such as `https://login.microsoftonline.com`).
    pub async fn metadata(
        &self,
        login: &str,
        tenant: &str,
    ) -> Result<ProviderMetadata, IdTokenError> {
        let provider = self.provider(login, tenant).await?;
        let metadata = lock(&provider).metadata.clone();
        Ok(metadata)
    }

    /// Checks `id_token`, issued by the authority at `login` for `tenant`, for the app
    /// `client_id` and the sign-in that sent `nonce`; the identity it names.
    pub async fn verify(
        &self,
        login: &str,
        tenant: &str,
        id_token: &str,
        client_id: &str,
        nonce: &str,
    ) -> Result<Identity, IdTokenError> {
        let header = jsonwebtoken::decode_header(id_token)
            .map_err(|e| IdTokenError::Malformed(e.to_string()))?;
        if header.alg != Algorithm::RS256 {
            return Err(IdTokenError::Malformed(format!(
                "it is signed with {:?}, not RS256",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| IdTokenError::Malformed("it names no signing key (kid)".to_owned()))?;
        let provider = self.provider(login, tenant).await?;
        let (key, issuer) = match self.key(&provider, &kid) {
            Some(found) => found,
            None => {
                self.refetch_keys(&provider).await?;
                self.key(&provider, &kid)
                    .ok_or(IdTokenError::UnknownKey { kid: kid.clone() })?
            }
        };
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[client_id]);
        validation.leeway = CLOCK_SKEW.as_secs();
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "nbf", "aud", "iss"]);
        let claims = jsonwebtoken::decode::<Claims>(id_token, &key, &validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::InvalidSignature => IdTokenError::Signature,
                    ErrorKind::InvalidAudience => IdTokenError::Audience,
                    ErrorKind::ExpiredSignature => IdTokenError::Expired,
                    ErrorKind::ImmatureSignature => IdTokenError::NotYetValid,
                    _ => IdTokenError::Malformed(e.to_string()),
                }
            })?
            .claims;
        let tid = claims
            .tid
            .filter(|t| uuid::Uuid::parse_str(t).is_ok())
            .ok_or(IdTokenError::Claim("tid"))?;
        let expected = issuer.replace("{tenantid}", &tid);
        if claims.iss != expected {
            return Err(IdTokenError::Issuer {
                found: claims.iss,
                expected,
            });
        }
        let sent = claims.nonce.unwrap_or_default();
        if nonce.is_empty() || !bool::from(sent.as_bytes().ct_eq(nonce.as_bytes())) {
            return Err(IdTokenError::Nonce);
        }
        let oid = claims
            .oid
            .filter(|o| uuid::Uuid::parse_str(o).is_ok())
            .ok_or(IdTokenError::Claim("oid"))?;
        Ok(Identity {
            tenant_id: tid.to_ascii_lowercase(),
            object_id: oid.to_ascii_lowercase(),
            username: claims.preferred_username.unwrap_or_default(),
            name: claims.name.unwrap_or_default(),
            roles: claims.wids,
        })
    }

    fn key(&self, provider: &Mutex<Provider>, kid: &str) -> Option<(DecodingKey, String)> {
        let provider = lock(provider);
        let jwk = provider.keys.find(kid)?;
        let key = DecodingKey::from_jwk(jwk).ok()?;
        Some((key, provider.metadata.issuer.clone()))
    }

    /// The authority's cached document and keys, fetched when missing or old.
    async fn provider(
        &self,
        login: &str,
        tenant: &str,
    ) -> Result<Arc<Mutex<Provider>>, IdTokenError> {
        let url = format!(
            "{}/{tenant}/v2.0/.well-known/openid-configuration",
            login.trim_end_matches('/')
        );
        let cached = lock(&self.providers).get(&url).cloned();
        if let Some(provider) = cached {
            let fresh = lock(&provider).fetched_at.elapsed() < CACHE_FOR;
            if fresh {
                return Ok(provider);
            }
        }
        let metadata: ProviderMetadata = self.fetch(&url).await?;
        let keys: JwkSet = self.fetch(&metadata.jwks_uri).await?;
        let provider = Arc::new(Mutex::new(Provider {
            metadata,
            keys,
            fetched_at: Instant::now(),
            refetches: Vec::new(),
        }));
        lock(&self.providers).insert(url, Arc::clone(&provider));
        Ok(provider)
    }

    /// Fetches the key set again, unless that was done [`REFETCHES_PER_MINUTE`] times in the
    /// last minute.
    async fn refetch_keys(&self, provider: &Mutex<Provider>) -> Result<(), IdTokenError> {
        let uri = {
            let mut provider = lock(provider);
            provider
                .refetches
                .retain(|at| at.elapsed() < Duration::from_secs(60));
            if provider.refetches.len() >= REFETCHES_PER_MINUTE {
                return Ok(());
            }
            provider.refetches.push(Instant::now());
            provider.metadata.jwks_uri.clone()
        };
        let keys: JwkSet = self.fetch(&uri).await?;
        lock(provider).keys = keys;
        Ok(())
    }

    async fn fetch<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, IdTokenError> {
        let failed = |message: String| IdTokenError::Provider {
            url: url.to_owned(),
            message,
        };
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| failed(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(failed(format!("it answered {status}")));
        }
        response
            .json()
            .await
            .map_err(|e| failed(format!("not the JSON expected: {}", e.without_url())))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
