//! Running `tenure` on the sample data and reading its JSON plan.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

pub(crate) fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samplesdata")
}

pub(crate) fn tenure() -> Command {
    let mut command = Command::cargo_bin("tenure").expect("the tenure binary is built");
    // Each test run compiles the plugin into its own cache, so tests never share files.
    let cache = std::env::temp_dir().join(format!("tenure-cli-tests-{}", std::process::id()));
    command.env("TENURE_CACHE_DIR", cache);
    command
}

/// The `tenure` binary as a plain process: the test run's own plugin cache, and none of the
/// Tenure credentials the environment running the tests may hold.
pub(crate) fn tenure_process() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tenure"));
    let cache = std::env::temp_dir().join(format!("tenure-cli-tests-{}", std::process::id()));
    command
        .env("TENURE_CACHE_DIR", cache)
        .env_remove("TENURE_CLIENT_SECRET")
        .env_remove("TENURE_APP_CLIENT_ID")
        .env_remove("TENURE_APP_CLIENT_SECRET")
        .env_remove("TENURE_EMULATOR_CLIENT_SECRET");
    command
}

/// Runs `command` off the async runtime, so that a server the test runs keeps answering.
pub(crate) async fn run(mut command: std::process::Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("tenure runs"))
        .await
        .expect("joins")
}

/// `tenure plan` on these files with extra arguments; returns the process output.
pub(crate) fn plan(hr: &Path, directory: &Path, config: &Path, extra: &[&str]) -> Output {
    tenure()
        .arg("plan")
        .arg("--hr")
        .arg(hr)
        .arg("--directory")
        .arg(directory)
        .arg("--config")
        .arg(config)
        .args(extra)
        .output()
        .expect("tenure runs")
}

/// `tenure plan` on the samples with extra arguments.
pub(crate) fn plan_samples(extra: &[&str]) -> Output {
    let s = samples();
    plan(
        &s.join("company.csv"),
        &s.join("directory.json"),
        &s.join("mapper.json"),
        extra,
    )
}

/// The JSON plan of the samples for a given `--today`.
pub(crate) fn sample_plan(today: &str) -> Value {
    let output = plan_samples(&["--format", "json", "--today", today]);
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the plan is JSON")
}

pub(crate) fn worker<'a>(plan: &'a Value, employee_id: &str) -> &'a Value {
    plan["workers"]
        .as_array()
        .and_then(|ws| ws.iter().find(|w| w["employee_id"] == employee_id))
        .unwrap_or_else(|| panic!("employee {employee_id} is in the plan"))
}

pub(crate) fn kinds(worker: &Value) -> Vec<String> {
    worker["actions"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x["kind"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn groups(worker: &Value, kind: &str) -> Vec<String> {
    worker["actions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|x| x["kind"] == kind)
                .map(|x| x["group"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every file under a folder, recursively.
pub(crate) use tenure_test_support::files::under as files;
