//! Sending notices through Graph's `sendMail` from the connection's sender mailbox. A notice
//! that cannot be sent (after the transport's retries) is reported, never an error of the run.
//! A mailer told to give up waiting at an instant (a provision run's stop time) starts no
//! notice after it and waits for no retry past it: such a notice is handed back unsent
//! ([`MailReport::postponed`]) for the host to keep and send later.

use std::time::Instant;

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
    /// The notices not sent for want of time (Microsoft asked to wait past the instant to give
    /// up at, or it had passed before they were started): not failed, to be sent later.
    pub postponed: Vec<Notice>,
}

impl MailReport {
    /// Adds what another batch of mail did.
    pub fn add(&mut self, other: MailReport) {
        self.sent += other.sent;
        self.failed.extend(other.failed);
        self.postponed.extend(other.postponed);
    }
}

/// The connection's mail: Graph, the sender mailbox, the templates.
#[derive(Debug, Clone)]
pub struct Mailer {
    graph: GraphClient,
    sender: String,
    format: MailFormat,
    templates: Templates,
    /// No notice is started after this instant, nor a retry waited for past it.
    give_up_at: Option<Instant>,
}

impl Mailer {
    /// The mailer of a connection whose `notifications` name a sender; `None` otherwise.
    pub fn new(graph: GraphClient, settings: &NotificationSettings) -> Option<Self> {
        Some(Self {
            graph,
            sender: settings.sender.clone()?,
            format: settings.format,
            templates: settings.templates.clone(),
            give_up_at: None,
        })
    }

    /// This mailer, starting no notice after `at` and waiting for no retry past it (see
    /// [`GraphClient::give_up_waiting_after`]): such notices come back in
    /// [`MailReport::postponed`].
    #[must_use]
    pub fn give_up_waiting_after(mut self, at: Instant) -> Self {
        self.graph = self.graph.give_up_waiting_after(at);
        self.give_up_at = Some(at);
        self
    }

    /// Whether a notice may still be started now.
    pub fn may_start(&self) -> bool {
        may_start_at(self.give_up_at, Instant::now())
    }

    /// Sends every notice, each on its own (one failing does not stop the others).
    pub async fn send_all(&self, notices: &[Notice]) -> MailReport {
        let mut report = MailReport::default();
        for notice in notices {
            if !self.may_start() {
                report.postponed.push(notice.clone());
                continue;
            }
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
                Err(error) if error.is_out_of_time() => {
                    tracing::info!(kind = notice.kind.config_name(), reason = %error,
                        "a notice is not sent now: Microsoft asked to wait past the stop time");
                    report.postponed.push(notice.clone());
                }
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

/// Whether a notice may start at `now` when mail gives up at `give_up_at` (never, when `None`).
fn may_start_at(give_up_at: Option<Instant>, now: Instant) -> bool {
    give_up_at.is_none_or(|at| now < at)
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

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::may_start_at;

    #[test]
    fn no_notice_starts_once_the_instant_to_give_up_at_has_come() {
        let now = Instant::now();
        assert!(may_start_at(None, now), "without an instant, always");
        assert!(may_start_at(Some(now + Duration::from_secs(1)), now));
        assert!(!may_start_at(Some(now), now));
        assert!(!may_start_at(Some(now), now + Duration::from_secs(1)));
    }
}
