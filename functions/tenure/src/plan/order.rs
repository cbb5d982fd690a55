//! Plan order: a new manager is created before anyone is pointed at it.

use rustc_hash::FxHashMap as HashMap;

use super::WorkerPlan;
use crate::hr::SourcedWorker;

/// Sorts worker plans by their depth in the HR manager tree (top first), keeping the order of
/// the workers among equals. `positions` holds each plan's worker's position in `workers`.
/// Manager loops were quarantined by the HR checks, so every chain ends. The plans are moved
/// within their own list: a large plan is not copied.
pub(super) fn managers_first(
    plans: &mut [WorkerPlan],
    positions: &[usize],
    workers: &[SourcedWorker],
) {
    let planned = || positions.iter().map(|&at| &workers[at].worker);
    let manager_of: HashMap<&str, &str> = planned()
        .filter_map(|worker| {
            Some((
                worker.employee_id.as_str(),
                worker.manager_employee_id.as_ref()?.as_str(),
            ))
        })
        .collect();
    let mut depth_of: HashMap<&str, usize> =
        HashMap::with_capacity_and_hasher(positions.len(), Default::default());
    for worker in planned() {
        let mut chain = Vec::new();
        let mut at = worker.employee_id.as_str();
        let base = loop {
            if let Some(&known) = depth_of.get(at) {
                break known;
            }
            chain.push(at);
            match manager_of.get(at) {
                // A chain longer than the number of workers can only be a loop: stop there.
                Some(&next) if chain.len() <= positions.len() => at = next,
                _ => break 0,
            }
        };
        for (i, id) in chain.iter().rev().enumerate() {
            depth_of.insert(id, base + i + 1);
        }
    }
    let key = |at: usize| {
        let worker = &workers[positions[at]].worker;
        (depth_of[worker.employee_id.as_str()], positions[at])
    };
    let mut order: Vec<usize> = (0..plans.len()).collect();
    order.sort_by_cached_key(|&at| key(at));
    permute(plans, order);
}

/// Moves `items` so that the item at `order[i]` ends at `i`, in place.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..items.len() {
        let mut at = start;
        while order[at] != DONE {
            let from = order[at];
            order[at] = DONE;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::permute;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn permuting_puts_each_item_where_the_order_says(
            items in proptest::collection::vec(any::<u16>(), 0..64),
            seed in any::<u64>(),
        ) {
            let mut order: Vec<usize> = (0..items.len()).collect();
            // A shuffle from the seed (the order is any permutation).
            let mut state = seed | 1;
            for i in (1..order.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                order.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let expected: Vec<u16> = order.iter().map(|&from| items[from]).collect();
            let mut moved = items.clone();
            permute(&mut moved, order);
            prop_assert_eq!(moved, expected);
        }
    }
}
