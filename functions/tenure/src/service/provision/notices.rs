//! The run's notices: each leaver's manager, and one digest to the connection's admins of what
//! needs them. Sent after the run's work; a mail that fails (after the transport's retries) is
//! in the report and the log, never an error of the run.

use crate::apply::{ApplyReport, Outcome};
use crate::microsoft::{MailReport, Mailer};
use crate::notify::{Digest, Notice, NotificationSettings};
use crate::store::connections::ConnectionId;

/// Adds every first-day access the run could not deliver to the digest.
pub(super) fn not_delivered(digest: &mut Digest, applied: &ApplyReport) {
    for outcome in &applied.outcomes {
        if outcome.kind != "deliver_first_day_access" {
            continue;
        }
        if let Outcome::Failed { error } = &outcome.outcome {
            digest.push(
                "first-day access not delivered",
                format!(
                    "employee {}: {error} (tried again on the next run)",
                    outcome.employee_id
                ),
            );
        }
    }
}

/// Sends the leavers' notices and the digest (one mail for the whole run).
pub(super) async fn send(
    mailer: Option<&Mailer>,
    connection: &ConnectionId,
    settings: &NotificationSettings,
    digest: Digest,
    mut notices: Vec<Notice>,
) -> MailReport {
    let Some(mailer) = mailer else {
        return MailReport::default();
    };
    if !settings.leaver_mail {
        notices.clear();
    }
    notices.extend(digest.notice(connection.as_str(), &settings.admins));
    if notices.is_empty() {
        return MailReport::default();
    }
    mailer.send_all(&notices).await
}
