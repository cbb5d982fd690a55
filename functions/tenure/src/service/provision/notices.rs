//! The run's notices: each leaver's manager, and one digest per run to the connection's admins
//! of what needs them (recorded per message and sent once the run's last message is settled:
//! `digest`). A mail that fails (after the transport's retries) is in the report and the log,
//! never an error of the run.
//!
//! Mail is bound by the run's stop time like the rest of the run: no notice is started after
//! it, and none waits for a retry past it. Such a notice is not failed but kept (`outbox`) and
//! sent by the connection's next run that gets to its mail, before that run's own: Microsoft's
//! `429` says the mail was not taken, so the manager or the admins get it once, late rather
//! than never, and an admin need not send it by hand.

use std::time::Instant;

use super::{digest, outbox};
use crate::connect::open_connection;
use crate::microsoft::{GraphClient, MailReport, Mailer};
use crate::notify::{Digest, DigestItem, DigestKind, Notice, NotificationSettings, send_notices};
use crate::queue::WorkItem;
use crate::service::Services;
use crate::service::settings::MappingSettings;
use crate::store::connections::ConnectionId;

/// The run's mail: the mailer (when the connection names a sender), the admins' digest
/// gathered as the run goes, and the settings.
pub(super) struct RunMail {
    pub(super) mailer: Option<Mailer>,
    pub(super) digest: Digest,
    pub(super) settings: NotificationSettings,
}

impl RunMail {
    /// The run's mail through `graph`, with the notification settings of `config`, giving up
    /// at `stop_at` (the run's stop time).
    pub(super) fn new(
        graph: GraphClient,
        config: &str,
        digest: Digest,
        stop_at: Option<Instant>,
    ) -> Self {
        let settings = NotificationSettings::from_plugin_config(config).unwrap_or_default();
        Self {
            mailer: Mailer::new(graph, &settings).map(|m| bounded(m, stop_at)),
            digest,
            settings,
        }
    }

    /// Sends the notices kept by earlier runs and the leavers' notices, records this
    /// invocation's share of the digest of each run among `items` (of a message `continued`
    /// marks, as a share of work that goes on), and sends the digest of every run that share
    /// completed. What is not sent for want of time is kept for the next run.
    pub(super) async fn send(
        &self,
        services: &Services,
        connection: &ConnectionId,
        items: &[WorkItem],
        continued: &[bool],
        leavers: Vec<Notice>,
    ) -> MailReport {
        let mut report = match &self.mailer {
            Some(mailer) => outbox::send_kept(services, connection, mailer).await,
            None => MailReport::default(),
        };
        report.add(
            send_notices(
                self.mailer.as_ref(),
                connection.as_str(),
                &self.settings,
                None,
                leavers,
            )
            .await,
        );
        let shares = digest::split_over(items, &self.digest);
        let mails = self.mailer.is_some() && !self.settings.admins.is_empty();
        for mut digest in digest::record(services, connection, shares, continued).await {
            if mails {
                add_connection_wide(services, connection, &mut digest).await;
            }
            report.add(
                send_notices(
                    self.mailer.as_ref(),
                    connection.as_str(),
                    &self.settings,
                    Some(&digest),
                    Vec::new(),
                )
                .await,
            );
        }
        let failed = outbox::keep(services, connection, &report.postponed).await;
        report.failed.extend(failed);
        report
    }
}

/// `mailer`, giving up at `stop_at` when there is one.
fn bounded(mailer: Mailer, stop_at: Option<Instant>) -> Mailer {
    match stop_at {
        Some(at) => mailer.give_up_waiting_after(at),
        None => mailer,
    }
}

/// Records, for messages whose run failed, the line `line` gives each, and sends the digest of
/// every run that completed: through a mailer opened here (the run itself may not have got as
/// far as opening one).
pub(super) async fn record_failed(
    services: &Services,
    connection: &ConnectionId,
    items: &[WorkItem],
    line: impl Fn(&WorkItem) -> DigestItem,
    stop_at: Option<Instant>,
) -> MailReport {
    let shares = digest::each_with(items, line);
    let digests = digest::record(services, connection, shares, &[]).await;
    if digests.is_empty() {
        return MailReport::default();
    }
    let Some((mailer, settings)) = open_mailer(services, connection).await else {
        return MailReport::default();
    };
    let mailer = bounded(mailer, stop_at);
    let mut report = MailReport::default();
    if settings.admins.is_empty() {
        return report;
    }
    for mut digest in digests {
        add_connection_wide(services, connection, &mut digest).await;
        report.add(
            send_notices(
                Some(&mailer),
                connection.as_str(),
                &settings,
                Some(&digest),
                Vec::new(),
            )
            .await,
        );
    }
    let failed = outbox::keep(services, connection, &report.postponed).await;
    report.failed.extend(failed);
    report
}

/// The line a message given up on gets.
pub(super) fn dead_letter_line(item: &WorkItem, reason: &str) -> DigestItem {
    DigestItem {
        kind: DigestKind::DeadLetter,
        line: format!(
            "{} worker(s) of {} given up on: {reason} (kept on the dead-letter queue; the console's Activity page lists them)",
            item.workers.len(),
            item.delivery_id
        ),
        employee_id: None,
    }
}

/// The line a message that is tried again gets.
pub(super) fn retry_line(item: &WorkItem, reason: &str) -> DigestItem {
    DigestItem {
        kind: DigestKind::Retrying,
        line: format!(
            "{} worker(s) of {} failed: {reason} (the queue tries them again; after the last try they go to the dead-letter queue)",
            item.workers.len(),
            item.delivery_id
        ),
        employee_id: None,
    }
}

/// Puts "needs re-link" first when the connection's status says so, and adds the changes held
/// for approval that no digest has named yet (only for a digest that is mailed: an approval
/// named is marked so).
async fn add_connection_wide(services: &Services, connection: &ConnectionId, digest: &mut Digest) {
    for line in digest::waiting_approvals(services, connection, digest).await {
        digest.push(DigestKind::HeldForApproval, line);
    }
    if let Some(line) = digest::relink_line(services, connection).await {
        digest.items.insert(
            0,
            DigestItem {
                kind: DigestKind::NeedsRelink,
                line,
                employee_id: None,
            },
        );
    }
}

/// The connection's mailer and notification settings, opened from its stored record (whatever
/// its status: a customer's app still gets tokens when a run could not go on); `None` (logged)
/// when it names no sender or cannot be opened.
async fn open_mailer(
    services: &Services,
    connection: &ConnectionId,
) -> Option<(Mailer, NotificationSettings)> {
    let stored = match services.connections.get(connection).await {
        Ok(Some((stored, _))) => stored,
        _ => return None,
    };
    let (settings, _) = MappingSettings::load(services.objects.as_ref(), connection)
        .await
        .ok()?;
    let notifications =
        NotificationSettings::from_plugin_config(&settings.config_json()).unwrap_or_default();
    notifications.sender.as_ref()?;
    let opened = open_connection(
        &stored,
        services.secrets.clone(),
        services.tenure_app.as_deref(),
        services.provision.client(),
    )
    .await;
    match opened {
        Ok((graph, _)) => Some((Mailer::new(graph, &notifications)?, notifications)),
        Err(error) => {
            tracing::warn!(%connection, %error, "the run's digest cannot be mailed: the connection cannot be opened");
            None
        }
    }
}
