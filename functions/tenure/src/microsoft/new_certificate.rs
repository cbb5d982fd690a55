//! A certificate Tenure makes for a customer's app registration: a fresh RSA key that never
//! leaves Tenure's secret store, and a self-signed X.509 certificate for it, which the customer
//! downloads and uploads to the app (Certificates & secrets → Certificates → Upload
//! certificate). Microsoft checks only that an assertion is signed by a certificate the app
//! has; it does not need a certificate authority.

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use rsa::pkcs1v15::{Signature, SigningKey};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::sha2::Sha256;
use rsa::{RsaPrivateKey, RsaPublicKey};
use secrecy::SecretString;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::EncodePem;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};

use super::certificate::CertificateError;

/// The key size: what Microsoft requires at least for app certificates.
const KEY_BITS: usize = 2048;

/// How long a made certificate is valid. A year keeps a leaked certificate's key short-lived;
/// the connection page says when it expires.
pub const NEW_CERTIFICATE_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

/// A certificate Tenure made and its private key.
pub struct NewCertificate {
    /// The certificate (public), PEM: what the customer uploads to the app registration.
    pub certificate_pem: String,
    /// Its private key, PKCS#8 PEM: kept in the secret store only.
    pub private_key: SecretString,
}

impl std::fmt::Debug for NewCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCertificate").finish_non_exhaustive()
    }
}

/// Makes an RSA key and a self-signed certificate for it, subject `CN=<common_name>`, valid
/// from `now` for [`NEW_CERTIFICATE_LIFETIME`].
pub fn new_certificate(
    common_name: &str,
    now: jiff::Timestamp,
) -> Result<NewCertificate, CertificateError> {
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        CertificateError::Signing(format!("cannot make the certificate ({what}): {e}"))
    };
    let mut rng = rsa::rand_core::OsRng;
    let key = RsaPrivateKey::new(&mut rng, KEY_BITS).map_err(|e| failed("key", &e))?;
    let public = RsaPublicKey::from(&key);
    let spki = SubjectPublicKeyInfoOwned::from_key(public).map_err(|e| failed("public key", &e))?;
    let subject = Name::from_str(&format!("CN={}", rdn_value(common_name)))
        .map_err(|e| failed("subject", &e))?;
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(now.as_second().max(0).unsigned_abs());
    let time = |at: SystemTime| Time::try_from(at).map_err(|e| failed("validity", &e));
    let validity = Validity {
        not_before: time(start)?,
        not_after: time(start + NEW_CERTIFICATE_LIFETIME)?,
    };
    let serial = SerialNumber::new(&serial_bytes()).map_err(|e| failed("serial", &e))?;
    let signer = SigningKey::<Sha256>::new(key.clone());
    let profile = Profile::Leaf {
        issuer: subject.clone(),
        enable_key_agreement: false,
        enable_key_encipherment: false,
    };
    let certificate = CertificateBuilder::new(profile, serial, validity, subject, spki, &signer)
        .map_err(|e| failed("certificate", &e))?
        .build::<Signature>()
        .map_err(|e| failed("signature", &e))?;
    let certificate_pem = certificate
        .to_pem(LineEnding::LF)
        .map_err(|e| failed("PEM", &e))?;
    let private_key = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| failed("key PEM", &e))?;
    Ok(NewCertificate {
        certificate_pem,
        private_key: SecretString::from(private_key.as_str().to_owned()),
    })
}

/// A common name as an RFC 4514 value: the characters that would end or change it escaped.
fn rdn_value(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().filter(|c| !c.is_control()) {
        if matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out.trim().to_owned()
}

/// A random positive 16-byte serial number.
fn serial_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    bytes
}
