//! `--plugin`: a customer's own component, and one that must be refused.

use crate::helpers::{plan_samples, stderr};

fn plan_with(plugin: &std::path::Path) -> std::process::Output {
    let plugin = plugin.to_string_lossy();
    plan_samples(&[
        "--today",
        "2026-12-01",
        "--format",
        "json",
        "--plugin",
        &plugin,
    ])
}

#[test]
fn a_plugin_of_the_wrong_contract_is_refused_by_name() {
    let output = plan_with(std::path::Path::new(plugin_artifacts::WRONG_WORLD));
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("cannot be used"), "{message}");
    assert!(message.contains("tenure:mapper/mapping@1"), "{message}");
}

#[test]
fn garbage_instead_of_a_plugin_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("plugin.wasm");
    std::fs::write(&path, b"MZ not wasm at all").expect("write");
    let output = plan_with(&path);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("plugin.wasm cannot be used"),
        "{}",
        stderr(&output)
    );
}
