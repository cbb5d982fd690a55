//! Where the CLI keeps things between runs: one state folder holding the stores (connections,
//! their secrets and other objects, owner-only) and a folder per tenant (audit trail, directory cache).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use secrecy::SecretString;
use tenure::connect::TenureApp;
use tenure::microsoft::ClientCredential;
use tenure::store::DataDir;
use tenure::store::connections::{Connection, ConnectionId, ConnectionStore, LocalConnectionStore};
use tenure::store::objects::{LocalObjectStore, ObjectStore};
use tenure::store::secrets::{LocalSecretStore, SecretStore};

/// The state folder: the flag or TENURE_STATE_DIR, else the user's data folder.
pub(crate) fn state_dir(flag: Option<&Path>) -> Result<PathBuf> {
    flag.map(Path::to_owned)
        .or_else(|| std::env::var_os("XDG_DATA_HOME").map(|d| PathBuf::from(d).join("tenure")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/tenure")))
        .context("no place for Tenure's files: give --state-dir")
}

/// The local stores under `<state>/store` (owner-only): connections, secrets and objects
/// (mapping settings, HR exports, plugins, audit trails of `tenure serve`).
pub(crate) struct Stores {
    pub(crate) connections: LocalConnectionStore,
    pub(crate) secrets: Arc<dyn SecretStore>,
    pub(crate) objects: Arc<dyn ObjectStore>,
}

impl Stores {
    pub(crate) fn open(state: &Path) -> Result<Self> {
        let data = open_store_dir(state)?;
        Ok(Self {
            connections: LocalConnectionStore::open(&data)?,
            secrets: Arc::new(LocalSecretStore::open(&data)?),
            objects: Arc::new(LocalObjectStore::open(&data)?),
        })
    }

    /// A stored connection by id, or an error naming the ones there are.
    pub(crate) async fn connection(&self, id: &str) -> Result<Connection> {
        let id = ConnectionId::parse(id)?;
        if let Some((connection, _)) = self.connections.get(&id).await? {
            return Ok(connection);
        }
        let known: Vec<String> = self
            .connections
            .list()
            .await?
            .iter()
            .map(ToString::to_string)
            .collect();
        anyhow::bail!(
            "no connection {id} (known: {}); make one with tenure connect",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )
    }
}

/// The stores' folder, `<state>/store` (owner-only), made if missing.
pub(crate) fn open_store_dir(state: &Path) -> Result<DataDir> {
    let root = state.join("store");
    DataDir::open(&root)
        .with_context(|| format!("cannot use {} for connections and secrets", root.display()))
}

/// Tenure's app, from TENURE_APP_CLIENT_ID and TENURE_APP_CLIENT_SECRET, when both are set.
pub(crate) fn tenure_app(redirect_uri: &str) -> Option<TenureApp> {
    let client_id = std::env::var("TENURE_APP_CLIENT_ID").ok()?;
    let secret = std::env::var("TENURE_APP_CLIENT_SECRET").ok()?;
    Some(TenureApp {
        client_id,
        credential: ClientCredential::Secret(SecretString::from(secret)),
        redirect_uri: redirect_uri.to_owned(),
    })
}
