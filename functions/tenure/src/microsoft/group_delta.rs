//! What `/groups/delta` says changed: groups with their properties and the members added and
//! removed (`members@delta`), merged across pages, since Graph may split a large group's
//! member list over several pages and repeat a group anywhere in a round.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::Value;

use super::error::{Api, ApiError};
use super::graph::groups::ListedGroup;
use crate::directory::DirectoryGroup;

/// What changed in groups since a delta link (or every group, on a first round).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupDelta {
    /// Groups created or changed, each once.
    pub changed: Vec<GroupChange>,
    /// Ids of groups deleted since.
    pub removed: Vec<String>,
    /// The link to pass next time; store it between syncs.
    pub delta_link: String,
}

/// One group created or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupChange {
    /// The group's properties now; `members` is left empty (see `added` and `removed`).
    pub group: DirectoryGroup,
    /// Users who became direct members (on a first round: every member).
    pub added: Vec<String>,
    /// Users who stopped being members, or were deleted.
    pub removed: Vec<String>,
}

/// A group as a delta page shows it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(flatten)]
    group: ListedGroup,
    #[serde(rename = "@removed", default)]
    removed: Option<Value>,
    #[serde(rename = "members@delta", default)]
    members: Vec<MemberRef>,
}

/// An entry of `members@delta`.
#[derive(Deserialize)]
struct MemberRef {
    id: String,
    #[serde(rename = "@odata.type", default)]
    odata_type: Option<String>,
    #[serde(rename = "@removed", default)]
    removed: Option<Value>,
}

/// A round's groups, merged as its pages come.
#[derive(Debug, Default)]
pub(crate) struct GroupRound {
    delta: GroupDelta,
    at: HashMap<String, usize>,
    added: Vec<HashSet<String>>,
    removed: Vec<HashSet<String>>,
}

impl GroupRound {
    /// Takes one item of a page.
    pub(crate) fn take(&mut self, item: Value) -> Result<(), ApiError> {
        let item = Item::deserialize(item).map_err(|e| ApiError::Unexpected {
            api: Api::Graph,
            operation: "GET /groups/delta".to_owned(),
            status: 200,
            message: e.to_string(),
        })?;
        if item.removed.is_some() {
            self.forget(&item.group.id);
            self.delta.removed.push(item.group.id);
            return Ok(());
        }
        let at = self.place_of(&item.group.id);
        let group = item.group.into_group(Vec::new());
        let (Some(change), Some(added), Some(removed)) = (
            self.delta.changed.get_mut(at),
            self.added.get_mut(at),
            self.removed.get_mut(at),
        ) else {
            return Ok(());
        };
        change.group = group;
        // Nested groups, devices and contacts are left out: the snapshot holds users only.
        let users = item.members.into_iter().filter(|m| {
            m.odata_type
                .as_deref()
                .is_none_or(|t| t == "#microsoft.graph.user")
        });
        for member in users {
            let (into, into_set, from, from_set) = if member.removed.is_some() {
                (
                    &mut change.removed,
                    &mut *removed,
                    &mut change.added,
                    &mut *added,
                )
            } else {
                (
                    &mut change.added,
                    &mut *added,
                    &mut change.removed,
                    &mut *removed,
                )
            };
            if from_set.remove(&member.id) {
                from.retain(|m| *m != member.id);
            }
            if into_set.insert(member.id.clone()) {
                into.push(member.id);
            }
        }
        Ok(())
    }

    /// Where a group's change is, added if new.
    fn place_of(&mut self, id: &str) -> usize {
        if let Some(at) = self.at.get(id) {
            return *at;
        }
        let at = self.delta.changed.len();
        self.delta.changed.push(GroupChange {
            group: DirectoryGroup {
                id: id.to_owned(),
                display_name: String::new(),
                mail: None,
                mail_nickname: None,
                proxy_addresses: Vec::new(),
                group_types: Vec::new(),
                security_enabled: false,
                mail_enabled: false,
                members: Vec::new(),
            },
            added: Vec::new(),
            removed: Vec::new(),
        });
        self.added.push(HashSet::new());
        self.removed.push(HashSet::new());
        self.at.insert(id.to_owned(), at);
        at
    }

    /// Drops what the round said so far about a group that turned out deleted.
    fn forget(&mut self, id: &str) {
        let Some(at) = self.at.remove(id) else {
            return;
        };
        self.delta.changed.remove(at);
        self.added.remove(at);
        self.removed.remove(at);
        for place in self.at.values_mut() {
            if *place > at {
                *place -= 1;
            }
        }
    }

    /// The round's changes, with the link for the next one.
    pub(crate) fn finish(mut self, delta_link: String) -> GroupDelta {
        self.delta.delta_link = delta_link;
        self.delta
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::GroupRound;
    use crate::microsoft::error::ApiError;

    fn member(id: &str, removed: bool) -> serde_json::Value {
        let mut out = json!({"@odata.type": "#microsoft.graph.user", "id": id});
        if removed {
            out["@removed"] = json!({"reason": "deleted"});
        }
        out
    }

    #[test]
    fn a_group_split_over_pages_is_merged_and_later_entries_win() -> Result<(), ApiError> {
        let mut round = GroupRound::default();
        round.take(json!({"id": "g", "displayName": "Old", "members@delta": [member("a", false), member("b", true)]}))?;
        round.take(json!({"id": "h", "displayName": "Other"}))?;
        round.take(
            json!({"id": "g", "displayName": "New", "securityEnabled": true,
            "members@delta": [member("b", false), member("a", true), member("c", false),
                {"@odata.type": "#microsoft.graph.group", "id": "nested"}]}),
        )?;
        let delta = round.finish("link".into());
        assert_eq!(delta.changed.len(), 2);
        let g = &delta.changed[0];
        assert_eq!(g.group.display_name, "New");
        assert!(g.group.security_enabled);
        assert_eq!(g.added, ["b", "c"]);
        assert_eq!(g.removed, ["a"]);
        assert_eq!(delta.delta_link, "link");
        Ok(())
    }

    #[test]
    fn a_deleted_group_is_only_removed() -> Result<(), ApiError> {
        let mut round = GroupRound::default();
        round.take(json!({"id": "g", "displayName": "G"}))?;
        round.take(json!({"id": "h", "displayName": "H"}))?;
        round.take(json!({"id": "g", "@removed": {"reason": "changed"}}))?;
        round.take(json!({"id": "h", "displayName": "H2"}))?;
        let delta = round.finish(String::new());
        assert_eq!(delta.removed, ["g"]);
        assert_eq!(delta.changed.len(), 1);
        assert_eq!(delta.changed[0].group.display_name, "H2");
        Ok(())
    }
}
