//! Sending notices through Graph's `sendMail` from the connection's sender mailbox. A notice
//! that cannot be sent (after the transport's retries) is reported, never an error of the run.

use secrecy::SecretString;

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
                        "{} mail to {}: {error}",
                        notice.kind.config_name(),
                        notice.to.join(", ")
                    );
                    tracing::warn!(failure = %what, "a notice could not be sent");
                    report.failed.push(what);
                }
            }
        }
        report
    }
}
