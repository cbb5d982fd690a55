//! User reads: full listings with `$select` and the manager, lookups, and `/users/delta`.

use serde::Deserialize;
use serde_json::Value;

use super::{GraphClient, encode, odata_literal};
use crate::directory::{DirectoryUser, UserAttribute};
use crate::microsoft::error::{Api, ApiError};

/// What changed since a delta link (or everything, on the first call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDelta {
    /// Users created or changed, with the properties Tenure reads (no manager: delta does not
    /// expand it; read the user when the manager matters).
    pub changed: Vec<DirectoryUser>,
    /// Ids of users deleted (or removed from scope) since.
    pub removed: Vec<String>,
    /// The link to pass next time; store it between syncs.
    pub delta_link: String,
}

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

    /// Users changed since `delta_link` (or all of them when `None`), with the next delta link.
    pub async fn users_delta(&self, delta_link: Option<&str>) -> Result<UserDelta, ApiError> {
        let url = match delta_link {
            Some(link) => link.to_owned(),
            None => self.url(&format!("/users/delta?$select={}", user_select())),
        };
        let (items, link) = self.collect::<Value>(url).await?;
        let mut delta = UserDelta {
            changed: Vec::new(),
            removed: Vec::new(),
            delta_link: link.ok_or_else(|| ApiError::Unexpected {
                api: Api::Graph,
                operation: "GET /users/delta".to_owned(),
                status: 200,
                message: "the last page carries no @odata.deltaLink".to_owned(),
            })?,
        };
        for item in items {
            if item.get("@removed").is_some() {
                if let Some(id) = item.get("id").and_then(Value::as_str) {
                    delta.removed.push(id.to_owned());
                }
                continue;
            }
            let user = DirectoryUser::deserialize(&item).map_err(|e| ApiError::Unexpected {
                api: Api::Graph,
                operation: "GET /users/delta".to_owned(),
                status: 200,
                message: e.to_string(),
            })?;
            delta.changed.push(user);
        }
        Ok(delta)
    }
}
