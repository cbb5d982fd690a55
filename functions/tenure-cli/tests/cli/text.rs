//! The readable summary.

use crate::helpers::plan_samples;

#[test]
fn the_text_plan_groups_workers_and_gives_every_reason() {
    let output = plan_samples(&["--today", "2026-12-01"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    let headings: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with(' ') && l.contains(" ("))
        .collect();
    assert_eq!(
        headings,
        [
            "Joiners (8)",
            "Pre-hires (2)",
            "Movers (4)",
            "Leave (2)",
            "Leavers (3)",
            "Rehires (1)",
            "Unchanged (26)",
            "Quarantined (10)",
            "Guard: allowed (4 of 37 managed users disabled or stripped; limit 10%)"
        ]
    );
    assert!(
        text.contains("  1050 José Müller <jose.muller@contoso.com>"),
        "{text}"
    );
    assert!(
        text.contains("    - disable sign-in: terminated: the last day, 2026-11-30, has ended"),
        "{text}"
    );
    assert!(
        text.lines()
            .filter(|l| l.starts_with("    - "))
            .all(|l| l.contains(": ")),
        "every action has a reason"
    );
}

#[test]
fn the_same_inputs_give_the_same_plan() {
    let a = plan_samples(&["--today", "2026-12-01", "--format", "json"]);
    let b = plan_samples(&["--today", "2026-12-01", "--format", "json"]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn generate_writes_a_company_that_plans_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("synthetic");
    let generated = crate::helpers::tenure()
        .args(["generate", "--workers", "300", "--seed", "3", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(
        generated.status.success(),
        "{}",
        crate::helpers::stderr(&generated)
    );
    assert!(
        String::from_utf8_lossy(&generated.stdout)
            .contains("wrote 300 workers and 300 directory users")
    );
    let planned = crate::helpers::plan(
        &out.join("hr.csv"),
        &out.join("directory.json"),
        &out.join("mapper.json"),
        &["--today", "2026-12-01", "--format", "json"],
    );
    assert!(
        planned.status.success(),
        "{}",
        crate::helpers::stderr(&planned)
    );
    let plan: serde_json::Value = serde_json::from_slice(&planned.stdout).expect("JSON");
    assert_eq!(
        plan["summary"]["workers"], 303,
        "300 plus this week's 3 joiners"
    );
    assert_eq!(plan["summary"]["quarantined"], 0);
    assert_eq!(plan["summary"]["joiners"], 3);
    let unchanged = plan["summary"]["unchanged"].as_u64().unwrap_or_default();
    assert!(
        unchanged > 280,
        "most of a week's company is unchanged: {unchanged}"
    );
}
