//! Work split into lanes: each worker always in the same lane of its connection, each item in
//! one lane, so a FIFO message group keeps one worker's events in order.

use std::collections::HashSet;

use tenure::queue::{PER_TENANT_LANES, WorkItem, lane_among, lane_of};
use tenure::store::connections::ConnectionId;

use super::helpers::{TestResult, workers};

#[test]
fn every_item_keeps_to_one_lane_and_names_its_group() -> TestResult {
    let connection = ConnectionId::parse("acme")?;
    let items = WorkItem::split(&connection, "d-lanes", workers(200)?)?;
    let mut lanes = HashSet::new();
    let mut total = 0;
    for item in &items {
        let lane = item.lane();
        assert!(lane < PER_TENANT_LANES);
        assert!(lanes.insert(lane), "lane {lane} split over two items");
        for queued in &item.workers {
            assert_eq!(lane_of(queued.worker.employee_id.as_str()), lane);
        }
        assert_eq!(item.message_group(), format!("acme/{lane}"));
        total += item.workers.len();
    }
    assert_eq!(total, 200);
    assert_eq!(
        lanes.len(),
        PER_TENANT_LANES as usize,
        "200 workers fill every lane"
    );
    Ok(())
}

#[test]
fn a_lane_is_a_stable_function_of_the_employee_id() {
    // SHA-256 based: the same in every process and release (std's hasher is seeded).
    assert_eq!(lane_of("1001"), lane_of("1001"));
    let spread: HashSet<u32> = (0..64).map(|i| lane_of(&format!("E{i}"))).collect();
    assert_eq!(spread.len(), PER_TENANT_LANES as usize);
}

#[test]
fn lanes_among_another_count_use_the_same_hash() {
    for i in 0..64 {
        let id = format!("E{i}");
        assert_eq!(lane_among(&id, PER_TENANT_LANES), lane_of(&id));
        assert!(lane_among(&id, 8) < 8);
        assert_eq!(lane_among(&id, 1), 0);
        assert_eq!(lane_among(&id, 0), 0, "no lanes reads as one");
    }
    let spread: HashSet<u32> = (0..256).map(|i| lane_among(&format!("E{i}"), 8)).collect();
    assert_eq!(spread.len(), 8);
}

#[test]
fn at_most_caps_the_workers_of_an_item() -> TestResult {
    let connection = ConnectionId::parse("acme")?;
    let items = WorkItem::split_at_most(&connection, "d-cap", workers(50)?, 5)?;
    assert!(
        items
            .iter()
            .all(|i| !i.workers.is_empty() && i.workers.len() <= 5)
    );
    assert_eq!(items.iter().map(|i| i.workers.len()).sum::<usize>(), 50);
    Ok(())
}
