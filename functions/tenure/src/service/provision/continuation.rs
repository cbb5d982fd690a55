//! What a run that stopped before its end leaves of each of its messages: a message whose
//! workers are all done is done; the rest of a message becomes a **continuation**, a new
//! message of the same connection, delivery, approval, part and lane carrying only the workers
//! not yet done. The original is then reported done, so a large message never counts as a
//! failed receive and never reaches the dead-letter queue for being large.
//!
//! A continuation names the message first queued (`origin`, the SHA-256 of its body as this
//! code writes it) and its `step`; its FIFO deduplication id comes from these
//! ([`WorkItem::deduplication_id`]), so when an invocation is retried after it queued a
//! remainder, the remainder it queues again is dropped by SQS as the same message (the first
//! carries every worker the retry leaves, as the retry can only have done more).

use std::collections::{HashMap, HashSet};

use sha2::{Digest as _, Sha256};

use crate::queue::{Continuation, WorkItem};

/// The remainder of each of `items` (a run's messages, in the order received) once the workers
/// in `unfinished` (employee ids) were not done: `None` for a message that is done, else its
/// continuation. A worker's remainder goes with the last message of the run that carries it
/// (the run planned that record: a later record of an employee wins), as its last record there;
/// an earlier message's copy of it is done with that message.
pub fn remainders(items: &[WorkItem], unfinished: &HashSet<String>) -> Vec<Option<WorkItem>> {
    // Where each unfinished worker's last record is: (message, place in its workers).
    let mut last: HashMap<&str, (usize, usize)> = HashMap::new();
    for (m, item) in items.iter().enumerate() {
        for (w, queued) in item.workers.iter().enumerate() {
            let id = queued.worker.employee_id.as_str();
            if unfinished.contains(id) {
                last.insert(id, (m, w));
            }
        }
    }
    let mut carried: Vec<Vec<usize>> = vec![Vec::new(); items.len()];
    for &(m, w) in last.values() {
        carried[m].push(w);
    }
    items
        .iter()
        .zip(carried)
        .map(|(item, mut places)| {
            if places.is_empty() {
                return None;
            }
            places.sort_unstable();
            Some(WorkItem {
                workers: places.iter().map(|&w| item.workers[w].clone()).collect(),
                continues: Some(next_step(item)),
                ..item.clone()
            })
        })
        .collect()
}

/// `item` whole as its own continuation (a message the invocation had no time to start).
pub(super) fn whole(item: &WorkItem) -> WorkItem {
    WorkItem {
        continues: Some(next_step(item)),
        ..item.clone()
    }
}

/// The continuation a remainder of `item` is: of the same origin, one step further.
fn next_step(item: &WorkItem) -> Continuation {
    match &item.continues {
        Some(c) => Continuation {
            origin: c.origin.clone(),
            step: c.step.saturating_add(1),
        },
        None => Continuation {
            // A work item always serializes (strings, numbers and dates only).
            origin: hex::encode(Sha256::digest(item.to_json().unwrap_or_default())),
            step: 1,
        },
    }
}
