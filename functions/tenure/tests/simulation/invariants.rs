//! What every simulated day must show: each hire one account, the onboarding no faster than
//! Microsoft's write limit allows, the engine's own split of work, the same figures for the
//! same seed.

use super::model::workload::{HrEvent, events, messages_by_hash};
use super::model::{Config, Report, SECOND, Scenario, messages, simulate};

/// A small deployment: 20 trickle tenants and one onboarding of 5,000 workers.
fn small_day(seed: u64) -> Scenario {
    Scenario {
        trickle_tenants: 20,
        onboarding_workers: 5_000,
        ..Scenario::issue_17(seed)
    }
}

#[test]
fn every_hire_gets_one_account_and_the_onboarding_never_beats_the_limit() {
    for config in [
        Config::deployed(),
        Config {
            lanes: 1,
            batch_size: 1,
            ..Config::deployed()
        },
        Config {
            timeout: 120 * SECOND,
            max_concurrency: 2,
            ..Config::deployed()
        },
    ] {
        let report = simulate(&config, &small_day(1));
        let hires: usize = events(&small_day(1))
            .iter()
            .skip(1)
            .map(|e| e.workers.len())
            .sum();
        assert_eq!(
            report.trickle.count, hires,
            "every trickle hire has an account"
        );
        assert_everyone_provisioned_once(&report);
        let onboarding = report.onboarding.expect("an onboarding");
        assert_eq!(onboarding.workers, 5_000);
        // 1 write to create, 1 or 2 in the $batch: 2.92 per worker on average.
        let per_worker = onboarding.writes as f64 / 5_000.0;
        assert!(
            (2.85..=3.0).contains(&per_worker),
            "{per_worker} writes per worker"
        );
        assert!(
            onboarding.seconds >= onboarding.window_floor,
            "the onboarding ({} s) cannot end before its last write window opens ({} s)",
            onboarding.seconds,
            onboarding.window_floor
        );
        assert!(
            report.counts.throttled > 0,
            "5,000 joiners meet the write limit"
        );
        assert!(report.trickle.p50 > 0.0 && report.trickle.max >= report.trickle.p99);
    }
}

#[test]
fn a_day_without_onboarding_meets_no_throttle_and_no_queue() {
    let report = simulate(
        &Config::deployed(),
        &Scenario {
            onboarding_workers: 0,
            ..small_day(2)
        },
    );
    assert!(report.onboarding.is_none());
    assert_eq!(report.counts.throttled, 0);
    assert_eq!(
        report.counts.killed + report.counts.failed_runs + report.dead_letters,
        0
    );
    // A hire waits for the poll, the run's set-up and its create: seconds, not minutes.
    assert!(report.trickle.max < 30.0, "{:?}", report.trickle);
}

#[test]
fn the_same_seed_gives_the_same_day() {
    let a = simulate(&Config::deployed(), &small_day(3));
    let b = simulate(&Config::deployed(), &small_day(3));
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    let c = simulate(&Config::deployed(), &small_day(4));
    assert_ne!(
        format!("{a:?}"),
        format!("{c:?}"),
        "another seed, another day"
    );
}

#[test]
fn the_models_split_by_lane_is_the_engines() {
    let onboarding: Vec<HrEvent> = events(&small_day(5)).into_iter().take(2).collect();
    for event in &onboarding {
        for per_message in [100, 500] {
            let engine = messages(event, 4, per_message);
            let model = messages_by_hash(event, 4, per_message);
            assert_eq!(engine.len(), model.len());
            for ((a, group_a), (b, group_b)) in engine.iter().zip(&model) {
                assert_eq!(group_a, group_b);
                assert_eq!(a, b);
            }
        }
    }
    let split = messages(&onboarding[0], 4, 500);
    let workers: usize = split.iter().map(|(item, _)| item.workers.len()).sum();
    assert_eq!(workers, 5_000);
    assert!(split.iter().all(|(item, _)| item.workers.len() <= 500));
    assert_eq!(
        messages(&onboarding[1], 4, 500).len(),
        1,
        "a webhook hire: one message"
    );
}

#[test]
fn hires_wait_only_when_onboardings_hold_every_invocation() {
    // 5,000 joiners keep four lanes busy for about twelve minutes from the day's start.
    let day = small_day(6);
    let starved = simulate(
        &Config {
            max_concurrency: 2,
            ..Config::deployed()
        },
        &day,
    );
    let roomy = simulate(&Config::deployed(), &day);
    assert!(starved.counts.peak_concurrency <= 2, "the cap holds");
    assert!(
        starved.trickle.max > 60.0,
        "two invocations, both an onboarding's: hires wait ({:?})",
        starved.trickle
    );
    assert!(
        roomy.counts.peak_concurrency > 2,
        "the onboarding's lanes and the trickle at once"
    );
    assert!(
        roomy.trickle.max < 30.0,
        "room beside the onboarding: {:?}",
        roomy.trickle
    );
}

#[test]
fn an_hourly_reconcile_queues_every_export_again_and_changes_nobody_twice() {
    let day = Scenario {
        trickle_directory: 300,
        reconcile_every: 3_600 * SECOND,
        ..small_day(7)
    };
    let quiet = simulate(
        &Config::deployed(),
        &Scenario {
            reconcile_every: 0,
            ..day.clone()
        },
    );
    let hourly = simulate(&Config::deployed(), &day);
    assert_eq!(
        (
            hourly.missing,
            hourly.doubled,
            hourly.unfinished,
            hourly.left_on_queue
        ),
        (0, 0, 0, 0),
        "{hourly:?}"
    );
    assert_eq!(
        hourly.trickle.count, quiet.trickle.count,
        "the staff are not hires"
    );
    assert!(
        hourly.counts.invocations >= quiet.counts.invocations + 9,
        "nine reconciles, each at least one invocation: {} against {}",
        hourly.counts.invocations,
        quiet.counts.invocations
    );
}

#[test]
fn a_wait_past_the_stop_time_is_left_to_a_continuation_not_waited_out() {
    // A 180 s timeout stops starting work half-way (90 s); Microsoft's waits run to the end
    // of its 150 s write window, so some end past the stop time.
    let report = simulate(
        &Config {
            timeout: 180 * SECOND,
            ..Config::deployed()
        },
        &small_day(7),
    );
    assert!(
        report.counts.postponed > 0,
        "some waits end past the stop time: {:?}",
        report.counts
    );
    assert!(report.counts.continuations > 0, "{:?}", report.counts);
    assert_eq!(
        (
            report.counts.killed,
            report.counts.failed_runs,
            report.dead_letters
        ),
        (0, 0, 0),
        "no invocation outlives its timeout for a wait: {:?}",
        report.counts
    );
    assert_everyone_provisioned_once(&report);
}

/// Nobody is left without an account or with actions to do, nobody has two, nothing is left on
/// the queue.
fn assert_everyone_provisioned_once(report: &Report) {
    assert_eq!(
        (
            report.missing,
            report.doubled,
            report.unfinished,
            report.left_on_queue
        ),
        (0, 0, 0, 0),
        "none missing, doubled, unfinished or left on the queue: {report:?}"
    );
}
