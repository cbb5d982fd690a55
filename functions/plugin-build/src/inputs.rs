//! What a guest component is built from, summed up, so that a build script run again does not
//! rebuild a component whose inputs have not changed. Cargo runs a build script once for each
//! way it compiles the workspace (clippy, `cargo doc`, the test build), and a JavaScript or
//! Python component takes 5 to 20 seconds to build.
//!
//! The sum is kept beside the component (`<name>.wasm.inputs`), written only after a build
//! succeeded and removed before one starts, so a component left half-written by a failed or
//! interrupted build is never taken for an up-to-date one.

use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// The sum of a component's inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Inputs(String);

impl Inputs {
    /// The tool (its resolved path, size and modification time: installing another version
    /// changes them), each file of `folders` (not their sub-folders) by name and content, and
    /// `settings` (world, module, capabilities). `None` when one of them cannot be read: the
    /// build then runs and says what is wrong.
    pub(crate) fn of(tool: &Path, folders: &[&Path], settings: &[&str]) -> Option<Self> {
        Self::read(tool, folders, settings).ok()
    }

    fn read(tool: &Path, folders: &[&Path], settings: &[&str]) -> io::Result<Self> {
        let mut hasher = DefaultHasher::new();
        let tool = fs::canonicalize(tool)?;
        let metadata = fs::metadata(&tool)?;
        tool.hash(&mut hasher);
        metadata.len().hash(&mut hasher);
        metadata
            .modified()?
            .duration_since(UNIX_EPOCH)
            .map_err(io::Error::other)?
            .hash(&mut hasher);
        for folder in folders {
            let mut files: Vec<PathBuf> = fs::read_dir(folder)?
                .map(|entry| entry.map(|e| e.path()))
                .collect::<io::Result<_>>()?;
            files.retain(|path| path.is_file());
            files.sort();
            for file in files {
                file.hash(&mut hasher);
                fs::read(&file)?.hash(&mut hasher);
            }
        }
        settings.hash(&mut hasher);
        Ok(Self(format!("{:016x}", hasher.finish())))
    }

    /// Whether `out` exists and was built from these inputs.
    pub(crate) fn built(&self, out: &Path) -> bool {
        out.is_file() && fs::read_to_string(record(out)).is_ok_and(|kept| kept == self.0)
    }

    /// Builds `out` with `build` unless it was built from these inputs; `inputs` is `None` when
    /// they could not be read (then it always builds).
    pub(crate) fn build_unless_built<E>(
        inputs: Option<&Self>,
        out: &Path,
        build: impl FnOnce() -> Result<(), E>,
    ) -> Result<(), E> {
        if inputs.is_some_and(|inputs| inputs.built(out)) {
            return Ok(());
        }
        // A failed removal (nothing there) changes nothing; a stale record must not outlive
        // the build that replaces its component.
        let _ = fs::remove_file(record(out));
        build()?;
        if let Some(inputs) = inputs {
            // Without the record the next run builds again: slower, never wrong.
            let _ = fs::write(record(out), &inputs.0);
        }
        Ok(())
    }
}

/// Where the sum of `out`'s inputs is kept.
fn record(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".inputs");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    struct Scratch {
        dir: PathBuf,
        tool: PathBuf,
        source: PathBuf,
        out: PathBuf,
    }

    impl Scratch {
        fn new(name: &str) -> io::Result<Self> {
            let dir = std::env::temp_dir().join(format!(
                "tenure-plugin-build-inputs-{name}-{}",
                std::process::id()
            ));
            let _ = fs::remove_dir_all(&dir);
            let source = dir.join("source");
            fs::create_dir_all(&source)?;
            fs::write(source.join("plugin.js"), "export const mapping = {};")?;
            let tool = dir.join("tool");
            fs::write(&tool, "#!/bin/sh")?;
            let out = dir.join("plugin.wasm");
            Ok(Self {
                dir,
                tool,
                source,
                out,
            })
        }

        /// How many builds a build of the source with `settings` ran (0 or 1).
        fn builds(&self, settings: &[&str]) -> io::Result<usize> {
            let inputs = Inputs::of(&self.tool, &[&self.source], settings);
            let mut count = 0;
            Inputs::build_unless_built(inputs.as_ref(), &self.out, || {
                count += 1;
                fs::write(&self.out, "component")
            })?;
            Ok(count)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }

    #[test]
    fn a_component_is_built_again_only_when_an_input_changed() -> TestResult {
        let s = Scratch::new("changes")?;
        assert_eq!(s.builds(&["plugin"])?, 1, "first build");
        assert_eq!(s.builds(&["plugin"])?, 0, "nothing changed");
        assert_eq!(s.builds(&["plugin-json"])?, 1, "another world");
        fs::write(
            s.source.join("plugin.js"),
            "export const mapping = { x: 1 };",
        )?;
        assert_eq!(s.builds(&["plugin-json"])?, 1, "the source changed");
        fs::write(s.source.join("helper.js"), "export {};")?;
        assert_eq!(s.builds(&["plugin-json"])?, 1, "a file was added");
        fs::write(&s.tool, "#!/bin/sh\n# another version")?;
        assert_eq!(s.builds(&["plugin-json"])?, 1, "the tool changed");
        fs::remove_file(&s.out)?;
        assert_eq!(s.builds(&["plugin-json"])?, 1, "the component is gone");
        assert_eq!(s.builds(&["plugin-json"])?, 0, "nothing changed");
        Ok(())
    }

    #[test]
    fn a_failed_build_leaves_no_record_so_the_next_run_builds_again() -> TestResult {
        let s = Scratch::new("failure")?;
        assert_eq!(s.builds(&["plugin"])?, 1);
        fs::write(s.source.join("plugin.js"), "syntax error")?;
        let inputs = Inputs::of(&s.tool, &[&s.source], &["plugin"]);
        let failed = Inputs::build_unless_built(inputs.as_ref(), &s.out, || {
            fs::write(&s.out, "half a component")?;
            Err(io::Error::other("the tool failed"))
        });
        assert!(failed.is_err());
        // Back to the first build's inputs: its component was overwritten, so it builds.
        fs::write(s.source.join("plugin.js"), "export const mapping = {};")?;
        assert_eq!(s.builds(&["plugin"])?, 1);
        Ok(())
    }

    #[test]
    fn inputs_that_cannot_be_read_always_build() -> TestResult {
        let s = Scratch::new("unreadable")?;
        assert_eq!(
            Inputs::of(&s.dir.join("not-installed"), &[&s.source], &[]),
            None
        );
        let mut count = 0;
        for _ in 0..2 {
            Inputs::build_unless_built(None, &s.out, || {
                count += 1;
                fs::write(&s.out, "component")
            })?;
        }
        assert_eq!(count, 2);
        Ok(())
    }
}
