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

#[test]
fn without_the_address_space_for_the_instance_pool_the_plan_is_made_with_fresh_instances() {
    // The pool reserves at least sixteen memories of 4 GiB; 24 GiB of address space leaves room
    // for fresh instances, made one or two at a time for the samples, and not for the pool.
    let s = crate::helpers::samples();
    let mut limited = std::process::Command::new("sh");
    limited
        .arg("-c")
        .arg("ulimit -v 25165824 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_tenure"))
        .arg("plan")
        .arg("--hr")
        .arg(s.join("company.csv"))
        .arg("--directory")
        .arg(s.join("directory.json"))
        .arg("--config")
        .arg(s.join("mapper.json"))
        .args(["--today", "2026-12-01", "--format", "json"])
        .env(
            "TENURE_CACHE_DIR",
            std::env::temp_dir().join(format!("tenure-cli-tests-{}", std::process::id())),
        );
    let limited = limited.output().expect("sh runs");
    assert!(limited.status.success(), "stderr: {}", stderr(&limited));
    let unlimited = plan_samples(&["--today", "2026-12-01", "--format", "json"]);
    assert!(unlimited.status.success(), "stderr: {}", stderr(&unlimited));
    assert_eq!(limited.stdout, unlimited.stdout);
}
