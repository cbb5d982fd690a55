//! A sandbox for `tenure sync`: the emulated tenant holding the sample directory, a state
//! folder, and the reference end state the samples must reach.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use tenure::directory::Snapshot;
use tenure::plan::Plan;
use tenure_emulator::{EmulatedTenant, Faults, TenantConfig};

use crate::helpers::{plan, run, samples, tenure_process};

/// The client secret the emulated tenant accepts; tests check it is never printed.
pub(crate) const SECRET: &str = "sync-test-secret-Zq8v1";
pub(crate) const CLIENT: &str = "tenure-sync-tests";
pub(crate) const TODAY: &str = "2026-12-01";

pub(crate) struct Sandbox {
    pub(crate) tenant: EmulatedTenant,
    pub(crate) dir: tempfile::TempDir,
}

impl Sandbox {
    /// The sample tenant, with the given faults (seeded).
    pub(crate) async fn start(faults: Faults, seed: u64) -> Sandbox {
        Self::configured(|config| config.with_faults(faults, seed)).await
    }

    /// The sample tenant, configured further by `configure`.
    pub(crate) async fn configured(
        configure: impl FnOnce(TenantConfig) -> TenantConfig,
    ) -> Sandbox {
        let directory = Snapshot::read(&samples().join("directory.json")).expect("sample tenant");
        let config = configure(TenantConfig::new(directory).with_client_secret(CLIENT, SECRET));
        Sandbox {
            tenant: EmulatedTenant::start(config).await.expect("tenant starts"),
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub(crate) fn audit(&self) -> PathBuf {
        self.dir.path().join("audit.jsonl")
    }

    /// The `tenure sync` command on the samples against this tenant.
    pub(crate) fn command(&self, extra: &[&str]) -> std::process::Command {
        self.command_for(&samples().join("company.csv"), extra)
    }

    /// The `tenure sync` command on this HR file against this tenant.
    pub(crate) fn command_for(&self, hr: &Path, extra: &[&str]) -> std::process::Command {
        self.command_on(hr, TODAY, extra)
    }

    /// The `tenure sync` command on this HR file for this `--today` against this tenant.
    pub(crate) fn command_on(
        &self,
        hr: &Path,
        today: &str,
        extra: &[&str],
    ) -> std::process::Command {
        self.command_configured(hr, today, &samples().join("mapper.json"), extra)
    }

    /// The `tenure sync` command on this HR file for this `--today` with this mapping
    /// configuration against this tenant.
    pub(crate) fn command_configured(
        &self,
        hr: &Path,
        today: &str,
        config: &Path,
        extra: &[&str],
    ) -> std::process::Command {
        let mut command = tenure_process();
        command
            .arg("sync")
            .arg("--hr")
            .arg(hr)
            .arg("--config")
            .arg(config)
            .args(["--today", today, "--tenant", self.tenant.tenant_id()])
            .args(["--client-id", CLIENT, "--endpoint", &self.tenant.uri()])
            .args(["--exchange-anchor", "admin@contoso.com"])
            .arg("--audit")
            .arg(self.audit())
            .arg("--state-dir")
            .arg(self.dir.path())
            .args(extra)
            .env("TENURE_CLIENT_SECRET", SECRET);
        command
    }

    /// Runs `tenure sync` (off the runtime, so the tenant keeps answering).
    pub(crate) async fn sync(&self, extra: &[&str]) -> Output {
        run(self.command(extra)).await
    }

    /// `tenure <args>` with the sandbox's state folder (`--state-dir`).
    pub(crate) fn tenure(&self, args: &[&str]) -> std::process::Command {
        let mut command = tenure_process();
        command
            .args(args)
            .arg("--state-dir")
            .arg(self.dir.path().join("state"));
        command
    }

    /// The arguments of `tenure connect customer-app` connecting this tenant (at `uri`) as
    /// connection `id`, its client secret read from `CUSTOMER_APP_SECRET`.
    pub(crate) fn connect_args<'a>(&'a self, id: &'a str, uri: &'a str) -> Vec<&'a str> {
        vec![
            "connect",
            "customer-app",
            "--id",
            id,
            "--tenant",
            self.tenant.tenant_id(),
            "--client-id",
            CLIENT,
            "--endpoint",
            uri,
            "--exchange-anchor",
            "admin@contoso.com",
            "--client-secret-env",
            "CUSTOMER_APP_SECRET",
        ]
    }

    /// Syncs until a run has nothing left to apply; returns the outputs of every run.
    pub(crate) async fn sync_until_done(&self, most: usize) -> Vec<Output> {
        let mut outputs = Vec::new();
        for _ in 0..most {
            let output = self.sync(&[]).await;
            let done = stdout(&output).contains("Nothing to apply");
            outputs.push(output);
            if done {
                return outputs;
            }
        }
        panic!(
            "still changing after {most} syncs; last:\n{}\n{}",
            stdout(&outputs[most - 1]),
            crate::helpers::stderr(&outputs[most - 1])
        );
    }
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Where the sample company must end: the sample tenant with the plans applied in memory (the
/// engine's reference semantics) until nothing is left to do.
pub(crate) fn reference_end_state() -> Snapshot {
    reference_end_state_on(TODAY)
}

/// [`reference_end_state`] for another `--today`.
pub(crate) fn reference_end_state_on(today: &str) -> Snapshot {
    let s = samples();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut directory = Snapshot::read(&s.join("directory.json")).expect("sample tenant");
    for round in 0..5 {
        let file = dir.path().join(format!("directory-{round}.json"));
        std::fs::write(&file, serde_json::to_vec(&directory).expect("json")).expect("writes");
        let output = plan(
            &s.join("company.csv"),
            &file,
            &s.join("mapper.json"),
            &["--format", "json", "--today", today],
        );
        assert!(
            output.status.success(),
            "{}",
            crate::helpers::stderr(&output)
        );
        let plan: Plan = serde_json::from_slice(&output.stdout).expect("plan JSON");
        if plan.is_empty() {
            return directory;
        }
        directory
            .apply_plan(&plan, &mut |id| format!("reference-{id}"))
            .expect("the plan applies in memory");
    }
    panic!("the reference never converges");
}

/// A snapshot as comparable JSON: every object id replaced by a stable name (a user's UPN, a
/// group's display name), every list sorted. Two tenants that differ only in the ids they gave
/// new users compare equal.
pub(crate) fn comparable(snapshot: &Snapshot) -> Value {
    let mut names: Vec<(String, String)> = snapshot
        .users
        .iter()
        .map(|u| (u.id.to_string(), format!("user:{}", u.user_principal_name)))
        .collect();
    names.extend(
        snapshot
            .groups
            .iter()
            .map(|g| (g.id.clone(), format!("group:{}", g.display_name))),
    );
    let mut value = serde_json::to_value(snapshot).expect("json");
    rename(&mut value, &names);
    value
}

fn rename(value: &mut Value, names: &[(String, String)]) {
    match value {
        Value::String(s) => {
            if let Some((_, name)) = names.iter().find(|(id, _)| id == s) {
                *s = name.clone();
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                rename(item, names);
            }
            items.sort_by_key(|item| item.to_string());
        }
        Value::Object(map) => {
            for item in map.values_mut() {
                rename(item, names);
            }
        }
        _ => {}
    }
}

/// Asserts two snapshots are the same tenant (see [`comparable`]), naming what differs.
pub(crate) fn assert_same_tenant(live: &Snapshot, expected: &Snapshot) {
    let mut differences = Vec::new();
    diff(
        "",
        &comparable(live),
        &comparable(expected),
        &mut differences,
    );
    assert!(
        differences.is_empty(),
        "the tenant differs from the expected end state:\n{}",
        differences.join("\n")
    );
}

fn diff(path: &str, live: &Value, expected: &Value, out: &mut Vec<String>) {
    match (live, expected) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
                let (x, y) = (
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                );
                diff(&format!("{path}/{key}"), x, y, out);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let name = x
                    .get("userPrincipalName")
                    .or_else(|| x.get("displayName"))
                    .and_then(Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_owned);
                diff(&format!("{path}/{name}"), x, y, out);
            }
        }
        (a, b) if a != b => out.push(format!("  {path}: live {a} expected {b}")),
        _ => {}
    }
}

/// How many users carry each employee id more than once.
pub(crate) fn duplicates(snapshot: &Snapshot) -> Vec<String> {
    let mut ids: Vec<&str> = snapshot
        .users
        .iter()
        .filter_map(|u| u.employee_id.as_deref())
        .collect();
    ids.sort_unstable();
    let mut twice: Vec<String> = ids
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0].to_owned())
        .collect();
    twice.dedup();
    twice
}

/// The audit trail's records.
pub(crate) fn audit_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("each audit line is JSON"))
        .collect()
}
