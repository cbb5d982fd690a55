//! Fairness and scale of one deployment, by simulation (issue 17): 200 tenants, one onboarding
//! 100,000 workers at the start of the working day, 199 with a trickle of hires. For the
//! template's defaults and around them (batch size, lanes, concurrency, workers per message), it
//! reports the trickle tenants' time from HR event to account (p50, p99, max; with and without
//! the onboarding), the onboarding's time as a multiple of its throttle floor, and what Lambda
//! ran. The model (`model/`) is a discrete-event simulation in virtual time driving the engine's
//! own queueing, lane, pacing and continuation code; see docs/benchmarks.md.
//!
//! `cargo bench --profile dev --workspace --bench fairness -- [WORKERS [SEED [ROWS]]]` (ROWS: only
//! the configurations whose name contains it, such as `defaults`)

mod model;

use std::error::Error;
use std::time::Instant;

use model::{Config, Report, SECOND, Scenario, simulate};
use tenure_test_support::machine::{cores, cpu_model};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let workers: usize = args.first().map_or(Ok(100_000), |a| a.parse())?;
    let seed: u64 = args.get(1).map_or(Ok(17), |a| a.parse())?;
    // Only the rows whose name has this in it (`defaults`: the first).
    let only = args.get(2).cloned().unwrap_or_default();
    println!("fairness: {} cores, {}", cores(), cpu_model());
    let scenario = Scenario {
        onboarding_workers: workers,
        ..Scenario::issue_17(seed)
    };
    let quiet = Scenario {
        onboarding_workers: 0,
        ..scenario.clone()
    };
    println!(
        "{} trickle tenants ({}–{} hires per {} h day, {} users each), one onboarding {} workers at 0 s; seed {seed}",
        scenario.trickle_tenants,
        scenario.hires_per_day.0,
        scenario.hires_per_day.1,
        scenario.working_day / (3_600 * SECOND),
        scenario.trickle_directory,
        scenario.onboarding_workers,
    );
    println!();
    println!(
        "{:<34} | {:>22} | {:>22} | {:>15} | {:>6} {:>5} {:>7} {:>6} {:>6} {:>6} {:>4} {:>6}",
        "configuration",
        "trickle alone p50/p99/max s",
        "with onboarding",
        "onboarding h (×floor)",
        "invoc.",
        "peak",
        "busy h",
        "429s",
        "postp.",
        "killed",
        "dead",
        "lost"
    );
    for (name, config, load) in configurations() {
        if !name.contains(&only) {
            continue;
        }
        let started = Instant::now();
        let alone = simulate(&config, &load.on(&quiet));
        let with = simulate(&config, &load.on(&scenario));
        print_row(&name, &alone, &with);
        if name == "deployed defaults" {
            print_details(&with);
        }
        check(&name, &alone)?;
        check(&name, &with)?;
        eprintln!(
            "  ({name}: simulated in {:.1} s)",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// The template's defaults, then one setting changed at a time around them (the defaults
/// before this benchmark among them); then the load: more onboardings at once, ten times the
/// trickle.
fn configurations() -> Vec<(String, Config, Load)> {
    let deployed = Config::deployed();
    let before = Config {
        max_concurrency: 10,
        ..deployed.clone()
    };
    let same = Load::default();
    let hourly = Load {
        reconcile: true,
        ..same
    };
    let mut all = vec![
        ("deployed defaults".to_owned(), deployed.clone(), same),
        ("before: concurrency 10".to_owned(), before.clone(), same),
    ];
    let mut vary = |name: String, config: Config| all.push((name, config, same));
    for batch_size in [1, 5] {
        vary(
            format!("batch {batch_size}"),
            Config {
                batch_size,
                ..deployed.clone()
            },
        );
    }
    for lanes in [1, 2, 8] {
        vary(
            format!("lanes {lanes}"),
            Config {
                lanes,
                ..deployed.clone()
            },
        );
    }
    for max_concurrency in [2, 5] {
        vary(
            format!("concurrency {max_concurrency}"),
            Config {
                max_concurrency,
                ..deployed.clone()
            },
        );
    }
    for workers_per_message in [100, 250] {
        vary(
            format!("{workers_per_message} workers per message"),
            Config {
                workers_per_message,
                ..deployed.clone()
            },
        );
    }
    for timeout in [180, 900] {
        vary(
            format!("timeout {timeout} s"),
            Config {
                timeout: timeout * SECOND,
                ..deployed.clone()
            },
        );
    }
    for lanes in [1, 2, 4] {
        let mut slow = Config {
            lanes,
            ..deployed.clone()
        };
        slow.costs.latency = slow.costs.latency.times(3);
        vary(format!("Graph 3× slower, lanes {lanes}"), slow);
    }
    for onboardings in [2, 4, 6] {
        all.push((
            format!("{onboardings} onboardings at once"),
            deployed.clone(),
            Load {
                onboardings,
                ..same
            },
        ));
    }
    all.push((
        "before, 3 onboardings at once".to_owned(),
        before.clone(),
        Load {
            onboardings: 3,
            ..same
        },
    ));
    all.push((
        "10× the trickle".to_owned(),
        deployed.clone(),
        Load {
            trickle: 10.0,
            ..same
        },
    ));
    all.push((
        "hourly reconcile of every tenant".to_owned(),
        deployed.clone(),
        hourly,
    ));
    all.push((
        "hourly reconcile, before".to_owned(),
        before.clone(),
        hourly,
    ));
    for batch_size in [1, 5] {
        all.push((
            format!("hourly reconcile, batch {batch_size}"),
            Config {
                batch_size,
                ..deployed.clone()
            },
            hourly,
        ));
    }
    all.push((
        "hourly reconcile, concurrency 50".to_owned(),
        Config {
            max_concurrency: 50,
            ..deployed.clone()
        },
        hourly,
    ));
    all
}

/// The scenario's load, scaled.
#[derive(Debug, Clone, Copy)]
struct Load {
    onboardings: usize,
    trickle: f64,
    /// Every tenant's export queued again every hour (the template's schedule).
    reconcile: bool,
}

impl Default for Load {
    fn default() -> Self {
        Self {
            onboardings: 1,
            trickle: 1.0,
            reconcile: false,
        }
    }
}

impl Load {
    fn on(&self, scenario: &Scenario) -> Scenario {
        let (low, high) = scenario.hires_per_day;
        Scenario {
            onboardings: self.onboardings,
            hires_per_day: (low * self.trickle, high * self.trickle),
            reconcile_every: if self.reconcile { 3_600 * SECOND } else { 0 },
            ..scenario.clone()
        }
    }
}

/// The deployed defaults in full.
fn print_details(report: &Report) {
    let t = &report.trickle;
    println!(
        "deployed defaults: {} trickle hires, HR event to account p50 {:.1} s, p99 {:.1} s, max {:.1} s",
        t.count, t.p50, t.p99, t.max
    );
    if let Some(o) = &report.onboarding {
        println!(
            "onboarding: {} workers, {} writes ({:.2} per worker) in {:.0} s = {:.3} × the floor of {:.0} s \
             (writes at 20/s; the last of their 150 s windows opens at {:.0} s)",
            o.workers,
            o.writes,
            o.writes as f64 / o.workers.max(1) as f64,
            o.seconds,
            o.ratio(),
            o.floor,
            o.window_floor
        );
    }
    let c = &report.counts;
    println!(
        "lambda: {} invocations ({} with onboarding work), peak concurrency {}, {:.1} invocation-hours; \
         {} requests answered 429 ({} not waited for: past the stop time), {} runs failed, \
         {} invocations killed at their timeout, {} continuations, {} messages deferred whole, \
         {} dead letters; last event at {:.0} s",
        c.invocations,
        c.onboarding_invocations,
        c.peak_concurrency,
        c.busy as f64 / (3_600 * SECOND) as f64,
        c.throttled,
        c.postponed,
        c.failed_runs,
        c.killed,
        c.continuations,
        c.deferred,
        report.dead_letters,
        c.end as f64 / SECOND as f64,
    );
}

fn print_row(name: &str, alone: &Report, with: &Report) {
    let triple = |r: &Report| {
        format!(
            "{:.1}/{:.1}/{:.1}",
            r.trickle.p50, r.trickle.p99, r.trickle.max
        )
    };
    let onboarding = with.onboarding.map_or("-".to_owned(), |o| {
        format!("{:.2} ({:.3})", o.seconds / 3_600.0, o.ratio())
    });
    let c = &with.counts;
    println!(
        "{name:<34} | {:>22} | {:>22} | {:>15} | {:>6} {:>5} {:>7.1} {:>6} {:>6} {:>6} {:>4} {:>6}",
        triple(alone),
        triple(with),
        onboarding,
        c.invocations,
        c.peak_concurrency,
        c.busy as f64 / (3_600 * SECOND) as f64,
        c.throttled,
        c.postponed,
        c.killed,
        with.dead_letters,
        with.missing,
    );
}

/// What must hold in every run, whatever the configuration: nobody given two accounts, nothing
/// left on the queue, and a worker without an account or with actions left only when messages
/// went to the dead-letter queue (a configuration can be bad; the model must not be).
fn check(name: &str, report: &Report) -> Result<(), String> {
    let lost = report.missing + report.unfinished;
    if report.doubled + report.left_on_queue > 0 || (lost > 0 && report.dead_letters == 0) {
        return Err(format!(
            "{name}: {} without an account, {} doubled, {} unfinished, {} left on the queue",
            report.missing, report.doubled, report.unfinished, report.left_on_queue
        ));
    }
    Ok(())
}
