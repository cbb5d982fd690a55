//! The guard refuses mass changes unless allowed, and says why.

use std::fs;

use crate::helpers::{samples, stderr};

/// Today's sample HR file with everybody terminated.
pub(crate) fn everyone_leaves(dir: &std::path::Path) -> std::path::PathBuf {
    let text = fs::read_to_string(samples().join("company.csv")).expect("samples");
    let rows: Vec<String> = text
        .lines()
        .map(|l| {
            l.replace(",active,", ",terminated,")
                .replace(",leave,", ",terminated,")
        })
        .collect();
    let path = dir.join("everyone-leaves.csv");
    fs::write(&path, rows.join("\n")).expect("temp file");
    path
}

fn plan(hr: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let s = samples();
    let mut args = vec!["--today", "2026-12-01"];
    args.extend_from_slice(extra);
    crate::helpers::plan(hr, &s.join("directory.json"), &s.join("mapper.json"), &args)
}

#[test]
fn a_plan_that_disables_most_people_is_refused_with_exit_status_3() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = plan(&everyone_leaves(dir.path()), &[]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("Guard: REFUSED"), "{text}");
    assert!(
        text.contains("check the HR data, then allow it explicitly (--allow-mass-changes)"),
        "{text}"
    );
}

#[test]
fn the_operator_can_allow_it_or_raise_the_share() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hr = everyone_leaves(dir.path());
    assert_eq!(plan(&hr, &["--allow-mass-changes"]).status.code(), Some(0));
    assert_eq!(
        plan(&hr, &["--max-disable-share", "100%"]).status.code(),
        Some(0)
    );
    let bad = plan(&hr, &["--max-disable-share", "lots"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("is not a share between 0 and 1"),
        "{}",
        stderr(&bad)
    );
}
