//! A fresh emulated tenant and fresh local stores per test.

use std::path::PathBuf;
use std::sync::Arc;

use tenure::directory::Snapshot;
use tenure::microsoft::{AdaptiveLimit, ClientOptions, NationalCloud, RetryPolicy};
use tenure::store::DataDir;
use tenure::store::connections::BaseUrl;
use tenure::store::connections::{
    ClientId, Connection, ConnectionId, ConnectionType, EndpointOverrides, LocalConnectionStore,
    TenantId,
};
use tenure::store::secrets::{LocalSecretStore, SecretStore};
use tenure_emulator::{EmulatedTenant, TenantConfig};

pub(crate) type Error = Box<dyn std::error::Error>;
pub(crate) type TestResult = Result<(), Error>;

pub(crate) const CLIENT_ID: &str = "22222222-3333-4444-5555-666666666666";
pub(crate) const SECRET: &str = "connect-test-secret~Qv81";

pub(crate) fn sample() -> Result<Snapshot, Error> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../samplesdata/directory.json");
    Ok(Snapshot::read(&path)?)
}

pub(crate) fn testdata(name: &str) -> Result<String, Error> {
    let emulator = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/emulator/testdata");
    let own = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/microsoft/testdata");
    let path = [emulator.join(name), own.join(name)]
        .into_iter()
        .find(|p| p.exists())
        .ok_or_else(|| format!("no test data {name}"))?;
    Ok(std::fs::read_to_string(path)?)
}

/// Local stores in a temp folder.
pub(crate) struct Stores {
    pub(crate) _dir: tempfile::TempDir,
    pub(crate) connections: LocalConnectionStore,
    pub(crate) secrets: Arc<dyn SecretStore>,
    pub(crate) root: PathBuf,
}

pub(crate) fn stores() -> Result<Stores, Error> {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("data");
    let data = DataDir::open(&root)?;
    Ok(Stores {
        connections: LocalConnectionStore::open(&data)?,
        secrets: Arc::new(LocalSecretStore::open(&data)?),
        root,
        _dir: dir,
    })
}

pub(crate) async fn tenant(
    configure: impl FnOnce(TenantConfig) -> TenantConfig,
) -> Result<EmulatedTenant, Error> {
    Ok(EmulatedTenant::start(configure(TenantConfig::new(sample()?))).await?)
}

/// A customer-app connection record pointed at the emulated tenant.
pub(crate) fn connection(
    tenant: &EmulatedTenant,
    id: &str,
    tenant_id: &str,
    client_id: &str,
) -> Result<Connection, Error> {
    let mut connection = Connection::new(
        ConnectionId::parse(id)?,
        ConnectionType::ServiceProviderApp,
        NationalCloud::Global,
        TenantId::parse(tenant_id)?,
        ClientId::parse(client_id)?,
        jiff::Timestamp::now(),
    );
    connection.endpoints = EndpointOverrides::all_at(&BaseUrl::parse(&tenant.uri())?);
    Ok(connection)
}

pub(crate) fn options() -> ClientOptions {
    ClientOptions {
        retry: RetryPolicy::quick(),
        limit: AdaptiveLimit::new(4),
        ..ClientOptions::default()
    }
}

/// Every file under the data folder, as text (to look for leaked secrets in records).
pub(crate) fn record_files(root: &std::path::Path) -> String {
    let mut text = String::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().contains("connections") {
                text.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    text
}
