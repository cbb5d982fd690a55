//! Checks across records: duplicate employee ids, managers that do not exist, manager loops.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::{HrBatch, Quarantined, SourcedWorker};

/// Quarantines what fails a cross-record check and keeps the rest in file order.
pub(super) fn cross_check(
    candidates: Vec<SourcedWorker>,
    mut quarantined: Vec<Quarantined>,
) -> HrBatch {
    let mut lines_by_id: HashMap<&str, Vec<u64>> =
        HashMap::with_capacity_and_hasher(candidates.len(), Default::default());
    for c in &candidates {
        lines_by_id
            .entry(c.worker.employee_id.as_str())
            .or_default()
            .push(c.source.line);
    }
    // A manager exists when some record carries its id, even a quarantined one: the report is fine.
    let known_ids: HashSet<&str> = lines_by_id
        .keys()
        .copied()
        .chain(quarantined.iter().filter_map(|q| q.employee_id.as_deref()))
        .collect();

    let mut reasons: Vec<Option<String>> = vec![None; candidates.len()];
    for (i, c) in candidates.iter().enumerate() {
        let id = c.worker.employee_id.as_str();
        let lines = &lines_by_id[id];
        if lines.len() > 1 {
            let others: Vec<String> = lines
                .iter()
                .filter(|&&l| l != c.source.line)
                .map(u64::to_string)
                .collect();
            reasons[i] = Some(format!(
                "duplicate employee_id {id}: also on line {} of {}; fix the HR data so each person has one record",
                others.join(", "),
                c.source.file
            ));
        } else if let Some(manager) = &c.worker.manager_employee_id
            && !known_ids.contains(manager.as_str())
        {
            reasons[i] = Some(format!(
                "manager_employee_id {manager} does not exist in the HR data"
            ));
        }
    }
    mark_manager_loops(&candidates, &mut reasons);
    drop((lines_by_id, known_ids));

    // The workers stay where they are read: a large file is not copied to drop a few.
    let mut workers = candidates;
    let mut reasons = reasons.into_iter();
    let mut why = Vec::new();
    let refused: Vec<SourcedWorker> = workers
        .extract_if(.., |_| match reasons.next().flatten() {
            Some(reason) => {
                why.push(reason);
                true
            }
            None => false,
        })
        .collect();
    for (candidate, reason) in refused.into_iter().zip(why) {
        quarantined.push(Quarantined {
            employee_id: Some(candidate.worker.employee_id.to_string()),
            source: candidate.source,
            reason,
        });
    }
    quarantined
        .sort_by(|a, b| (&a.source.file, a.source.line).cmp(&(&b.source.file, b.source.line)));
    HrBatch {
        workers,
        quarantined,
    }
}

/// Finds every manager chain that comes back on itself and gives each member the loop as reason.
fn mark_manager_loops(candidates: &[SourcedWorker], reasons: &mut [Option<String>]) {
    let index: HashMap<&str, usize> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (c.worker.employee_id.as_str(), i))
        .collect();
    let manager_of = |i: usize| -> Option<usize> {
        let manager = candidates[i].worker.manager_employee_id.as_ref()?;
        index.get(manager.as_str()).copied()
    };
    // 0 = unvisited, 1 = on the current path, 2 = done.
    let mut state = vec![0u8; candidates.len()];
    for start in 0..candidates.len() {
        let mut path = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at {
            match state[i] {
                0 => {
                    state[i] = 1;
                    path.push(i);
                    at = manager_of(i);
                }
                1 => {
                    let from = path.iter().position(|&p| p == i).unwrap_or(0);
                    let cycle = &path[from..];
                    let names: Vec<&str> = cycle
                        .iter()
                        .chain(std::iter::once(&i))
                        .map(|&c| candidates[c].worker.employee_id.as_str())
                        .collect();
                    let described = names.join(" → ");
                    for &member in cycle {
                        reasons[member].get_or_insert_with(|| {
                            format!(
                                "manager loop: {described}; one of these must have another manager"
                            )
                        });
                    }
                    break;
                }
                _ => break,
            }
        }
        for i in path {
            state[i] = 2;
        }
    }
}
