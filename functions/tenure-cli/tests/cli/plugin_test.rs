//! `tenure plugin test`: the reference plugins against their fixtures, a difference shown as a
//! diff, and `--update`.

use std::path::Path;
use std::process::Output;

use crate::helpers::{samples, stderr, tenure};

fn fixtures() -> std::path::PathBuf {
    samples().join("../plugins/examples/fixtures.json")
}

fn test(plugin: &str, fixtures: &Path, extra: &[&str]) -> Output {
    tenure()
        .args(["plugin", "test", plugin, "--fixtures"])
        .arg(fixtures)
        .arg("--cache-dir")
        .arg(plugin_artifacts::compile_cache())
        .args(extra)
        .output()
        .expect("tenure runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_three_reference_plugins_answer_as_their_fixtures_expect() {
    for plugin in [
        plugin_artifacts::EXAMPLE_RUST,
        plugin_artifacts::EXAMPLE_JS,
        plugin_artifacts::EXAMPLE_PY,
    ] {
        let output = test(plugin, &fixtures(), &[]);
        let out = stdout(&output);
        assert!(
            output.status.success(),
            "{plugin}: {out}{}",
            stderr(&output)
        );
        assert!(out.contains("4 cases: 4 as expected, 0 different"), "{out}");
    }
}

#[test]
fn a_difference_is_a_diff_and_a_failure_and_update_takes_the_answer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fixtures.json");
    let committed = std::fs::read_to_string(fixtures()).expect("fixtures");
    let wrong = committed.replace(
        "\"c-ahmed.saleh@contoso.com\"",
        "\"ahmed.saleh@contoso.com\"",
    );
    assert_ne!(wrong, committed);
    std::fs::write(&path, &wrong).expect("write");

    let output = test(plugin_artifacts::EXAMPLE_JS, &path, &[]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("DIFFERENT  1056"), "{out}");
    let line = |tag: &str, upn: &str| {
        out.lines().any(|line| {
            line.strip_prefix(tag).map(str::trim)
                == Some(&format!("\"user_principal_name\": \"{upn}\","))
        })
    };
    assert!(line("  - ", "ahmed.saleh@contoso.com"), "{out}");
    assert!(line("  + ", "c-ahmed.saleh@contoso.com"), "{out}");
    assert!(out.contains("4 cases: 3 as expected, 1 different"), "{out}");

    let output = test(plugin_artifacts::EXAMPLE_JS, &path, &["--update"]);
    assert!(output.status.success(), "{}", stdout(&output));
    let updated = std::fs::read_to_string(&path).expect("fixtures");
    assert!(
        updated.contains("\"c-ahmed.saleh@contoso.com\""),
        "{updated}"
    );
    let output = test(plugin_artifacts::EXAMPLE_JS, &path, &[]);
    assert!(output.status.success(), "{}", stdout(&output));
}

#[test]
fn a_case_whose_worker_is_not_valid_hr_data_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fixtures.json");
    std::fs::write(
        &path,
        r#"{"today": "2026-12-01", "cases": [{"worker": {"employee_id": "7", "employment_status": "active", "country": "Germany"}}]}"#,
    )
    .expect("write");
    let output = test(plugin_artifacts::EXAMPLE_RUST, &path, &[]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("the worker 7 is not valid HR data"),
        "{message}"
    );
    assert!(message.contains("Germany"), "{message}");
}
