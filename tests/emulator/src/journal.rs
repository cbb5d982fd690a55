//! The change journal behind `/users/delta`, `/groups/delta` and `Get-Mailbox -Filter
//! "WhenChangedUTC -ge …"`.
//!
//! Every write stamps the user or group it changed with the next number of a per-tenant counter
//! (and a changed mailbox with the time). A delta round pages through the journal in stamp
//! order from a number it carries in its token, so it stays right while the directory changes
//! under it: an object changed again during a round moves behind the cursor and shows up once
//! more later in the same round, never lost. Loading a new directory starts a new epoch, and
//! tokens of another epoch are refused, as Graph refuses them after a tenant migration.

use std::collections::{BTreeMap, HashMap};

/// What a users entry of the journal stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UserEntry {
    /// The user exists and was created or changed at this stamp.
    Changed(String),
    /// The user was deleted at this stamp.
    Removed(String),
}

/// The last change of a user's manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ManagerChange {
    /// Its stamp.
    pub(crate) seq: u64,
    /// The manager before it.
    pub(crate) previous: Option<String>,
}

/// The last change of one membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemberChange {
    /// Its stamp.
    pub(crate) seq: u64,
    /// Added (or else removed).
    pub(crate) added: bool,
}

/// The stamps of one tenant's objects.
#[derive(Debug)]
pub(crate) struct Journal {
    epoch: u32,
    seq: u64,
    users: BTreeMap<u64, UserEntry>,
    user_stamps: HashMap<String, u64>,
    groups: BTreeMap<u64, String>,
    group_stamps: HashMap<String, u64>,
    managers: HashMap<String, ManagerChange>,
    members: HashMap<String, HashMap<String, MemberChange>>,
    mailboxes: HashMap<String, jiff::Timestamp>,
}

impl Journal {
    /// An empty journal in a new epoch.
    pub(crate) fn new() -> Self {
        Self {
            epoch: fastrand::u32(..),
            seq: 0,
            users: BTreeMap::new(),
            user_stamps: HashMap::new(),
            groups: BTreeMap::new(),
            group_stamps: HashMap::new(),
            managers: HashMap::new(),
            members: HashMap::new(),
            mailboxes: HashMap::new(),
        }
    }

    /// The epoch tokens must name.
    pub(crate) fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The last stamp given.
    pub(crate) fn seq(&self) -> u64 {
        self.seq
    }

    fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Marks a user created or changed.
    pub(crate) fn touch_user(&mut self, id: &str) {
        if let Some(old) = self.user_stamps.remove(id) {
            self.users.remove(&old);
        }
        let seq = self.next();
        self.users.insert(seq, UserEntry::Changed(id.to_owned()));
        self.user_stamps.insert(id.to_owned(), seq);
    }

    /// Marks a user deleted (its mailbox with it).
    pub(crate) fn remove_user(&mut self, id: &str) {
        if let Some(old) = self.user_stamps.remove(id) {
            self.users.remove(&old);
        }
        let seq = self.next();
        self.users.insert(seq, UserEntry::Removed(id.to_owned()));
        self.managers.remove(id);
        self.mailboxes.remove(id);
    }

    /// Marks a user's manager changed from `previous`.
    pub(crate) fn manager_changed(&mut self, user: &str, previous: Option<String>) {
        self.touch_user(user);
        let seq = self.seq;
        self.managers
            .insert(user.to_owned(), ManagerChange { seq, previous });
    }

    /// Marks a group created or changed.
    pub(crate) fn touch_group(&mut self, id: &str) {
        if let Some(old) = self.group_stamps.remove(id) {
            self.groups.remove(&old);
        }
        let seq = self.next();
        self.groups.insert(seq, id.to_owned());
        self.group_stamps.insert(id.to_owned(), seq);
    }

    /// Marks a member added to or removed from a group.
    pub(crate) fn member_changed(&mut self, group: &str, member: &str, added: bool) {
        self.touch_group(group);
        let seq = self.seq;
        self.members
            .entry(group.to_owned())
            .or_default()
            .insert(member.to_owned(), MemberChange { seq, added });
    }

    /// Marks a user's mailbox created or changed now.
    pub(crate) fn stamp_mailbox(&mut self, user: &str) {
        self.stamp_mailbox_at(user, jiff::Timestamp::now());
    }

    /// Marks a user's mailbox as last changed at `when`.
    pub(crate) fn stamp_mailbox_at(&mut self, user: &str, when: jiff::Timestamp) {
        self.mailboxes.insert(user.to_owned(), when);
    }

    /// Users entries stamped after `cursor`, in stamp order.
    pub(crate) fn users_after(&self, cursor: u64) -> impl Iterator<Item = (u64, &UserEntry)> {
        self.users
            .range(cursor.saturating_add(1)..)
            .map(|(seq, entry)| (*seq, entry))
    }

    /// Groups stamped after `cursor`, in stamp order.
    pub(crate) fn groups_after(&self, cursor: u64) -> impl Iterator<Item = (u64, &str)> {
        self.groups
            .range(cursor.saturating_add(1)..)
            .map(|(seq, id)| (*seq, id.as_str()))
    }

    /// The last change of a user's manager.
    pub(crate) fn manager_change(&self, user: &str) -> Option<&ManagerChange> {
        self.managers.get(user)
    }

    /// The last change of each membership of a group that ever changed.
    pub(crate) fn member_changes(&self, group: &str) -> Option<&HashMap<String, MemberChange>> {
        self.members.get(group)
    }

    /// When a user's mailbox last changed.
    pub(crate) fn mailbox_stamp(&self, user: &str) -> Option<jiff::Timestamp> {
        self.mailboxes.get(user).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::{Journal, UserEntry};

    #[test]
    fn a_user_changed_again_moves_behind_the_others() {
        let mut journal = Journal::new();
        journal.touch_user("a");
        journal.touch_user("b");
        journal.touch_user("a");
        let order: Vec<_> = journal.users_after(0).map(|(_, e)| e.clone()).collect();
        assert_eq!(
            order,
            [
                UserEntry::Changed("b".into()),
                UserEntry::Changed("a".into())
            ]
        );
        assert_eq!(journal.users_after(2).count(), 1);
    }

    #[test]
    fn a_membership_change_stamps_the_group() {
        let mut journal = Journal::new();
        journal.touch_group("g");
        journal.member_changed("g", "u", true);
        let stamps: Vec<_> = journal.groups_after(0).collect();
        assert_eq!(stamps, [(2, "g")]);
        let change = journal
            .member_changes("g")
            .and_then(|m| m.get("u"))
            .copied();
        assert_eq!(change.map(|c| (c.seq, c.added)), Some((2, true)));
    }
}
