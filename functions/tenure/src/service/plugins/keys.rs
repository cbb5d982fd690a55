//! Where the registry keeps things, and the content hash that names a plugin version.

use std::fmt;

use sha2::{Digest as _, Sha256};

use crate::store::connections::ConnectionId;
use crate::store::objects::ObjectKey;

/// A plugin version's name: the SHA-256 of its WebAssembly, 64 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PluginSha256(String);

/// A plugin version that is not a SHA-256; it quotes (the start of) what was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a plugin version: a version is the SHA-256 of the plugin's WebAssembly, 64 hex digits"
)]
pub struct InvalidPluginVersion(pub String);

impl PluginSha256 {
    /// The digest of `wasm`.
    pub fn of(wasm: &[u8]) -> Self {
        Self(hex::encode(Sha256::digest(wasm)))
    }

    /// Checks a version named by a caller or a settings file: 64 hex digits (upper case is
    /// taken and lowered).
    pub fn parse(text: &str) -> Result<Self, InvalidPluginVersion> {
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(text.to_ascii_lowercase()))
        } else {
            Err(InvalidPluginVersion(text.chars().take(80).collect()))
        }
    }

    /// The digest as hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PluginSha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `plugins/<connection>/<sha256>.wasm`: an uploaded version's WebAssembly.
pub fn wasm_key(connection: &ConnectionId, sha256: &PluginSha256) -> ObjectKey {
    known_key(&format!("plugins/{connection}/{sha256}.wasm"))
}

/// `plugins/<connection>/<sha256>.json`: an uploaded version's [`VersionRecord`](super::VersionRecord).
pub fn record_key(connection: &ConnectionId, sha256: &PluginSha256) -> ObjectKey {
    known_key(&format!("plugins/{connection}/{sha256}.json"))
}

/// `compiled/<sha256>/<engine-key>.cwasm`: a plugin's sealed machine code for one engine
/// (shared by every connection that uploaded the same bytes).
/// `engine_key` is [`PluginHost::engine_key`](crate::plugin::PluginHost::engine_key).
pub fn compiled_key(sha256: &PluginSha256, engine_key: &str) -> ObjectKey {
    let engine: String = engine_key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    known_key(&format!("compiled/{sha256}/{engine}.cwasm"))
}

/// The prefix under which a connection's versions are listed.
pub(super) fn versions_prefix(connection: &ConnectionId) -> String {
    format!("plugins/{connection}/")
}

/// The version a record key names, if it is one.
pub(super) fn version_of_record(key: &ObjectKey) -> Option<PluginSha256> {
    let name = key.as_str().rsplit('/').next()?;
    PluginSha256::parse(name.strip_suffix(".json")?).ok()
}

fn known_key(key: &str) -> ObjectKey {
    ObjectKey::parse(key).expect("a connection id and hex digits are plain key segments")
}
