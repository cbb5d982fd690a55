//! A connection's credential, read from the secret store: what [`crate::microsoft::TokenSource`]
//! needs to get tokens for it.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use super::error::ConnectError;
use super::refresh_tokens::StoredRefreshToken;
use super::tenure_app::TenureApp;
use crate::microsoft::{ClientCertificate, ClientCredential, TokenSource};
use crate::store::connections::{Connection, ConnectionType, CustomerCredential};
use crate::store::secrets::{SecretKind, SecretStore};

/// A certificate and its key as one PEM text (how the `certificate-key` secret holds them).
pub fn certificate_secret(certificate_pem: &str, private_key: &SecretString) -> SecretString {
    SecretString::from(format!(
        "{}\n{}\n",
        certificate_pem.trim(),
        private_key.expose_secret().trim()
    ))
}

/// Splits a PEM text holding a certificate and its key (a `certificate-key` secret, or a file an
/// administrator uploads) into the certificate blocks and the rest.
pub(crate) fn split_certificate_secret(pem: &str) -> (String, SecretString) {
    let mut certificate = String::new();
    let mut key = String::new();
    let mut in_certificate = false;
    for line in pem.lines() {
        if line.starts_with("-----BEGIN CERTIFICATE") {
            in_certificate = true;
        }
        if in_certificate {
            certificate.push_str(line);
            certificate.push('\n');
        } else {
            key.push_str(line);
            key.push('\n');
        }
        if line.starts_with("-----END CERTIFICATE") {
            in_certificate = false;
        }
    }
    (certificate, SecretString::from(key))
}

/// The public half of a customer app's certificate credential, as the Entra admin center
/// shows it beside the app's certificates: never the key.
#[derive(Debug, Clone)]
pub struct AppCertificate {
    /// The certificate, PEM: what is uploaded to the app registration.
    pub pem: String,
    /// Its subject, such as `CN=Tenure Contoso`.
    pub subject: String,
    /// Its SHA-1 thumbprint in upper-case hex: the Thumbprint column of Certificates & secrets.
    pub thumbprint: String,
    /// When it expires.
    pub not_after: jiff::Timestamp,
}

/// The certificate a customer-app connection proves itself with, when its credential is one.
pub async fn app_certificate(
    connection: &Connection,
    secrets: &dyn SecretStore,
) -> Result<Option<AppCertificate>, ConnectError> {
    let ConnectionType::CustomerApp {
        credential: CustomerCredential::Certificate,
    } = connection.app
    else {
        return Ok(None);
    };
    let Some((value, _)) = secrets.get(&connection.credential_secret()).await? else {
        return Ok(None);
    };
    let (pem, _) = split_certificate_secret(value.expose_secret());
    let unreadable = |e: &dyn std::fmt::Display| {
        ConnectError::Certificate(crate::microsoft::CertificateError::NotACertificate(
            e.to_string(),
        ))
    };
    let (_, block) =
        x509_parser::pem::parse_x509_pem(pem.as_bytes()).map_err(|e| unreadable(&e))?;
    let x509 = block.parse_x509().map_err(|e| unreadable(&e))?;
    let not_after = jiff::Timestamp::from_second(x509.validity().not_after.timestamp())
        .unwrap_or(jiff::Timestamp::MAX);
    Ok(Some(AppCertificate {
        subject: x509.subject().to_string(),
        thumbprint: hex::encode_upper(<sha1::Sha1 as sha1::Digest>::digest(&block.contents)),
        not_after,
        pem,
    }))
}

/// The token source for a connection: the customer app's secret or certificate, or (for
/// Tenure's app) the admin's refresh token with the app's own credential.
pub async fn token_source(
    connection: &Connection,
    secrets: Arc<dyn SecretStore>,
    tenure_app: Option<&TenureApp>,
) -> Result<TokenSource, ConnectError> {
    let endpoints = connection.endpoints();
    let tenant = connection.tenant_id.as_str();
    let missing = |what: &str| {
        ConnectError::Settings(format!(
            "connection {} has no {what} in the secret store: create the connection again",
            connection.id
        ))
    };
    let token = |e| ConnectError::Token {
        advice: format!("cannot get tokens for connection {}", connection.id),
        source: e,
    };
    match connection.app {
        ConnectionType::CustomerApp { credential } => {
            let name = connection.credential_secret();
            let (value, _) = secrets
                .get(&name)
                .await?
                .ok_or_else(|| missing(name.parts().1))?;
            let credential = match credential {
                CustomerCredential::ClientSecret => ClientCredential::Secret(value),
                CustomerCredential::Certificate => {
                    let (certificate, key) = split_certificate_secret(value.expose_secret());
                    ClientCredential::Certificate(ClientCertificate::from_pem(&certificate, &key)?)
                }
            };
            TokenSource::new(
                &endpoints,
                tenant,
                connection.client_id.as_str(),
                credential,
            )
            .map_err(token)
        }
        ConnectionType::TenureApp => {
            let app = tenure_app.ok_or_else(|| {
                ConnectError::Settings(format!(
                    "connection {} uses Tenure's app, whose client id and secret are not configured here (TENURE_APP_CLIENT_ID, TENURE_APP_CLIENT_SECRET)",
                    connection.id
                ))
            })?;
            let name = connection.secret_name(SecretKind::RefreshToken);
            if secrets.get(&name).await?.is_none() {
                // Linked by the tenant's admin consent: the app's own credential, app-only.
                return TokenSource::new(
                    &endpoints,
                    tenant,
                    &app.client_id,
                    app.credential.clone(),
                )
                .map_err(token);
            }
            let refresh = StoredRefreshToken::new(secrets, name);
            TokenSource::delegated(
                &endpoints,
                tenant,
                &app.client_id,
                app.credential.clone(),
                Arc::new(refresh),
            )
            .map_err(token)
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn a_certificate_secret_splits_back_into_certificate_and_key() {
        let key = SecretString::from(
            "-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----".to_owned(),
        );
        let joined = certificate_secret(
            "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n",
            &key,
        );
        let (certificate, back) = split_certificate_secret(joined.expose_secret());
        assert_eq!(
            certificate,
            "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n"
        );
        assert_eq!(
            back.expose_secret(),
            "-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----\n"
        );
    }
}
