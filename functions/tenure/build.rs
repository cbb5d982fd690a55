//! Builds the standard mapper plugin for wasm32-wasip2 so the engine can embed it.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.join("../..");
    let plugins = root.join("plugins");
    for watched in [
        "wit",
        "standard-mapper/src",
        "standard-mapper/Cargo.toml",
        "Cargo.toml",
    ] {
        println!(
            "cargo::rerun-if-changed={}",
            plugins.join(watched).display()
        );
    }
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("plugins");
    let wasm = build_plugin(&plugins, &target_dir, "tenure-standard-mapper");
    println!(
        "cargo::rustc-env=TENURE_STANDARD_MAPPER_WASM={}",
        wasm.display()
    );
}

/// Runs a nested cargo for one plugin package and returns the component's path.
fn build_plugin(plugins: &PathBuf, target_dir: &PathBuf, package: &str) -> PathBuf {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(plugins)
        .args([
            "build",
            "--release",
            "--quiet",
            "--target",
            "wasm32-wasip2",
            "--package",
            package,
        ])
        .arg("--target-dir")
        .arg(target_dir);
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
        .unwrap_or_else(|error| panic!("could not run cargo to build {package}: {error}"));
    if !status.success() {
        panic!(
            "building the {package} plugin for wasm32-wasip2 failed ({status}). \
             Is the target installed? Run: rustup target add wasm32-wasip2"
        );
    }
    let file = format!("{}.wasm", package.replace('-', "_"));
    target_dir.join("wasm32-wasip2/release").join(file)
}
