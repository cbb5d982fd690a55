//! For build scripts: compiles packages of the `plugins/` workspace for `wasm32-wasip2` with a
//! nested cargo, and says where the components are. The engine embeds the standard mapper this
//! way; the test suite builds its hostile plugins and the reference plugins this way, those in
//! JavaScript and Python with the tool chains of [`guest`].

pub mod guest;
mod inputs;

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use guest::{Capabilities, GuestBuildError};
use inputs::Inputs;

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

    /// componentize-js as `scripts/setup test` installs it (`plugins/toolchains`).
    pub fn componentize_js_tool(&self) -> PathBuf {
        self.plugins
            .join("toolchains/node_modules/.bin/componentize-js")
    }

    /// componentize-py as `scripts/setup test` installs it (`.venv/` at the repository root).
    pub fn componentize_py_tool(&self) -> PathBuf {
        self.plugins.join("../.venv/bin/componentize-py")
    }

    /// Tells cargo to run the build script again when a guest tool chain is installed or
    /// changes.
    pub fn watch_guest_tools(&self) {
        for tool in [self.componentize_js_tool(), self.componentize_py_tool()] {
            println!("cargo::rerun-if-changed={}", tool.display());
        }
    }

    /// Builds the JavaScript plugin `source` (a path under `plugins/`) with componentize-js
    /// for the world `world` of the contract `wit` (a path under `plugins/`, such as
    /// `wit/mapper.wit`) into `<target>/plugins/guests/<name>.wasm`, and returns that path. A
    /// component built from the same inputs is kept (see the `inputs` module).
    pub fn build_javascript(
        &self,
        source: &str,
        (wit, world): (&str, &str),
        name: &str,
        capabilities: Capabilities,
    ) -> Result<PathBuf, GuestBuildError> {
        let out = self.guest_component(name);
        let (tool, source, wit) = (
            self.componentize_js_tool(),
            self.plugins.join(source),
            self.plugins.join(wit),
        );
        let inputs = Inputs::of(
            &tool,
            &[parent(&source), parent(&wit)],
            &[world, capabilities.name()],
        );
        Inputs::build_unless_built(inputs.as_ref(), &out, || {
            guest::componentize_js(&tool, &source, (&wit, world), &out, capabilities)
        })?;
        Ok(out)
    }

    /// Builds the Python plugin `module` of the folder `dir` (a path under `plugins/`) with
    /// componentize-py into `<target>/plugins/guests/<name>.wasm`, and returns that path. A
    /// component built from the same inputs is kept.
    pub fn build_python(
        &self,
        dir: &str,
        module: &str,
        name: &str,
        capabilities: Capabilities,
    ) -> Result<PathBuf, GuestBuildError> {
        let out = self.guest_component(name);
        let (tool, dir, wit) = (
            self.componentize_py_tool(),
            self.plugins.join(dir),
            self.plugins.join("wit/mapper.wit"),
        );
        let inputs = Inputs::of(&tool, &[&dir, parent(&wit)], &[module, capabilities.name()]);
        let scratch = self.target_dir.join("guests").join(format!("{name}.src"));
        Inputs::build_unless_built(inputs.as_ref(), &out, || {
            guest::componentize_py(&tool, &dir, module, &wit, &out, &scratch, capabilities)
        })?;
        Ok(out)
    }

    /// Where [`Self::build_javascript`] and [`Self::build_python`] put the component `name`
    /// (the folder is made if need be).
    pub fn guest_component(&self, name: &str) -> PathBuf {
        let dir = self.target_dir.join("guests");
        // A failure shows when the tool writes there.
        let _ = std::fs::create_dir_all(&dir);
        dir.join(format!("{name}.wasm"))
    }

    fn component(&self, package: &str) -> PathBuf {
        Path::new(&self.target_dir)
            .join("wasm32-wasip2/release")
            .join(format!("{}.wasm", package.replace('-', "_")))
    }
}

/// The folder a file is in (itself for a path without one).
fn parent(file: &Path) -> &Path {
    file.parent().unwrap_or(file)
}
