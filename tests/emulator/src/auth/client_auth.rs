//! How an app proves who it is at the token endpoint: a client secret, or a client assertion
//! JWT signed with its registered certificate; a public client sends neither.

use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::ExposeSecret;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::form::Form;
use super::token_error::TokenError;
use crate::apps::{ClientCredential, RegisteredClient};

/// The assertion type of a certificate credential.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

const WRONG_SECRET: &str = "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.";

/// Checks the credential a request carries against the app's (its configured credential, or a
/// certificate uploaded to it since, `uploaded`); `endpoint` is the token endpoint's URL as the
/// caller reached it (an assertion's `aud` must equal it).
pub(crate) fn authenticate(
    client: &RegisteredClient,
    uploaded: &[String],
    form: &Form,
    endpoint: &str,
    grant: &str,
) -> Result<(), TokenError> {
    let client_id = client.client_id.as_str();
    if let (None, Some(assertion)) = (form.get("client_secret"), form.get("client_assertion")) {
        let named = jsonwebtoken::decode_header(assertion).ok();
        let registered = named.and_then(|header| {
            uploaded
                .iter()
                .find(|pem| check_thumbprint(pem, &header).is_ok())
        });
        if let Some(pem) = registered {
            check_assertion_type(form)?;
            return check_assertion(pem, assertion, client_id, endpoint);
        }
    }
    match (
        &client.credential,
        form.get("client_secret"),
        form.get("client_assertion"),
    ) {
        (ClientCredential::Public, None, None) if grant != "client_credentials" => Ok(()),
        (ClientCredential::Public, Some(_), _) | (ClientCredential::Public, _, Some(_)) => {
            Err(TokenError::invalid_client(
                700_025,
                "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
            ))
        }
        (ClientCredential::Secret(secret), Some(given), None) => {
            if given == secret.expose_secret() {
                Ok(())
            } else {
                Err(TokenError::invalid_client(7_000_215, WRONG_SECRET))
            }
        }
        (ClientCredential::Certificate(pem), None, Some(assertion)) => {
            check_assertion_type(form)?;
            check_assertion(pem, assertion, client_id, endpoint)
        }
        (ClientCredential::Secret(_), None, Some(_)) => Err(TokenError::invalid_client(
            700_027,
            "The certificate with identifier used to sign the client assertion is not registered on application.",
        )),
        (ClientCredential::Certificate(_), Some(_), None) => {
            Err(TokenError::invalid_client(7_000_215, WRONG_SECRET))
        }
        _ if grant == "client_credentials" => Err(TokenError::invalid_client(
            7_000_216,
            "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
        )),
        _ => Err(TokenError::invalid_client(
            7_000_218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )),
    }
}

/// An assertion must say it is a JWT bearer assertion.
fn check_assertion_type(form: &Form) -> Result<(), TokenError> {
    if form.get("client_assertion_type") == Some(JWT_BEARER) {
        Ok(())
    } else {
        Err(TokenError::new(
            "invalid_request",
            700_023,
            format!("Client assertion type must be '{JWT_BEARER}'."),
        ))
    }
}

/// The DER bytes of a PEM certificate (`None` for a bare public key).
pub(crate) fn certificate_der(pem: &str) -> Option<Vec<u8>> {
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
