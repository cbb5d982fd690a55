//! The match report: for every worker without an account, the existing account it matches
//! (certain or probable, with the evidence), several candidates, or none; and the accounts
//! nobody matched. Shown as text, JSON or CSV; the reviewed JSON or CSV is read back to confirm.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::config::Confidence;

/// What matching found for one worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchOutcome {
    /// One account, by a certain rule.
    Certain,
    /// One account, by a probable rule.
    Probable,
    /// Several accounts could be the worker's (or one account several workers'): review.
    Ambiguous,
    /// No account: the worker gets a new one.
    None,
}

impl MatchOutcome {
    /// Every outcome, in the order reports show them.
    pub const ALL: [Self; 4] = [Self::Certain, Self::Probable, Self::Ambiguous, Self::None];

    /// The word used in the JSON and CSV forms.
    pub fn word(self) -> &'static str {
        match self {
            Self::Certain => "certain",
            Self::Probable => "probable",
            Self::Ambiguous => "ambiguous",
            Self::None => "none",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Self::Certain => "Certain matches",
            Self::Probable => "Probable matches (review)",
            Self::Ambiguous => "Several candidates (review)",
            Self::None => "No existing account (a new one is made)",
        }
    }
}

/// An account that may be a worker's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The account's object id.
    pub user_id: String,
    /// The account's UPN.
    pub user_principal_name: String,
    /// The account's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Whether sign-in is allowed (a disabled account may be a former employee's).
    #[serde(default)]
    pub account_enabled: bool,
    /// How sure the rule that found it is.
    pub confidence: Confidence,
    /// The rule that found it.
    #[serde(default)]
    pub rule: String,
    /// What agrees, in words.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Set by the reviewer: this account is the worker's (`tenure match --confirm`).
    #[serde(default)]
    pub adopt: bool,
}

/// One worker without an account, and what matching found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerMatch {
    /// The HR key.
    pub employee_id: String,
    /// The worker's name as HR gives it.
    pub name: String,
    /// What was found.
    #[serde(rename = "match")]
    pub outcome: MatchOutcome,
    /// The account(s) found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
    /// Anything else to know (the worker is excluded from matching, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An account without an `employeeId` that no worker matched. It is never changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmatchedAccount {
    /// The object id.
    pub user_id: String,
    /// The UPN.
    pub user_principal_name: String,
    /// The display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Why nobody matched it: no worker did, it is excluded, or it is a shared mailbox.
    pub why: String,
    /// Set by the reviewer to pair the account with a worker by hand (`tenure match --confirm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopt_for: Option<String>,
}

/// What matching found for every worker without an account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchReport {
    /// Whether certain matches are adopted without review.
    #[serde(default)]
    pub auto_confirm: bool,
    /// Every worker without an account, in HR order.
    #[serde(default)]
    pub workers: Vec<WorkerMatch>,
    /// Accounts without an `employeeId` nobody matched: listed, never touched.
    #[serde(default)]
    pub unmatched_accounts: Vec<UnmatchedAccount>,
}

impl MatchReport {
    /// How many workers had each outcome.
    pub fn count(&self, outcome: MatchOutcome) -> usize {
        self.workers.iter().filter(|w| w.outcome == outcome).count()
    }

    /// The pairs the reviewer confirmed: (employee id, account by object id or UPN).
    pub fn confirmed(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = self
            .workers
            .iter()
            .flat_map(|w| {
                w.candidates
                    .iter()
                    .filter(|c| c.adopt)
                    .map(|c| (w.employee_id.clone(), account_key(c)))
            })
            .collect();
        pairs.extend(self.unmatched_accounts.iter().filter_map(|a| {
            let worker = a.adopt_for.as_deref()?.trim();
            (!worker.is_empty()).then(|| (worker.to_owned(), a.user_id.clone()))
        }));
        pairs
    }
}

fn account_key(candidate: &Candidate) -> String {
    if candidate.user_id.trim().is_empty() {
        candidate.user_principal_name.clone()
    } else {
        candidate.user_id.clone()
    }
}

/// The report for people: counts, then each kind of match with its candidates and evidence,
/// then the accounts nobody matched.
pub fn report_text(report: &MatchReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Matching existing accounts: {} workers without an account: certain {}, probable {}, several candidates {}, none {}; {} accounts without an employeeId matched nobody",
        report.workers.len(),
        report.count(MatchOutcome::Certain),
        report.count(MatchOutcome::Probable),
        report.count(MatchOutcome::Ambiguous),
        report.count(MatchOutcome::None),
        report.unmatched_accounts.len(),
    );
    for outcome in MatchOutcome::ALL {
        let workers: Vec<&WorkerMatch> = report
            .workers
            .iter()
            .filter(|w| w.outcome == outcome)
            .collect();
        if workers.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{} ({})", outcome.heading(), workers.len());
        for worker in workers {
            let _ = writeln!(out, "  {} {}", worker.employee_id, worker.name);
            for candidate in &worker.candidates {
                let _ = writeln!(
                    out,
                    "    → {} ({}{}; {})",
                    candidate.user_principal_name,
                    candidate
                        .display_name
                        .as_deref()
                        .unwrap_or("no display name"),
                    if candidate.account_enabled {
                        ""
                    } else {
                        ", sign-in blocked"
                    },
                    candidate.confidence.word(),
                );
                let _ = writeln!(out, "      by {}", candidate.rule);
                for evidence in &candidate.evidence {
                    let _ = writeln!(out, "      - {evidence}");
                }
            }
            if let Some(note) = &worker.note {
                let _ = writeln!(out, "    note: {note}");
            }
        }
    }
    if !report.unmatched_accounts.is_empty() {
        let _ = writeln!(
            out,
            "\nAccounts nobody matched ({}): left as they are",
            report.unmatched_accounts.len()
        );
        for account in &report.unmatched_accounts {
            let _ = writeln!(
                out,
                "  {} ({}): {}",
                account.user_principal_name,
                account.display_name.as_deref().unwrap_or("no display name"),
                account.why
            );
        }
    }
    let pending = report.count(MatchOutcome::Probable)
        + report.count(MatchOutcome::Ambiguous)
        + if report.auto_confirm {
            0
        } else {
            report.count(MatchOutcome::Certain)
        };
    if pending > 0 {
        let _ = writeln!(
            out,
            "\n{pending} workers are held until their match is confirmed: save the report (--format json or csv), mark the right account \"adopt\", and run tenure match --confirm REPORT."
        );
    }
    out
}

/// The header of the CSV form.
const CSV_HEADER: [&str; 11] = [
    "match",
    "employee_id",
    "worker",
    "user_principal_name",
    "user_id",
    "account",
    "sign_in",
    "confidence",
    "rule",
    "evidence",
    "adopt",
];

/// The CSV form: one row per candidate (a worker without one gets an empty row), then one per
/// unmatched account (`match` = `unmatched_account`). The reviewer writes `yes` under `adopt`
/// for the right account, or an employee id under `employee_id` of an unmatched account with
/// `yes` to pair them by hand.
pub fn report_csv(report: &MatchReport) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(CSV_HEADER)?;
    for worker in &report.workers {
        let base = [
            worker.outcome.word(),
            worker.employee_id.as_str(),
            worker.name.as_str(),
        ];
        if worker.candidates.is_empty() {
            let note = worker.note.as_deref().unwrap_or_default();
            writer.write_record(
                base.iter()
                    .copied()
                    .chain(["", "", "", "", "", "", note, ""]),
            )?;
        }
        for c in &worker.candidates {
            let evidence = c.evidence.join("; ");
            writer.write_record(base.iter().copied().chain([
                c.user_principal_name.as_str(),
                c.user_id.as_str(),
                c.display_name.as_deref().unwrap_or_default(),
                if c.account_enabled {
                    "enabled"
                } else {
                    "blocked"
                },
                c.confidence.word(),
                c.rule.as_str(),
                evidence.as_str(),
                if c.adopt { "yes" } else { "" },
            ]))?;
        }
    }
    for account in &report.unmatched_accounts {
        writer.write_record([
            "unmatched_account",
            account.adopt_for.as_deref().unwrap_or_default(),
            "",
            account.user_principal_name.as_str(),
            account.user_id.as_str(),
            account.display_name.as_deref().unwrap_or_default(),
            "",
            "",
            "",
            account.why.as_str(),
            if account.adopt_for.is_some() {
                "yes"
            } else {
                ""
            },
        ])?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A reviewed report that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("match report {file}: {message}")]
pub struct ReportError {
    /// The file.
    pub file: String,
    /// What is wrong, with the line or JSON path.
    pub message: String,
}

/// Reads the confirmed pairs of a reviewed report, JSON or CSV (told apart by the first
/// character): (employee id, account by object id or UPN).
pub fn read_confirmed(text: &str, file: &str) -> Result<Vec<(String, String)>, ReportError> {
    let fail = |message: String| ReportError {
        file: file.to_owned(),
        message,
    };
    if text.trim_start().starts_with('{') {
        let mut de = serde_json::Deserializer::from_str(text);
        let report: MatchReport =
            serde_path_to_error::deserialize(&mut de).map_err(|e| fail(e.to_string()))?;
        return Ok(report.confirmed());
    }
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| fail(e.to_string()))?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .ok_or_else(|| fail(format!("the CSV has no {name:?} column")))
    };
    let (employee, upn, user_id, adopt) = (
        column("employee_id")?,
        column("user_principal_name")?,
        column("user_id")?,
        column("adopt")?,
    );
    let mut pairs = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let line = row + 2;
        let record = record.map_err(|e| fail(format!("line {line}: {e}")))?;
        let field = |i: usize| record.get(i).unwrap_or_default().trim();
        let yes = match field(adopt).to_ascii_lowercase().as_str() {
            "" | "no" | "n" | "false" => false,
            "yes" | "y" | "true" | "x" => true,
            other => {
                return Err(fail(format!(
                    "line {line}: adopt is {other:?}; write yes, or leave it empty"
                )));
            }
        };
        if !yes {
            continue;
        }
        let account = if field(user_id).is_empty() {
            field(upn)
        } else {
            field(user_id)
        };
        if field(employee).is_empty() || account.is_empty() {
            return Err(fail(format!(
                "line {line}: a row marked adopt needs an employee_id and an account (user_id or user_principal_name)"
            )));
        }
        pairs.push((field(employee).to_owned(), account.to_owned()));
    }
    Ok(pairs)
}
