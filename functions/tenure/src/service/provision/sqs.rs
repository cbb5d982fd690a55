//! The `provision` Lambda function's handler: an SQS batch in, the messages to retry out.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

use super::notices::{dead_letter_line, record_failed, retry_line};
use super::{Deadline, provision_until};
use crate::queue::{DeadLetter, WorkItem};
use crate::service::Services;
use crate::store::connections::ConnectionId;

/// One message of a batch that holds a work item.
pub(super) struct Message {
    /// The queue's id of it.
    pub(super) id: String,
    /// The body as received.
    pub(super) body: String,
    /// The work.
    pub(super) item: WorkItem,
}

/// What became of a group of messages.
pub(super) enum Settled {
    /// Done (or given up on and dead-lettered): delete them.
    Done,
    /// To be tried again: leave them on the queue.
    Retry,
}

/// Handles one SQS batch: the messages are grouped by connection and each group is provisioned
/// in one run. A group that failed for a reason that may pass (the network, throttling, a store
/// unavailable) is reported in `batch_item_failures`, so only its messages come back; a message
/// that can never be handled (a body that is not a work item of a known version, an unknown
/// connection, missing settings, a connection to re-link…) is sent to the dead-letter queue with
/// its reason and reported done. A message the dead-letter queue did not take is reported
/// failed, so it is not lost.
///
/// No new work starts after `deadline`'s stop time: a message left unfinished is re-queued as a
/// continuation of its remainder (the same lane; [`super::remainders`]) and reported done, so a
/// large batch neither times out nor counts as a failed receive. A group not reached by then is
/// re-queued whole the same way (`defer`), and so is a group whose tenant read Microsoft asked
/// to wait for past the stop time (nothing of it applied: [`super::ProvisionReport::postponed`]).
pub async fn handle_sqs(
    services: &Services,
    event: SqsEvent,
    deadline: Deadline,
) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    let mut messages = Vec::new();
    for record in event.records {
        let id = record.message_id.unwrap_or_default();
        let body = record.body.unwrap_or_default();
        match WorkItem::from_json(&body) {
            Ok(item) => messages.push(Message { id, body, item }),
            Err(error) => {
                let reason = format!("message {id}: {error}");
                if !dead_letter(services, &id, &body, &reason).await {
                    response.add_failure(id);
                }
            }
        }
    }
    for group in by_connection(messages) {
        let past_stop = deadline
            .stop_at()
            .is_some_and(|stop| std::time::Instant::now() >= stop);
        let settled = match past_stop {
            true => defer(services, &group).await,
            false => settle(services, &group, deadline).await,
        };
        if let Settled::Retry = settled {
            for message in group {
                response.add_failure(message.id);
            }
        }
    }
    response
}

/// The messages grouped by connection, groups and messages in the order received.
pub(super) fn by_connection(messages: Vec<Message>) -> Vec<Vec<Message>> {
    let mut groups: Vec<(ConnectionId, Vec<Message>)> = Vec::new();
    for message in messages {
        match groups
            .iter_mut()
            .find(|(id, _)| *id == message.item.connection_id)
        {
            Some((_, group)) => group.push(message),
            None => groups.push((message.item.connection_id.clone(), vec![message])),
        }
    }
    groups.into_iter().map(|(_, group)| group).collect()
}

/// Provisions one connection's messages until `deadline`, queueing the remainders of those it
/// did not finish; dead-letters them when they can never succeed.
pub(super) async fn settle(services: &Services, group: &[Message], deadline: Deadline) -> Settled {
    let items: Vec<WorkItem> = group.iter().map(|m| m.item.clone()).collect();
    match provision_until(services, &items, deadline).await {
        Ok(report) => {
            tracing::info!(
                connection = %report.connection,
                messages = group.len(),
                workers = report.workers,
                actions = report.planned,
                refused = report.refused.is_some(),
                continuations = report.continuations.len(),
                postponed = report.postponed.as_deref(),
                "work done"
            );
            if report.continuations.is_empty() {
                return Settled::Done;
            }
            match services.queue.send(report.continuations).await {
                Ok(_) => Settled::Done,
                Err(error) => {
                    // The messages come back whole: what this run did is done, the rest is not lost.
                    tracing::warn!(%error, messages = group.len(), "cannot queue the rest of the work; the messages come back");
                    Settled::Retry
                }
            }
        }
        Err(error) if error.is_retryable() => {
            tracing::warn!(%error, messages = group.len(), "provisioning failed; the messages come back later");
            let reason = error.to_string();
            record_failed_group(services, &items, |item| retry_line(item, &reason), deadline).await;
            Settled::Retry
        }
        Err(error) => {
            let reason = error.to_string();
            let mut all_kept = true;
            for message in group {
                all_kept &= dead_letter(services, &message.id, &message.body, &reason).await;
            }
            if all_kept {
                record_failed_group(
                    services,
                    &items,
                    |item| dead_letter_line(item, &reason),
                    deadline,
                )
                .await;
                Settled::Done
            } else {
                Settled::Retry
            }
        }
    }
}

/// A group the invocation had no time left to start: each message re-queued whole as its own
/// continuation and done. A group with a message that carries no workers (one that only brings
/// a run) comes back instead, as a failed receive.
async fn defer(services: &Services, group: &[Message]) -> Settled {
    let items: Vec<WorkItem> = group.iter().map(|m| m.item.clone()).collect();
    let Some(continuations) = super::continuation::whole_run(&items) else {
        return Settled::Retry;
    };
    match services.queue.send(continuations).await {
        Ok(_) => {
            tracing::info!(
                messages = group.len(),
                "no time left to start these messages; queued again"
            );
            Settled::Done
        }
        Err(error) => {
            tracing::warn!(%error, messages = group.len(), "cannot queue messages again; they come back");
            Settled::Retry
        }
    }
}

/// Sends a message to the dead-letter queue with its reason (and logs it); `false` when the
/// dead-letter queue did not take it.
pub(super) async fn dead_letter(services: &Services, id: &str, body: &str, reason: &str) -> bool {
    tracing::error!(
        message = id,
        reason,
        "giving up on a message: sent to the dead-letter queue"
    );
    let letter = DeadLetter::new(Some(id.to_owned()), body, reason);
    match services.dead_letters.send(&letter).await {
        Ok(()) => true,
        Err(error) => {
            tracing::error!(message = id, %error, "the dead-letter queue did not take the message; it stays on its queue");
            false
        }
    }
}

/// Records the failed messages' lines in their runs' digests (each message's items are of one
/// connection, the group's) and sends the digests this completed.
async fn record_failed_group(
    services: &Services,
    items: &[WorkItem],
    line: impl Fn(&WorkItem) -> crate::notify::DigestItem,
    deadline: Deadline,
) {
    let Some(first) = items.first() else {
        return;
    };
    let report = record_failed(
        services,
        &first.connection_id,
        items,
        line,
        deadline.stop_at(),
    )
    .await;
    if report.sent > 0 {
        tracing::info!(connection = %first.connection_id, mails = report.sent, "digest sent for a run that failed");
    }
}
