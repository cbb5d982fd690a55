//! The plugin host: one engine, one linker, one epoch clock, and the compile cache.

use std::path::PathBuf;
use std::sync::Arc;

use sha2::{Digest as _, Sha256};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, ComponentExportIndex, Linker, Type};
use wasmtime::{Config, Engine, InstanceAllocationStrategy};

use super::bindings::PluginPre;
use super::cache::{self, CodeKey, CompileCache};
use super::contract;
use super::epoch::EpochTicker;
use super::mapping::Plugin;
use super::sandbox::{self, StoreState};
use super::{PluginError, SandboxLimits};

/// Loads plugins and runs them under one set of [`SandboxLimits`].
///
/// Create one per process and keep it: it owns the compiler, the pre-built WASI linker and a
/// background thread that drives deadlines (stopped when the host and every plugin it loaded
/// are dropped).
pub struct PluginHost {
    engine: Engine,
    linker: Linker<StoreState>,
    limits: SandboxLimits,
    cache: CompileCache,
    ticker: Arc<EpochTicker>,
}

/// The first eight bytes of a WebAssembly component (magic, then version 13, layer 1).
const COMPONENT_HEADER: [u8; 8] = *b"\0asm\x0d\0\x01\0";

impl PluginHost {
    /// A host with these limits. With `cache_dir`, compiled plugins are kept there (created
    /// `0700` if missing) and reused by later loads and processes; without, they are compiled
    /// in memory on every load.
    pub fn new(limits: SandboxLimits, cache_dir: Option<PathBuf>) -> Result<Self, PluginError> {
        Self::with_config(limits, cache_dir, Config::new())
    }

    /// A host as [`new`](Self::new) makes, whose plugin instances come from a pool made once
    /// (wasmtime's pooling allocator) instead of being mapped afresh for every call: for a
    /// process that runs one plan at a time on every core, such as the `tenure` command. Each
    /// linear memory keeps its first 4 MiB resident between instances (zeroed when an instance
    /// ends: nothing passes from one call to the next), so a batch does not wait for the kernel
    /// to zero fresh pages again. The pool's own bounds sit above the sandbox's, so a plugin is
    /// refused, and each refusal worded, as by [`new`](Self::new); it holds twice as many
    /// instances as the machine has cores, plus two, and refuses an instantiation beyond that
    /// many at once.
    pub fn with_instance_pool(
        limits: SandboxLimits,
        cache_dir: Option<PathBuf>,
    ) -> Result<Self, PluginError> {
        let mut config = Config::new();
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(sandbox::instance_pool()));
        Self::with_config(limits, cache_dir, config)
    }

    fn with_config(
        limits: SandboxLimits,
        cache_dir: Option<PathBuf>,
        mut config: Config,
    ) -> Result<Self, PluginError> {
        config.consume_fuel(true).epoch_interruption(true);
        let engine = Engine::new(&config).map_err(PluginError::internal)?;
        let linker = sandbox::linker(&engine).map_err(PluginError::internal)?;
        let cache = CompileCache::open(cache_dir, &engine)?;
        let ticker = Arc::new(EpochTicker::start(&engine)?);
        Ok(Self {
            engine,
            linker,
            limits,
            cache,
            ticker,
        })
    }

    /// The limits plugins of this host run under.
    pub fn limits(&self) -> &SandboxLimits {
        &self.limits
    }

    /// Checks, compiles (or takes from the cache) and pre-links a plugin.
    ///
    /// Refuses an upload larger than [`SandboxLimits::max_wasm_bytes`], anything that is not a
    /// WebAssembly component, a component that does not export `tenure:mapper/mapping` at 1.0 or 1.1,
    /// and one that imports anything beyond the contract and the deny-all WASI.
    pub fn load(&self, wasm: &[u8]) -> Result<Plugin, PluginError> {
        let digest = self.admit(wasm)?;
        if let Some(component) = self.cache.load(&self.engine, &digest) {
            return self.prelink(&component, &digest, true);
        }
        // Another process sharing the cache may be compiling this plugin: wait for it, and
        // look again.
        let _compiling = self.cache.compiling(&digest);
        if let Some(component) = self.cache.load(&self.engine, &digest) {
            return self.prelink(&component, &digest, true);
        }
        let (component, code) = self.compile(wasm)?;
        let plugin = self.prelink(&component, &digest, false)?;
        // Kept only once it has passed every check, so the cache never holds a refused plugin.
        if let Some(code) = code {
            self.cache.store(&digest, &code);
        }
        Ok(plugin)
    }

    /// The first checks of every plugin (its size, that it is a component, the names it exports
    /// and imports), made before it is compiled, and its SHA-256.
    fn admit(&self, wasm: &[u8]) -> Result<[u8; 32], PluginError> {
        if wasm.len() > self.limits.max_wasm_bytes {
            return Err(PluginError::TooLarge {
                bytes: wasm.len(),
                limit: self.limits.max_wasm_bytes,
            });
        }
        check_header(wasm)?;
        contract::check_declared(wasm)?;
        Ok(Sha256::digest(wasm).into())
    }

    /// Checks, compiles and pre-links a plugin as [`load`](Self::load) does, and gives with it
    /// its machine code sealed for keeping elsewhere (an object store): a header with a magic
    /// number, `key`'s number, the SHA-256 of `wasm`, this engine's
    /// [`engine_key`](Self::engine_key) and the SHA-256 of the code, then the code, then an
    /// HMAC-SHA256 with `key` over all of it. [`load_precompiled`](Self::load_precompiled)
    /// takes these bytes back. Never touches the compile cache directory.
    pub fn precompile(
        &self,
        wasm: &[u8],
        key: CodeKey<'_>,
    ) -> Result<(Plugin, Vec<u8>), PluginError> {
        let digest = self.admit(wasm)?;
        let code = self
            .engine
            .precompile_component(wasm)
            .map_err(compile_error)?;
        let component = cache::deserialize(&self.engine, &code).map_err(PluginError::internal)?;
        let plugin = self.prelink(&component, &digest, false)?;
        let sealed = cache::seal_authenticated(&digest, self.cache.engine_key(), &code, key);
        Ok((plugin, sealed))
    }

    /// The number of the key that sealed bytes from [`precompile`](Self::precompile) say they
    /// are authenticated with (look the key up by it); `None` when they do not have that
    /// layout at all.
    pub fn sealed_key_id(sealed: &[u8]) -> Option<u32> {
        cache::sealed_key_id(sealed)
    }

    /// Loads a plugin from bytes [`precompile`](Self::precompile) sealed, without compiling.
    ///
    /// Their HMAC-SHA256 must verify with `key` (in constant time, before anything else is
    /// looked at), the header must name `wasm_sha256` (lower-case hex) and this engine, and the
    /// code must have the SHA-256 the header carries; only then is it deserialized (as native
    /// code). Bytes that are not authenticated by `key`, damaged, truncated, or sealed for
    /// another plugin or engine are refused with [`PluginError::Damaged`]: compile the
    /// WebAssembly again instead. The plugin is checked against the contract and pre-linked as
    /// on [`load`](Self::load), and says [`Plugin::from_cache`].
    pub fn load_precompiled(
        &self,
        wasm_sha256: &str,
        sealed: &[u8],
        key: CodeKey<'_>,
    ) -> Result<Plugin, PluginError> {
        let damaged = |reason: &str| PluginError::Damaged {
            reason: reason.to_owned(),
        };
        let mut digest = [0u8; 32];
        hex::decode_to_slice(wasm_sha256, &mut digest)
            .map_err(|_| damaged("the plugin's SHA-256 is not 64 hex digits"))?;
        let code = cache::unseal_authenticated(sealed, &digest, self.cache.engine_key(), key)
            .map_err(damaged)?;
        let component = cache::deserialize(&self.engine, code)
            .map_err(|error| damaged(&format!("wasmtime refused it: {error}")))?;
        self.prelink(&component, &digest, true)
    }

    /// The SHA-256 of this engine's `precompile_compatibility_hash`, lower-case hex: machine
    /// code compiled by one engine runs only on engines with the same key.
    pub fn engine_key(&self) -> String {
        hex::encode(self.cache.engine_key())
    }

    /// Checks a compiled component against the contract and pre-links it.
    fn prelink(
        &self,
        component: &Component,
        digest: &[u8; 32],
        from_cache: bool,
    ) -> Result<Plugin, PluginError> {
        let exports = contract::check(&self.engine, component)?;
        let map_batch_json = exports
            .mapping_json
            .as_deref()
            .map(|interface| map_batch_json(component, interface))
            .transpose()?;
        let instance_pre = self.linker.instantiate_pre(component).map_err(|error| {
            // Every allowed import has a definition, so this is a type that does not match.
            PluginError::NotAComponent {
                reason: format!("its imports do not match WASI 0.2: {error:#}"),
            }
        })?;
        let pre = PluginPre::new(instance_pre).map_err(|error| PluginError::WrongWorld {
            found: format!(
                "{} with different functions ({error:#})",
                contract::EXPECTED
            ),
            expected: contract::EXPECTED.to_owned(),
        })?;
        Ok(Plugin::new(
            pre,
            hex::encode(digest),
            (exports.mapping, map_batch_json),
            self.limits,
            from_cache,
            Arc::clone(&self.ticker),
        ))
    }

    /// Compiles a component: through `precompile_component` when there is a cache to keep the
    /// machine code in, straight into memory otherwise.
    fn compile(&self, wasm: &[u8]) -> Result<(Component, Option<Vec<u8>>), PluginError> {
        if !self.cache.is_enabled() {
            return Component::new(&self.engine, wasm)
                .map(|component| (component, None))
                .map_err(compile_error);
        }
        let code = self
            .engine
            .precompile_component(wasm)
            .map_err(compile_error)?;
        let component = cache::deserialize(&self.engine, &code).map_err(PluginError::internal)?;
        Ok((component, Some(code)))
    }
}

/// The index of `map-batch-json` in the JSON interface the component exports (contract 1.1),
/// once its type is checked: a component that exports the interface with another function
/// is refused, as one whose `mapping` does not match is.
fn map_batch_json(
    component: &Component,
    interface: &str,
) -> Result<ComponentExportIndex, PluginError> {
    let expected = format!(
        "{interface} with `{}: func(items: string, domains: list<string>, config: string) -> \
         list<u8>`",
        contract::MAP_BATCH_JSON
    );
    let wrong = |what: &str| PluginError::WrongWorld {
        found: format!("{interface} {what}"),
        expected: expected.clone(),
    };
    let (_, instance) = component
        .get_export(None, interface)
        .ok_or_else(|| wrong("as something else than an interface"))?;
    let Some((ComponentItem::ComponentFunc(ty), index)) =
        component.get_export(Some(&instance), contract::MAP_BATCH_JSON)
    else {
        return Err(wrong(&format!(
            "without a function {}",
            contract::MAP_BATCH_JSON
        )));
    };
    let params: Vec<Type> = ty.params().map(|(_, ty)| ty).collect();
    let results: Vec<Type> = ty.results().collect();
    let is_string = |ty: &Type| matches!(ty, Type::String);
    let typed = matches!(&params[..], [Type::String, Type::List(list), Type::String] if is_string(&list.ty()))
        && matches!(&results[..], [Type::List(list)] if matches!(list.ty(), Type::U8));
    if typed {
        Ok(index)
    } else {
        Err(wrong(&format!(
            "whose {} has another type",
            contract::MAP_BATCH_JSON
        )))
    }
}

fn check_header(wasm: &[u8]) -> Result<(), PluginError> {
    let header = wasm.get(..COMPONENT_HEADER.len());
    if header == Some(&COMPONENT_HEADER[..]) {
        return Ok(());
    }
    let reason = match header {
        Some(header) if header.starts_with(b"\0asm\x01\0\0\0") => {
            "it is a core WebAssembly module; a plugin must be a component".to_owned()
        }
        Some(header) if header.starts_with(b"\0asm") => {
            "it is WebAssembly of an unknown version".to_owned()
        }
        _ => "it does not start with the WebAssembly magic bytes".to_owned(),
    };
    Err(PluginError::NotAComponent { reason })
}

fn compile_error(error: wasmtime::Error) -> PluginError {
    // Wasmtime marks errors of parsing and validation with this context; anything later is
    // the compiler's.
    let invalid = error
        .chain()
        .any(|cause| cause.to_string().starts_with("failed to parse WebAssembly"));
    let reason = format!("{}", error.root_cause());
    if invalid {
        PluginError::NotAComponent { reason }
    } else {
        PluginError::Compile { reason }
    }
}
