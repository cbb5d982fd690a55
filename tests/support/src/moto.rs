//! `moto_server`, a local AWS emulator from PyPI, started on a free loopback port for the tests.
//!
//! [`shared`] starts one server per test process (under nextest that is one per test, which is
//! cheap: moto answers about 0.3 s after it is started) and keeps it for the life of the process.
//! Rust never drops statics, so the server is not stopped by a destructor: it runs under a small
//! `sh` guard that reads the test process's end of a pipe and stops moto as soon as the pipe
//! closes, which happens when the test process ends in any way (return, panic, kill).
//!
//! The server is moto's own, started by this crate's `moto_server.py`, which makes S3's
//! conditional writes atomic in moto as they are in S3 (of writes racing to one key on the same
//! condition exactly one succeeds; moto alone checks and then writes, so two can pass). It runs
//! under `$TENURE_MOTO_PYTHON` when set, else `.venv/bin/python` at the root of the repository,
//! the venv where `scripts/setup` installs `moto[server]`. When neither exists the tests fail
//! with a message saying to run `scripts/setup`; they never pass without having talked to moto.
//!
//! Requests need credentials and a region, but moto checks neither: use [`ACCESS_KEY_ID`],
//! [`SECRET_ACCESS_KEY`] and [`REGION`]. Nothing leaves the loopback interface.

use std::fmt;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The dummy access key id the tests sign with.
pub const ACCESS_KEY_ID: &str = "testing";
/// The dummy secret access key the tests sign with.
pub const SECRET_ACCESS_KEY: &str = "testing";
/// The region the tests use.
pub const REGION: &str = "us-east-1";

/// The environment variable naming a Python with `moto[server]` to use instead of the venv's.
pub const PYTHON_ENV: &str = "TENURE_MOTO_PYTHON";

/// The script that starts moto with atomic conditional writes, from the repository's root.
const LAUNCHER: &str = "tests/support/moto_server.py";

/// How long moto may take to answer after it was started.
const STARTUP_DEADLINE: Duration = Duration::from_secs(30);
/// How many ports to try when the one picked was taken in the meantime.
const PORT_ATTEMPTS: usize = 3;

/// Stops moto when its standard input (the test process's pipe) closes, and ends when moto ends.
/// A background command's standard input is `/dev/null` in `sh`, so the pipe goes by fd 3.
const GUARD_SCRIPT: &str = r#"
exec 3<&0
"$@" 3<&- &
pid=$!
{ cat <&3 >/dev/null; kill "$pid" 2>/dev/null; } &
exec 3<&-
wait "$pid"
"#;

/// A running `moto_server`.
pub struct Moto {
    endpoint: String,
    guard: Child,
    stdin: Option<ChildStdin>,
}

/// Why moto could not be started.
#[derive(Debug)]
pub struct MotoError(String);

impl fmt::Display for MotoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MotoError {}

/// The server of this test process, started on first use.
pub fn shared() -> Result<&'static Moto, MotoError> {
    static SHARED: OnceLock<Result<Moto, String>> = OnceLock::new();
    SHARED
        .get_or_init(|| Moto::start().map_err(|e| e.0))
        .as_ref()
        .map_err(|e| MotoError(e.clone()))
}

impl Moto {
    /// Starts a server of its own (stopped when it is dropped, or when the process ends).
    pub fn start() -> Result<Self, MotoError> {
        let python = python_path()?;
        let mut last = String::new();
        for _ in 0..PORT_ATTEMPTS {
            match start_on_free_port(&python) {
                Ok(moto) => return Ok(moto),
                Err(Attempt::PortTaken(log)) => last = log,
                Err(Attempt::Failed(e)) => return Err(e),
            }
        }
        Err(MotoError(format!(
            "moto_server could not bind a loopback port after {PORT_ATTEMPTS} tries; its log:\n{last}"
        )))
    }

    /// The base URL to give the AWS SDK as its endpoint, such as `http://127.0.0.1:40213`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Closing the pipe makes the guard stop moto; then reap the guard.
        drop(self.stdin.take());
        let _ = self.guard.wait();
    }
}

impl fmt::Debug for Moto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Moto")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

enum Attempt {
    PortTaken(String),
    Failed(MotoError),
}

fn python_path() -> Result<PathBuf, MotoError> {
    if let Some(path) = std::env::var_os(PYTHON_ENV) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(MotoError(format!(
                "{PYTHON_ENV} is {} but no such file exists: point it at a Python with \
                 moto[server] installed, or unset it and run scripts/setup",
                path.display()
            )))
        };
    }
    let path = repository_root().join(".venv/bin/python");
    if path.is_file() {
        Ok(path)
    } else {
        Err(MotoError(format!(
            "moto_server is not installed ({} is missing): run scripts/setup, which installs \
             moto[server] into .venv/, or set {PYTHON_ENV} to a Python that has it",
            path.display()
        )))
    }
}

/// The root of the checkout the running test is in. The running test's package (cargo sets
/// CARGO_MANIFEST_DIR when it runs a test) is in the checkout whose venv counts; the compile-time
/// one may be another checkout sharing the target folder (a git worktree). The repository root is
/// two levels above either.
fn repository_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("../..")
}

fn start_on_free_port(python: &std::path::Path) -> Result<Moto, Attempt> {
    let failed = |what: String| Attempt::Failed(MotoError(what));
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map_err(|e| failed(format!("no free loopback port: {e}")))?
        .port();
    // moto's output, read only while it starts: the name goes when this function returns, and
    // moto writes on to the unnamed file, which goes when moto does.
    let log = tempfile::NamedTempFile::new()
        .map_err(|e| failed(format!("cannot create moto's log file: {e}")))?;
    let (out, err) = log
        .as_file()
        .try_clone()
        .and_then(|a| Ok((a.try_clone()?, a)))
        .map_err(|e| failed(format!("cannot open moto's log file: {e}")))?;
    let mut guard = Command::new("sh")
        .arg("-c")
        .arg(GUARD_SCRIPT)
        .arg("moto-guard")
        .arg(python)
        .arg(repository_root().join(LAUNCHER))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| failed(format!("cannot start {}: {e}", python.display())))?;
    let stdin = guard.stdin.take();
    let mut moto = Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        guard,
        stdin,
    };
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + STARTUP_DEADLINE;
    loop {
        if answers(address) {
            return Ok(moto);
        }
        if let Ok(Some(status)) = moto.guard.try_wait() {
            let text = std::fs::read_to_string(log.path()).unwrap_or_default();
            return Err(if text.contains("Address already in use") {
                Attempt::PortTaken(text)
            } else {
                failed(format!(
                    "moto_server ({} {LAUNCHER}) exited ({status}) before answering; its log:\n{text}",
                    python.display()
                ))
            });
        }
        if Instant::now() > deadline {
            let text = std::fs::read_to_string(log.path()).unwrap_or_default();
            return Err(failed(format!(
                "moto_server did not answer on {address} within {STARTUP_DEADLINE:?}; its log:\n{text}"
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether an HTTP server answers at the address.
fn answers(address: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    if stream
        .write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 8];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}
