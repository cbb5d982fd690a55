//! A fresh emulated tenant and fresh local stores per test.

use std::path::PathBuf;
use std::sync::Arc;

use tenure::store::DataDir;
use tenure::store::connections::{
    Connection, ConnectionId, ConnectionType, LocalConnectionStore, TenantId,
};
use tenure::store::secrets::{LocalSecretStore, SecretStore};
use tenure_emulator::{EmulatedTenant, TenantConfig};

use crate::support::tenant;
pub(crate) use crate::support::tenant::quick_client_options as options;
pub(crate) use crate::support::{Error, TestResult};

pub(crate) const CLIENT_ID: &str = "22222222-3333-4444-5555-666666666666";
pub(crate) const SECRET: &str = "connect-test-secret~Qv81";

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
    tenant::start_sample(configure).await
}

/// A connection record pointed at the emulated tenant, naming the tenant `tenant_id`.
pub(crate) fn connection(
    tenant: &EmulatedTenant,
    id: &str,
    tenant_id: &str,
    client_id: &str,
) -> Result<Connection, Error> {
    let id = ConnectionId::parse(id)?;
    let kind = ConnectionType::TenureApp;
    let mut connection = tenant::connection_to(tenant, &id, kind, client_id)?;
    connection.tenant_id = TenantId::parse(tenant_id)?;
    Ok(connection)
}

/// Every connection record under the data folder, as text (to look for leaked secrets).
pub(crate) fn record_files(root: &std::path::Path) -> String {
    crate::support::files::under(root)
        .iter()
        .filter(|path| path.to_string_lossy().contains("connections"))
        .map(|path| std::fs::read_to_string(path).unwrap_or_default())
        .collect()
}
