//! Why no token could be had, by Microsoft's OAuth error names and AADSTS codes.

use oauth2::HttpClientError;
use oauth2::basic::{BasicErrorResponseType, BasicRequestTokenError};

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
    /// The refresh token could not be read from or kept in its store.
    #[error("the connection's refresh token could not be {operation}: {message}")]
    Store {
        /// `read` or `kept`.
        operation: &'static str,
        /// What went wrong (never the token).
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

/// A failed token request as a [`TokenError`], for `client_id` in `tenant` at `token_url`.
pub(crate) fn token_error(
    error: BasicRequestTokenError<HttpClientError<reqwest::Error>>,
    tenant: &str,
    client_id: &str,
    token_url: &str,
) -> TokenError {
    use oauth2::RequestTokenError as E;
    match error {
        E::ServerResponse(response) => {
            let description = response.error_description().cloned().unwrap_or_default();
            classify(response.error(), description, tenant, client_id)
        }
        E::Request(e) => TokenError::Unreachable {
            url: token_url.to_owned(),
            message: describe_http(&e),
        },
        E::Parse(e, _) => TokenError::Malformed {
            message: e.to_string(),
        },
        E::Other(message) => TokenError::Malformed { message },
    }
}

fn classify(
    error: &BasicErrorResponseType,
    description: String,
    tenant: &str,
    client_id: &str,
) -> TokenError {
    match aadsts_code(&description) {
        Some(90002) => {
            return TokenError::UnknownTenant {
                tenant: tenant.to_owned(),
            };
        }
        Some(700016) => {
            return TokenError::AppNotFound {
                client_id: client_id.to_owned(),
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
