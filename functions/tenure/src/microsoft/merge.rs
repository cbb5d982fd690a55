//! Changes read from the delta endpoints, applied to a cached [`Snapshot`]: users added,
//! changed and deleted (with their memberships, mailbox and the manager links to them), groups
//! and their members, mailboxes.

use std::collections::{HashMap, HashSet};

use super::graph::UserDelta;
use super::group_delta::GroupDelta;
use crate::SharedStr;
use crate::directory::{Mailbox, Snapshot};

/// Applies what `/users/delta` said. A deleted user leaves its groups, loses its mailbox and
/// stops being anyone's manager; a changed user keeps its manager unless Graph named one; a
/// mailbox follows its owner's new UPN.
///
/// A user removed while active is taken to be soft-deleted (what deleting a user does): it
/// moves to the deleted users, which keep their addresses and can be restored; one removed
/// while already deleted was purged. A restored user comes back as a changed one.
pub(crate) fn apply_users(snapshot: &mut Snapshot, delta: UserDelta) {
    if !delta.removed.is_empty() {
        let gone: HashSet<&str> = delta.removed.iter().map(String::as_str).collect();
        snapshot
            .deleted_users
            .retain(|u| !gone.contains(u.id.as_str()));
        let (deleted, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut snapshot.users)
            .into_iter()
            .partition(|u| gone.contains(u.id.as_str()));
        snapshot.users = kept;
        // As Graph lists deleted users: the UPN behind the object id, no manager.
        snapshot
            .deleted_users
            .extend(deleted.into_iter().map(|mut user| {
                user.user_principal_name =
                    format!("{}{}", user.id.replace('-', ""), user.user_principal_name).into();
                user.manager = None;
                user
            }));
        for group in &mut snapshot.groups {
            group.members.retain(|m| !gone.contains(m.as_str()));
        }
        snapshot
            .mailboxes
            .retain(|m| !gone.contains(m.external_directory_object_id.as_str()));
        for user in &mut snapshot.users {
            if user
                .manager
                .as_ref()
                .is_some_and(|m| gone.contains(m.id.as_str()))
            {
                user.manager = None;
            }
        }
    }
    if !delta.changed.is_empty() && !snapshot.deleted_users.is_empty() {
        let back: HashSet<&str> = delta.changed.iter().map(|u| u.id.as_str()).collect();
        snapshot
            .deleted_users
            .retain(|u| !back.contains(u.id.as_str()));
    }
    let mut at: HashMap<SharedStr, usize> = snapshot
        .users
        .iter()
        .enumerate()
        .map(|(i, u)| (u.id.clone(), i))
        .collect();
    let mailbox_at: HashMap<SharedStr, usize> = snapshot
        .mailboxes
        .iter()
        .enumerate()
        .map(|(i, m)| (m.external_directory_object_id.clone(), i))
        .collect();
    for mut user in delta.changed {
        let known = at.get(&user.id).and_then(|i| snapshot.users.get_mut(*i));
        if delta.manager_unchanged.contains(user.id.as_str()) {
            user.manager = known.as_ref().and_then(|k| k.manager.clone());
        }
        if let Some(mailbox) = mailbox_at
            .get(&user.id)
            .and_then(|i| snapshot.mailboxes.get_mut(*i))
        {
            mailbox
                .user_principal_name
                .clone_from(&user.user_principal_name);
        }
        match known {
            Some(slot) => *slot = user,
            None => {
                at.insert(user.id.clone(), snapshot.users.len());
                snapshot.users.push(user);
            }
        }
    }
}

/// Applies what `/groups/delta` said: properties replaced, members added and removed, deleted
/// groups dropped.
pub(crate) fn apply_groups(snapshot: &mut Snapshot, delta: GroupDelta) {
    if !delta.removed.is_empty() {
        let gone: HashSet<&str> = delta.removed.iter().map(String::as_str).collect();
        snapshot.groups.retain(|g| !gone.contains(g.id.as_str()));
    }
    let mut at: HashMap<String, usize> = snapshot
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.id.clone(), i))
        .collect();
    for change in delta.changed {
        let slot = match at.get(&change.group.id) {
            Some(i) => snapshot.groups.get_mut(*i),
            None => {
                at.insert(change.group.id.clone(), snapshot.groups.len());
                snapshot.groups.push(change.group.clone());
                snapshot.groups.last_mut()
            }
        };
        let Some(group) = slot else { continue };
        let members = std::mem::take(&mut group.members);
        *group = change.group;
        group.members = members;
        if !change.removed.is_empty() {
            let removed: HashSet<&str> = change.removed.iter().map(String::as_str).collect();
            group.members.retain(|m| !removed.contains(m.as_str()));
        }
        let mut present: HashSet<SharedStr> = group.members.iter().cloned().collect();
        for member in change.added {
            let member = SharedStr::from(member);
            if present.insert(member.clone()) {
                group.members.push(member);
            }
        }
    }
}

/// Puts changed mailboxes in place of the cached ones (or adds them). A mailbox read without
/// its `FullAccess` holders (`full_access_read` false) keeps the cached holders.
pub(crate) fn apply_mailboxes(
    snapshot: &mut Snapshot,
    changed: Vec<Mailbox>,
    full_access_read: bool,
) {
    let mut at: HashMap<SharedStr, usize> = snapshot
        .mailboxes
        .iter()
        .enumerate()
        .map(|(i, m)| (m.external_directory_object_id.clone(), i))
        .collect();
    for mut mailbox in changed {
        match at
            .get(&mailbox.external_directory_object_id)
            .and_then(|i| snapshot.mailboxes.get_mut(*i))
        {
            Some(slot) => {
                if !full_access_read {
                    mailbox.full_access = std::mem::take(&mut slot.full_access);
                }
                *slot = mailbox;
            }
            None => {
                at.insert(
                    mailbox.external_directory_object_id.clone(),
                    snapshot.mailboxes.len(),
                );
                snapshot.mailboxes.push(mailbox);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{apply_groups, apply_users};
    use crate::directory::{DirectoryGroup, DirectoryUser, ObjectRef, Snapshot};
    use crate::microsoft::graph::UserDelta;
    use crate::microsoft::group_delta::{GroupChange, GroupDelta};

    fn user(id: &str, manager: Option<&str>) -> DirectoryUser {
        DirectoryUser {
            id: id.into(),
            user_principal_name: format!("{id}@contoso.com").into(),
            manager: manager.map(|m| ObjectRef { id: m.into() }),
            ..DirectoryUser::default()
        }
    }

    fn group(id: &str, members: &[&str]) -> DirectoryGroup {
        DirectoryGroup {
            id: id.into(),
            display_name: id.into(),
            mail: None,
            mail_nickname: None,
            proxy_addresses: Vec::new(),
            group_types: Vec::new(),
            security_enabled: true,
            mail_enabled: false,
            members: members.iter().map(|m| crate::SharedStr::from(*m)).collect(),
        }
    }

    #[test]
    fn a_deleted_user_leaves_everything_and_unreported_managers_stay() {
        let mut snapshot = Snapshot {
            users: vec![
                user("boss", None),
                user("a", Some("boss")),
                user("b", Some("a")),
            ],
            groups: vec![group("g", &["boss", "a"])],
            ..Snapshot::default()
        };
        let mut changed_a = user("a", None);
        changed_a.job_title = Some("Lead".into());
        let delta = UserDelta {
            changed: vec![changed_a, user("c", Some("b"))],
            manager_unchanged: ["a".to_owned()].into(),
            removed: vec!["boss".into()],
            delta_link: String::new(),
        };
        apply_users(&mut snapshot, delta);
        let ids: Vec<&str> = snapshot.users.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(snapshot.users[0].manager, None, "its manager was deleted");
        assert_eq!(snapshot.users[0].job_title.as_deref(), Some("Lead"));
        assert_eq!(
            snapshot.users[2].manager,
            Some(ObjectRef { id: "b".into() })
        );
        assert_eq!(snapshot.groups[0].members, ["a"]);
    }

    #[test]
    fn group_changes_replace_properties_and_move_members() {
        let mut snapshot = Snapshot {
            groups: vec![group("g", &["a", "b"]), group("gone", &[])],
            ..Snapshot::default()
        };
        let mut renamed = group("g", &[]);
        renamed.display_name = "Renamed".into();
        let delta = GroupDelta {
            changed: vec![
                GroupChange {
                    group: renamed,
                    added: vec!["c".into(), "a".into()],
                    removed: vec!["b".into()],
                },
                GroupChange {
                    group: group("new", &[]),
                    added: vec!["a".into()],
                    removed: Vec::new(),
                },
            ],
            removed: vec!["gone".into()],
            delta_link: String::new(),
        };
        apply_groups(&mut snapshot, delta);
        assert_eq!(snapshot.groups.len(), 2);
        assert_eq!(snapshot.groups[0].display_name, "Renamed");
        assert_eq!(snapshot.groups[0].members, ["a", "c"]);
        assert_eq!(snapshot.groups[1].members, ["a"]);
    }
}
