//! A certificate an app proves itself with: the client assertion JWT Microsoft's token endpoint
//! takes instead of a client secret.

use std::time::Duration;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The OAuth `client_assertion_type` of a JWT client assertion.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid: Microsoft wants it short.
const ASSERTION_LIFETIME: Duration = Duration::from_secs(600);

/// An X.509 certificate and its RSA private key, checked when loaded. The key is held only as
/// a signing key and never printed.
#[derive(Clone)]
pub struct ClientCertificate {
    key: EncodingKey,
    /// `x5t#S256`: the certificate's SHA-256 thumbprint, base64url.
    thumbprint: String,
    subject: String,
    not_after: jiff::Timestamp,
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("subject", &self.subject)
            .field("x5t#S256", &self.thumbprint)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// A certificate or key that cannot be used. No variant carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// The certificate is not a PEM X.509 certificate.
    #[error("the certificate is not a PEM X.509 certificate (-----BEGIN CERTIFICATE-----): {0}")]
    NotACertificate(String),
    /// The key is not a PEM RSA private key.
    #[error(
        "the private key is not a PEM RSA private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----); Microsoft signs assertions with RSA"
    )]
    NotAnRsaKey,
    /// The key does not belong to the certificate.
    #[error("the private key does not belong to the certificate {subject:?}")]
    KeyMismatch {
        /// The certificate's subject.
        subject: String,
    },
    /// The certificate has expired.
    #[error(
        "the certificate {subject:?} expired on {not_after}: create a new one and upload it to the app registration"
    )]
    Expired {
        /// The certificate's subject.
        subject: String,
        /// When it expired.
        not_after: String,
    },
    /// The certificate is not valid yet.
    #[error("the certificate {subject:?} is not valid before {not_before}")]
    NotYetValid {
        /// The certificate's subject.
        subject: String,
        /// When it becomes valid.
        not_before: String,
    },
    /// An assertion could not be signed.
    #[error("cannot sign the client assertion: {0}")]
    Signing(String),
}

#[derive(Serialize, Deserialize)]
struct Claims {
    aud: String,
    iss: String,
    sub: String,
    jti: String,
    nbf: i64,
    iat: i64,
    exp: i64,
}

impl ClientCertificate {
    /// Loads a PEM certificate and its PEM RSA private key, checking that the key belongs to the
    /// certificate and that the certificate is valid now.
    pub fn from_pem(
        certificate: &str,
        private_key: &SecretString,
    ) -> Result<Self, CertificateError> {
        let (_, pem) = x509_parser::pem::parse_x509_pem(certificate.as_bytes())
            .map_err(|e| CertificateError::NotACertificate(e.to_string()))?;
        if pem.label != "CERTIFICATE" {
            return Err(CertificateError::NotACertificate(format!(
                "found -----BEGIN {}-----",
                pem.label
            )));
        }
        let x509 = pem
            .parse_x509()
            .map_err(|e| CertificateError::NotACertificate(e.to_string()))?;
        let subject = x509.subject().to_string();
        let validity = x509.validity();
        let when = |t: x509_parser::time::ASN1Time| {
            jiff::Timestamp::from_second(t.timestamp()).unwrap_or(jiff::Timestamp::MIN)
        };
        let (not_before, not_after) = (when(validity.not_before), when(validity.not_after));
        let now = jiff::Timestamp::now();
        if now > not_after {
            return Err(CertificateError::Expired {
                subject,
                not_after: not_after.to_string(),
            });
        }
        if now < not_before {
            return Err(CertificateError::NotYetValid {
                subject,
                not_before: not_before.to_string(),
            });
        }
        let key = EncodingKey::from_rsa_pem(private_key.expose_secret().as_bytes())
            .map_err(|_| CertificateError::NotAnRsaKey)?;
        let thumbprint =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(&pem.contents));
        let loaded = Self {
            key,
            thumbprint,
            subject,
            not_after,
        };
        loaded.check_key(certificate)?;
        Ok(loaded)
    }

    /// The certificate's subject, such as `CN=tenure`.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// When the certificate expires.
    pub fn not_after(&self) -> jiff::Timestamp {
        self.not_after
    }

    /// The `x5t#S256` thumbprint Microsoft matches against the app's registered certificates.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// A client assertion for `client_id` at `token_url` (its `aud`), valid for ten minutes,
    /// signed PS256 and naming the certificate by `x5t#S256`. It is a credential: secret.
    pub fn assertion(
        &self,
        client_id: &str,
        token_url: &str,
    ) -> Result<SecretString, CertificateError> {
        let now = jiff::Timestamp::now().as_second();
        let lifetime = i64::try_from(ASSERTION_LIFETIME.as_secs()).unwrap_or(600);
        let claims = Claims {
            aud: token_url.to_owned(),
            iss: client_id.to_owned(),
            sub: client_id.to_owned(),
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: now,
            iat: now,
            exp: now + lifetime,
        };
        let mut header = Header::new(Algorithm::PS256);
        header.x5t_s256 = Some(self.thumbprint.clone());
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(SecretString::from)
            .map_err(|e| CertificateError::Signing(e.to_string()))
    }

    /// The form parameters that prove the app in a token request to `token_url`:
    /// `client_assertion_type` and a fresh `client_assertion` (a secret while it is valid).
    pub(crate) fn token_request_params(
        &self,
        client_id: &str,
        token_url: &str,
    ) -> Result<[(&'static str, String); 2], CertificateError> {
        let assertion = self.assertion(client_id, token_url)?;
        Ok([
            ("client_assertion_type", JWT_BEARER.to_owned()),
            ("client_assertion", assertion.expose_secret().to_owned()),
        ])
    }

    /// Signs a throwaway assertion and checks it with the certificate's public key.
    fn check_key(&self, certificate: &str) -> Result<(), CertificateError> {
        let mismatch = || CertificateError::KeyMismatch {
            subject: self.subject.clone(),
        };
        let probe = self.assertion("probe", "probe")?;
        let public = DecodingKey::from_rsa_pem(certificate.as_bytes()).map_err(|_| mismatch())?;
        let mut validation = Validation::new(Algorithm::PS256);
        validation.set_audience(&["probe"]);
        jsonwebtoken::decode::<Claims>(probe.expose_secret(), &public, &validation)
            .map(|_| ())
            .map_err(|_| mismatch())
    }
}
