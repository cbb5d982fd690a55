//! Choosing a new account's UPN and mail nickname: the first free candidate wins.

use rustc_hash::FxHashSet as HashSet;

use super::planner::needs_new_account;
use super::reconcile::Entry;
use crate::desired::Identity;
use crate::directory::DirectoryIndex;

/// For each entry, in order: `Ok(Some)` the identity chosen for a new account, `Ok(None)` when no
/// account is to be created, `Err` why none of the candidates can be used.
///
/// Candidates are taken by workers in employee-id order, so two Jane Does always get the same
/// two names whatever the order of the HR file, and never the same one.
pub(super) fn allocate_identities(
    entries: &[Entry<'_>],
    index: &DirectoryIndex<'_>,
) -> Vec<Result<Option<Identity>, String>> {
    let mut results: Vec<Result<Option<Identity>, String>> = vec![Ok(None); entries.len()];
    let mut order: Vec<usize> = (0..entries.len())
        .filter(|&i| needs_new_account(&entries[i]))
        .collect();
    order.sort_by(|&a, &b| {
        entries[a]
            .sourced
            .worker
            .employee_id
            .cmp(&entries[b].sourced.worker.employee_id)
    });
    let mut upns: HashSet<String> = HashSet::default();
    let mut nicknames: HashSet<String> = HashSet::default();
    for i in order {
        let Some(account) = &entries[i].desired.account else {
            continue;
        };
        results[i] = choose(&account.identities, index, &mut upns, &mut nicknames).map(Some);
    }
    results
}

fn choose(
    candidates: &[Identity],
    index: &DirectoryIndex<'_>,
    upns: &mut HashSet<String>,
    nicknames: &mut HashSet<String>,
) -> Result<Identity, String> {
    if candidates.is_empty() {
        return Err("the mapping plugin gave no identity candidates for the new account".into());
    }
    let mut unverified = Vec::new();
    for candidate in candidates {
        let upn = candidate.user_principal_name.to_lowercase();
        let nickname = candidate.mail_nickname.to_lowercase();
        let Some((local, domain)) = upn.split_once('@') else {
            return Err(format!(
                "identity candidate {upn:?} is not of the form name@domain"
            ));
        };
        if local.is_empty() || nickname.is_empty() {
            return Err(format!("identity candidate {upn:?} has an empty name"));
        }
        if !index.domain_verified(domain) {
            unverified.push(domain.to_owned());
            continue;
        }
        let free = !index.upn_taken(&upn)
            && !index.nickname_taken(&nickname)
            && !upns.contains(&upn)
            && !nicknames.contains(&nickname);
        if free {
            upns.insert(upn);
            nicknames.insert(nickname);
            return Ok(candidate.clone());
        }
    }
    if unverified.len() == candidates.len() {
        unverified.dedup();
        return Err(format!(
            "the UPN domain {} is not a verified domain of the tenant (verified: {})",
            unverified.join(", "),
            index.verified_domains().join(", ")
        ));
    }
    let tried: Vec<&str> = candidates
        .iter()
        .map(|c| c.user_principal_name.as_str())
        .collect();
    Err(format!(
        "every identity candidate is taken ({}); add a pattern with {{n}} to the configuration",
        tried.join(", ")
    ))
}
