//! The hostile (and one well-behaved) test plugins of `plugins/test-programs`, built for
//! wasm32-wasip2 by this crate's build script, for the plugin host's tests.

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

/// Reads a built test plugin.
pub fn read(path: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(Path::new(path))
}
