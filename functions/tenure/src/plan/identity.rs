//! Choosing a new account's UPN and mail nickname: the first free candidate wins. A candidate
//! longer than Microsoft allows is shortened first, at a word boundary where one is near,
//! keeping its number, and checked for uniqueness as shortened.

use rustc_hash::FxHashSet as HashSet;

use super::planner::needs_new_account;
use super::reconcile::Entry;
use crate::desired::Identity;
use crate::directory::DirectoryIndex;
pub use crate::names::MAX_LOCAL_PART;
use crate::names::{MailNickname, NameError, Upn};

/// An identity chosen for a new account, and what it was before it was shortened (if it was).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Chosen {
    pub(super) user_principal_name: Upn,
    pub(super) mail_nickname: MailNickname,
    pub(super) shortened_from: Option<String>,
}

/// Why no identity could be chosen for a new account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The plugin gave no candidate.
    #[error("the mapping plugin gave no identity candidates for the new account")]
    NoCandidates,
    /// A candidate Microsoft would refuse.
    #[error("identity candidate refused: {0}")]
    Invalid(#[from] NameError),
    /// Every candidate is in a domain the tenant has not verified.
    #[error(
        "the UPN domain {} is not a verified domain of the tenant (verified: {})",
        .domains.join(", "), .verified.join(", ")
    )]
    UnverifiedDomain {
        /// The domains of the candidates.
        domains: Vec<String>,
        /// The tenant's verified domains.
        verified: Vec<String>,
    },
    /// Every candidate is taken.
    #[error(
        "every identity candidate is taken ({}); add a pattern with {{n}} to the configuration",
        .tried.join(", ")
    )]
    AllTaken {
        /// The candidates tried, as shortened.
        tried: Vec<String>,
    },
}

/// For each entry, in order: `Ok(Some)` the identity chosen for a new account, `Ok(None)` when no
/// account is to be created, `Err` why none of the candidates can be used.
///
/// Candidates are taken by workers in employee-id order, so two Jane Does always get the same
/// two names whatever the order of the HR file, and never the same one.
pub(super) fn allocate_identities(
    entries: &[Entry<'_, '_>],
    index: &DirectoryIndex<'_>,
) -> Vec<Result<Option<Chosen>, IdentityError>> {
    let mut results: Vec<Result<Option<Chosen>, IdentityError>> = vec![Ok(None); entries.len()];
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
    let mut taken = Taken::default();
    for i in order {
        let Some(account) = &entries[i].desired.account else {
            continue;
        };
        results[i] = choose(&account.identities, index, &mut taken).map(Some);
    }
    results
}

/// The names given to new accounts earlier in this plan.
#[derive(Default)]
struct Taken {
    upns: HashSet<Upn>,
    nicknames: HashSet<MailNickname>,
}

fn choose(
    candidates: &[Identity],
    index: &DirectoryIndex<'_>,
    taken: &mut Taken,
) -> Result<Chosen, IdentityError> {
    if candidates.is_empty() {
        return Err(IdentityError::NoCandidates);
    }
    let mut unverified = Vec::new();
    let mut tried: Vec<Upn> = Vec::new();
    for candidate in candidates {
        let Some((local, domain)) = candidate.user_principal_name.split_once('@') else {
            return Err(NameError::NotNameAtDomain {
                given: candidate.user_principal_name.clone(),
            }
            .into());
        };
        let fitted = Upn::parse(&format!("{}@{domain}", shorten(local, MAX_LOCAL_PART)))?;
        let fitted_nickname =
            MailNickname::parse(&shorten(&candidate.mail_nickname, MAX_LOCAL_PART))?;
        if !index.domain_verified(domain) {
            unverified.push(domain.to_lowercase());
            continue;
        }
        if tried.contains(&fitted) {
            continue;
        }
        tried.push(fitted.clone());
        let free = !index.address_taken(&fitted)
            && !index.nickname_taken(&fitted_nickname)
            && !taken.upns.contains(&fitted)
            && !taken.nicknames.contains(&fitted_nickname);
        if free {
            taken.upns.insert(fitted.clone());
            taken.nicknames.insert(fitted_nickname.clone());
            let shortened = fitted.as_str() != candidate.user_principal_name
                || fitted_nickname.as_str() != candidate.mail_nickname;
            return Ok(Chosen {
                user_principal_name: fitted,
                mail_nickname: fitted_nickname,
                shortened_from: shortened.then(|| candidate.user_principal_name.clone()),
            });
        }
    }
    if unverified.len() == candidates.len() {
        unverified.dedup();
        return Err(IdentityError::UnverifiedDomain {
            domains: unverified,
            verified: index.verified_domains().to_vec(),
        });
    }
    Err(IdentityError::AllTaken {
        tried: tried.into_iter().map(String::from).collect(),
    })
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
