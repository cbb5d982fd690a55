//! Where `tenure plugin build` finds the JavaScript, TypeScript and Python tool chains, without
//! any network: in the folder given (`--toolchains` or `TENURE_PLUGIN_TOOLCHAINS`), else in the
//! Tenure checkout the command runs from (`plugins/toolchains/node_modules`, `.venv`, as
//! `scripts/setup test` installs them), else on the `PATH`.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

/// A tool a plugin build runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tool {
    /// componentize-js (npm: @bytecodealliance/componentize-js).
    ComponentizeJs,
    /// tsc (npm: typescript).
    Tsc,
    /// componentize-py (PyPI).
    ComponentizePy,
}

impl Tool {
    fn command(self) -> &'static str {
        match self {
            Self::ComponentizeJs => "componentize-js",
            Self::Tsc => "tsc",
            Self::ComponentizePy => "componentize-py",
        }
    }

    /// How to install it, with the version Tenure's own plugins are built and tested with.
    fn install(self) -> &'static str {
        match self {
            Self::ComponentizeJs => {
                "npm install @bytecodealliance/componentize-js@0.23.0 (in the tool chains folder)"
            }
            Self::Tsc => "npm install typescript@7.0.2 (in the tool chains folder)",
            Self::ComponentizePy => {
                "python3 -m venv .venv && .venv/bin/pip install componentize-py==0.25.1 (in the \
                 tool chains folder)"
            }
        }
    }

    /// Where it is, within a folder of tool chains.
    fn within(self, folder: &Path) -> Vec<PathBuf> {
        let name = self.command();
        match self {
            Self::ComponentizeJs | Self::Tsc => vec![folder.join("node_modules/.bin").join(name)],
            Self::ComponentizePy => vec![
                folder.join("bin").join(name),
                folder.join(".venv/bin").join(name),
            ],
        }
    }
}

/// Where the tool chains are looked for.
#[derive(Debug, Clone)]
pub(crate) struct Toolchains {
    /// The folder given, if any: then only it is searched.
    given: Option<PathBuf>,
}

impl Toolchains {
    pub(crate) fn new(given: Option<PathBuf>) -> Self {
        Self { given }
    }

    /// The tool's path, or an error naming every place looked at and how to install it.
    pub(crate) fn find(&self, tool: Tool) -> Result<PathBuf> {
        let candidates = self.candidates(tool);
        if let Some(found) = candidates.iter().find(|path| path.is_file()) {
            return Ok(found.clone());
        }
        let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        let place = match &self.given {
            Some(folder) => format!("the tool chains folder {}", folder.display()),
            None => "the Tenure checkout's plugins/toolchains and .venv, nor on the PATH (or \
                     give the folder with --toolchains or TENURE_PLUGIN_TOOLCHAINS; in a Tenure \
                     checkout, scripts/setup test installs them)"
                .to_owned(),
        };
        bail!(
            "{} is not installed in {place}: {}. Looked at {}",
            tool.command(),
            tool.install(),
            looked.join(", ")
        )
    }

    fn candidates(&self, tool: Tool) -> Vec<PathBuf> {
        if let Some(folder) = &self.given {
            return tool.within(folder);
        }
        let mut candidates = Vec::new();
        if let Some(root) = checkout() {
            let folder = match tool {
                Tool::ComponentizeJs | Tool::Tsc => root.join("plugins/toolchains"),
                Tool::ComponentizePy => root.clone(),
            };
            candidates.extend(tool.within(&folder));
        }
        if let Some(path) = std::env::var_os("PATH") {
            candidates.extend(std::env::split_paths(&path).map(|dir| dir.join(tool.command())));
        }
        candidates
    }
}

/// The Tenure checkout this binary was built in (`target/<profile>/tenure`) or the current
/// folder is in: the nearest folder above holding `plugins/toolchains/package.json`.
fn checkout() -> Option<PathBuf> {
    let is_checkout = |dir: &Path| dir.join("plugins/toolchains/package.json").is_file();
    let from_exe = std::env::current_exe().ok();
    let from_cwd = std::env::current_dir().ok();
    [from_exe, from_cwd]
        .into_iter()
        .flatten()
        .find_map(|start| {
            start
                .ancestors()
                .find(|dir| is_checkout(dir))
                .map(Path::to_owned)
        })
}
