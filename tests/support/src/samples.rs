//! The repository's sample data (`samplesdata/`): the sample company, tenant, mapper
//! configuration and webhook payloads, and a connection record to use where any will do.

use std::path::{Path, PathBuf};

use tenure::directory::Snapshot;
use tenure::microsoft::NationalCloud;
use tenure::store::connections::{
    ClientId, Connection, ConnectionId, ConnectionType, CustomerCredential, TenantId,
};

use crate::Error;

/// The `samplesdata/` folder.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samplesdata")
}

/// A file of `samplesdata/`, such as `company.csv` or `webhooks/generic.json`.
pub fn path(name: &str) -> PathBuf {
    dir().join(name)
}

/// The bytes of a file of `samplesdata/`.
pub fn read(name: &str) -> Result<Vec<u8>, Error> {
    let path = path(name);
    std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()).into())
}

/// The sample tenant (`directory.json`).
pub fn directory() -> Result<Snapshot, Error> {
    Ok(Snapshot::read(&path("directory.json"))?)
}

/// The standard mapper's sample configuration (`mapper.json`).
pub fn mapper_config() -> Result<serde_json::Value, Error> {
    Ok(serde_json::from_slice(&read("mapper.json")?)?)
}

/// A customer-app connection (client secret) to `contoso.onmicrosoft.com` in the global cloud,
/// created at a fixed time: for tests about storing connections rather than using them.
pub fn connection(id: &ConnectionId) -> Result<Connection, Error> {
    Ok(Connection::new(
        id.clone(),
        ConnectionType::CustomerApp {
            credential: CustomerCredential::ClientSecret,
        },
        NationalCloud::Global,
        TenantId::parse("contoso.onmicrosoft.com")?,
        ClientId::parse("11111111-2222-3333-4444-555555555555")?,
        "2026-11-01T09:00:00Z".parse()?,
    ))
}
