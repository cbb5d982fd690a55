//! Choosing a new account's UPN and mail nickname: the first free candidate wins. A candidate
//! longer than Microsoft allows is shortened first, at a word boundary where one is near,
//! keeping its number, and checked for uniqueness as shortened.

use rustc_hash::FxHashSet as HashSet;

use super::planner::needs_new_account;
use super::reconcile::Entry;
use crate::desired::Identity;
use crate::directory::DirectoryIndex;

/// The longest local part (before the `@`) of a user principal name, and the longest mail
/// nickname, that Microsoft accepts.
pub const MAX_LOCAL_PART: usize = 64;

/// An identity chosen for a new account, and what it was before it was shortened (if it was).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Chosen {
    pub(super) identity: Identity,
    pub(super) shortened_from: Option<String>,
}

/// For each entry, in order: `Ok(Some)` the identity chosen for a new account, `Ok(None)` when no
/// account is to be created, `Err` why none of the candidates can be used.
///
/// Candidates are taken by workers in employee-id order, so two Jane Does always get the same
/// two names whatever the order of the HR file, and never the same one.
pub(super) fn allocate_identities(
    entries: &[Entry<'_>],
    index: &DirectoryIndex<'_>,
) -> Vec<Result<Option<Chosen>, String>> {
    let mut results: Vec<Result<Option<Chosen>, String>> = vec![Ok(None); entries.len()];
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
) -> Result<Chosen, String> {
    if candidates.is_empty() {
        return Err("the mapping plugin gave no identity candidates for the new account".into());
    }
    let mut unverified = Vec::new();
    let mut tried: Vec<String> = Vec::new();
    for candidate in candidates {
        let Some((local, domain)) = candidate.user_principal_name.split_once('@') else {
            return Err(format!(
                "identity candidate {:?} is not of the form name@domain",
                candidate.user_principal_name
            ));
        };
        if local.is_empty() || candidate.mail_nickname.is_empty() {
            return Err(format!(
                "identity candidate {:?} has an empty name",
                candidate.user_principal_name
            ));
        }
        if !index.domain_verified(domain) {
            unverified.push(domain.to_lowercase());
            continue;
        }
        let fitted = Identity {
            user_principal_name: format!("{}@{domain}", shorten(local, MAX_LOCAL_PART)),
            mail_nickname: shorten(&candidate.mail_nickname, MAX_LOCAL_PART),
        };
        let upn = fitted.user_principal_name.to_lowercase();
        let nickname = fitted.mail_nickname.to_lowercase();
        if tried.contains(&upn) {
            continue;
        }
        tried.push(upn.clone());
        let free = !index.address_taken(&upn)
            && !index.nickname_taken(&nickname)
            && !upns.contains(&upn)
            && !nicknames.contains(&nickname);
        if free {
            upns.insert(upn);
            nicknames.insert(nickname);
            let shortened_from =
                (fitted != *candidate).then(|| candidate.user_principal_name.clone());
            return Ok(Chosen {
                identity: fitted,
                shortened_from,
            });
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
    Err(format!(
        "every identity candidate is taken ({}); add a pattern with {{n}} to the configuration",
        tried.join(", ")
    ))
}

/// Shortens a local part (or nickname) to `max` characters: a trailing number (the `2` of
/// `jane.doe2`) is kept, so numbered candidates stay distinct; the rest is cut at the last `.`,
/// `-` or `_` when that keeps at least half of it, else where it must be; no separator is left
/// at the end. A name within the limit is returned as it is.
pub fn shorten(local: &str, max: usize) -> String {
    if local.chars().count() <= max {
        return local.to_owned();
    }
    let is_separator = |c: char| matches!(c, '.' | '-' | '_');
    let head = local.trim_end_matches(|c: char| c.is_ascii_digit());
    let number = if head.is_empty() || local.len() - head.len() >= max / 2 {
        ""
    } else {
        &local[head.len()..]
    };
    let head = if number.is_empty() { local } else { head };
    let budget = max - number.len();
    let mut kept: String = head.chars().take(budget).collect();
    let cut_mid_word = head
        .chars()
        .nth(budget)
        .is_some_and(|next| !is_separator(next));
    if cut_mid_word
        && let Some(at) = kept.rfind(is_separator)
        && kept[..at].chars().count() >= budget / 2
    {
        kept.truncate(at);
    }
    let kept = kept.trim_end_matches(is_separator);
    format!("{kept}{number}")
}
