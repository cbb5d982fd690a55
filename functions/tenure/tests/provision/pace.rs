//! The slices of a run under a deadline (`Pace`), judged in given instants: the rule the
//! provision run applies and the fairness simulation (`benches/fairness`) reuses.

use std::time::{Duration, Instant};

use tenure::service::provision::{Deadline, Pace};

#[test]
fn a_deadline_judged_from_a_given_instant_is_the_same_as_from_the_clock() {
    let start = Instant::now() + Duration::from_secs(3_600);
    let deadline = Deadline::at_from(
        start,
        start + Duration::from_secs(300),
        Duration::from_secs(130),
    );
    assert_eq!(deadline.stop_at(), Some(start + Duration::from_secs(170)));
    // Half of the time left, however long the margin.
    let short = Deadline::at_from(
        start,
        start + Duration::from_secs(60),
        Duration::from_secs(130),
    );
    assert_eq!(short.stop_at(), Some(start + Duration::from_secs(30)));
}

#[test]
fn slices_start_at_the_concurrency_then_fill_half_the_time_left_within_the_margin() {
    let start = Instant::now() + Duration::from_secs(3_600);
    let margin = Duration::from_secs(130);
    let deadline = Deadline::at_from(start, start + Duration::from_secs(300), margin);
    let mut pace = Pace::new(deadline, 8);
    assert_eq!(
        pace.next_at(start, 5_000),
        8,
        "the first slice: as many as in flight"
    );
    assert_eq!(pace.next_at(start, 3), 3, "never more than are left");

    // 8 workers in 8 s: 1 s each; 170 s left, so half the margin (65 s) fits 65.
    pace.record(8, Duration::from_secs(8));
    assert_eq!(pace.next_at(start + Duration::from_secs(8), 5_000), 65);
    // 20 s before the stop: half of those, 10.
    assert_eq!(pace.next_at(start + Duration::from_secs(150), 5_000), 10);
    // The slowest pace seen wins: a slice at 4 s per worker; 110 s left, 55 s fit 13.
    pace.record(10, Duration::from_secs(40));
    assert_eq!(pace.next_at(start + Duration::from_secs(60), 5_000), 13);
    // Close to the stop, one at least; at or past it, none.
    assert_eq!(pace.next_at(start + Duration::from_secs(169), 5_000), 1);
    assert_eq!(pace.next_at(start + Duration::from_secs(170), 5_000), 0);
}

#[test]
fn without_a_deadline_one_slice_takes_everything() {
    let pace = Pace::new(Deadline::none(), 8);
    assert_eq!(pace.next_at(Instant::now(), 100_000), 100_000);
}
