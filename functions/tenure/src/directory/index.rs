//! Lookups over a snapshot, built once per plan.

use std::borrow::Cow;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::{DirectoryGroup, DirectoryUser, Mailbox, Snapshot, SubscribedSku};
use crate::desired::GroupRef;
use crate::grouped::Grouped;
use crate::names::{MailNickname, Upn, fold_into};

/// Why a group named by a plugin could not be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GroupLookupError {
    /// No group has that id, mail address or display name.
    #[error(
        "no {kind} named {name:?} exists in the directory (looked up by id, mail address and display name)"
    )]
    NotFound {
        /// What the kind was expected to be.
        kind: &'static str,
        /// The name given.
        name: String,
    },
    /// More than one group has that display name.
    #[error("{count} groups are named {name:?}; name the {kind} by its mail address or object id")]
    Ambiguous {
        /// What the kind was expected to be.
        kind: &'static str,
        /// The name given.
        name: String,
        /// How many share it.
        count: usize,
    },
    /// The group exists but is of another kind.
    #[error("{name:?} is a {found}, not a {expected}")]
    WrongKind {
        /// The name given.
        name: String,
        /// Its real kind.
        found: &'static str,
        /// What the plugin said.
        expected: &'static str,
    },
}

/// Lookups by the keys the planner needs. Case-insensitive where Microsoft is.
#[derive(Debug)]
pub struct DirectoryIndex<'a> {
    snapshot: &'a Snapshot,
    /// The users carrying each `employeeId`, in directory order.
    by_employee_id: Grouped<'a, &'a DirectoryUser>,
    deleted_by_employee_id: HashMap<&'a str, usize>,
    upns: FoldedNames<'a>,
    /// Every address a new account's UPN or primary SMTP address would collide with: users'
    /// UPN, `mail` and SMTP proxy addresses, groups' `mail` and proxy addresses, and those of
    /// deleted users (which keep them until purged). Addresses share the UPN's form and its
    /// case-insensitive comparison.
    taken_addresses: FoldedNames<'a>,
    taken_nicknames: FoldedNames<'a>,
    mailbox_by_user: HashMap<&'a str, usize>,
    sku_by_part_number: HashMap<String, &'a SubscribedSku>,
    group_by_id: HashMap<&'a str, usize>,
    groups_by_mail: HashMap<String, Vec<usize>>,
    groups_by_name: HashMap<String, Vec<usize>>,
    verified_domains: HashSet<String>,
}

impl<'a> DirectoryIndex<'a> {
    /// Indexes a snapshot.
    pub fn new(snapshot: &'a Snapshot) -> Self {
        let users = &snapshot.users;
        let by_employee_id = Grouped::new(|| {
            users
                .iter()
                .filter_map(|user| Some((user.employee_id.as_deref()?, user)))
        });
        let mut upns = FoldedNames::with_capacity(users.len());
        // A user's UPN, `mail` and primary proxy address are mostly one address: kept once.
        let mut taken_addresses = FoldedNames::with_capacity(users.len());
        let mut taken_nicknames = FoldedNames::with_capacity(users.len() + snapshot.groups.len());
        let mut take_user = |user: &'a DirectoryUser, upn: &'a str| {
            taken_addresses.insert(upn);
            taken_addresses.extend(user.mail.as_deref());
            taken_addresses.extend(user.smtp_addresses());
            taken_nicknames.extend(user.mail_nickname.as_deref());
        };
        for user in users {
            upns.insert(&user.user_principal_name);
            take_user(user, &user.user_principal_name);
        }
        let mut deleted_by_employee_id = HashMap::default();
        for (i, user) in snapshot.deleted_users.iter().enumerate() {
            if let Some(employee_id) = user.employee_id.as_deref() {
                deleted_by_employee_id.entry(employee_id).or_insert(i);
            }
            take_user(user, user.upn_before_deletion());
        }
        let mut group_by_id =
            HashMap::with_capacity_and_hasher(snapshot.groups.len(), Default::default());
        let mut groups_by_mail: HashMap<String, Vec<usize>> = HashMap::default();
        let mut groups_by_name: HashMap<String, Vec<usize>> = HashMap::default();
        for (i, group) in snapshot.groups.iter().enumerate() {
            group_by_id.insert(group.id.as_str(), i);
            if let Some(mail) = &group.mail {
                groups_by_mail
                    .entry(mail.to_lowercase())
                    .or_default()
                    .push(i);
                taken_addresses.insert(mail);
            }
            taken_addresses.extend(group.smtp_addresses());
            taken_nicknames.extend(group.mail_nickname.as_deref());
            groups_by_name
                .entry(group.display_name.to_lowercase())
                .or_default()
                .push(i);
        }
        let mailbox_by_user = snapshot
            .mailboxes
            .iter()
            .enumerate()
            .map(|(i, m)| (m.external_directory_object_id.as_str(), i))
            .collect();
        let sku_by_part_number = snapshot
            .subscribed_skus
            .iter()
            .map(|s| (s.sku_part_number.to_uppercase(), s))
            .collect();
        let verified_domains = snapshot
            .tenant
            .verified_domains
            .iter()
            .map(|d| d.to_lowercase())
            .collect();
        Self {
            snapshot,
            by_employee_id,
            deleted_by_employee_id,
            upns,
            taken_addresses,
            taken_nicknames,
            mailbox_by_user,
            sku_by_part_number,
            group_by_id,
            groups_by_mail,
            groups_by_name,
            verified_domains,
        }
    }

    /// The snapshot indexed.
    pub fn snapshot(&self) -> &'a Snapshot {
        self.snapshot
    }

    /// Users carrying this `employeeId` (more than one is a directory problem the planner reports).
    pub fn users_by_employee_id(&self, employee_id: &str) -> &[&'a DirectoryUser] {
        self.by_employee_id.get(employee_id)
    }

    /// A deleted user (still restorable) that carried this `employeeId`.
    pub fn deleted_user_by_employee_id(&self, employee_id: &str) -> Option<&'a DirectoryUser> {
        self.deleted_by_employee_id
            .get(employee_id)
            .map(|&i| &self.snapshot.deleted_users[i])
    }

    /// Whether a user has this UPN.
    pub fn upn_taken(&self, upn: &Upn) -> bool {
        self.upns.contains(upn)
    }

    /// Whether an address is in use as a user's UPN, `mail` or proxy address, a group's `mail`
    /// or proxy address, or a deleted user's (case-insensitive): a new account may not take it
    /// as UPN or primary SMTP address.
    pub fn address_taken(&self, address: &Upn) -> bool {
        self.taken_addresses.contains(address)
    }

    /// Whether a mail nickname is in use by a user, a deleted user or a group.
    pub fn nickname_taken(&self, nickname: &MailNickname) -> bool {
        self.taken_nicknames.contains(nickname)
    }

    /// Whether new users may be given a UPN in this domain. An empty domain list allows any.
    pub fn domain_verified(&self, domain: &str) -> bool {
        self.verified_domains.is_empty() || self.verified_domains.contains(&domain.to_lowercase())
    }

    /// The tenant's verified domains.
    pub fn verified_domains(&self) -> &'a [String] {
        &self.snapshot.tenant.verified_domains
    }

    /// The user's mailbox, if Exchange has one for it.
    pub fn mailbox(&self, user_id: &str) -> Option<&'a Mailbox> {
        self.mailbox_by_user
            .get(user_id)
            .map(|&i| &self.snapshot.mailboxes[i])
    }

    /// Whether a user has or will have an Exchange Online mailbox: Exchange has one, or a
    /// license the user holds (or the plan gives, `planned`) includes a mailbox plan. A license
    /// whose plans are not known counts as one that does.
    pub fn mailbox_coming(&self, user: Option<&DirectoryUser>, planned: &[&SubscribedSku]) -> bool {
        if user.is_some_and(|u| self.mailbox(&u.id).is_some()) {
            return true;
        }
        let holds = user
            .into_iter()
            .flat_map(|u| &u.assigned_licenses)
            .any(|l| {
                self.snapshot
                    .subscribed_skus
                    .iter()
                    .find(|s| s.sku_id.eq_ignore_ascii_case(&l.sku_id))
                    .is_none_or(|s| s.gives_mailbox(&l.disabled_plans) != Some(false))
            });
        holds || planned.iter().any(|s| s.gives_mailbox(&[]) != Some(false))
    }

    /// A license the tenant owns, by part number (case-insensitive).
    pub fn sku(&self, part_number: &str) -> Option<&'a SubscribedSku> {
        self.sku_by_part_number
            .get(&part_number.to_uppercase())
            .copied()
    }

    /// Finds a group by object id, then mail address, then display name, and checks its kind.
    pub fn group(&self, wanted: &GroupRef) -> Result<&'a DirectoryGroup, GroupLookupError> {
        let groups = &self.snapshot.groups;
        let kind = wanted.kind.describe();
        let key = wanted.name.to_lowercase();
        let candidates: Vec<usize> = if let Some(&i) = self.group_by_id.get(&*wanted.name) {
            vec![i]
        } else if let Some(found) = self.groups_by_mail.get(&key) {
            found.clone()
        } else {
            self.groups_by_name.get(&key).cloned().unwrap_or_default()
        };
        let group = match candidates.as_slice() {
            [] => {
                return Err(GroupLookupError::NotFound {
                    kind,
                    name: wanted.name.to_string(),
                });
            }
            [one] => &groups[*one],
            many => {
                return Err(GroupLookupError::Ambiguous {
                    kind,
                    name: wanted.name.to_string(),
                    count: many.len(),
                });
            }
        };
        if group.kind() != wanted.kind {
            return Err(GroupLookupError::WrongKind {
                name: wanted.name.to_string(),
                found: group.kind().describe(),
                expected: kind,
            });
        }
        Ok(group)
    }
}

/// A set of names compared as Microsoft compares them (see [`crate::names`]), each kept once
/// as its case-folded text, which hashes as plain bytes. A name already in folded form (lower
/// case ASCII, as most addresses are) is borrowed from the snapshot rather than copied.
#[derive(Debug, Default)]
struct FoldedNames<'a> {
    keys: HashSet<Cow<'a, str>>,
    /// Reused to fold each name inserted.
    scratch: String,
}

impl<'a> FoldedNames<'a> {
    fn with_capacity(capacity: usize) -> Self {
        Self {
            keys: HashSet::with_capacity_and_hasher(capacity, Default::default()),
            scratch: String::new(),
        }
    }

    fn insert(&mut self, name: &'a str) {
        if name.is_ascii() && !name.bytes().any(|b| b.is_ascii_uppercase()) {
            self.keys.insert(Cow::Borrowed(name));
            return;
        }
        fold_into(name, &mut self.scratch);
        if !self.keys.contains(self.scratch.as_str()) {
            self.keys.insert(Cow::Owned(self.scratch.clone()));
        }
    }

    fn contains(&self, name: &str) -> bool {
        let mut key = String::with_capacity(name.len());
        fold_into(name, &mut key);
        self.keys.contains(key.as_str())
    }
}

impl<'a> Extend<&'a str> for FoldedNames<'a> {
    fn extend<T: IntoIterator<Item = &'a str>>(&mut self, names: T) {
        for name in names {
            self.insert(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DirectoryIndex;
    use crate::directory::{DirectoryUser, Snapshot};

    #[test]
    fn the_users_of_an_employee_id_are_found_together_in_directory_order() {
        let ids = [
            Some("E1"),
            Some("E2"),
            None,
            Some("E1"),
            Some("E3"),
            Some("E1"),
        ];
        let snapshot = Snapshot {
            users: ids
                .iter()
                .enumerate()
                .map(|(i, employee_id)| DirectoryUser {
                    id: format!("u{i}").into(),
                    user_principal_name: format!("u{i}@contoso.com").into(),
                    employee_id: employee_id.map(str::to_owned),
                    ..DirectoryUser::default()
                })
                .collect(),
            ..Snapshot::default()
        };
        let index = DirectoryIndex::new(&snapshot);
        let found = |employee_id: &str| -> Vec<&str> {
            index
                .users_by_employee_id(employee_id)
                .iter()
                .map(|user| user.id.as_str())
                .collect()
        };
        assert_eq!(found("E1"), ["u0", "u3", "u5"]);
        assert_eq!(found("E2"), ["u1"]);
        assert_eq!(found("E3"), ["u4"]);
        assert!(found("E4").is_empty());
        assert!(found("e1").is_empty());
    }
}
