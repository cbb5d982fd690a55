//! What a connection record says: base URLs from the cloud table with overrides, the secrets it
//! names (and never holds), and its stored form.

use tenure::microsoft::{Endpoints, NationalCloud};
use tenure::names::Upn;
use tenure::store::DataDir;
use tenure::store::connections::{
    BaseUrl, ConnectionId, ConnectionName, ConnectionStatus, ConnectionStore, ConnectionType,
    CustomerCredential, EndpointOverrides, LocalConnectionStore, TenantId,
};
use tenure::store::secrets::SecretKind;

use super::helpers::{TestResult, sample_connection};

#[test]
fn endpoints_come_from_the_cloud_unless_overridden() -> TestResult {
    let mut connection = sample_connection(&ConnectionId::parse("contoso")?)?;
    connection.cloud = NationalCloud::UsGovDod;
    assert_eq!(
        connection.endpoints(),
        Endpoints::for_cloud(NationalCloud::UsGovDod)
    );

    connection.endpoints.graph = Some(BaseUrl::parse("http://127.0.0.1:4010/")?);
    let endpoints = connection.endpoints();
    assert_eq!(endpoints.graph, "http://127.0.0.1:4010");
    assert_eq!(endpoints.login, "https://login.microsoftonline.us");
    assert_eq!(endpoints.exchange, "https://outlook-dod.office365.us");
    assert_eq!(endpoints.cloud, NationalCloud::UsGovDod);

    connection.endpoints = EndpointOverrides::all_at(&BaseUrl::parse("http://127.0.0.1:4010")?);
    assert_eq!(
        connection.endpoints(),
        Endpoints::all_at(NationalCloud::UsGovDod, "http://127.0.0.1:4010")
    );
    Ok(())
}

#[test]
fn each_connection_type_names_the_secret_it_signs_in_with() -> TestResult {
    let mut connection = sample_connection(&ConnectionId::parse("contoso")?)?;
    let cases = [
        (ConnectionType::TenureApp, "tenure/contoso/refresh-token"),
        (
            ConnectionType::CustomerApp {
                credential: CustomerCredential::ClientSecret,
            },
            "tenure/contoso/client-secret",
        ),
        (
            ConnectionType::CustomerApp {
                credential: CustomerCredential::Certificate,
            },
            "tenure/contoso/certificate-key",
        ),
    ];
    for (app, secret) in cases {
        connection.app = app;
        assert_eq!(connection.credential_secret().as_str(), secret);
    }
    assert_eq!(
        connection.secret_name(SecretKind::WebhookKey).as_str(),
        "tenure/contoso/webhook-key"
    );
    Ok(())
}

#[test]
fn field_values_that_could_escape_their_place_are_refused() {
    for bad in [
        "",
        "contoso.com/x",
        "contoso com",
        "contoso?x",
        &"a".repeat(254),
    ] {
        assert!(TenantId::parse(bad).is_err(), "tenant {bad:?}");
    }
    for bad in ["", "admin", "@contoso.com", "admin@", "a@b@c", "a b@c.com"] {
        assert!(Upn::parse(bad).is_err(), "UPN {bad:?}");
    }
    for bad in [
        "",
        "graph.microsoft.com",
        "ftp://x",
        "http://",
        "https://x/?q=1",
        "https://x/#f",
    ] {
        assert!(BaseUrl::parse(bad).is_err(), "URL {bad:?}");
    }
    assert!(TenantId::parse("0b5e7c4e-2f9a-4d7e-9d53-3b6f0b0c1a2d").is_ok());
    assert!(TenantId::parse("contoso.onmicrosoft.com").is_ok());
    assert!(Upn::parse("svc-tenure@contoso.com").is_ok());
}

/// The stored form, read back as plain JSON: versioned, the cloud by name, no secrets.
#[tokio::test]
async fn the_stored_record_is_versioned_json_with_the_cloud_by_name() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = LocalConnectionStore::open(&DataDir::open(dir.path())?)?;
    let mut connection = sample_connection(&ConnectionId::parse("contoso")?)?;
    connection.cloud = NationalCloud::China;
    connection.status = ConnectionStatus::NeedsRelink {
        reason: "consent was withdrawn".to_owned(),
    };
    connection.exchange.enabled = true;
    connection.exchange.anchor_upn = Some(Upn::parse("svc@contoso.cn")?);
    connection.name = Some(ConnectionName::parse(" Contoso 中国 ")?);
    store.put_new(&connection).await?;
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.folder().join("contoso.json"))?)?;
    assert_eq!(
        stored,
        serde_json::json!({
            "format": 2,
            "id": "contoso",
            "name": "Contoso 中国",
            "app": {"type": "customer_app", "credential": "client_secret"},
            "cloud": "china",
            "tenant_id": "contoso.onmicrosoft.com",
            "client_id": "11111111-2222-3333-4444-555555555555",
            "exchange": {"enabled": true, "anchor_upn": "svc@contoso.cn"},
            "status": {"state": "needs_relink", "reason": "consent was withdrawn"},
            "created_at": "2026-11-01T09:00:00Z",
            "updated_at": "2026-11-01T09:00:00Z"
        })
    );
    Ok(())
}

/// The record shown in docs/storage.md is one the store reads.
#[tokio::test]
async fn the_documented_example_record_reads() -> TestResult {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/storage.md"),
    )?;
    let section = doc
        .split("## A connection record")
        .nth(1)
        .ok_or("docs/storage.md has no section on connection records")?;
    let example = section
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .ok_or("the section has no JSON example")?;
    let dir = tempfile::tempdir()?;
    let store = LocalConnectionStore::open(&DataDir::open(dir.path())?)?;
    std::fs::write(store.folder().join("contoso.json"), example)?;
    let (connection, _) = store
        .get(&ConnectionId::parse("contoso")?)
        .await?
        .ok_or("the example was not found")?;
    assert_eq!(connection.cloud, NationalCloud::UsGovHigh);
    assert_eq!(connection.display_name(), "Contoso (US Government)");
    assert_eq!(connection.endpoints().graph, "http://127.0.0.1:4010");
    assert_eq!(
        connection.endpoints().exchange,
        "https://outlook.office365.us"
    );
    assert!(matches!(
        connection.status,
        ConnectionStatus::NeedsRelink { .. }
    ));
    Ok(())
}
