//! Builds mapping plugins written in JavaScript (componentize-js, from npm) and Python
//! (componentize-py, from PyPI) into components of the `plugin` world of `plugins/wit/mapper.wit`.
//!
//! Both tools embed an interpreter (SpiderMonkey, CPython) with the program already loaded, so a
//! component is 12 to 20 MiB and a build takes 5 to 20 seconds. By default both are built without
//! what the sandbox refuses: componentize-js without its `http` and `fetch-event` features (which
//! import `wasi:http`) nor its `stdio` feature (whose wasi-libc asks for the preopened
//! directories as soon as anything is written, which the sandbox stops as file access, so that
//! a `console.log` would fail every worker; without it `console.log` writes nothing and an
//! uncaught exception is a crash), componentize-py with `--stub-wasi` (CPython's socket module
//! imports `wasi:sockets`; stubbed, the component imports no WASI at all).

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The world every plugin exports: the typed `mapping` interface (contract 1.0 and later).
pub const WORLD: &str = "plugin";

/// The world of a plugin that also maps batches in JSON (contract 1.1): the JavaScript and
/// TypeScript templates and example, whose interpreter reads one JSON text far faster than it
/// is handed a record field by field.
pub const WORLD_JSON: &str = "plugin-json";

/// What a guest's tool chain may give it that the sandbox refuses: the tests build hostile
/// plugins with it, to see them refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capabilities {
    /// Only what the sandbox allows (the default for every real plugin).
    Sandboxed,
    /// The tool's defaults: `fetch` (componentize-js) or every WASI interface, sockets
    /// included (componentize-py).
    ToolDefaults,
}

impl Capabilities {
    /// A short name, for what a component was built with.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sandboxed => "sandboxed",
            Self::ToolDefaults => "tool-defaults",
        }
    }
}

/// Why a guest plugin could not be built.
#[derive(Debug)]
pub enum GuestBuildError {
    /// The tool chain is not installed where it was looked for.
    MissingTool {
        /// The path looked at.
        tool: PathBuf,
        /// How to install it.
        install: &'static str,
    },
    /// The tool ran and failed (or could not be started).
    Failed {
        /// The command line, for the reader to run again.
        command: String,
        /// What went wrong: the exit status and the tool's output.
        output: String,
    },
}

impl fmt::Display for GuestBuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingTool { tool, install } => write!(
                f,
                "the plugin tool chain {} is not installed: {install}",
                tool.display()
            ),
            Self::Failed { command, output } => write!(f, "`{command}` failed: {output}"),
        }
    }
}

impl std::error::Error for GuestBuildError {}

/// Builds the JavaScript module `source` (an ES module exporting `mapping`, and `mappingJson`
/// for [`WORLD_JSON`]) into `out` with componentize-js (`tool`: its command, e.g.
/// `node_modules/.bin/componentize-js`), for the world `world` of `wit`.
pub fn componentize_js(
    tool: &Path,
    source: &Path,
    (wit, world): (&Path, &str),
    out: &Path,
    capabilities: Capabilities,
) -> Result<(), GuestBuildError> {
    let mut command = Command::new(tool);
    command
        .arg(source)
        .arg("--wit")
        .arg(wit)
        .args(["--world-name", world, "--out"])
        .arg(out);
    if capabilities == Capabilities::Sandboxed {
        command.args(["--disable", "http", "fetch-event", "stdio"]);
    }
    run(
        tool,
        "install the npm package @bytecodealliance/componentize-js \
         (in this repository: scripts/setup test)",
        command,
    )
}

/// Builds the Python module `module` (`<module>.py` in `dir`, with a class `Mapping`) into
/// `out` with componentize-py (`tool`: its command). The module's folder gets no
/// `__pycache__`: the build runs on a copy of it in `scratch`.
pub fn componentize_py(
    tool: &Path,
    dir: &Path,
    module: &str,
    wit: &Path,
    out: &Path,
    scratch: &Path,
    capabilities: Capabilities,
) -> Result<(), GuestBuildError> {
    copy_python_sources(dir, scratch).map_err(|error| GuestBuildError::Failed {
        command: format!("copy {} to {}", dir.display(), scratch.display()),
        output: error.to_string(),
    })?;
    let mut command = Command::new(tool);
    command
        .current_dir(scratch)
        .arg("--quiet")
        .arg("--wit-path")
        .arg(wit)
        .args(["--world", WORLD, "componentize"]);
    if capabilities == Capabilities::Sandboxed {
        command.arg("--stub-wasi");
    }
    command.arg(module).arg("--output").arg(out);
    run(
        tool,
        "install the PyPI package componentize-py \
         (in this repository: scripts/setup test, into .venv/)",
        command,
    )
}

/// The `.py` files of `dir` (not its sub-folders), copied into a fresh `scratch`.
fn copy_python_sources(dir: &Path, scratch: &Path) -> std::io::Result<()> {
    if scratch.exists() {
        std::fs::remove_dir_all(scratch)?;
    }
    std::fs::create_dir_all(scratch)?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "py")
            && let Some(name) = path.file_name()
        {
            std::fs::copy(&path, scratch.join(name))?;
        }
    }
    Ok(())
}

fn run(tool: &Path, install: &'static str, mut command: Command) -> Result<(), GuestBuildError> {
    if !tool.is_file() {
        return Err(GuestBuildError::MissingTool {
            tool: tool.to_owned(),
            install,
        });
    }
    let line = format!("{command:?}");
    let output = command.output().map_err(|error| GuestBuildError::Failed {
        command: line.clone(),
        output: error.to_string(),
    })?;
    if output.status.success() {
        return Ok(());
    }
    Err(GuestBuildError::Failed {
        command: line,
        output: format!(
            "{}\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    })
}
