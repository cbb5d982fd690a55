//! A customer's own app: a client secret or a certificate, proven by a token and a read of the
//! tenant; each way it can go wrong named with what to do, the secret never shown.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use tenure::connect::{ConnectError, CustomerSecret, connect_customer_app, open_connection};
use tenure::store::connections::{ConnectionStatus, ConnectionStore};
use tenure::store::secrets::SecretKind;

use super::helpers::{
    CLIENT_ID, SECRET, TestResult, connection, options, record_files, stores, tenant, testdata,
};

/// Connects the customer app with the local stores, as `tenure connect customer-app` does.
async fn connect(
    record: tenure::store::connections::Connection,
    secret: CustomerSecret,
    s: &super::helpers::Stores,
) -> Result<tenure::connect::Connected, ConnectError> {
    connect_customer_app(
        record,
        secret,
        &s.connections,
        Arc::clone(&s.secrets),
        options(),
        jiff::Timestamp::now(),
    )
    .await
}

fn secret(text: &str) -> CustomerSecret {
    CustomerSecret::ClientSecret(SecretString::from(text.to_owned()))
}

#[tokio::test]
async fn a_client_secret_connection_is_proven_kept_and_opened_again() -> TestResult {
    let t = tenant(|c| c.with_client_secret(CLIENT_ID, SECRET)).await?;
    let s = stores()?;
    let record = connection(&t, "contoso", t.tenant_id(), CLIENT_ID)?;
    let connected = connect(record, secret(SECRET), &s).await?;
    assert_eq!(connected.connection.status, ConnectionStatus::Linked);
    let (stored, _) = s
        .connections
        .get(&connected.connection.id)
        .await?
        .ok_or("the record is kept")?;
    assert_eq!(stored.status, ConnectionStatus::Linked);
    assert!(
        stored.credential_set_at.is_some(),
        "when the secret was set is kept"
    );
    let kept = s
        .secrets
        .get(&stored.secret_name(SecretKind::ClientSecret))
        .await?
        .ok_or("the secret is kept")?;
    assert_eq!(kept.0.expose_secret(), SECRET);
    assert!(
        !record_files(&s.root).contains(SECRET),
        "never in the record"
    );

    let (graph, exchange) =
        open_connection(&stored, Arc::clone(&s.secrets), None, options()).await?;
    assert!(exchange.is_none(), "Exchange is off for this connection");
    assert_eq!(graph.list_users().await?.len(), 39);
    Ok(())
}

#[tokio::test]
async fn a_wrong_secret_fails_the_connection_with_advice_and_without_the_secret() -> TestResult {
    let t = tenant(|c| c.with_client_secret(CLIENT_ID, SECRET)).await?;
    let s = stores()?;
    let record = connection(&t, "contoso", t.tenant_id(), CLIENT_ID)?;
    let wrong = "not-the-secret~Pz0";
    let error = connect(record, secret(wrong), &s)
        .await
        .expect_err("refused");
    let text = format!("{error} {error:?}");
    assert!(
        text.contains("the client secret is wrong or expired"),
        "{text}"
    );
    assert!(!text.contains(wrong), "{text}");
    let id = tenure::store::connections::ConnectionId::parse("contoso")?;
    let (stored, _) = s.connections.get(&id).await?.ok_or("kept")?;
    assert!(
        matches!(&stored.status, ConnectionStatus::Failed { reason } if reason.contains("wrong or expired")),
        "{:?}",
        stored.status
    );
    assert!(!record_files(&s.root).contains(wrong));
    Ok(())
}

#[tokio::test]
async fn an_unknown_tenant_and_an_unknown_app_say_what_to_check() -> TestResult {
    let t = tenant(|c| c.with_client_secret(CLIENT_ID, SECRET)).await?;
    let s = stores()?;
    let record = connection(&t, "elsewhere", "fabrikam.onmicrosoft.com", CLIENT_ID)?;
    let error = connect(record, secret(SECRET), &s)
        .await
        .expect_err("no such tenant");
    assert!(
        error.to_string().contains("another national cloud"),
        "{error}"
    );

    let record = connection(
        &t,
        "noapp",
        t.tenant_id(),
        "33333333-4444-5555-6666-777777777777",
    )?;
    let error = connect(record, secret(SECRET), &s)
        .await
        .expect_err("no such app");
    assert!(error.to_string().contains("check the client id"), "{error}");
    Ok(())
}

#[tokio::test]
async fn a_certificate_connection_works_and_a_bad_certificate_is_named() -> TestResult {
    let certificate = testdata("client-cert.pem")?;
    let key = SecretString::from(testdata("client-key.pem")?);
    let t = tenant(|c| c.with_client_certificate(CLIENT_ID, &certificate)).await?;
    let s = stores()?;
    let record = connection(&t, "contoso", t.tenant_id(), CLIENT_ID)?;
    let connected = connect(
        record.clone(),
        CustomerSecret::Certificate {
            certificate_pem: certificate.clone(),
            private_key: key.clone(),
        },
        &s,
    )
    .await?;
    assert_eq!(connected.connection.status, ConnectionStatus::Linked);
    let (graph, _) = open_connection(
        &connected.connection,
        Arc::clone(&s.secrets),
        None,
        options(),
    )
    .await?;
    assert_eq!(graph.list_users().await?.len(), 39);
    assert!(!record_files(&s.root).contains("PRIVATE KEY"));

    // An expired certificate is refused before anything is kept or sent.
    let expired = connect(
        connection(&t, "expired", t.tenant_id(), CLIENT_ID)?,
        CustomerSecret::Certificate {
            certificate_pem: testdata("expired-cert.pem")?,
            private_key: SecretString::from(testdata("expired-key.pem")?),
        },
        &s,
    )
    .await
    .expect_err("expired");
    assert!(
        matches!(expired, ConnectError::Certificate(_)),
        "{expired:?}"
    );
    assert!(expired.to_string().contains("expired on"), "{expired}");
    let id = tenure::store::connections::ConnectionId::parse("expired")?;
    assert!(s.connections.get(&id).await?.is_none(), "nothing kept");

    // A valid certificate the app does not know.
    let other = tenant(|c| {
        c.with_client_certificate(CLIENT_ID, &testdata("expired-cert.pem").unwrap_or_default())
    })
    .await?;
    let error = connect(
        connection(&other, "unknown-cert", other.tenant_id(), CLIENT_ID)?,
        CustomerSecret::Certificate {
            certificate_pem: certificate,
            private_key: key,
        },
        &s,
    )
    .await
    .expect_err("not registered");
    assert!(
        error.to_string().contains("upload the certificate"),
        "{error}"
    );
    Ok(())
}

#[tokio::test]
async fn missing_consent_and_a_missing_exchange_role_name_what_to_grant() -> TestResult {
    let t = tenant(|c| {
        c.with_app(
            tenure_emulator::RegisteredClient::with_secret(CLIENT_ID, SECRET)
                .without_granted_permissions(),
        )
    })
    .await?;
    let s = stores()?;
    let error = connect(
        connection(&t, "contoso", t.tenant_id(), CLIENT_ID)?,
        secret(SECRET),
        &s,
    )
    .await
    .expect_err("no permissions");
    assert!(
        error.to_string().contains("must grant admin consent"),
        "{error}"
    );
    assert!(error.to_string().contains("User.ReadWrite.All"), "{error}");
    for first_day in ["UserAuthenticationMethod.ReadWrite.All", "Mail.Send"] {
        assert!(
            error.to_string().contains(first_day),
            "the consent asked for covers first-day access: {error}"
        );
    }

    let t = tenant(|c| {
        c.with_client_secret(CLIENT_ID, SECRET)
            .without_exchange_role(CLIENT_ID)
    })
    .await?;
    let mut record = connection(&t, "exchange", t.tenant_id(), CLIENT_ID)?;
    record.exchange.enabled = true;
    record.exchange.anchor_upn = Some(tenure::names::Upn::parse("admin@contoso.onmicrosoft.com")?);
    let error = connect(record, secret(SECRET), &s)
        .await
        .expect_err("no Exchange role");
    assert!(error.to_string().contains("Mail Recipients"), "{error}");
    Ok(())
}

#[tokio::test]
async fn a_customer_app_connects_in_every_national_cloud_and_not_across_clouds() -> TestResult {
    use tenure::microsoft::NationalCloud;
    for cloud in NationalCloud::ALL {
        let t = tenant(|c| c.in_cloud(cloud).with_client_secret(CLIENT_ID, SECRET)).await?;
        let s = stores()?;
        let mut record = connection(&t, "contoso", t.tenant_id(), CLIENT_ID)?;
        record.cloud = cloud;
        let connected = connect(record.clone(), secret(SECRET), &s).await?;
        assert_eq!(
            connected.connection.status,
            ConnectionStatus::Linked,
            "{cloud}"
        );
        // The same tenant asked for as if it were in another cloud: refused, and said so.
        let other = NationalCloud::ALL
            .into_iter()
            .find(|c| c.hosts().graph != cloud.hosts().graph)
            .ok_or("another cloud")?;
        record.cloud = other;
        let error = connect(record, secret(SECRET), &s)
            .await
            .expect_err("another cloud's resource");
        assert!(
            error.to_string().contains("another national cloud"),
            "{cloud} → {other}: {error}"
        );
    }
    Ok(())
}
