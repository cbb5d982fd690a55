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

/// Under a deadline on a slow tenant, `handle_sqs` does what it can, queues the rest of each
/// message on the FIFO work queue (moto) and reports every message done; the same batch handled
/// again (a retried invocation) queues no second remainder; the remainders finish the work, each
/// account made and recorded once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_run_continues_its_messages_once_even_when_retried() -> TestResult {
    use std::collections::BTreeMap;
    use tenure::apply::AuditRecord;
    use tenure::service::provision::handle_sqs;
    use tenure_emulator::Faults;

    use super::helpers::{Env, failures, items_event, sqs_event};

    const ARN: &str = "arn:aws:sqs:us-east-1:123456789012:tenure-work.fifo";
    let env = Env::aws().await?;
    let ids: Vec<String> = (0..20).map(|n| format!("96{n:02}")).collect();
    let workers = ids
        .iter()
        .map(|id| new_hire(id))
        .collect::<Result<Vec<_>, _>>()?;
    let items = WorkItem::split(&env.connection, "d-continued", workers)?;
    let event = items_event(ARN, &items)?;

    // Each request takes 300 ms and the run must stop starting work within a second: the
    // tenant read and the first slice alone take longer, so most of the workers are left.
    env.tenant.set_faults(Faults {
        slow: 1.0,
        slow_delay: Duration::from_millis(300),
        ..Faults::default()
    });
    let soon = || Deadline::at(Instant::now() + Duration::from_secs(1), Duration::ZERO);
    let response = handle_sqs(&env.services, event.clone(), soon()).await;
    assert!(failures(&response).is_empty(), "{response:?}");
    let made_first = ids.iter().filter(|id| env.user(id).is_some()).count();
    assert!(
        made_first < ids.len(),
        "{made_first} made: nothing was left"
    );
    // The invocation is retried (its answer was lost): the same messages, the same stop.
    let response = handle_sqs(&env.services, event, soon()).await;
    assert!(failures(&response).is_empty(), "{response:?}");
    env.tenant.set_faults(Faults::default());

    // One remainder per message that had any left: the retry's were dropped as duplicates.
    let mut continuations: Vec<(String, WorkItem)> = Vec::new();
    loop {
        let received = env
            .services
            .queue
            .receive(10, Duration::from_secs(1))
            .await?;
        if received.is_empty() {
            break;
        }
        for message in received {
            env.services.queue.delete(&message.receipt).await?;
            continuations.push((message.id.0, message.item?));
        }
    }
    assert!(!continuations.is_empty());
    let mut groups: Vec<String> = continuations
        .iter()
        .map(|(_, c)| c.message_group())
        .collect();
    groups.sort();
    let distinct = groups.len();
    groups.dedup();
    assert_eq!(groups.len(), distinct, "a message was continued twice");
    for (_, continuation) in &continuations {
        assert_eq!(continuation.continues.as_ref().map(|c| c.step), Some(1));
    }
    for id in ids.iter().filter(|id| env.user(id).is_none()) {
        assert!(
            continuations.iter().any(|(_, c)| c.workers.iter().any(|w| w
                .worker
                .employee_id
                .as_str()
                == id)),
            "{id} was neither done nor continued"
        );
    }

    // The remainders finish the work.
    let bodies: Vec<(String, String, String)> = continuations
        .iter()
        .map(|(id, c)| Ok((id.clone(), c.message_group(), c.to_json()?)))
        .collect::<Result<_, Error>>()?;
    let records: Vec<(&str, &str, &str)> = bodies
        .iter()
        .map(|(id, group, body)| (id.as_str(), group.as_str(), body.as_str()))
        .collect();
    let response = handle_sqs(&env.services, sqs_event(ARN, &records)?, Deadline::none()).await;
    assert!(failures(&response).is_empty(), "{response:?}");
    let mut creates: BTreeMap<String, usize> = BTreeMap::new();
    for (key, text) in env.all_objects().await? {
        if !key
            .as_str()
            .starts_with(&format!("audit/{}/", env.connection))
            || key.as_str().contains("/access-")
        {
            continue;
        }
        for line in text.lines().filter(|l| !l.is_empty()) {
            let record: AuditRecord = serde_json::from_str(line)?;
            if record.action == "create_user" {
                *creates.entry(record.employee_id).or_default() += 1;
            }
        }
    }
    let state = env.tenant.state();
    for id in &ids {
        let accounts = state
            .users
            .iter()
            .filter(|u| u.employee_id.as_deref() == Some(id.as_str()))
            .count();
        assert_eq!(accounts, 1, "{id}");
        assert_eq!(creates.get(id), Some(&1), "{id}'s creation recorded");
    }
    Ok(())
}
