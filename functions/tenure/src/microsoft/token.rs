//! Access tokens by the client-credentials grant, cached per scope until shortly before expiry.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicRequestTokenError};
use oauth2::{
    AuthType, ClientId, ClientSecret, EndpointNotSet, EndpointSet, HttpClientError, Scope,
    TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

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

/// The OAuth `client_assertion_type` of a JWT client assertion.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Why no token could be had. Each variant's message says what to do; none carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// `invalid_client`: the client id or secret is wrong, or the secret has expired.
    #[error(
        "Microsoft refused the app's credentials (invalid_client): check the client id and create a new client secret if it expired ({description})"
    )]
    InvalidClient {
        /// Microsoft's `error_description`.
        description: String,
    },
    /// `invalid_grant`: the grant (a refresh token or assertion) expired or was revoked.
    #[error(
        "Microsoft refused the grant (invalid_grant): the connection must be linked again ({description})"
    )]
    InvalidGrant {
        /// Microsoft's `error_description`.
        description: String,
    },
    /// `consent_required`: an administrator has not consented to the app's permissions.
    #[error(
        "an administrator must grant consent to the app's permissions (consent_required) ({description})"
    )]
    ConsentRequired {
        /// Microsoft's `error_description`.
        description: String,
    },
    /// `interaction_required`: a person must sign in (conditional access, MFA).
    #[error(
        "a person must sign in interactively before this connection works (interaction_required) ({description})"
    )]
    InteractionRequired {
        /// Microsoft's `error_description`.
        description: String,
    },
    /// `temporarily_unavailable`: Microsoft's login service is busy; try again later.
    #[error(
        "Microsoft's login service is temporarily unavailable; try again later ({description})"
    )]
    TemporarilyUnavailable {
        /// Microsoft's `error_description`.
        description: String,
    },
    /// AADSTS90002: no tenant with that id or domain.
    #[error(
        "tenant {tenant:?} does not exist (AADSTS90002): check the tenant id and the national cloud"
    )]
    UnknownTenant {
        /// The tenant asked for.
        tenant: String,
    },
    /// AADSTS700016: no app with that client id in the tenant.
    #[error(
        "no app with client id {client_id:?} in the tenant (AADSTS700016): check the client id, the tenant and that an administrator consented"
    )]
    AppNotFound {
        /// The client id.
        client_id: String,
    },
    /// Another OAuth error, by Microsoft's name.
    #[error("Microsoft refused the token request ({error}): {description}")]
    Refused {
        /// The OAuth `error` code.
        error: String,
        /// Microsoft's `error_description`.
        description: String,
    },
    /// The login endpoint could not be reached.
    #[error("cannot reach Microsoft's login endpoint {url}: {message}")]
    Unreachable {
        /// The token URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The answer was not a token response.
    #[error("Microsoft's login endpoint gave an answer that is not a token response: {message}")]
    Malformed {
        /// What was wrong.
        message: String,
    },
}

impl TokenError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::TemporarilyUnavailable { .. } | Self::Unreachable { .. }
        )
    }
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
    cache: Mutex<HashMap<String, Cached>>,
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
    /// authority.
    pub fn new(
        endpoints: &Endpoints,
        tenant: &str,
        client_id: &str,
        credential: ClientCredential,
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
        let mut request = self
            .oauth
            .exchange_client_credentials()
            .add_scope(Scope::new(scope.to_owned()));
        let assertion = match &self.certificate {
            Some(certificate) => Some(
                certificate
                    .assertion(&self.client_id, &self.token_url)
                    .map_err(|e| TokenError::Malformed {
                        message: e.to_string(),
                    })?,
            ),
            None => None,
        };
        if let Some(assertion) = &assertion {
            request = request
                .add_extra_param("client_assertion_type", JWT_BEARER)
                .add_extra_param("client_assertion", assertion.expose_secret().to_owned());
        }
        let answer = request
            .request_async(&self.http)
            .await
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
        use oauth2::RequestTokenError as E;
        match error {
            E::ServerResponse(response) => {
                let description = response.error_description().cloned().unwrap_or_default();
                self.classify(response.error(), description)
            }
            E::Request(e) => TokenError::Unreachable {
                url: self.token_url.clone(),
                message: describe_http(&e),
            },
            E::Parse(e, _) => TokenError::Malformed {
                message: e.to_string(),
            },
            E::Other(message) => TokenError::Malformed { message },
        }
    }

    fn classify(&self, error: &BasicErrorResponseType, description: String) -> TokenError {
        match aadsts_code(&description) {
            Some(90002) => {
                return TokenError::UnknownTenant {
                    tenant: self.tenant.clone(),
                };
            }
            Some(700016) => {
                return TokenError::AppNotFound {
                    client_id: self.client_id.clone(),
                };
            }
            _ => {}
        }
        match error.as_ref() {
            "invalid_client" => TokenError::InvalidClient { description },
            "invalid_grant" => TokenError::InvalidGrant { description },
            "consent_required" => TokenError::ConsentRequired { description },
            "interaction_required" => TokenError::InteractionRequired { description },
            "temporarily_unavailable" => TokenError::TemporarilyUnavailable { description },
            other => TokenError::Refused {
                error: other.to_owned(),
                description,
            },
        }
    }
}

/// The number of `AADSTS<n>:` at the start of a Microsoft error description.
fn aadsts_code(description: &str) -> Option<u32> {
    let rest = description.trim_start().strip_prefix("AADSTS")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn describe_http(error: &HttpClientError<reqwest::Error>) -> String {
    match error {
        HttpClientError::Reqwest(e) => {
            // Reqwest errors name the URL; the secret travels in the body, never in the URL.
            let mut message = e.to_string();
            let mut source = std::error::Error::source(e.as_ref());
            while let Some(cause) = source {
                message.push_str(": ");
                message.push_str(&cause.to_string());
                source = cause.source();
            }
            message
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::aadsts_code;

    #[test]
    fn aadsts_codes_are_read_from_descriptions() {
        assert_eq!(
            aadsts_code("AADSTS90002: Tenant 'x' not found."),
            Some(90002)
        );
        assert_eq!(aadsts_code("AADSTS700016: Application"), Some(700016));
        assert_eq!(aadsts_code("no code"), None);
    }
}
