//! The hostile (and one well-behaved) test plugins of `plugins/test-programs` and the reference
//! plugins of `plugins/examples`, built by this crate's build script (Rust for wasm32-wasip2,
//! JavaScript with componentize-js, Python with componentize-py), for the plugin host's tests.

use std::path::Path;

/// `tenure-test-echo`: maps every worker to an active account `<id>@<first domain>`, and
/// misbehaves on purpose for these employee ids: `loop` (spins forever), `panic`, `trap`
/// (`unreachable`), `grow` (allocates without end), `huge` (a 1 MiB answer), `refuse` (its own
/// mapping error), `file` (reads `/etc/passwd`), `sleep` (for an hour), `exit` (status 3), `env`
/// (reports its environment and arguments as attributes). A configuration containing `"refuse"` is refused.
pub const ECHO: &str = env!("TENURE_TEST_ECHO_WASM");

/// `tenure-test-socket`: opens a TCP connection for every worker (so it imports `wasi:sockets`).
pub const SOCKET: &str = env!("TENURE_TEST_SOCKET_WASM");

/// `tenure-test-wrong-world`: exports `tenure:mapper/mapping@2.0.0`, a contract Tenure does not run.
pub const WRONG_WORLD: &str = env!("TENURE_TEST_WRONG_WORLD_WASM");

/// `tenure-test-forbidden-import`: the right contract, plus an import of its own, `acme:exfil/net`.
pub const FORBIDDEN_IMPORT: &str = env!("TENURE_TEST_FORBIDDEN_IMPORT_WASM");

/// `plugins/test-programs/javascript/hostile.js`, built as plugins are (HTTP and fetch
/// disabled): maps every worker to an active account `<id>@<first domain>`, and misbehaves on
/// purpose for these employee ids: `loop` (spins forever), `grow` (allocates without end),
/// `trap` (throws an exception nobody catches), `fetch` (fetches a URL), `log` (writes to the
/// console, then behaves). Built for world `plugin-json`, so its batches go through
/// `map-batch-json`, whose answer it breaks for `json-garbage` (not JSON), `json-short` (one
/// answer too few), `json-field` (an unknown field), `json-variant` (an unknown phase), `json-null-name` (`null` for
/// the display name) and `json-huge` (a 300 KiB display name).
pub const HOSTILE_JS: &str = env!("TENURE_TEST_HOSTILE_JS_WASM");

/// The same program built with componentize-js's defaults: it imports `wasi:http`.
pub const HOSTILE_JS_FETCH: &str = env!("TENURE_TEST_HOSTILE_JS_FETCH_WASM");

/// `plugins/test-programs/python/hostile.py`, built as plugins are (`--stub-wasi`): like
/// [`HOSTILE_JS`], with `socket` (opens a TCP connection) instead of `fetch`, `log` printing (to a discarding `sys.stdout`, as the
/// templates do) and `raw-print` printing to the real stdout.
pub const HOSTILE_PY: &str = env!("TENURE_TEST_HOSTILE_PY_WASM");

/// The same program built with componentize-py's defaults: it imports `wasi:sockets`.
pub const HOSTILE_PY_SOCKETS: &str = env!("TENURE_TEST_HOSTILE_PY_SOCKETS_WASM");

/// The reference plugin of `plugins/examples/rust` (the contractors policy of
/// `plugins/examples/README.md`).
pub const EXAMPLE_RUST: &str = env!("TENURE_EXAMPLE_CONTRACTORS_RUST_WASM");

/// The same policy in JavaScript, `plugins/examples/javascript`, built for the world
/// `plugin-json` (contract 1.1): it maps batches through `map-batch-json` too.
pub const EXAMPLE_JS: &str = env!("TENURE_EXAMPLE_CONTRACTORS_JS_WASM");

/// The same JavaScript built against the contract as it was at 1.0
/// (`plugins/test-programs/contract-1.0`, world `plugin`): a plugin built for the previous minor
/// version, with the typed `map-batch` only.
pub const EXAMPLE_JS_1_0: &str = env!("TENURE_EXAMPLE_CONTRACTORS_JS_1_0_WASM");

/// The same policy in Python, `plugins/examples/python`.
pub const EXAMPLE_PY: &str = env!("TENURE_EXAMPLE_CONTRACTORS_PY_WASM");

/// The JavaScript or Python tool chains that were missing when the plugins were built (empty
/// when none was).
const TOOLS_MISSING: &str = env!("TENURE_GUEST_TOOLS_MISSING");

/// Reads a built test plugin. A JavaScript or Python plugin that could not be built because its
/// tool chain is missing is an error that says so.
pub fn read(path: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(Path::new(path)).map_err(|error| {
        if error.kind() == std::io::ErrorKind::NotFound && !TOOLS_MISSING.is_empty() {
            std::io::Error::other(format!(
                "{path} was not built: {TOOLS_MISSING}; then build again"
            ))
        } else {
            error
        }
    })
}

/// A folder for compiled plugins that every test process shares (`<target>/plugins/compiled`):
/// the interpreters' components take many seconds to compile in a debug build, once.
pub fn compile_cache() -> std::path::PathBuf {
    Path::new(EXAMPLE_JS)
        .parent()
        .and_then(Path::parent)
        .map_or_else(
            || std::env::temp_dir().join("tenure-plugins-compiled"),
            |plugins| plugins.join("compiled"),
        )
}

/// What [`with_extra`] adds to a component: core modules, each defining one linear memory or
/// one table of this size, and an instance of each (so each is created when the component is
/// instantiated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extra {
    /// A linear memory of this many 64 KiB pages.
    Memory {
        /// Its initial size, in pages.
        pages: u32,
    },
    /// A `funcref` table of this many elements.
    Table {
        /// Its initial size, in elements.
        elements: u32,
    },
}

/// `component` (a component binary, such as [`ECHO`]'s) with `count` more core instances, each
/// of a module defining one `extra`: a hostile plugin that keeps its contract but declares
/// many memories or tables. Component sections may come in any order, so the new ones are
/// appended; the new modules' indices follow those of the component's own core modules.
pub fn with_extra(component: &[u8], extra: Extra, count: u32) -> Vec<u8> {
    const CORE_MODULE: u8 = 1;
    const CORE_INSTANCE: u8 = 2;
    let first = top_level_sections(component)
        .filter(|id| *id == CORE_MODULE)
        .count() as u32;
    let module = core_module(extra);
    let mut bytes = component.to_vec();
    for _ in 0..count {
        section(&mut bytes, CORE_MODULE, &module);
    }
    // One instance section: instantiate each new module with no arguments.
    let mut instances = Vec::new();
    leb128(&mut instances, count);
    for index in first..first + count {
        instances.push(0x00);
        leb128(&mut instances, index);
        leb128(&mut instances, 0);
    }
    section(&mut bytes, CORE_INSTANCE, &instances);
    bytes
}

/// `component` grown to exactly `size` bytes with a custom section named `padding` (which a
/// component may carry anywhere, and which is never compiled): a plugin as large as a
/// JavaScript or Python one. `None` when `size` leaves no room for the section.
pub fn padded(component: &[u8], size: usize) -> Option<Vec<u8>> {
    const CUSTOM: u8 = 0;
    let name = b"padding";
    // The section's size is LEB128-encoded in 1 to 5 bytes: find the length that fits.
    let content = (1..=5).find_map(|length: usize| {
        let content = size.checked_sub(component.len() + 1 + length)?;
        let mut encoded = Vec::new();
        leb128(&mut encoded, u32::try_from(content).ok()?);
        (encoded.len() == length).then_some(content)
    })?;
    let mut payload = Vec::with_capacity(content);
    leb128(&mut payload, name.len() as u32);
    payload.extend_from_slice(name);
    payload.resize(content, 0);
    let mut bytes = component.to_vec();
    section(&mut bytes, CUSTOM, &payload);
    (bytes.len() == size).then_some(bytes)
}

/// A core module that defines one memory or table and nothing else.
fn core_module(extra: Extra) -> Vec<u8> {
    let mut module = b"\0asm\x01\0\0\0".to_vec();
    let mut payload = vec![1];
    let id = match extra {
        Extra::Memory { pages } => {
            payload.push(0x00);
            leb128(&mut payload, pages);
            5
        }
        Extra::Table { elements } => {
            payload.extend([0x70, 0x00]);
            leb128(&mut payload, elements);
            4
        }
    };
    section(&mut module, id, &payload);
    module
}

/// The ids of a component's top-level sections.
fn top_level_sections(component: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let mut at = 8;
    std::iter::from_fn(move || {
        let id = *component.get(at)?;
        let (size, read) = read_leb128(component.get(at + 1..)?)?;
        at += 1 + read + size as usize;
        Some(id)
    })
}

fn section(out: &mut Vec<u8>, id: u8, payload: &[u8]) {
    out.push(id);
    leb128(out, payload.len() as u32);
    out.extend_from_slice(payload);
}

fn leb128(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_leb128(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut value = 0u32;
    for (i, byte) in bytes.iter().take(5).enumerate() {
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}
