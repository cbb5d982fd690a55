//! Access tokens by the client-credentials grant, cached per scope until shortly before expiry.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use oauth2::basic::{BasicClient, BasicRequestTokenError};
use oauth2::{
    AuthType, ClientId, ClientSecret, EndpointNotSet, EndpointSet, HttpClientError, RefreshToken,
    Scope, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

mod error;
mod refresh;

pub use error::TokenError;
pub(crate) use error::token_error;
pub use refresh::RefreshTokenStore;

use super::certificate::ClientCertificate;
use super::cloud::Endpoints;

/// A token is renewed once less than this remains of its life.
const RENEW_BEFORE: Duration = Duration::from_secs(300);

/// How an app proves who it is.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientCredential {
    /// A client secret.
    Secret(SecretString),
    /// A certificate: each token request carries a fresh signed client assertion.
    Certificate(ClientCertificate),
}

type Oauth =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

struct Cached {
    token: SecretString,
    renew_at: Instant,
}

/// Gets and caches access tokens for one app in one tenant. Share it (it is cheap to wrap in an
/// `Arc`); concurrent callers for one scope wait for a single request.
pub struct TokenSource {
    oauth: Oauth,
    http: reqwest::Client,
    tenant: String,
    client_id: String,
    token_url: String,
    /// With a certificate, each request signs a fresh client assertion.
    certificate: Option<ClientCertificate>,
    /// Whose tokens: the app's own, or a signed-in admin's (delegated, by refresh token).
    grant: Grant,
    cache: Mutex<HashMap<String, Cached>>,
}

/// How tokens are asked for.
enum Grant {
    /// The client-credentials grant: the app's own application permissions.
    ClientCredentials,
    /// The refresh-token grant: delegated permissions of the admin who linked the connection.
    Refresh(Arc<dyn RefreshTokenStore>),
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("token_url", &self.token_url)
            .field("credential", &"[REDACTED]")
            .finish()
    }
}

impl TokenSource {
    /// A source for `client_id` in `tenant` (id or verified domain) at the endpoints' login
    /// authority, by the client-credentials grant.
    pub fn new(
        endpoints: &Endpoints,
        tenant: &str,
        client_id: &str,
        credential: ClientCredential,
    ) -> Result<Self, TokenError> {
        Self::with_grant(
            endpoints,
            tenant,
            client_id,
            credential,
            Grant::ClientCredentials,
        )
    }

    /// A source of delegated tokens: each is redeemed with the refresh token in `refresh_tokens`
    /// (an admin's, from linking the connection), and a rotated refresh token is stored back.
    /// `credential` is the app's own (Tenure's app is a confidential client).
    pub fn delegated(
        endpoints: &Endpoints,
        tenant: &str,
        client_id: &str,
        credential: ClientCredential,
        refresh_tokens: Arc<dyn RefreshTokenStore>,
    ) -> Result<Self, TokenError> {
        let grant = Grant::Refresh(refresh_tokens);
        Self::with_grant(endpoints, tenant, client_id, credential, grant)
    }

    fn with_grant(
        endpoints: &Endpoints,
        tenant: &str,
        client_id: &str,
        credential: ClientCredential,
        grant: Grant,
    ) -> Result<Self, TokenError> {
        let token_url = endpoints.token_url(tenant);
        let url = TokenUrl::new(token_url.clone()).map_err(|e| TokenError::Unreachable {
            url: token_url.clone(),
            message: e.to_string(),
        })?;
        let mut oauth = BasicClient::new(ClientId::new(client_id.to_owned()))
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(url);
        let certificate = match credential {
            ClientCredential::Secret(secret) => {
                oauth =
                    oauth.set_client_secret(ClientSecret::new(secret.expose_secret().to_owned()));
                None
            }
            ClientCredential::Certificate(certificate) => Some(certificate),
        };
        // The token endpoint must never redirect (a redirect could leak the secret).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| TokenError::Unreachable {
                url: token_url.clone(),
                message: e.to_string(),
            })?;
        Ok(Self {
            oauth,
            http,
            tenant: tenant.to_owned(),
            client_id: client_id.to_owned(),
            token_url,
            certificate,
            grant,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The tenant the tokens are for.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// A token for `scope` (such as `https://graph.microsoft.com/.default`), from the cache while
    /// it has more than five minutes (or half its life) left.
    pub async fn token(&self, scope: &str) -> Result<SecretString, TokenError> {
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.get(scope)
            && cached.renew_at > Instant::now()
        {
            return Ok(cached.token.clone());
        }
        let (token, lifetime) = self.request(scope).await?;
        let margin = RENEW_BEFORE.min(lifetime / 2);
        cache.insert(
            scope.to_owned(),
            Cached {
                token: token.clone(),
                renew_at: Instant::now() + lifetime.saturating_sub(margin),
            },
        );
        Ok(token)
    }

    /// Forgets the cached token for `scope` (after an API answered 401 to it).
    pub async fn invalidate(&self, scope: &str) {
        self.cache.lock().await.remove(scope);
    }

    async fn request(&self, scope: &str) -> Result<(SecretString, Duration), TokenError> {
        // With a certificate, the request carries a fresh client assertion.
        let client_auth = match &self.certificate {
            Some(certificate) => certificate
                .token_request_params(&self.client_id, &self.token_url)
                .map_err(|e| TokenError::Malformed {
                    message: e.to_string(),
                })?
                .to_vec(),
            None => Vec::new(),
        };
        let scope = Scope::new(scope.to_owned());
        let answer = match &self.grant {
            Grant::ClientCredentials => {
                let mut request = self.oauth.exchange_client_credentials().add_scope(scope);
                for (name, value) in client_auth {
                    request = request.add_extra_param(name, value);
                }
                request.request_async(&self.http).await
            }
            Grant::Refresh(store) => {
                let (refresh_token, version) = store.load().await?;
                let refresh_token = RefreshToken::new(refresh_token.expose_secret().to_owned());
                let mut request = self
                    .oauth
                    .exchange_refresh_token(&refresh_token)
                    .add_scope(scope);
                for (name, value) in client_auth {
                    request = request.add_extra_param(name, value);
                }
                let answer = request.request_async(&self.http).await;
                if let Ok(answer) = &answer
                    && let Some(rotated) = answer.refresh_token()
                {
                    let rotated = SecretString::from(rotated.secret().clone());
                    store.rotate(rotated, &version).await?;
                }
                answer
            }
        }
        .map_err(|e| self.map_error(e))?;
        let lifetime = answer.expires_in().unwrap_or(Duration::from_secs(3_600));
        Ok((
            SecretString::from(answer.access_token().secret().clone()),
            lifetime,
        ))
    }

    fn map_error(
        &self,
        error: BasicRequestTokenError<HttpClientError<reqwest::Error>>,
    ) -> TokenError {
        token_error(error, &self.tenant, &self.client_id, &self.token_url)
    }
}
