//! `tenure plugin check`: an upload's checks, offline, with an upload's messages.

use std::process::Output;

use tenure::plugin::{PluginHost, SandboxLimits};

use crate::helpers::{stderr, tenure};

/// `tenure plugin check <path>` with a fresh state folder and the test plugins' shared
/// compile cache.
fn check(path: &str, extra: &[&str]) -> Output {
    let state = tempfile::tempdir().expect("temp dir");
    tenure()
        .args(["plugin", "check", path, "--state-dir"])
        .arg(state.path())
        .arg("--cache-dir")
        .arg(plugin_artifacts::compile_cache())
        .args(extra)
        .output()
        .expect("tenure runs")
}

/// What an upload of these bytes answers (its `error`), from the engine's own checks.
fn upload_refusal(path: &str) -> String {
    let host = PluginHost::new(SandboxLimits::default(), None).expect("engine");
    let wasm = plugin_artifacts::read(path).expect("built");
    match tenure::service::plugins::compile(&host, &wasm) {
        Ok(_) => panic!("{path} should be refused"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn the_reference_plugins_pass_with_their_trial_reported() {
    for path in [
        plugin_artifacts::EXAMPLE_RUST,
        plugin_artifacts::EXAMPLE_JS,
        plugin_artifacts::EXAMPLE_PY,
    ] {
        let output = check(path, &[]);
        let out = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{path}: {}", stderr(&output));
        assert!(out.contains("accepted, as an upload would be"), "{out}");
        assert!(out.contains("exports tenure:mapper/mapping@1.1.0"), "{out}");
        assert!(
            out.contains("configuration: not checked (no --connection)"),
            "{out}"
        );
        // The sample company's 46 valid workers; the trial has no tenant domains, which the
        // reference plugins refuse with their own reason.
        assert!(
            out.contains("trial: 46 sample workers from Tenure's sample company"),
            "{out}"
        );
    }
}

#[test]
fn a_forbidden_import_is_refused_with_the_uploads_message() {
    for path in [
        plugin_artifacts::FORBIDDEN_IMPORT,
        plugin_artifacts::HOSTILE_JS_FETCH,
        plugin_artifacts::HOSTILE_PY_SOCKETS,
        plugin_artifacts::WRONG_WORLD,
    ] {
        let output = check(path, &[]);
        assert_eq!(output.status.code(), Some(1), "{path}");
        let expected = upload_refusal(path);
        assert!(
            expected.starts_with("the plugin was refused: "),
            "{expected}"
        );
        assert_eq!(stderr(&output).trim_end(), format!("tenure: {expected}"));
    }
}

#[test]
fn an_unknown_connection_is_named() {
    let output = check(plugin_artifacts::EXAMPLE_RUST, &["--connection", "contoso"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no connection contoso"),
        "{}",
        stderr(&output)
    );
}
