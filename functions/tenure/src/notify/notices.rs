//! The notices a run sends besides first-day access, worked out from what it planned and did:
//! one mail to the manager of each worker who left in this run (with the mailbox access they
//! were given), and one digest to the connection's admins of what needs them. Pure: sending is
//! the host's ([`crate::microsoft::Mailer`]).

use crate::apply::{ApplyReport, Outcome};
use crate::directory::Snapshot;
use crate::plan::{Change, Op, Plan};
use serde::{Deserialize, Serialize};

use super::template::MailKind;
use crate::html::escape_html;

/// One mail to send: to whom, which template, and its values. Holds no secret (so it may be
/// kept in the store until it can be sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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

/// What an item of the admins' digest is about. The digest lists items in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DigestKind {
    /// The connection must be linked again (Microsoft refused its refresh token).
    NeedsRelink,
    /// Work given up on: a queued message sent to the dead-letter queue, with its reason.
    DeadLetter,
    /// A queued message that failed and is tried again by the queue.
    Retrying,
    /// Changes the guard holds until a person approves them.
    HeldForApproval,
    /// An HR record set aside (bad input, or a plugin that refused the worker).
    Quarantined,
    /// A worker without an account who probably has one already: review the match.
    MatchToReview,
    /// A first-day access that could not be made or mailed (tried again on the next run).
    FirstDayNotDelivered,
}

impl DigestKind {
    /// How the digest names the kind.
    pub fn label(self) -> &'static str {
        match self {
            Self::NeedsRelink => "needs re-link",
            Self::DeadLetter => "dead letter",
            Self::Retrying => "failed, retried",
            Self::HeldForApproval => "held for approval",
            Self::Quarantined => "quarantined",
            Self::MatchToReview => "match to review",
            Self::FirstDayNotDelivered => "first-day access not delivered",
        }
    }
}

/// One line of the admins' digest. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestItem {
    /// What it is about.
    pub kind: DigestKind,
    /// What an admin reads.
    pub line: String,
    /// The worker it is about, when it is about one (so that a run split over several
    /// messages files it under the message that carried the worker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
}

/// What needs an admin after a run, one line each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digest {
    /// The items, in the order found ([`Digest::merge`] orders them by kind).
    pub items: Vec<DigestItem>,
}

impl Digest {
    /// What a plan leaves for an admin: quarantined records and workers whose possible
    /// existing account waits for review.
    pub fn from_plan(plan: &Plan) -> Self {
        let mut digest = Self::default();
        for q in &plan.quarantined {
            digest.items.push(DigestItem {
                kind: DigestKind::Quarantined,
                line: format!(
                    "{} (employee {}): {}",
                    q.source,
                    q.employee_id.as_deref().unwrap_or("unknown"),
                    q.reason
                ),
                employee_id: q.employee_id.clone(),
            });
        }
        for worker in plan.workers.iter().filter(|w| w.change == Change::Held) {
            digest.items.push(DigestItem {
                kind: DigestKind::MatchToReview,
                line: format!(
                    "{} ({}): {}",
                    worker.display_name,
                    worker.employee_id,
                    worker.notes.join("; ")
                ),
                employee_id: Some(worker.employee_id.clone()),
            });
        }
        digest
    }

    /// Adds every first-day access an apply could not deliver.
    pub fn add_not_delivered(&mut self, applied: &ApplyReport) {
        for outcome in &applied.outcomes {
            if outcome.kind != "deliver_first_day_access" {
                continue;
            }
            if let Outcome::Failed { error } = &outcome.outcome {
                self.items.push(DigestItem {
                    kind: DigestKind::FirstDayNotDelivered,
                    line: format!(
                        "employee {}: {error} (tried again on the next run)",
                        outcome.employee_id
                    ),
                    employee_id: Some(outcome.employee_id.clone()),
                });
            }
        }
    }

    /// Adds a line about no one worker.
    pub fn push(&mut self, kind: DigestKind, line: String) {
        self.items.push(DigestItem {
            kind,
            line,
            employee_id: None,
        });
    }

    /// The digests of a run's parts as one: ordered by kind, each line once.
    pub fn merge(parts: impl IntoIterator<Item = Vec<DigestItem>>) -> Self {
        let mut items: Vec<DigestItem> = parts.into_iter().flatten().collect();
        items.sort_by_key(|a| a.kind);
        let mut seen = std::collections::HashSet::new();
        items.retain(|item| seen.insert((item.kind, item.line.clone())));
        Self { items }
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
            .map(|item| format!("- {}: {}\n", item.kind.label(), item.line))
            .collect();
        let html = format!(
            "<ul>{}</ul>",
            self.items
                .iter()
                .map(|item| format!(
                    "<li><b>{}</b>: {}</li>",
                    escape_html(item.kind.label()),
                    escape_html(&item.line)
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
                    .as_deref()
                    .unwrap_or(&manager.user_principal_name)
                    .to_owned(),
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

/// Sends a run's notices: each leaver's manager (unless the settings turn leaver mail off) and
/// the admins' digest (when it has items), one mail each. Every host sends through this; a mail
/// that fails is in the report and the log, never an error of the run. Nothing is sent without
/// a mailer (no sender configured).
pub async fn send_notices(
    mailer: Option<&crate::microsoft::Mailer>,
    connection: &str,
    settings: &super::NotificationSettings,
    digest: Option<&Digest>,
    mut leavers: Vec<Notice>,
) -> crate::microsoft::MailReport {
    let Some(mailer) = mailer else {
        return crate::microsoft::MailReport::default();
    };
    if !settings.leaver_mail {
        leavers.clear();
    }
    leavers.extend(digest.and_then(|d| d.notice(connection, &settings.admins)));
    if leavers.is_empty() {
        return crate::microsoft::MailReport::default();
    }
    mailer.send_all(&leavers).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::ActionOutcome;

    fn item(kind: DigestKind, line: &str) -> DigestItem {
        DigestItem {
            kind,
            line: line.to_owned(),
            employee_id: None,
        }
    }

    #[test]
    fn a_first_day_access_not_delivered_is_an_item_about_its_worker() {
        let applied = ApplyReport {
            outcomes: vec![
                ActionOutcome {
                    employee_id: "9001".into(),
                    kind: "deliver_first_day_access".into(),
                    outcome: Outcome::Failed {
                        error: "sendMail: 503".into(),
                    },
                    request_id: None,
                },
                ActionOutcome {
                    employee_id: "9002".into(),
                    kind: "deliver_first_day_access".into(),
                    outcome: Outcome::Applied,
                    request_id: None,
                },
            ],
        };
        let mut digest = Digest::default();
        digest.add_not_delivered(&applied);
        assert_eq!(digest.items.len(), 1);
        assert_eq!(digest.items[0].kind, DigestKind::FirstDayNotDelivered);
        assert_eq!(digest.items[0].employee_id.as_deref(), Some("9001"));
        let notice = digest
            .notice("contoso", &["it-ops@contoso.com".into()])
            .expect("a notice");
        let text = &notice.values[2].1;
        assert!(
            text.contains("first-day access not delivered: employee 9001"),
            "{text}"
        );
    }

    #[test]
    fn merged_parts_list_each_line_once_most_urgent_kind_first() {
        let merged = Digest::merge([
            vec![
                item(DigestKind::Quarantined, "a"),
                item(DigestKind::HeldForApproval, "held"),
            ],
            vec![
                item(DigestKind::HeldForApproval, "held"),
                item(DigestKind::DeadLetter, "gone"),
            ],
        ]);
        let kinds: Vec<DigestKind> = merged.items.iter().map(|i| i.kind).collect();
        assert_eq!(
            kinds,
            [
                DigestKind::DeadLetter,
                DigestKind::HeldForApproval,
                DigestKind::Quarantined
            ]
        );
    }
}
