//! The HR batch of one provision run, from the queued workers.

use std::collections::HashMap;

use crate::hr::{HrBatch, SourcedWorker};
use crate::queue::WorkItem;
use crate::worker::SourceRef;

/// The workers of `items`, in order, each employee once: a later record of the same employee
/// id (a later event of one delivery, or a later delivery) replaces an earlier one.
///
/// The HR cross-record checks are not run: a batch holds a few workers, and a manager missing
/// from it is not missing from HR (the planner finds managers in the directory).
pub(crate) fn hr_batch(items: &[WorkItem]) -> HrBatch {
    let mut position: HashMap<String, usize> = HashMap::new();
    let mut workers: Vec<SourcedWorker> = Vec::new();
    for queued in items.iter().flat_map(|item| &item.workers) {
        let sourced = SourcedWorker {
            worker: queued.worker.clone(),
            source: source_ref(&queued.source),
        };
        match position.get(queued.worker.employee_id.as_str()) {
            Some(&at) => workers[at] = sourced,
            None => {
                position.insert(queued.worker.employee_id.as_str().to_owned(), workers.len());
                workers.push(sourced);
            }
        }
    }
    HrBatch {
        workers,
        quarantined: Vec::new(),
    }
}

/// `file:line` back into a source reference (line 0 when the text has no line).
fn source_ref(text: &str) -> SourceRef {
    match text
        .rsplit_once(':')
        .and_then(|(file, line)| Some((file, line.parse().ok()?)))
    {
        Some((file, line)) => SourceRef {
            file: file.into(),
            line,
        },
        None => SourceRef {
            file: text.into(),
            line: 0,
        },
    }
}
