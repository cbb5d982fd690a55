//! The notices a run sends besides first-day access, worked out from what it planned and did:
//! one mail to the manager of each worker who left in this run (with the mailbox access they
//! were given), and one digest to the connection's admins of what needs them. Pure: sending is
//! the host's ([`crate::microsoft::Mailer`]).

use crate::apply::{ApplyReport, Outcome};
use crate::directory::Snapshot;
use crate::plan::{Change, Op, Plan};

use super::template::MailKind;
use crate::html::escape_html;

/// One mail to send: to whom, which template, and its values. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The recipients' addresses.
    pub to: Vec<String>,
    /// Which template.
    pub kind: MailKind,
    /// (placeholder, value), as text (escaped when put into HTML).
    pub values: Vec<(String, String)>,
    /// (placeholder, HTML made from escaped parts): what the HTML body gets instead.
    pub html: Vec<(String, String)>,
}

impl Notice {
    /// The filled template: subject and text from `values`, HTML with `html` in place.
    pub fn render(&self, template: &super::Template) -> super::RenderedMail {
        let text: Vec<(&str, &str)> = self
            .values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let plain = template.render(&text, &[]);
        let mut html: Vec<(&str, &str)> = self
            .html
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        html.extend(text.iter().copied());
        let raw: Vec<&str> = self.html.iter().map(|(k, _)| k.as_str()).collect();
        super::RenderedMail {
            html: template.render(&html, &raw).html,
            ..plain
        }
    }
}

/// What needs an admin after a run, one line each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digest {
    /// `(kind, line)`: kinds are `quarantined`, `held for approval`, `match to review`,
    /// `dead letter`, `first-day access not delivered`.
    pub items: Vec<(&'static str, String)>,
}

impl Digest {
    /// What a plan leaves for an admin: quarantined records and workers whose possible
    /// existing account waits for review.
    pub fn from_plan(plan: &Plan) -> Self {
        let mut digest = Self::default();
        for q in &plan.quarantined {
            digest.items.push((
                "quarantined",
                format!(
                    "{} (employee {}): {}",
                    q.source,
                    q.employee_id.as_deref().unwrap_or("unknown"),
                    q.reason
                ),
            ));
        }
        for worker in plan.workers.iter().filter(|w| w.change == Change::Held) {
            digest.items.push((
                "match to review",
                format!(
                    "{} ({}): {}",
                    worker.display_name,
                    worker.employee_id,
                    worker.notes.join("; ")
                ),
            ));
        }
        digest
    }

    /// Adds a line.
    pub fn push(&mut self, kind: &'static str, line: String) {
        self.items.push((kind, line));
    }

    /// The digest as one notice to `admins` of connection `connection`; `None` when nothing
    /// needs them.
    pub fn notice(&self, connection: &str, admins: &[String]) -> Option<Notice> {
        if self.items.is_empty() || admins.is_empty() {
            return None;
        }
        let text: String = self
            .items
            .iter()
            .map(|(kind, line)| format!("- {kind}: {line}\n"))
            .collect();
        let html = format!(
            "<ul>{}</ul>",
            self.items
                .iter()
                .map(|(kind, line)| format!(
                    "<li><b>{}</b>: {}</li>",
                    escape_html(kind),
                    escape_html(line)
                ))
                .collect::<String>()
        );
        Some(Notice {
            to: admins.to_vec(),
            kind: MailKind::Digest,
            values: vec![
                ("connection".into(), connection.to_owned()),
                ("count".into(), self.items.len().to_string()),
                ("items".into(), text),
            ],
            html: vec![("items".into(), html)],
        })
    }
}

/// A mail to the manager of every worker this run disabled as a leaver (their sign-in block
/// applied), naming the mailbox access given.
pub fn leaver_notices(plan: &Plan, applied: &ApplyReport, directory: &Snapshot) -> Vec<Notice> {
    let disabled = |employee_id: &str| {
        applied.outcomes.iter().any(|o| {
            o.employee_id == employee_id
                && o.kind == "disable_user"
                && o.outcome == Outcome::Applied
        })
    };
    let mut notices = Vec::new();
    for worker in plan.workers.iter().filter(|w| w.change == Change::Leaver) {
        if !disabled(&worker.employee_id) {
            continue;
        }
        let Some(user) = worker
            .user_id
            .as_deref()
            .and_then(|id| directory.users.iter().find(|u| u.id == id))
        else {
            continue;
        };
        let Some(manager) = user
            .manager
            .as_ref()
            .and_then(|m| directory.users.iter().find(|u| u.id == m.id))
        else {
            continue;
        };
        let trustees: Vec<&str> = worker
            .actions
            .iter()
            .filter_map(|a| match &a.op {
                Op::GrantMailboxAccess { trustee } => Some(trustee.as_str()),
                _ => None,
            })
            .collect();
        let access = if trustees.is_empty() {
            String::new()
        } else {
            format!(
                "Full access to their mailbox was given to {}.",
                trustees.join(", ")
            )
        };
        notices.push(Notice {
            to: vec![
                manager
                    .mail
                    .clone()
                    .unwrap_or_else(|| manager.user_principal_name.to_string()),
            ],
            kind: MailKind::Leaver,
            values: vec![
                ("worker".into(), worker.display_name.clone()),
                (
                    "manager".into(),
                    manager
                        .display_name
                        .clone()
                        .unwrap_or_else(|| manager.user_principal_name.to_string()),
                ),
                (
                    "upn".into(),
                    worker
                        .user_principal_name
                        .as_deref()
                        .unwrap_or_default()
                        .to_owned(),
                ),
                ("mailbox_access".into(), access),
            ],
            html: Vec::new(),
        });
    }
    notices
}
