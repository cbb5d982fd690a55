//! Builds the test plugins in `plugins/test-programs` for wasm32-wasip2, the way the engine's
//! build script builds the standard mapper, and tells the library where they are.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Package name, and the environment variable that carries the component's path.
const PROGRAMS: &[(&str, &str)] = &[
    ("tenure-test-echo", "TENURE_TEST_ECHO_WASM"),
    ("tenure-test-socket", "TENURE_TEST_SOCKET_WASM"),
    ("tenure-test-wrong-world", "TENURE_TEST_WRONG_WORLD_WASM"),
    (
        "tenure-test-forbidden-import",
        "TENURE_TEST_FORBIDDEN_IMPORT_WASM",
    ),
];

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.join("../..");
    let plugins = root.join("plugins");
    for watched in ["wit", "test-programs", "Cargo.toml"] {
        println!(
            "cargo::rerun-if-changed={}",
            plugins.join(watched).display()
        );
    }
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("plugins");
    build(&plugins, &target_dir);
    for (package, variable) in PROGRAMS {
        let wasm = target_dir
            .join("wasm32-wasip2/release")
            .join(format!("{}.wasm", package.replace('-', "_")));
        println!("cargo::rustc-env={variable}={}", wasm.display());
    }
}

/// Runs one nested cargo for every test program.
fn build(plugins: &Path, target_dir: &Path) {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(plugins)
        .args(["build", "--release", "--quiet", "--target", "wasm32-wasip2"])
        .arg("--target-dir")
        .arg(target_dir);
    for (package, _) in PROGRAMS {
        command.args(["--package", package]);
    }
    // The outer build's wrappers and flags (clippy, coverage, host RUSTFLAGS) must not leak in.
    for (key, _) in env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("CARGO_") && key != "CARGO_HOME"
            || key.starts_with("RUSTC")
            || key == "RUSTFLAGS"
        {
            command.env_remove(&key);
        }
    }
    let status = command
        .status()
        .unwrap_or_else(|error| panic!("could not run cargo to build the test plugins: {error}"));
    if !status.success() {
        panic!(
            "building the test plugins for wasm32-wasip2 failed ({status}). \
             Is the target installed? Run: rustup target add wasm32-wasip2"
        );
    }
}
