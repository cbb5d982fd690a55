//! For build scripts: compiles packages of the `plugins/` workspace for `wasm32-wasip2` with a
//! nested cargo, and says where the components are. The engine embeds the standard mapper this
//! way; the test suite builds its hostile plugins this way.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The `plugins/` workspace as seen from a build script of this repository.
#[derive(Debug, Clone)]
pub struct PluginWorkspace {
    plugins: PathBuf,
    target_dir: PathBuf,
}

impl PluginWorkspace {
    /// The workspace for the crate whose build script is running; `CARGO_MANIFEST_DIR` must be
    /// two folders below the repository root. Components go to `<target>/plugins`.
    pub fn from_build_script() -> Self {
        let manifest_dir = PathBuf::from(
            env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
        );
        let root = manifest_dir.join("../..");
        let target_dir = env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"))
            .join("plugins");
        Self {
            plugins: root.join("plugins"),
            target_dir,
        }
    }

    /// Tells cargo to run the build script again when these paths under `plugins/` change.
    pub fn watch(&self, paths: &[&str]) {
        for path in paths {
            println!(
                "cargo::rerun-if-changed={}",
                self.plugins.join(path).display()
            );
        }
    }

    /// Builds the packages in release mode for `wasm32-wasip2` and returns each component's
    /// path, in the order given. Panics with advice when the build fails: a build script can
    /// only stop.
    pub fn build(&self, packages: &[&str]) -> Vec<PathBuf> {
        let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .current_dir(&self.plugins)
            .args(["build", "--release", "--quiet", "--target", "wasm32-wasip2"])
            .arg("--target-dir")
            .arg(&self.target_dir);
        for package in packages {
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
        let status = command.status().unwrap_or_else(|error| {
            panic!(
                "could not run cargo to build {}: {error}",
                packages.join(", ")
            )
        });
        if !status.success() {
            panic!(
                "building {} for wasm32-wasip2 failed ({status}). \
                 Is the target installed? Run: rustup target add wasm32-wasip2",
                packages.join(", ")
            );
        }
        packages.iter().map(|p| self.component(p)).collect()
    }

    fn component(&self, package: &str) -> PathBuf {
        Path::new(&self.target_dir)
            .join("wasm32-wasip2/release")
            .join(format!("{}.wasm", package.replace('-', "_")))
    }
}
