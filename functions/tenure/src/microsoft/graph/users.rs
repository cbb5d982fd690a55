//! User reads: full listings with `$select` and the manager, lookups, and `/users/delta` (with
//! the paging every delta round shares).

use std::collections::{BTreeSet, HashMap};

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use super::{GraphClient, Page, encode, odata_literal};
use crate::directory::{DirectoryUser, ObjectRef, UserAttribute};
use crate::microsoft::error::{Api, ApiError};
use crate::microsoft::transport::Request;

/// What changed since a delta link (or everything, on the first call). A user changed several
/// times in one round appears once, as it is last.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserDelta {
    /// Users created or changed, with the properties Tenure reads. `manager` is what
    /// `manager@delta` said (`None`: removed), except for the users in `manager_unchanged`.
    pub changed: Vec<DirectoryUser>,
    /// Ids of changed users for whom Graph said nothing about the manager: it did not change,
    /// so keep the one known before (on a first round: they have none).
    pub manager_unchanged: BTreeSet<String>,
    /// Ids of users deleted (or removed from scope) since.
    pub removed: Vec<String>,
    /// The link to pass next time; store it between syncs.
    pub delta_link: String,
}

/// An entry of `manager@delta`.
#[derive(Deserialize)]
struct ManagerRef {
    id: String,
    #[serde(rename = "@removed", default)]
    removed: Option<Value>,
}

/// The largest page Graph serves a delta round.
const DELTA_PAGE: &str = "odata.maxpagesize=999";

/// The `$select` of a user: exactly what [`crate::directory::Snapshot`] holds.
pub(crate) fn user_select() -> String {
    let mut fields = vec![
        "id",
        "userPrincipalName",
        "employeeId",
        "accountEnabled",
        "displayName",
        "mailNickname",
        "mail",
        "proxyAddresses",
        "assignedLicenses",
    ];
    fields.extend(UserAttribute::ALL.iter().map(|a| a.graph_name()));
    fields.join(",")
}

const EXPAND_MANAGER: &str = "$expand=manager($select=id)";

impl GraphClient {
    /// Lists every user with the properties of the snapshot and their manager, following every
    /// page (999 per page). The whole tenant is read, not only users with an `employeeId`: a
    /// new hire's UPN must not collide with anyone's, and `employeeId ne null` would need
    /// Graph's advanced queries.
    pub async fn list_users(&self) -> Result<Vec<DirectoryUser>, ApiError> {
        let url = self.url(&format!(
            "/users?$select={}&{EXPAND_MANAGER}&$top=999",
            user_select()
        ));
        Ok(self.collect(url).await?.0)
    }

    /// The users whose `employeeId` is one of `ids` (at most 15 per request, as Graph's `in`
    /// allows; more are asked for in several requests).
    pub async fn users_by_employee_id(&self, ids: &[&str]) -> Result<Vec<DirectoryUser>, ApiError> {
        let mut users = Vec::new();
        for chunk in ids.chunks(15) {
            let list: Vec<String> = chunk.iter().map(|id| odata_literal(id)).collect();
            let url = self.url(&format!(
                "/users?$select={}&{EXPAND_MANAGER}&$filter=employeeId%20in%20({})",
                user_select(),
                list.join(",")
            ));
            users.extend(self.collect::<DirectoryUser>(url).await?.0);
        }
        Ok(users)
    }

    /// One user by id or `userPrincipalName`; `None` when there is none.
    pub async fn find_user(&self, id_or_upn: &str) -> Result<Option<DirectoryUser>, ApiError> {
        let url = self.url(&format!(
            "/users/{}?$select={}&{EXPAND_MANAGER}",
            encode(id_or_upn),
            user_select()
        ));
        match self.get_json(url).await {
            Ok(user) => Ok(Some(user)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Users changed since `delta_link` (or all of them when `None`), with their manager
    /// (`manager@delta`), and the next delta link. A link Graph no longer knows fails with
    /// [`ApiError::is_resync_required`]: start over with `None`.
    pub async fn users_delta(&self, delta_link: Option<&str>) -> Result<UserDelta, ApiError> {
        let url = match delta_link {
            Some(link) => link.to_owned(),
            None => self.url(&format!("/users/delta?$select={},manager", user_select())),
        };
        // Each user as last seen in the round, and whether Graph said who its manager is.
        let mut seen: Vec<(DirectoryUser, bool)> = Vec::new();
        let mut at: HashMap<String, usize> = HashMap::new();
        let mut removed: BTreeSet<String> = BTreeSet::new();
        let operation = "GET /users/delta";
        let delta_link = self
            .delta_round(url, operation, |item| {
                let id = item
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| unexpected(operation, "an item without an id".to_owned()))?;
                if item.get("@removed").is_some() {
                    removed.insert(id);
                    return Ok(());
                }
                removed.remove(&id);
                let read = |e: serde_json::Error| unexpected(operation, e.to_string());
                let mut user = DirectoryUser::deserialize(&item).map_err(read)?;
                let earlier = at.get(&id).and_then(|i| seen.get(*i));
                let reported = match item.get("manager@delta") {
                    Some(references) => {
                        user.manager = Vec::<ManagerRef>::deserialize(references)
                            .map_err(read)?
                            .into_iter()
                            .rfind(|r| r.removed.is_none())
                            .map(|r| ObjectRef { id: r.id.into() });
                        true
                    }
                    None => match earlier {
                        Some((before, true)) => {
                            user.manager = before.manager.clone();
                            true
                        }
                        _ => false,
                    },
                };
                match at.get(&id).and_then(|i| seen.get_mut(*i)) {
                    Some(slot) => *slot = (user, reported),
                    None => {
                        at.insert(id, seen.len());
                        seen.push((user, reported));
                    }
                }
                Ok(())
            })
            .await?;
        let mut delta = UserDelta {
            delta_link,
            ..UserDelta::default()
        };
        for (user, reported) in seen {
            if removed.contains(user.id.as_str()) {
                continue;
            }
            if !reported {
                delta.manager_unchanged.insert(user.id.to_string());
            }
            delta.changed.push(user);
        }
        delta.removed = removed.into_iter().collect();
        Ok(delta)
    }

    /// Pages through a delta round from `url` (a first request or a delta link), handing each
    /// item to `take` as its page comes (so a large tenant is never held as JSON whole), and
    /// returns the round's `@odata.deltaLink`.
    pub(super) async fn delta_round(
        &self,
        url: String,
        operation: &str,
        mut take: impl FnMut(Value) -> Result<(), ApiError>,
    ) -> Result<String, ApiError> {
        let mut next = url;
        loop {
            let request = Request::new(Method::GET, next, operation.to_owned())
                .header("Prefer", DELTA_PAGE.to_owned());
            let page: Page<Value> = self.send(request).await?.json(Api::Graph, operation)?;
            self.check_links(&page, operation)?;
            for item in page.value {
                take(item)?;
            }
            match (page.next_link, page.delta_link) {
                (Some(link), _) => next = link,
                (None, Some(link)) => return Ok(link),
                (None, None) => {
                    return Err(unexpected(
                        operation,
                        "the last page carries no @odata.deltaLink".to_owned(),
                    ));
                }
            }
        }
    }
}

/// An answer that does not read as Graph documents it.
fn unexpected(operation: &str, message: String) -> ApiError {
    ApiError::Unexpected {
        api: Api::Graph,
        operation: operation.to_owned(),
        status: 200,
        message,
    }
}
