//! `tenure plugin test`: HR rows through a plugin, each answer compared with the one the
//! fixtures file expects.
//!
//! A fixtures file is JSON:
//!
//! ```json
//! {
//!   "today": "2026-12-01",
//!   "domains": ["contoso.com"],
//!   "config": {},
//!   "cases": [
//!     {
//!       "worker": { "employee_id": "1056", "first_name": "Ahmed", "last_name": "Saleh", "employment_type": "contractor" },
//!       "has_account": false,
//!       "expected": { "desired": { "phase": "active", "account": { … } } }
//!     }
//!   ]
//! }
//! ```
//!
//! `worker` is an HR record as in an HR JSON file (read and checked by Tenure's own HR reader);
//! `expected` is `{"desired": …}` (a desired state as Tenure reads it from the plugin),
//! `{"refused": {"field", "message"}}` (the plugin's own refusal) or `{"failed": "…"}` (any
//! other failure, by its message). `--update` writes what the plugin answers into `expected`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tenure::desired::{DesiredState, MappingError};
use tenure::plugin::{MapItem, Plugin, PluginError};
use tenure::today::Today;

/// A fixtures file.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Fixtures {
    /// The date (YYYY-MM-DD) or instant the workers are mapped on, in each worker's zone.
    today: String,
    /// The tenant's verified domains.
    #[serde(default)]
    domains: Vec<String>,
    /// The plugin's configuration.
    #[serde(default = "empty_object")]
    config: Value,
    cases: Vec<Case>,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

#[derive(Debug, Serialize, Deserialize)]
struct Case {
    worker: Value,
    #[serde(default)]
    has_account: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expected: Option<Outcome>,
}

/// What the plugin answered for one worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    Desired(DesiredState),
    Refused(MappingError),
    Failed(String),
}

impl Outcome {
    fn of(result: Result<DesiredState, PluginError>) -> Self {
        match result {
            Ok(state) => Self::Desired(state),
            Err(PluginError::Refused(refusal)) => Self::Refused(refusal),
            Err(error) => Self::Failed(error.to_string()),
        }
    }
}

/// The result of running the fixtures: the text to print and whether every case matched.
pub(crate) struct Report {
    pub(crate) text: String,
    pub(crate) all_matched: bool,
}

/// Reads the fixtures, maps their workers with `plugin` and compares; with `update`, writes
/// the answers back as the expectations.
pub(crate) fn run(plugin: &Plugin, path: &Path, update: bool) -> Result<Report> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read fixtures {}", path.display()))?;
    let mut fixtures: Fixtures = serde_json::from_str(&text)
        .with_context(|| format!("fixtures {} are not valid", path.display()))?;
    let today = Today::parse(&fixtures.today)
        .with_context(|| format!("fixtures {}: today", path.display()))?;
    let records: Vec<Value> = fixtures
        .cases
        .iter()
        .map(|case| case.worker.clone())
        .collect();
    let file: Arc<str> = format!("{} (cases)", path.display()).into();
    let hr = tenure::hr::read_json(&serde_json::to_vec(&records)?, file)?;
    if let Some(bad) = hr.quarantined.first() {
        bail!(
            "fixtures {}: the worker {} is not valid HR data: {} (a manager must be one of the \
             cases' workers too)",
            path.display(),
            bad.employee_id
                .as_deref()
                .unwrap_or("without an employee_id"),
            bad.reason
        );
    }
    // The HR reader may order workers (managers first); each case is found by employee id.
    let case_of = |id: &str| {
        fixtures
            .cases
            .iter()
            .position(|case| case.worker.get("employee_id").and_then(Value::as_str) == Some(id))
    };
    let mut order = Vec::with_capacity(hr.workers.len());
    for sourced in &hr.workers {
        let id = sourced.worker.employee_id.as_str();
        let Some(index) = case_of(id) else {
            bail!("fixtures {}: no case has the worker {id}", path.display());
        };
        order.push(index);
    }
    let items: Vec<MapItem<'_>> = hr
        .workers
        .iter()
        .zip(&order)
        .map(|(sourced, index)| MapItem {
            worker: &sourced.worker,
            today: today.in_zone(sourced.worker.time_zone.as_ref()),
            has_account: fixtures.cases[*index].has_account,
        })
        .collect();
    let config = serde_json::to_string(&fixtures.config)?;
    let outcome = plugin.map_all(&items, &fixtures.domains, &config);
    let mut out = String::new();
    let mut different = 0;
    for ((sourced, index), result) in hr.workers.iter().zip(order).zip(outcome.results) {
        let id = sourced.worker.employee_id.as_str();
        let case = &mut fixtures.cases[index];
        let actual = Outcome::of(result);
        if case.expected.as_ref() == Some(&actual) {
            out.push_str(&format!("as expected  {id}\n"));
            continue;
        }
        different += 1;
        match &case.expected {
            None => out.push_str(&format!("no expectation  {id}\n")),
            Some(expected) => {
                out.push_str(&format!(
                    "DIFFERENT  {id} (- expected, + the plugin's answer)\n"
                ));
                out.push_str(&line_diff(
                    &serde_json::to_string_pretty(expected)?,
                    &serde_json::to_string_pretty(&actual)?,
                ));
            }
        }
        if update {
            case.expected = Some(actual);
        }
    }
    let total = fixtures.cases.len();
    out.push_str(&format!(
        "{total} cases: {} as expected, {different} different\n",
        total - different
    ));
    if update && different > 0 {
        std::fs::write(path, serde_json::to_string_pretty(&fixtures)? + "\n")
            .with_context(|| format!("cannot write fixtures {}", path.display()))?;
        out.push_str(&format!(
            "updated the expectations of {different} cases in {}\n",
            path.display()
        ));
    }
    Ok(Report {
        text: out,
        all_matched: different == 0 || update,
    })
}

/// The lines of `old` and `new` as a diff: `-` only in `old`, `+` only in `new`, and up to
/// [`CONTEXT`] lines in both around each change (a longest common subsequence of lines;
/// fixtures are small).
fn line_diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // common[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut common = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            common[i][j] = if a[i] == b[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut lines) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            lines.push((' ', a[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < a.len() && (j == b.len() || common[i + 1][j] >= common[i][j + 1]) {
            lines.push(('-', a[i]));
            i += 1;
        } else {
            lines.push(('+', b[j]));
            j += 1;
        }
    }
    let changed: Vec<usize> = (0..lines.len()).filter(|&k| lines[k].0 != ' ').collect();
    let near = |k: usize| changed.iter().any(|&c| c.abs_diff(k) <= CONTEXT);
    let mut out = String::new();
    let mut skipped = false;
    for (k, (tag, line)) in lines.iter().enumerate() {
        if near(k) {
            out.push_str(&format!("  {tag} {line}\n"));
            skipped = false;
        } else if !skipped {
            out.push_str("    …\n");
            skipped = true;
        }
    }
    out
}

/// Unchanged lines shown around each change.
const CONTEXT: usize = 3;
