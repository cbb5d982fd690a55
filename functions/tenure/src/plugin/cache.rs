//! Compiled plugins kept on disk, so a plugin is compiled once per engine, not once per process.
//!
//! A file is named by the SHA-256 of the plugin's WebAssembly and of the engine's
//! [`precompile_compatibility_hash`](wasmtime::Engine::precompile_compatibility_hash), and
//! carries both again plus the SHA-256 of the machine code it holds. Only a file that matches
//! all three is deserialized; anything else (missing, truncated, corrupted, written by another
//! engine) is recompiled and overwritten. The cache never makes a load fail.
//!
//! Processes that share the directory compile a plugin once: a process that misses the cache
//! takes a lock named after the plugin ([`CompileCache::compiling`]) and looks again, so it
//! waits for another that is compiling the same plugin and then loads its code.
//!
//! Machine code is run as it is found, so the directory must be Tenure's alone: it is created
//! `0700`, its files `0600`, and a directory others can write to is refused when the host
//! starts.

use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use hmac::{Hmac, Mac as _};
use sha2::{Digest as _, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use super::PluginError;

/// The first bytes of every cache file; the version changes whenever the layout does.
const MAGIC: &[u8; 16] = b"tenure-cwasm-v1\n";

/// Magic, wasm SHA-256, engine key, machine code SHA-256.
const HEADER_LEN: usize = MAGIC.len() + 3 * 32;

/// Where compiled plugins are kept, if anywhere.
pub(crate) struct CompileCache {
    dir: Option<PathBuf>,
    /// SHA-256 of the engine's compatibility hash: what the machine code was compiled for.
    engine_key: [u8; 32],
}

impl CompileCache {
    /// Opens (creating it `0700`) the cache directory; `None` keeps compiled code in memory only.
    pub(crate) fn open(dir: Option<PathBuf>, engine: &Engine) -> Result<Self, PluginError> {
        let mut hasher = Sha256Hasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_key = hasher.0.finalize().into();
        if let Some(dir) = &dir {
            prepare_dir(dir).map_err(|reason| PluginError::Cache {
                path: dir.display().to_string(),
                reason,
            })?;
        }
        Ok(Self { dir, engine_key })
    }

    /// Whether compiled code is kept on disk.
    pub(crate) fn is_enabled(&self) -> bool {
        self.dir.is_some()
    }

    /// The cached plugin with this wasm digest, if a sound file for this engine holds it.
    pub(crate) fn load(&self, engine: &Engine, wasm_sha256: &[u8; 32]) -> Option<Component> {
        let path = self.path(wasm_sha256)?;
        let file = match fs::read(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "cannot read a cached plugin; recompiling");
                return None;
            }
        };
        let Some(code) = self.unwrap(&file, wasm_sha256) else {
            tracing::warn!(path = %path.display(), "a cached plugin is damaged or foreign; recompiling");
            return None;
        };
        match deserialize(engine, code) {
            Ok(component) => Some(component),
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "a cached plugin does not load; recompiling");
                None
            }
        }
    }

    /// Keeps compiled code; failing to is logged, never an error.
    pub(crate) fn store(&self, wasm_sha256: &[u8; 32], code: &[u8]) {
        let Some(path) = self.path(wasm_sha256) else {
            return;
        };
        if let Err(error) = self.write(&path, wasm_sha256, code) {
            tracing::warn!(path = %path.display(), %error, "cannot cache a compiled plugin");
        }
    }

    /// Waits until no other process (or thread) sharing the directory is compiling the plugin
    /// with this digest, and keeps others waiting until the returned lock is dropped (or the
    /// process ends). `None` without a directory, or when the lock file cannot be had: then
    /// nothing is waited for, and two processes may compile the same plugin (slower, not wrong).
    pub(crate) fn compiling(&self, wasm_sha256: &[u8; 32]) -> Option<CompileLock> {
        let path = self.path(wasm_sha256)?.with_extension("lock");
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options
            .open(&path)
            .and_then(|file| file.lock().map(|()| file))
        {
            Ok(file) => Some(CompileLock { _file: file, path }),
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "cannot lock a plugin's compilation; compiling without waiting for others");
                None
            }
        }
    }

    fn path(&self, wasm_sha256: &[u8; 32]) -> Option<PathBuf> {
        let engine = hex::encode(&self.engine_key[..8]);
        Some(
            self.dir
                .as_ref()?
                .join(format!("{}-{engine}.cwasm", hex::encode(wasm_sha256))),
        )
    }

    /// The machine code in a cache file, if the file is whole and was written for this wasm
    /// and this engine.
    fn unwrap<'a>(&self, file: &'a [u8], wasm_sha256: &[u8; 32]) -> Option<&'a [u8]> {
        unseal(file, wasm_sha256, &self.engine_key)
    }

    /// SHA-256 of the engine's compatibility hash: what machine code compiled here is for.
    pub(crate) fn engine_key(&self) -> &[u8; 32] {
        &self.engine_key
    }

    fn write(&self, path: &Path, wasm_sha256: &[u8; 32], code: &[u8]) -> std::io::Result<()> {
        // Written aside and renamed into place, so no reader ever sees half a file.
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        let temporary = path.with_extension(format!(
            "tmp-{}-{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ));
        let result = (|| {
            let mut file = private_file(&temporary)?;
            file.write_all(&seal(wasm_sha256, &self.engine_key, code))?;
            file.sync_all()?;
            fs::rename(&temporary, path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        result
    }
}

/// The right to compile one plugin into a cache directory (an exclusive lock on a file beside
/// its cache file). Dropping it removes the file and releases the lock: a process still waiting
/// on the removed file then finds the compiled plugin; one that arrives later takes a new file.
pub(crate) struct CompileLock {
    _file: fs::File,
    path: PathBuf,
}

impl Drop for CompileLock {
    fn drop(&mut self) {
        // Removed while still locked, so no newcomer can take the old file's lock after it.
        let _ = fs::remove_file(&self.path);
    }
}

/// Machine code behind its header: magic, the wasm's SHA-256, the engine key, the code's
/// SHA-256. The same layout in a cache file and in an object store.
pub(crate) fn seal(wasm_sha256: &[u8; 32], engine_key: &[u8; 32], code: &[u8]) -> Vec<u8> {
    let mut sealed = Vec::with_capacity(HEADER_LEN + code.len());
    sealed.extend_from_slice(MAGIC);
    sealed.extend_from_slice(wasm_sha256);
    sealed.extend_from_slice(engine_key);
    sealed.extend_from_slice(&Sha256::digest(code));
    sealed.extend_from_slice(code);
    sealed
}

/// The machine code in sealed bytes, if they are whole and were sealed for this wasm and this
/// engine.
pub(crate) fn unseal<'a>(
    sealed: &'a [u8],
    wasm_sha256: &[u8; 32],
    engine_key: &[u8; 32],
) -> Option<&'a [u8]> {
    let (header, code) = sealed.split_at_checked(HEADER_LEN)?;
    let (magic, digests) = header.split_at(MAGIC.len());
    let (wasm, rest) = digests.split_at(32);
    let (engine, code_sha256) = rest.split_at(32);
    let sound = magic == MAGIC
        && wasm == wasm_sha256
        && engine == engine_key
        && code_sha256 == Sha256::digest(code).as_slice();
    sound.then_some(code)
}

/// The first bytes of sealed code kept outside the host's own cache (an object store): the
/// layout of [`seal`] with the number of the key that authenticates it, and that key's
/// HMAC-SHA256 at the end.
const AUTHENTICATED_MAGIC: &[u8; 16] = b"tenure-cwasm-v2\n";

/// Magic, key number, wasm SHA-256, engine key, machine code SHA-256.
const AUTHENTICATED_HEADER_LEN: usize = AUTHENTICATED_MAGIC.len() + 4 + 3 * 32;

/// The length of an HMAC-SHA256.
const MAC_LEN: usize = 32;

/// A key that authenticates compiled code (HMAC-SHA256): its number, kept in the sealed bytes
/// so that the right key is found again after a rotation, and its bytes.
#[derive(Clone, Copy)]
pub struct CodeKey<'a> {
    /// The key's number.
    pub id: u32,
    /// The key's bytes.
    pub bytes: &'a [u8],
}

impl std::fmt::Debug for CodeKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Machine code sealed for an object store: magic, `key`'s number, the wasm's SHA-256, the
/// engine key, the code's SHA-256, the code, and an HMAC-SHA256 with `key` over all of that.
pub(crate) fn seal_authenticated(
    wasm_sha256: &[u8; 32],
    engine_key: &[u8; 32],
    code: &[u8],
    key: CodeKey<'_>,
) -> Vec<u8> {
    let mut sealed = Vec::with_capacity(AUTHENTICATED_HEADER_LEN + code.len() + MAC_LEN);
    sealed.extend_from_slice(AUTHENTICATED_MAGIC);
    sealed.extend_from_slice(&key.id.to_be_bytes());
    sealed.extend_from_slice(wasm_sha256);
    sealed.extend_from_slice(engine_key);
    sealed.extend_from_slice(&Sha256::digest(code));
    sealed.extend_from_slice(code);
    let mac = hmac_of(key.bytes, &sealed);
    sealed.extend_from_slice(&mac);
    sealed
}

/// The number of the key sealed bytes say they are authenticated with, if they have the
/// authenticated layout at all.
pub(crate) fn sealed_key_id(sealed: &[u8]) -> Option<u32> {
    let rest = sealed.strip_prefix(AUTHENTICATED_MAGIC.as_slice())?;
    let id: [u8; 4] = rest.get(..4)?.try_into().ok()?;
    Some(u32::from_be_bytes(id))
}

/// The machine code in sealed bytes, if their HMAC verifies with `key` (compared in constant
/// time, before anything else is read) and they were sealed for this wasm and this engine;
/// else what is wrong.
pub(crate) fn unseal_authenticated<'a>(
    sealed: &'a [u8],
    wasm_sha256: &[u8; 32],
    engine_key: &[u8; 32],
    key: CodeKey<'_>,
) -> Result<&'a [u8], &'static str> {
    let Some((signed, mac)) = sealed
        .len()
        .checked_sub(MAC_LEN)
        .filter(|&at| at >= AUTHENTICATED_HEADER_LEN)
        .map(|at| sealed.split_at(at))
    else {
        return Err("it is too short to carry a header and an HMAC");
    };
    let mut verifier = Hmac::<Sha256>::new_from_slice(key.bytes)
        .map_err(|_| "the key cannot be used for HMAC-SHA256")?;
    verifier.update(signed);
    verifier
        .verify_slice(mac)
        .map_err(|_| "its HMAC does not verify with the deployment's key")?;
    if sealed_key_id(signed) != Some(key.id) {
        return Err("it names another key than the one it was checked with");
    }
    let header = &signed[AUTHENTICATED_MAGIC.len() + 4..AUTHENTICATED_HEADER_LEN];
    let code = &signed[AUTHENTICATED_HEADER_LEN..];
    let (wasm, rest) = header.split_at(32);
    let (engine, code_sha256) = rest.split_at(32);
    if wasm != wasm_sha256 || engine != engine_key || code_sha256 != Sha256::digest(code).as_slice()
    {
        return Err(
            "its header does not match the plugin's SHA-256, this engine, or the code it carries",
        );
    }
    Ok(code)
}

/// HMAC-SHA256 of `bytes` with `key`. HMAC takes a key of any length, so this is never empty;
/// if it were, the code would fail its check and be compiled again.
fn hmac_of(key: &[u8], bytes: &[u8]) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(bytes);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// Turns machine code into a component.
///
/// Only ever called with code this host's engine produced: just now by
/// `Engine::precompile_component`, or read back from a cache file whose header carries the
/// SHA-256 of exactly these bytes (checked by [`unseal`]), or from an object store whose HMAC
/// with the deployment's key verified ([`unseal_authenticated`]).
#[allow(unsafe_code)]
pub(crate) fn deserialize(engine: &Engine, code: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: `Component::deserialize` runs the bytes as machine code, so they must come from
    // `Engine::precompile_component` of a compatible engine and be intact. Callers pass either
    // bytes fresh from this engine's `precompile_component`, or bytes from a cache file that
    // this module wrote (into a directory only Tenure can write to) whose SHA-256, engine key
    // and wasm digest were checked by `unseal` just before, or from Tenure's object store
    // (written by `PluginHost::precompile`) whose HMAC-SHA256 with the deployment's key was
    // verified by `unseal_authenticated` just before, so whoever can write to the store but
    // does not hold the key cannot have made them; wasmtime checks the engine compatibility
    // again itself.
    unsafe { Component::deserialize(engine, code) }
}

fn prepare_dir(dir: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|error| format!("cannot create it: {error}"))?;
        let metadata = fs::metadata(dir).map_err(|error| format!("cannot read it: {error}"))?;
        if !metadata.is_dir() {
            return Err("it is not a directory".into());
        }
        if metadata.permissions().mode() & 0o022 != 0 {
            return Err(format!(
                "others can write to it (mode {:o}); compiled plugins are run as found, so it \
                 must be writable by Tenure alone: chmod 700 it",
                metadata.permissions().mode() & 0o777
            ));
        }
    }
    #[cfg(not(unix))]
    fs::create_dir_all(dir).map_err(|error| format!("cannot create it: {error}"))?;
    Ok(())
}

fn private_file(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Feeds a [`Hash`] value into SHA-256, to name what an engine compiles for.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        let mut first = [0; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_le_bytes(first)
    }
}
