//! `tenure plugin new` and `tenure plugin build`: a project made from each language's template
//! builds with that language's tool chain (as installed by `scripts/setup test`) and passes its
//! own fixtures out of the box; bad names, folders that are not empty, unknown languages and a
//! missing tool chain are refused, saying what to do.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::helpers::{stderr, tenure};

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `tenure plugin new NAME --lang LANG` in `parent`.
fn new(parent: &Path, name: &str, lang: &str) -> Output {
    tenure()
        .current_dir(parent)
        .args(["plugin", "new", name, "--lang", lang])
        .output()
        .expect("tenure runs")
}

/// `tenure plugin build` in `project`, its state folder in `state`. A Rust project builds
/// offline into a target folder every test run shares (its dependencies are the ones the
/// reference plugins were built with, already downloaded), so only the first run pays for
/// compiling wit-bindgen.
fn build(project: &Path, state: &Path) -> Output {
    tenure()
        .current_dir(project)
        .args(["plugin", "build"])
        .arg("--cache-dir")
        .arg(plugin_artifacts::compile_cache())
        .env("TENURE_STATE_DIR", state)
        .env("CARGO_NET_OFFLINE", "true")
        .env("CARGO_TARGET_DIR", shared_target())
        .env_remove("TENURE_PLUGIN_TOOLCHAINS")
        // The test run's own compiler settings are for the host, not for wasm32-wasip2.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .output()
        .expect("tenure runs")
}

fn shared_target() -> PathBuf {
    plugin_artifacts::compile_cache()
        .parent()
        .map_or_else(std::env::temp_dir, Path::to_owned)
        .join("template-target")
}

/// `tenure plugin test plugin.wasm --fixtures fixtures.json` in `project`.
fn test_fixtures(project: &Path) -> Output {
    tenure()
        .current_dir(project)
        .args([
            "plugin",
            "test",
            "plugin.wasm",
            "--fixtures",
            "fixtures.json",
        ])
        .arg("--cache-dir")
        .arg(plugin_artifacts::compile_cache())
        .output()
        .expect("tenure runs")
}

/// New, build, test: every step succeeds, the build reports the component and the contract,
/// and the template's policy gives exactly the answers its fixtures expect.
fn new_build_and_test(lang: &str, files: &[&str]) {
    let parent = tempfile::tempdir().expect("temp dir");
    let state = tempfile::tempdir().expect("temp dir");
    let made = new(parent.path(), "acme-mapper", lang);
    assert!(made.status.success(), "{}", stderr(&made));
    let project = parent.path().join("acme-mapper");
    for file in files
        .iter()
        .chain(&["wit/mapper.wit", "fixtures.json", "README.md", ".gitignore"])
    {
        assert!(project.join(file).is_file(), "{lang}: no {file}");
    }
    let readme = std::fs::read_to_string(project.join("README.md")).expect("README");
    assert!(
        readme.starts_with("# acme-mapper: a Tenure mapping plugin in "),
        "{readme}"
    );
    assert!(readme.contains("tenure plugin build"), "{readme}");
    assert!(!readme.contains("{{"), "a placeholder was left: {readme}");

    let built = build(&project, state.path());
    let out = stdout(&built);
    assert!(built.status.success(), "{lang}: {out}{}", stderr(&built));
    assert!(out.contains("accepted, as an upload would be"), "{out}");
    assert!(out.contains("exports tenure:mapper/mapping@1.1.0"), "{out}");
    // The interpreted templates map their batches in JSON (contract 1.1); Rust and Python
    // through the typed call.
    let json = matches!(lang, "javascript" | "typescript");
    assert_eq!(
        out.contains("and its JSON batch call"),
        json,
        "{lang}: {out}"
    );
    let size = std::fs::metadata(project.join("plugin.wasm"))
        .expect("plugin.wasm")
        .len();
    assert!(out.contains(&format!("{size} bytes")), "{out}");
    // The trial knows no tenant domain, which the starting policy needs: it says so.
    assert!(
        out.contains("trial: 46 sample workers from Tenure's sample company"),
        "{out}"
    );
    assert!(out.contains("every sample worker was refused"), "{out}");

    let tested = test_fixtures(&project);
    let out = stdout(&tested);
    assert!(tested.status.success(), "{lang}: {out}{}", stderr(&tested));
    assert!(out.contains("4 cases: 4 as expected, 0 different"), "{out}");
}

#[test]
fn a_rust_plugin_from_the_template_builds_and_passes_its_fixtures() {
    new_build_and_test("rust", &["Cargo.toml", "Cargo.lock", "src/lib.rs"]);
}

#[test]
fn a_typescript_plugin_from_the_template_builds_and_passes_its_fixtures() {
    new_build_and_test("typescript", &["plugin.ts", "mapper.d.ts", "tsconfig.json"]);
}

#[test]
fn a_javascript_plugin_from_the_template_builds_and_passes_its_fixtures() {
    new_build_and_test("javascript", &["plugin.js"]);
}

#[test]
fn a_python_plugin_from_the_template_builds_and_passes_its_fixtures() {
    new_build_and_test("python", &["plugin.py"]);
}

#[test]
fn bad_names_folders_in_use_and_unknown_languages_are_refused_with_nothing_written() {
    let parent = tempfile::tempdir().expect("temp dir");
    for bad in ["Acme", "acme_mapper", "1acme", "acme-", "../acme", ""] {
        let output = new(parent.path(), bad, "rust");
        assert_eq!(output.status.code(), Some(1), "{bad}");
        assert!(
            stderr(&output).contains("cannot name a plugin"),
            "{bad}: {}",
            stderr(&output)
        );
    }
    assert_eq!(
        std::fs::read_dir(parent.path()).expect("dir").count(),
        0,
        "a refused name wrote something"
    );

    let used = parent.path().join("used");
    std::fs::create_dir(&used).expect("dir");
    std::fs::write(used.join("notes.txt"), "mine").expect("write");
    let output = new(parent.path(), "used", "typescript");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("already exists and is not empty"),
        "{}",
        stderr(&output)
    );
    let left: Vec<_> = std::fs::read_dir(&used).expect("dir").collect();
    assert_eq!(left.len(), 1, "files were added to a folder in use");
    assert_eq!(
        std::fs::read_to_string(used.join("notes.txt")).expect("read"),
        "mine"
    );

    // An empty folder is fine, also given with --dir.
    let empty = parent.path().join("empty");
    std::fs::create_dir(&empty).expect("dir");
    let output = tenure()
        .current_dir(parent.path())
        .args([
            "plugin", "new", "acme", "--lang", "python", "--dir", "empty",
        ])
        .output()
        .expect("tenure runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(empty.join("plugin.py").is_file());

    let output = new(parent.path(), "acme", "go");
    assert_eq!(output.status.code(), Some(2));
    let error = stderr(&output);
    assert!(
        error.contains("'go'") && error.contains("rust, javascript, typescript, python"),
        "{error}"
    );
    assert!(!parent.path().join("acme").exists());
}

#[test]
fn a_type_error_stops_a_typescript_build_with_tscs_message_and_the_tool_chains_may_be_named() {
    let parent = tempfile::tempdir().expect("temp dir");
    let made = new(parent.path(), "acme", "typescript");
    assert!(made.status.success(), "{}", stderr(&made));
    let project = parent.path().join("acme");
    let source = std::fs::read_to_string(project.join("plugin.ts")).expect("plugin.ts");
    let broken = source.replace("else phase = 'active';", "else phase = 'actve';");
    assert_ne!(broken, source);
    std::fs::write(project.join("plugin.ts"), broken).expect("write");
    // The tool chains named by their folder (here the checkout's, as scripts/setup installs
    // them).
    let toolchains = crate::helpers::samples().join("../plugins/toolchains");
    let output = tenure()
        .args(["plugin", "build"])
        .arg(&project)
        .arg("--toolchains")
        .arg(&toolchains)
        .output()
        .expect("tenure runs");
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let error = stderr(&output);
    assert!(error.contains("`tsc -p tsconfig.json` failed"), "{error}");
    assert!(
        error.contains("plugin.ts") && error.contains("not assignable to type 'Phase'"),
        "{error}"
    );
    assert!(
        !project.join("plugin.wasm").exists(),
        "a component was written"
    );
}

#[test]
fn a_build_without_its_tool_chain_says_what_to_install_and_where_it_looked() {
    let parent = tempfile::tempdir().expect("temp dir");
    let made = new(parent.path(), "acme", "typescript");
    assert!(made.status.success(), "{}", stderr(&made));
    let empty = tempfile::tempdir().expect("temp dir");
    let output = tenure()
        .args(["plugin", "build"])
        .arg(parent.path().join("acme"))
        .arg("--toolchains")
        .arg(empty.path())
        .output()
        .expect("tenure runs");
    assert_eq!(output.status.code(), Some(1));
    let error = stderr(&output);
    assert!(error.contains("tsc is not installed"), "{error}");
    assert!(error.contains("npm install typescript@7.0.2"), "{error}");
    assert!(
        error.contains(
            &empty
                .path()
                .join("node_modules/.bin/tsc")
                .display()
                .to_string()
        ),
        "{error}"
    );

    let output = tenure()
        .args(["plugin", "build"])
        .arg(parent.path())
        .output()
        .expect("tenure runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("is not a plugin project"),
        "{}",
        stderr(&output)
    );
}
