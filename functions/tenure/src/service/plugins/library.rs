//! This process's loaded plugins, in front of the compiled code kept in the object store.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use super::PluginLoadError;
use super::keys::{PluginSha256, compiled_key, record_key, wasm_key};
use crate::plugin::{CodeKey, Plugin, PluginHost, STANDARD_MAPPER};
use crate::service::settings::PluginChoice;
use crate::store::KeyRing;
use crate::store::connections::ConnectionId;
use crate::store::key_ring::KeyId;
use crate::store::objects::{Condition, ObjectStore};
use crate::store::secrets::KeyPurpose;

/// The standard mapper's version.
static STANDARD_SHA256: LazyLock<PluginSha256> =
    LazyLock::new(|| PluginSha256::of(STANDARD_MAPPER));

/// Which loaded plugin: the standard mapper, or one connection's uploaded version. Uploaded
/// versions are kept per connection so that a connection runs only what was uploaded for it,
/// even when another connection uploaded the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Slot {
    Standard,
    Uploaded(ConnectionId, PluginSha256),
}

/// The plugin host and the plugins this process has loaded, by version. Built once per process
/// and shared ([`Services::plugins`](crate::service::Services::plugins)).
pub struct PluginLibrary {
    host: PluginHost,
    loaded: Mutex<HashMap<Slot, Arc<Plugin>>>,
}

impl PluginLibrary {
    /// A library over `host`, with nothing loaded yet.
    pub fn new(host: PluginHost) -> Self {
        Self {
            host,
            loaded: Mutex::new(HashMap::new()),
        }
    }

    /// The plugin host.
    pub fn host(&self) -> &PluginHost {
        &self.host
    }

    /// The standard mapper's version (the SHA-256 of [`STANDARD_MAPPER`]).
    pub fn standard_sha256() -> &'static PluginSha256 {
        &STANDARD_SHA256
    }

    /// The plugin `choice` names for `connection`: already loaded in this process; else
    /// deserialized from its sealed compiled code in `objects`; else compiled from its
    /// WebAssembly (and the compiled code stored for the next cold start). Compiled code whose
    /// HMAC does not verify with one of `keys`' compiled-code keys, that is damaged or made for
    /// another engine is compiled again and replaced, never run.
    pub async fn load(
        &self,
        objects: &dyn ObjectStore,
        keys: &KeyRing,
        connection: &ConnectionId,
        choice: &PluginChoice,
    ) -> Result<Arc<Plugin>, PluginLoadError> {
        let slot = match choice {
            PluginChoice::Standard => Slot::Standard,
            PluginChoice::Uploaded { sha256 } => {
                let unknown = || PluginLoadError::UnknownVersion {
                    connection: connection.clone(),
                    sha256: sha256.clone(),
                };
                let sha256 = PluginSha256::parse(sha256).map_err(|_| unknown())?;
                Slot::Uploaded(connection.clone(), sha256)
            }
        };
        if let Some(plugin) = self.cached(&slot) {
            return Ok(plugin);
        }
        let sha256 = match &slot {
            Slot::Standard => Self::standard_sha256().clone(),
            Slot::Uploaded(connection, sha256) => {
                // The record is what makes a version exist for this connection.
                if objects
                    .get(&record_key(connection, sha256))
                    .await?
                    .is_none()
                {
                    return Err(PluginLoadError::UnknownVersion {
                        connection: connection.clone(),
                        sha256: sha256.to_string(),
                    });
                }
                sha256.clone()
            }
        };
        let plugin = match self.load_compiled(objects, keys, &sha256).await? {
            Some(plugin) => plugin,
            None => {
                let wasm = match &slot {
                    Slot::Standard => STANDARD_MAPPER.to_vec(),
                    Slot::Uploaded(connection, sha256) => {
                        stored_wasm(objects, connection, sha256).await?
                    }
                };
                self.compile_and_store(objects, keys, &sha256, &wasm)
                    .await?
            }
        };
        Ok(self.keep(slot, plugin))
    }

    /// Keeps a plugin just checked and compiled by an upload, so this process's next load of
    /// it costs nothing.
    pub(super) fn keep_uploaded(
        &self,
        connection: &ConnectionId,
        sha256: &PluginSha256,
        plugin: Arc<Plugin>,
    ) -> Arc<Plugin> {
        self.keep(Slot::Uploaded(connection.clone(), sha256.clone()), plugin)
    }

    /// The plugin from its sealed compiled code in the store, if that is there, authenticated
    /// by one of the deployment's compiled-code keys (HMAC-SHA256, checked before the code is
    /// deserialized) and sound. Code that is not is never run: it is logged and `None` says
    /// to compile the WebAssembly again.
    async fn load_compiled(
        &self,
        objects: &dyn ObjectStore,
        keys: &KeyRing,
        sha256: &PluginSha256,
    ) -> Result<Option<Arc<Plugin>>, PluginLoadError> {
        let key = compiled_key(sha256, &self.host.engine_key());
        let Some((sealed, _)) = objects.get(&key).await? else {
            return Ok(None);
        };
        let refused = |reason: &dyn std::fmt::Display| {
            tracing::warn!(
                %key,
                %reason,
                "stored compiled plugin refused, never run; compiling its WebAssembly again"
            );
            Ok(None)
        };
        let Some(id) = PluginHost::sealed_key_id(&sealed) else {
            return refused(&"it carries no HMAC of the deployment's compiled-code key");
        };
        let Some(code_key) = keys.key(KeyPurpose::PluginCodeHmac, KeyId(id)).await? else {
            return refused(&format!(
                "it names compiled-code key {id}, which the deployment does not (or no longer) accept"
            ));
        };
        let code_key = CodeKey {
            id,
            bytes: code_key.expose(),
        };
        match self
            .host
            .load_precompiled(sha256.as_str(), &sealed, code_key)
        {
            Ok(plugin) => Ok(Some(Arc::new(plugin))),
            Err(error) => refused(&error),
        }
    }

    /// Compiles `wasm` (already known to have digest `sha256`) and stores its sealed code,
    /// authenticated with the deployment's current compiled-code key. Failing to store is
    /// logged: the next cold start compiles again.
    pub(super) async fn compile_and_store(
        &self,
        objects: &dyn ObjectStore,
        keys: &KeyRing,
        sha256: &PluginSha256,
        wasm: &[u8],
    ) -> Result<Arc<Plugin>, PluginLoadError> {
        let current = keys.keys(KeyPurpose::PluginCodeHmac).await?;
        let current = current.current();
        let code_key = CodeKey {
            id: current.id().0,
            bytes: current.expose(),
        };
        let (plugin, sealed) = self.host.precompile(wasm, code_key)?;
        let key = compiled_key(sha256, &self.host.engine_key());
        if let Err(error) = objects.put(&key, sealed, Condition::Always).await {
            tracing::warn!(%key, %error, "cannot store a compiled plugin");
        }
        Ok(Arc::new(plugin))
    }

    fn cached(&self, slot: &Slot) -> Option<Arc<Plugin>> {
        let loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
        loaded.get(slot).cloned()
    }

    fn keep(&self, slot: Slot, plugin: Arc<Plugin>) -> Arc<Plugin> {
        let mut loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(loaded.entry(slot).or_insert(plugin))
    }
}

/// An uploaded version's WebAssembly, checked against its digest.
async fn stored_wasm(
    objects: &dyn ObjectStore,
    connection: &ConnectionId,
    sha256: &PluginSha256,
) -> Result<Vec<u8>, PluginLoadError> {
    let Some((wasm, _)) = objects.get(&wasm_key(connection, sha256)).await? else {
        return Err(PluginLoadError::UnknownVersion {
            connection: connection.clone(),
            sha256: sha256.to_string(),
        });
    };
    if PluginSha256::of(&wasm) != *sha256 {
        return Err(PluginLoadError::Damaged {
            connection: connection.clone(),
            sha256: sha256.to_string(),
        });
    }
    Ok(wasm)
}
