//! The figures of one simulated day: the trickle tenants' time from HR event to account, the
//! onboarding's time against its throttle floor, what Lambda ran, and the checks that nothing
//! was lost or doubled.

use super::run::Deployment;
use super::{Micros, SECOND};

/// Percentiles of a set of durations, in seconds.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Latencies {
    pub(crate) count: usize,
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) max: f64,
}

impl Latencies {
    /// The percentiles of `values` (microseconds), nearest rank.
    pub(crate) fn of(mut values: Vec<Micros>) -> Self {
        values.sort_unstable();
        let rank = |p: f64| {
            let at = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len().max(1)) - 1;
            values.get(at).map_or(0.0, |&v| seconds(v))
        };
        Self {
            count: values.len(),
            p50: rank(0.50),
            p99: rank(0.99),
            max: values.last().map_or(0.0, |&v| seconds(v)),
        }
    }
}

/// The onboarding tenant's figures.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Onboarding {
    pub(crate) workers: usize,
    /// Writes Microsoft took.
    pub(crate) writes: u64,
    /// From the scheduled sync to the last worker's last action, in seconds.
    pub(crate) seconds: f64,
    /// The writes at the limit's sustained rate, in seconds (issue 17's floor).
    pub(crate) floor: f64,
    /// The earliest the last of the windows those writes need can open, in seconds: no run
    /// can end before it.
    pub(crate) window_floor: f64,
}

impl Onboarding {
    /// Its time as a multiple of the floor.
    pub(crate) fn ratio(&self) -> f64 {
        self.seconds / self.floor.max(f64::MIN_POSITIVE)
    }
}

/// What one simulated day came to.
#[derive(Debug, Clone, Default)]
pub(crate) struct Report {
    /// HR event to account, trickle tenants.
    pub(crate) trickle: Latencies,
    /// The slowest onboarding, when there was one.
    pub(crate) onboarding: Option<Onboarding>,
    pub(crate) counts: super::run::Counts,
    /// Workers without an account at the end.
    pub(crate) missing: usize,
    /// Workers given more than one account.
    pub(crate) doubled: usize,
    /// Workers with an account and not all their actions done.
    pub(crate) unfinished: usize,
    pub(crate) dead_letters: usize,
    /// Messages still on the queue at the end.
    pub(crate) left_on_queue: usize,
}

impl Report {
    pub(crate) fn of(deployment: &Deployment, dead_letters: usize, left_on_queue: usize) -> Self {
        let mut trickle = Vec::new();
        let limit = deployment.config.write_limit;
        let mut report = Report {
            counts: deployment.counts.clone(),
            dead_letters,
            left_on_queue,
            ..Report::default()
        };
        for (t, tenant) in deployment.tenants.iter().enumerate() {
            let mut last = 0;
            for worker in tenant.workers.values() {
                if worker.staff {
                    report.doubled += usize::from(worker.creates > 1);
                    continue;
                }
                match worker.created_at {
                    None => report.missing += 1,
                    Some(at) if t >= deployment.onboarding => trickle.push(at - worker.queued_at),
                    Some(_) => {}
                }
                report.doubled += usize::from(worker.creates > 1);
                match worker.done_at {
                    Some(at) => last = last.max(at),
                    None => report.unfinished += usize::from(worker.created_at.is_some()),
                }
            }
            if t < deployment.onboarding {
                let this = Onboarding {
                    workers: tenant.workers.len(),
                    writes: tenant.writes,
                    seconds: seconds(last),
                    floor: tenant.writes as f64 / limit.per_second(),
                    window_floor: seconds(
                        tenant
                            .writes
                            .div_ceil(u64::from(limit.writes))
                            .saturating_sub(1)
                            * limit.window,
                    ),
                };
                // The slowest onboarding stands for them all.
                if report.onboarding.is_none_or(|o| o.seconds < this.seconds) {
                    report.onboarding = Some(this);
                }
            }
        }
        report.trickle = Latencies::of(trickle);
        report
    }
}

/// Microseconds as seconds.
pub(crate) fn seconds(micros: Micros) -> f64 {
    micros as f64 / SECOND as f64
}
