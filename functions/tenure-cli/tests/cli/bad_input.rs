//! Inputs that cannot be used: a clear error naming the file and the fault, exit status 1.

use std::fs;

use crate::helpers::{samples, stderr};

fn plan(
    hr: &std::path::Path,
    directory: &std::path::Path,
    config: &std::path::Path,
) -> std::process::Output {
    crate::helpers::plan(hr, directory, config, &["--today", "2026-12-01"])
}

fn fails_saying(output: &std::process::Output, words: &[&str]) {
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let message = stderr(output);
    for word in words {
        assert!(message.contains(word), "{message:?} should say {word:?}");
    }
    assert!(output.stdout.is_empty(), "no partial plan");
}

#[test]
fn a_missing_hr_file_is_named() {
    let s = samples();
    let output = plan(
        &s.join("nope.csv"),
        &s.join("directory.json"),
        &s.join("mapper.json"),
    );
    fails_saying(&output, &["cannot read HR file", "nope.csv"]);
    let message = stderr(&output);
    let os_error = message.rsplit(": ").next().unwrap_or_default().trim();
    assert_eq!(
        message.matches(os_error).count(),
        1,
        "the cause is said once: {message:?}"
    );
}

#[test]
fn a_broken_snapshot_is_named_with_its_position() {
    let dir = tempfile::tempdir().expect("temp dir");
    let snapshot = dir.path().join("directory.json");
    fs::write(&snapshot, "{\"users\": [}").expect("write");
    let s = samples();
    let output = plan(&s.join("company.csv"), &snapshot, &s.join("mapper.json"));
    fails_saying(
        &output,
        &[
            "directory snapshot",
            "directory.json is not valid",
            "line 1 column",
        ],
    );
}

#[test]
fn a_misspelt_config_key_is_refused_with_its_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("mapper.json");
    fs::write(&config, r#"{"upn_domain": "contoso.com", "rulez": []}"#).expect("write");
    let s = samples();
    let output = plan(&s.join("company.csv"), &s.join("directory.json"), &config);
    fails_saying(
        &output,
        &["the mapping configuration is not valid", "rulez"],
    );
}

#[test]
fn a_config_naming_a_group_the_tenant_lacks_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("mapper.json");
    fs::write(
        &config,
        r#"{"upn_domain": "contoso.com", "rules": [{"when": {}, "security_groups": ["Ghosts"], "licenses": ["E7"]}]}"#,
    )
    .expect("write");
    let s = samples();
    let output = plan(&s.join("company.csv"), &s.join("directory.json"), &config);
    fails_saying(
        &output,
        &[
            "no security group named \"Ghosts\"",
            "license \"E7\" is not one of the tenant's subscribed SKUs",
        ],
    );
}

#[test]
fn a_upn_domain_the_tenant_has_not_verified_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("mapper.json");
    fs::write(&config, r#"{"upn_domain": "fabrikam.com"}"#).expect("write");
    let s = samples();
    let output = plan(&s.join("company.csv"), &s.join("directory.json"), &config);
    fails_saying(&output, &["fabrikam.com"]);
}

#[test]
fn a_bad_today_is_a_usage_error() {
    let output = crate::helpers::plan_samples(&["--today", "tomorrow"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("neither a date (YYYY-MM-DD) nor an instant"));
}
