//! Plan order: a new manager is created before anyone is pointed at it.

use rustc_hash::FxHashMap as HashMap;

use super::WorkerPlan;
use crate::hr::SourcedWorker;

/// Sorts worker plans by their depth in the HR manager tree (top first), keeping file order
/// among equals. Manager loops were quarantined by the HR checks, so every chain ends. The plans
/// are moved within their own list: a large plan is not copied.
pub(super) fn managers_first(
    mut plans: Vec<WorkerPlan>,
    entries: &[&SourcedWorker],
) -> Vec<WorkerPlan> {
    let manager_of: HashMap<&str, &str> = entries
        .iter()
        .filter_map(|e| {
            let worker = &e.worker;
            Some((
                worker.employee_id.as_str(),
                worker.manager_employee_id.as_ref()?.as_str(),
            ))
        })
        .collect();
    let mut depth_of: HashMap<&str, usize> =
        HashMap::with_capacity_and_hasher(entries.len(), Default::default());
    for entry in entries {
        let mut chain = Vec::new();
        let mut at = entry.worker.employee_id.as_str();
        let base = loop {
            if let Some(&known) = depth_of.get(at) {
                break known;
            }
            chain.push(at);
            match manager_of.get(at) {
                // A chain longer than the number of workers can only be a loop: stop there.
                Some(&next) if chain.len() <= entries.len() => at = next,
                _ => break 0,
            }
        };
        for (i, id) in chain.iter().rev().enumerate() {
            depth_of.insert(id, base + i + 1);
        }
    }
    // Each plan is its worker's (one per employee id); the sort keeps the order of equals.
    plans.sort_by_cached_key(|plan| {
        depth_of
            .get(plan.employee_id.as_str())
            .copied()
            .unwrap_or(0)
    });
    plans
}
