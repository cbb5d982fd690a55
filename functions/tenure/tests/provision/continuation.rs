//! Split and continue: what a run that stopped before its deadline leaves of each message
//! (`remainders`), the continuations' deduplication ids, and the deadline's stop time.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use tenure::queue::{QueuedWorker, WorkItem};
use tenure::service::provision::{Deadline, remainders};
use tenure::store::connections::ConnectionId;

use super::helpers::{Error, TestResult, new_hire};

/// A run's messages: the lanes of one delivery of `ids`, then those of a second delivery of
/// `again` (later records of some of the same workers).
fn run_of(ids: &[u32], again: &[u32]) -> Result<Vec<WorkItem>, Error> {
    let connection = ConnectionId::parse("continuation-test")?;
    let hires = |ids: &[u32]| {
        ids.iter()
            .map(|n| new_hire(&format!("8{n:03}")))
            .collect::<Result<Vec<_>, _>>()
    };
    let mut items = WorkItem::split_at_most(&connection, "d-first", hires(ids)?, 3)?;
    if !again.is_empty() {
        items.extend(WorkItem::split_at_most(
            &connection,
            "d-second",
            hires(again)?,
            3,
        )?);
    }
    Ok(items)
}

/// Each employee's last record in the run: (message, the record).
fn last_records(items: &[WorkItem]) -> HashMap<String, (usize, QueuedWorker)> {
    let mut last = HashMap::new();
    for (m, item) in items.iter().enumerate() {
        for queued in &item.workers {
            last.insert(
                queued.worker.employee_id.as_str().to_owned(),
                (m, queued.clone()),
            );
        }
    }
    last
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every unfinished worker is carried on exactly once, as its last record, by a
    /// continuation of the message that carried that record, in the same lane; nothing
    /// finished is carried on; a message with nothing left is done.
    #[test]
    fn a_remainder_carries_each_unfinished_worker_once_in_its_lane(
        ids in proptest::collection::btree_set(0u32..40, 1..24),
        again_picks in proptest::collection::vec(any::<bool>(), 24),
        unfinished_picks in proptest::collection::vec(any::<bool>(), 24),
    ) {
        let ids: Vec<u32> = ids.into_iter().collect();
        let again: Vec<u32> = ids.iter().zip(&again_picks).filter(|(_, p)| **p).map(|(n, _)| *n).collect();
        let items = run_of(&ids, &again).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let unfinished: HashSet<String> = ids
            .iter()
            .zip(&unfinished_picks)
            .filter(|(_, p)| **p)
            .map(|(n, _)| format!("8{n:03}"))
            .collect();

        let left = remainders(&items, &unfinished);

        prop_assert_eq!(left.len(), items.len());
        let last = last_records(&items);
        let mut carried: Vec<String> = Vec::new();
        for (m, (item, remainder)) in items.iter().zip(&left).enumerate() {
            let owes: Vec<&String> = last
                .iter()
                .filter(|(id, (at, _))| *at == m && unfinished.contains(*id))
                .map(|(id, _)| id)
                .collect();
            let Some(next) = remainder else {
                prop_assert!(owes.is_empty(), "message {} is done but owes {:?}", m, owes);
                continue;
            };
            prop_assert_eq!(&next.connection_id, &item.connection_id);
            prop_assert_eq!(&next.delivery_id, &item.delivery_id);
            prop_assert_eq!(next.part, item.part);
            prop_assert_eq!(&next.approval, &item.approval);
            prop_assert_eq!(next.message_group(), item.message_group());
            let continues = next.continues.as_ref().ok_or_else(|| TestCaseError::fail("no continues"))?;
            prop_assert_eq!(continues.step, 1);
            for queued in &next.workers {
                let id = queued.worker.employee_id.as_str().to_owned();
                prop_assert!(unfinished.contains(&id), "{} was finished", id);
                prop_assert_eq!(&last[&id], &(m, queued.clone()), "not {}'s last record", id);
                carried.push(id);
            }
            // The body stays within the message limit whatever the original's size.
            prop_assert!(next.to_json().map_err(|e| TestCaseError::fail(e.to_string()))?.len() < tenure::queue::MAX_MESSAGE_BYTES + 1024);
        }
        carried.sort();
        let mut expected: Vec<String> = unfinished.iter().cloned().collect();
        expected.sort();
        prop_assert_eq!(carried, expected);
    }

    /// A continuation's deduplication id depends only on the message it continues and the step:
    /// a retried invocation that finished more (or less) of the message queues a remainder SQS
    /// takes for the same one; different messages and later steps get different ids.
    #[test]
    fn deduplication_ids_are_stable_across_retries(
        ids in proptest::collection::btree_set(0u32..40, 2..16),
        first_picks in proptest::collection::vec(any::<bool>(), 16),
        retry_picks in proptest::collection::vec(any::<bool>(), 16),
    ) {
        let ids: Vec<u32> = ids.into_iter().collect();
        let items = run_of(&ids, &[]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let pick = |picks: &[bool]| -> HashSet<String> {
            ids.iter().zip(picks).filter(|(_, p)| **p).map(|(n, _)| format!("8{n:03}")).collect()
        };
        let dedup = |item: &WorkItem| -> Result<String, TestCaseError> {
            let body = item.to_json().map_err(|e| TestCaseError::fail(e.to_string()))?;
            Ok(item.deduplication_id(&body))
        };
        let first = remainders(&items, &pick(&first_picks));
        let retry = remainders(&items, &pick(&retry_picks));
        let mut seen: HashSet<String> = items.iter().map(&dedup).collect::<Result<_, _>>()?;
        for (a, b) in first.iter().zip(&retry) {
            if let (Some(a), Some(b)) = (a, b) {
                prop_assert_eq!(dedup(a)?, dedup(b)?);
                prop_assert_eq!(&a.continues, &b.continues);
            }
            if let Some(a) = a {
                prop_assert!(seen.insert(dedup(a)?), "a continuation shares an id with another message");
                // The remainder of the remainder: the same origin, the next step, another id.
                let everyone: HashSet<String> = a.workers.iter().map(|w| w.worker.employee_id.as_str().to_owned()).collect();
                let further = remainders(std::slice::from_ref(a), &everyone).remove(0)
                    .ok_or_else(|| TestCaseError::fail("nothing left of a remainder"))?;
                let (c1, c2) = (a.continues.clone().unwrap_or_else(|| unreachable!()), further.continues.clone().unwrap_or_else(|| unreachable!()));
                prop_assert_eq!(&c2.origin, &c1.origin);
                prop_assert_eq!(c2.step, 2);
                prop_assert!(seen.insert(dedup(&further)?));
            }
        }
    }
}

#[test]
fn a_continuation_round_trips_and_a_plain_item_has_no_continues_field() -> TestResult {
    let items = run_of(&[1, 2, 3, 4], &[])?;
    assert!(!items[0].to_json()?.contains("continues"));
    let unfinished: HashSet<String> = items[0]
        .workers
        .iter()
        .map(|w| w.worker.employee_id.as_str().to_owned())
        .collect();
    let next = remainders(&items, &unfinished)
        .remove(0)
        .ok_or("no remainder")?;
    assert_eq!(WorkItem::from_json(&next.to_json()?)?, next);
    Ok(())
}

#[test]
fn nothing_unfinished_leaves_nothing() -> TestResult {
    let items = run_of(&[1, 2, 3, 4, 5, 6, 7], &[2, 5])?;
    assert!(
        remainders(&items, &HashSet::new())
            .iter()
            .all(Option::is_none)
    );
    Ok(())
}

#[test]
fn a_deadline_stops_work_its_margin_before_but_keeps_half_the_time_left() {
    let now = Instant::now();
    let deadline = now + Duration::from_secs(600);
    let stop = Deadline::at(deadline, Duration::from_secs(130))
        .stop_at()
        .unwrap_or(now);
    assert_eq!(deadline - stop, Duration::from_secs(130));

    // A margin longer than the invocation: half of the time left, not none.
    let short = now + Duration::from_secs(20);
    let stop = Deadline::at(short, Duration::from_secs(130))
        .stop_at()
        .unwrap_or(now);
    assert!(
        stop >= now + Duration::from_secs(10) && stop < short,
        "{stop:?}"
    );
    assert_eq!(Deadline::none().stop_at(), None);
}
