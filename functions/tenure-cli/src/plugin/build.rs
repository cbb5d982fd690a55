//! `tenure plugin build`: a plugin project built with its language's own tool chain, with
//! nothing the sandbox refuses (componentize-js without HTTP, fetch and stdio; componentize-py
//! with WASI stubbed), the way Tenure builds its own reference plugins
//! (`tenure_plugin_build::guest`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use tenure_plugin_build::guest::{self, Capabilities};

use super::toolchains::{Tool, Toolchains};
use crate::args::PluginLanguage;

/// The contract, where `tenure plugin new` puts it.
const WIT: &str = "wit/mapper.wit";

/// The language of the project in `dir`, known by its files.
pub(crate) fn language_of(dir: &Path) -> Result<PluginLanguage> {
    let has = |file: &str| dir.join(file).is_file();
    Ok(if has("Cargo.toml") {
        PluginLanguage::Rust
    } else if has("tsconfig.json") {
        PluginLanguage::Typescript
    } else if has("plugin.js") {
        PluginLanguage::Javascript
    } else if has("plugin.py") {
        PluginLanguage::Python
    } else {
        bail!(
            "{} is not a plugin project: it has no Cargo.toml (Rust), tsconfig.json \
             (TypeScript), plugin.js (JavaScript) or plugin.py (Python); start one with \
             tenure plugin new",
            dir.display()
        )
    })
}

/// Builds the project in `dir` into `out`.
pub(crate) fn build(
    dir: &Path,
    language: PluginLanguage,
    toolchains: &Toolchains,
    out: &Path,
) -> Result<()> {
    let wit = dir.join(WIT);
    if language != PluginLanguage::Rust && !wit.is_file() {
        bail!(
            "{} is missing: the contract the plugin is built against (tenure plugin new puts it \
             there; it is plugins/wit/mapper.wit in Tenure's repository)",
            wit.display()
        );
    }
    match language {
        PluginLanguage::Rust => rust(dir, out),
        PluginLanguage::Javascript => javascript(toolchains, &dir.join("plugin.js"), &wit, out),
        PluginLanguage::Typescript => {
            let tsc = toolchains.find(Tool::Tsc)?;
            let mut command = Command::new(&tsc);
            command.current_dir(dir).args(["-p", "tsconfig.json"]);
            run(command, "tsc -p tsconfig.json")?;
            javascript(toolchains, &dir.join("build/plugin.js"), &wit, out)
        }
        PluginLanguage::Python => {
            let tool = toolchains.find(Tool::ComponentizePy)?;
            guest::componentize_py(
                &tool,
                dir,
                "plugin",
                &wit,
                out,
                &dir.join("build/python"),
                Capabilities::Sandboxed,
            )
            .map_err(anyhow::Error::from)
        }
    }
}

fn javascript(toolchains: &Toolchains, source: &Path, wit: &Path, out: &Path) -> Result<()> {
    let tool = toolchains.find(Tool::ComponentizeJs)?;
    guest::componentize_js(
        &tool,
        source,
        (wit, javascript_world(wit)?),
        out,
        Capabilities::Sandboxed,
    )
    .map_err(anyhow::Error::from)
}

/// The world a JavaScript project is built for: `plugin-json` (its batches in JSON, contract
/// 1.1) when its copy of the contract has it, as projects made by this `tenure plugin new` do;
/// `plugin` for a project made before 1.1, whose `plugin.js` exports only `mapping`.
fn javascript_world(wit: &Path) -> Result<&'static str> {
    let text =
        std::fs::read_to_string(wit).with_context(|| format!("reading {}", wit.display()))?;
    let json = text.lines().any(|line| {
        line.trim_start()
            .starts_with(&format!("world {} ", guest::WORLD_JSON))
    });
    Ok(if json {
        guest::WORLD_JSON
    } else {
        guest::WORLD
    })
}

/// `cargo build --release --target wasm32-wasip2` in `dir`, its messages on stderr as usual,
/// then the package's `.wasm` copied to `out`.
fn rust(dir: &Path, out: &Path) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(dir)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--message-format=json-render-diagnostics",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let output = command
        .output()
        .context("cannot run cargo: is Rust installed (rustup.rs)?")?;
    if !output.status.success() {
        bail!(
            "cargo build --release --target wasm32-wasip2 failed ({}); its messages are above. \
             If the target is missing: rustup target add wasm32-wasip2",
            output.status
        );
    }
    let component = wasm_artifact(&output.stdout).with_context(|| {
        format!(
            "cargo built no .wasm in {}: is the package a cdylib ([lib] crate-type = \
             [\"cdylib\"])?",
            dir.display()
        )
    })?;
    std::fs::copy(&component, out)
        .with_context(|| format!("cannot copy {} to {}", component.display(), out.display()))?;
    Ok(())
}

/// The last `.wasm` file among cargo's `compiler-artifact` messages (the package's own
/// library is built last).
fn wasm_artifact(messages: &[u8]) -> Option<PathBuf> {
    String::from_utf8_lossy(messages)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .flat_map(|message| {
            message["filenames"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|name| name.as_str().map(PathBuf::from))
                .collect::<Vec<_>>()
        })
        .rfind(|path| path.extension().is_some_and(|ext| ext == "wasm"))
}

/// Runs a tool, its output shown only when it fails.
fn run(mut command: Command, line: &str) -> Result<()> {
    let output = command
        .output()
        .with_context(|| format!("cannot run {line}"))?;
    if output.status.success() {
        return Ok(());
    }
    bail!(
        "`{line}` failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_component_is_the_last_wasm_cargo_names() {
        let messages = br#"{"reason":"compiler-artifact","filenames":["/t/release/deps/libserde.rlib"]}
{"reason":"compiler-message","message":{}}
{"reason":"compiler-artifact","filenames":["/t/wasm32-wasip2/release/acme_mapper.wasm","/t/wasm32-wasip2/release/acme_mapper.d"]}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            wasm_artifact(messages),
            Some(PathBuf::from("/t/wasm32-wasip2/release/acme_mapper.wasm"))
        );
        assert_eq!(wasm_artifact(b"{\"reason\":\"build-finished\"}"), None);
    }
}
