//! The certificate credential: a signed client assertion gets tokens Graph accepts; a bad,
//! mismatched, expired or unregistered certificate is named clearly, and no key is ever shown.

use std::path::PathBuf;
use std::sync::Arc;

use secrecy::SecretString;
use tenure::microsoft::{
    CertificateError, ClientCertificate, ClientCredential, GraphClient, TokenError, TokenSource,
};

use super::helpers::{Error, TestResult, endpoints, options, spawn_with};

const CERT_CLIENT: &str = "99999999-8888-7777-6666-555555555555";

fn testdata(name: &str) -> PathBuf {
    let emulator = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/emulator/testdata");
    let own = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/microsoft/testdata");
    [emulator.join(name), own.join(name)]
        .into_iter()
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("test data {name}"))
}

fn read(name: &str) -> Result<String, Error> {
    Ok(std::fs::read_to_string(testdata(name))?)
}

fn key(name: &str) -> Result<SecretString, Error> {
    Ok(SecretString::from(read(name)?))
}

#[tokio::test]
async fn a_certificate_gets_a_token_that_graph_accepts() -> TestResult {
    let cert = read("client-cert.pem")?;
    let t = spawn_with(|c| c.with_client_certificate(CERT_CLIENT, &cert)).await?;
    let certificate = ClientCertificate::from_pem(&cert, &key("client-key.pem")?)?;
    assert!(certificate.subject().contains("tenure-emulator-test"));
    let tokens = Arc::new(TokenSource::new(
        &endpoints(&t.tenant),
        t.tenant.tenant_id(),
        CERT_CLIENT,
        ClientCredential::Certificate(certificate.clone()),
    )?);
    let graph = GraphClient::new(&endpoints(&t.tenant), tokens, options())?;
    let users = graph.list_users().await?;
    assert_eq!(users.len(), 39);
    let shown = format!(
        "{certificate:?} {:?}",
        ClientCredential::Certificate(certificate.clone())
    );
    assert!(
        !shown.contains("PRIVATE KEY") && !shown.contains("MII"),
        "{shown}"
    );
    Ok(())
}

#[tokio::test]
async fn a_certificate_the_app_does_not_have_is_refused_by_name() -> TestResult {
    // The app registration holds another certificate than the one Tenure signs with.
    let registered = read("expired-cert.pem")?;
    let t = spawn_with(|c| c.with_client_certificate(CERT_CLIENT, &registered)).await?;
    let certificate =
        ClientCertificate::from_pem(&read("client-cert.pem")?, &key("client-key.pem")?)?;
    let tokens = TokenSource::new(
        &endpoints(&t.tenant),
        t.tenant.tenant_id(),
        CERT_CLIENT,
        ClientCredential::Certificate(certificate),
    )?;
    let error = tokens
        .token("https://graph.microsoft.com/.default")
        .await
        .expect_err("refused");
    assert!(
        matches!(error, TokenError::InvalidClient { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("AADSTS700027"), "{error}");
    Ok(())
}

#[test]
fn bad_certificates_and_keys_are_named_without_showing_the_key() -> TestResult {
    let cert = read("client-cert.pem")?;
    let expired = ClientCertificate::from_pem(&read("expired-cert.pem")?, &key("expired-key.pem")?)
        .expect_err("expired");
    assert!(
        matches!(expired, CertificateError::Expired { .. }),
        "{expired:?}"
    );
    assert!(
        expired.to_string().contains("expired on 2025-01-01"),
        "{expired}"
    );

    let mismatch = ClientCertificate::from_pem(&cert, &key("expired-key.pem")?)
        .expect_err("another certificate's key");
    assert!(
        matches!(mismatch, CertificateError::KeyMismatch { .. }),
        "{mismatch:?}"
    );

    let not_pem =
        ClientCertificate::from_pem("hello", &key("client-key.pem")?).expect_err("garbage");
    assert!(
        matches!(not_pem, CertificateError::NotACertificate(_)),
        "{not_pem:?}"
    );

    let key_as_cert =
        ClientCertificate::from_pem(&read("client-key.pem")?, &key("client-key.pem")?)
            .expect_err("a key is not a certificate");
    assert!(matches!(key_as_cert, CertificateError::NotACertificate(_)));

    let private = read("client-key.pem")?;
    let bad_key =
        ClientCertificate::from_pem(&cert, &SecretString::from("MIIEvQIBADANBg".to_owned()))
            .expect_err("not a key");
    assert!(matches!(bad_key, CertificateError::NotAnRsaKey));
    for error in [expired, mismatch, not_pem, key_as_cert, bad_key] {
        let text = format!("{error} {error:?}");
        assert!(
            !text.contains(private.trim()) && !text.contains("MII"),
            "{text}"
        );
    }
    Ok(())
}
