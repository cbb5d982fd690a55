//! Microsoft's login: the v2.0 token endpoint (client-credentials grant, with a client secret or
//! a client assertion JWT) and the bearer-token check in front of Graph and Exchange.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::ExposeSecret;
use serde_json::json;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::config::ClientCredential;
use crate::errors::GraphError;
use crate::ids::new_guid;
use crate::state::{IssuedToken, TenantState};

/// The assertion type of a certificate credential.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A token endpoint error, in Microsoft's shape.
#[derive(Debug)]
struct TokenError {
    error: &'static str,
    code: u32,
    description: String,
}

impl TokenError {
    fn new(error: &'static str, code: u32, description: impl Into<String>) -> Self {
        Self {
            error,
            code,
            description: description.into(),
        }
    }

    fn missing(parameter: &str) -> Self {
        Self::new(
            "invalid_request",
            900_144,
            format!("The request body must contain the following parameter: '{parameter}'."),
        )
    }

    fn invalid_client(code: u32, description: impl Into<String>) -> Self {
        Self::new("invalid_client", code, description)
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let trace_id = new_guid();
        let correlation_id = new_guid();
        let timestamp = jiff::Timestamp::now()
            .strftime("%Y-%m-%d %H:%M:%SZ")
            .to_string();
        let status = if self.error == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        let body = json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}",
                self.code, self.description
            ),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
        });
        let mut response = (status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store, no-cache"),
        );
        response
    }
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(crate) async fn token(
    State(state): State<TenantState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match issue(&state, &tenant, &headers, &body) {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

fn issue(
    state: &TenantState,
    tenant: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, TokenError> {
    let shared = &state.shared;
    if !shared.is_tenant(tenant) {
        return Err(TokenError::new(
            "invalid_request",
            90_002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        ));
    }
    let form_content = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_content {
        return Err(TokenError::new(
            "invalid_request",
            900_144,
            "The request body must contain the following parameter: 'grant_type'.",
        ));
    }
    let form: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let grant = field("grant_type").ok_or_else(|| TokenError::missing("grant_type"))?;
    if grant != "client_credentials" {
        return Err(TokenError::new(
            "unsupported_grant_type",
            70_003,
            format!("The app requested an unsupported grant type '{grant}'."),
        ));
    }
    let client_id = field("client_id").ok_or_else(|| TokenError::missing("client_id"))?;
    let client = shared
        .clients
        .iter()
        .find(|c| c.client_id == client_id)
        .ok_or_else(|| {
            TokenError::new(
                "unauthorized_client",
                700_016,
                format!("Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."),
            )
        })?;
    let scope = field("scope").ok_or_else(|| TokenError::missing("scope"))?;
    let audience = audience_of(state, scope)?;
    match (
        &client.credential,
        field("client_secret"),
        field("client_assertion"),
    ) {
        (ClientCredential::Secret(secret), Some(given), None) => {
            if given != secret.expose_secret() {
                return Err(TokenError::invalid_client(
                    7_000_215,
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.",
                ));
            }
        }
        (ClientCredential::Certificate(pem), None, Some(assertion)) => {
            if field("client_assertion_type") != Some(JWT_BEARER) {
                return Err(TokenError::new(
                    "invalid_request",
                    700_023,
                    format!("Client assertion type must be '{JWT_BEARER}'."),
                ));
            }
            let endpoint = token_endpoint(headers, tenant);
            check_assertion(pem, assertion, client_id, &endpoint)?;
        }
        (ClientCredential::Secret(_), None, Some(_)) => {
            return Err(TokenError::invalid_client(
                700_027,
                "The certificate with identifier used to sign the client assertion is not registered on application.",
            ));
        }
        (ClientCredential::Certificate(_), Some(_), None) => {
            return Err(TokenError::invalid_client(
                7_000_215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.",
            ));
        }
        _ => {
            return Err(TokenError::invalid_client(
                7_000_216,
                "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
            ));
        }
    }
    let access_token = format!(
        "{}{}",
        new_guid().replace('-', ""),
        new_guid().replace('-', "")
    );
    let lifetime = shared.token_lifetime;
    shared.tokens().insert(
        access_token.clone(),
        IssuedToken {
            audience,
            expires_at: Instant::now() + lifetime,
        },
    );
    let seconds = lifetime.as_secs();
    let mut response = axum::Json(json!({
        "token_type": "Bearer",
        "expires_in": seconds,
        "ext_expires_in": seconds,
        "access_token": access_token,
    }))
    .into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    Ok(response)
}

/// The resource a `scope` asks for; only `{resource}/.default` of a known resource is granted.
fn audience_of(state: &TenantState, scope: &str) -> Result<String, TokenError> {
    let shared = &state.shared;
    let invalid = || {
        TokenError::new(
            "invalid_scope",
            70_011,
            format!(
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
            ),
        )
    };
    let resource = scope.strip_suffix("/.default").ok_or_else(invalid)?;
    shared
        .graph_audiences
        .iter()
        .chain(&shared.exchange_audiences)
        .find(|a| a.trim_end_matches('/').eq_ignore_ascii_case(resource))
        .cloned()
        .ok_or_else(invalid)
}

/// The token endpoint's URL as the caller reached it: the assertion's `aud` must equal it.
fn token_endpoint(headers: &HeaderMap, tenant: &str) -> String {
    format!("{}/{tenant}/oauth2/v2.0/token", base_url(headers))
}

/// The base URL the caller used, from its `Host` header.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// The DER bytes of a PEM certificate (`None` for a bare public key).
fn certificate_der(pem: &str) -> Option<Vec<u8>> {
    let body = pem
        .split("-----BEGIN CERTIFICATE-----")
        .nth(1)?
        .split("-----END CERTIFICATE-----")
        .next()?;
    let text: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// With a registered certificate, the header must name it: `x5t#S256` (SHA-256) or `x5t`
/// (SHA-1) thumbprint, base64url.
fn check_thumbprint(pem: &str, header: &jsonwebtoken::Header) -> Result<(), TokenError> {
    let Some(der) = certificate_der(pem) else {
        return Ok(());
    };
    let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let matches = match (&header.x5t_s256, &header.x5t) {
        (Some(given), _) => *given == encode(&Sha256::digest(&der)),
        (None, Some(given)) => *given == encode(&Sha1::digest(&der)),
        (None, None) => false,
    };
    if matches {
        Ok(())
    } else {
        Err(TokenError::invalid_client(
            700_027,
            "The certificate with identifier used to sign the client assertion is not registered on application.",
        ))
    }
}

/// Checks a client assertion: names and is signed by the registered certificate (RS256 or
/// PS256), `iss` = `sub` = the client id, `aud` = the token endpoint, `jti` present, within
/// `nbf`..`exp`.
fn check_assertion(
    pem: &str,
    assertion: &str,
    client_id: &str,
    endpoint: &str,
) -> Result<(), TokenError> {
    let signature =
        || TokenError::invalid_client(700_027, "Client assertion failed signature validation.");
    let malformed = || {
        TokenError::new(
            "invalid_request",
            50_027,
            "JWT token is invalid or malformed.",
        )
    };
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| malformed())?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::PS256) {
        return Err(TokenError::invalid_client(
            5_002_738,
            format!(
                "Invalid JWT token. '{:?}' is not a supported signature algorithm.",
                header.alg
            ),
        ));
    }
    check_thumbprint(pem, &header)?;
    let key = DecodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| signature())?;
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[endpoint]);
    validation.set_issuer(&[client_id]);
    validation.sub = Some(client_id.to_owned());
    validation.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = 0;
    let claims = jsonwebtoken::decode::<serde_json::Value>(assertion, &key, &validation)
        .map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature | ErrorKind::ImmatureSignature => {
                TokenError::invalid_client(
                    700_024,
                    "Client assertion is not within its valid time range.",
                )
            }
            ErrorKind::InvalidAudience => TokenError::invalid_client(
                700_212,
                format!("The audience claim of the client assertion does not match the token endpoint '{endpoint}'."),
            ),
            ErrorKind::InvalidIssuer | ErrorKind::InvalidSubject => TokenError::invalid_client(
                700_021,
                "Client assertion application identifier doesn't match 'client_id' parameter.",
            ),
            ErrorKind::MissingRequiredClaim(_) => malformed(),
            _ => signature(),
        })?
        .claims;
    if claims
        .get("jti")
        .and_then(serde_json::Value::as_str)
        .is_none()
    {
        return Err(malformed());
    }
    Ok(())
}

/// Which API a token must be for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// Microsoft Graph.
    Graph,
    /// Exchange Online.
    Exchange,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// None was sent.
    Missing,
    /// Unknown to this tenant.
    Invalid,
    /// Past its lifetime.
    Expired,
    /// For another API.
    WrongAudience,
}

/// Checks the request's bearer token for an API.
pub(crate) fn check_bearer(
    state: &TenantState,
    headers: &HeaderMap,
    api: Api,
) -> Result<(), Refusal> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(Refusal::Missing)?;
    let shared = &state.shared;
    let issued = shared
        .tokens()
        .get(token)
        .cloned()
        .ok_or(Refusal::Invalid)?;
    if issued.expires_at <= Instant::now() {
        return Err(Refusal::Expired);
    }
    let audiences = match api {
        Api::Graph => &shared.graph_audiences,
        Api::Exchange => &shared.exchange_audiences,
    };
    if audiences.contains(&issued.audience) {
        Ok(())
    } else {
        Err(Refusal::WrongAudience)
    }
}

/// Middleware in front of Graph: `401 InvalidAuthenticationToken` without a valid Graph token.
pub(crate) async fn require_graph(
    State(state): State<TenantState>,
    request: Request,
    next: Next,
) -> Response {
    match check_bearer(&state, request.headers(), Api::Graph) {
        Ok(()) => next.run(request).await,
        Err(refusal) => GraphError::unauthenticated(match refusal {
            Refusal::Missing => "Access token is empty.",
            Refusal::Invalid => "Invalid JWT token. The token is malformed.",
            Refusal::Expired => "Lifetime validation failed, the token is expired.",
            Refusal::WrongAudience => "Access token validation failure. Invalid audience.",
        })
        .into_response(),
    }
}
