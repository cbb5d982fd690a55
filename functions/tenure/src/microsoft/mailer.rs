//! Sending notices through Graph's `sendMail` from the connection's sender mailbox. A notice
//! that cannot be sent (after the transport's retries) is reported, never an error of the run.

use secrecy::SecretString;

use super::error::ApiError;
use super::graph::{GraphClient, OutgoingMail};
use crate::notify::{MailFormat, Notice, NotificationSettings, Templates};

/// What became of a run's notices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailReport {
    /// Mails accepted.
    pub sent: usize,
    /// Why each mail that was not sent failed (its kind and recipients, and Microsoft's words).
    pub failed: Vec<String>,
}

impl MailReport {
    /// Adds what another batch of mail did.
    pub fn add(&mut self, other: MailReport) {
        self.sent += other.sent;
        self.failed.extend(other.failed);
    }
}

/// The connection's mail: Graph, the sender mailbox, the templates.
#[derive(Debug, Clone)]
pub struct Mailer {
    graph: GraphClient,
    sender: String,
    format: MailFormat,
    templates: Templates,
}

impl Mailer {
    /// The mailer of a connection whose `notifications` name a sender; `None` otherwise.
    pub fn new(graph: GraphClient, settings: &NotificationSettings) -> Option<Self> {
        Some(Self {
            graph,
            sender: settings.sender.clone()?,
            format: settings.format,
            templates: settings.templates.clone(),
        })
    }

    /// Sends every notice, each on its own (one failing does not stop the others).
    pub async fn send_all(&self, notices: &[Notice]) -> MailReport {
        let mut report = MailReport::default();
        for notice in notices {
            let rendered = notice.render(&self.templates.get(notice.kind));
            let html = self.format == MailFormat::Html;
            let mail = OutgoingMail {
                to: notice.to.clone(),
                subject: rendered.subject.clone(),
                html,
                body: SecretString::from(if html { rendered.html } else { rendered.text }),
            };
            match self.graph.send_mail(&self.sender, &mail).await {
                Ok(_) => report.sent += 1,
                Err(error) => {
                    let what = format!(
                        "{} mail to {}: {}",
                        notice.kind.config_name(),
                        notice.to.join(", "),
                        send_failure(&self.sender, &error)
                    );
                    tracing::warn!(failure = %what, "a notice could not be sent");
                    report.failed.push(what);
                }
            }
        }
        report
    }
}

/// Why a `sendMail` failed, with what to do when Microsoft refused it: the permission
/// (`Mail.Send` for the customer's app, `Mail.Send.Shared` with Send As on the mailbox for
/// Tenure's app, both asked for when the connection is consented) or a sender without a
/// mailbox.
pub(crate) fn send_failure(sender: &str, error: &ApiError) -> String {
    match error.status() {
        Some(401 | 403) => format!(
            "{error}: the connection may not send mail from {sender}; consent again to the permissions Tenure asks for (Mail.Send for the customer's own app; Mail.Send.Shared, with Send As on {sender} for the linking administrator, for Tenure's app)"
        ),
        Some(404) => format!(
            "{error}: {sender} has no mailbox to send from; set notifications.sender to a user or shared mailbox"
        ),
        _ => error.to_string(),
    }
}
