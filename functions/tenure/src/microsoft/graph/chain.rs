//! A user's plain writes sent together: one `$batch` whose requests depend on each other in
//! order, with anything the batch could not do written again on its own.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{BatchRequest, BatchResponse, GraphClient, Written, encode};
use crate::microsoft::error::ApiError;

/// One write on a user that may travel in a `$batch` with the user's other writes. Each is
/// idempotent: sending it again after an unknown outcome changes nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserWrite {
    /// `PATCH /users/{id}`: each property to its value, `None` clears it.
    Update(BTreeMap<String, Option<String>>),
    /// `PATCH /users/{id}` `accountEnabled`.
    Enabled(bool),
    /// `PUT /users/{id}/manager/$ref`, with the manager's object id.
    Manager(String),
    /// `POST /users/{id}/assignLicense` adding this SKU (GUID).
    AssignLicense(String),
    /// `POST /users/{id}/assignLicense` removing this SKU (GUID).
    RemoveLicense(String),
    /// `POST /users/{id}/revokeSignInSessions`.
    RevokeSessions,
    /// `DELETE /groups/{group}/members/{id}/$ref`; already gone counts as done.
    LeaveGroup(String),
}

impl GraphClient {
    /// Carries out one write on a user.
    pub async fn write_user(&self, user_id: &str, write: &UserWrite) -> Result<Written, ApiError> {
        match write {
            UserWrite::Update(changes) => self.update_user(user_id, changes).await,
            UserWrite::Enabled(enabled) => self.set_account_enabled(user_id, *enabled).await,
            UserWrite::Manager(manager) => self.set_manager(user_id, manager).await,
            UserWrite::AssignLicense(sku) => self.assign_licenses(user_id, &[sku], &[]).await,
            UserWrite::RemoveLicense(sku) => self.assign_licenses(user_id, &[], &[sku]).await,
            UserWrite::RevokeSessions => self.revoke_sign_in_sessions(user_id).await,
            UserWrite::LeaveGroup(group) => self.remove_member(group, user_id).await,
        }
    }

    /// Carries out a user's writes in order, giving one result per write. Two or more travel
    /// in one `$batch` (each depending on the one before, so their order holds); a write the
    /// batch did not carry out (a failed dependency, throttling, a server error, or the whole
    /// batch lost) is sent again on its own, so one failure never keeps the others from
    /// happening. When the batch was given up for want of time ([`ApiError::OutOfTime`]), the
    /// writes it did not carry out end so too, unsent.
    pub async fn write_user_chain(
        &self,
        user_id: &str,
        writes: &[UserWrite],
    ) -> Vec<Result<Written, ApiError>> {
        let (answers, ended) = if writes.len() > 1 {
            let requests: Vec<BatchRequest> = writes
                .iter()
                .enumerate()
                .map(|(i, write)| self.batch_request(user_id, i, write))
                .collect();
            let (answers, ended) = self.batch_answers(&requests).await;
            (Some(answers), ended)
        } else {
            (None, None)
        };
        let out_of_time = ended.filter(ApiError::is_out_of_time);
        let mut results = Vec::with_capacity(writes.len());
        for (i, write) in writes.iter().enumerate() {
            let answer = answers.as_ref().and_then(|a| a.get(i));
            let result = match (answer.map(|a| settle(a, write)), &out_of_time) {
                (Some(Settled::Done(written)), _) => Ok(written),
                (Some(Settled::Refused(error)), _) => Err(error),
                (Some(Settled::Again), Some(error)) => Err(error.clone()),
                (Some(Settled::Again) | None, _) => self.write_user(user_id, write).await,
            };
            results.push(result);
        }
        results
    }

    fn batch_request(&self, user_id: &str, index: usize, write: &UserWrite) -> BatchRequest {
        let user = format!("/users/{}", encode(user_id));
        let (method, url, body) = match write {
            UserWrite::Update(changes) => {
                let body: serde_json::Map<String, Value> = changes
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone().map_or(Value::Null, Value::String)))
                    .collect();
                ("PATCH", user, Some(Value::Object(body)))
            }
            UserWrite::Enabled(enabled) => {
                ("PATCH", user, Some(json!({"accountEnabled": enabled})))
            }
            UserWrite::Manager(manager) => (
                "PUT",
                format!("{user}/manager/$ref"),
                Some(json!({"@odata.id": self.object_ref(manager)})),
            ),
            UserWrite::AssignLicense(sku) => (
                "POST",
                format!("{user}/assignLicense"),
                Some(
                    json!({"addLicenses": [{"skuId": sku, "disabledPlans": []}], "removeLicenses": []}),
                ),
            ),
            UserWrite::RemoveLicense(sku) => (
                "POST",
                format!("{user}/assignLicense"),
                Some(json!({"addLicenses": [], "removeLicenses": [sku]})),
            ),
            UserWrite::RevokeSessions => ("POST", format!("{user}/revokeSignInSessions"), None),
            UserWrite::LeaveGroup(group) => (
                "DELETE",
                format!("/groups/{}/members/{}/$ref", encode(group), encode(user_id)),
                None,
            ),
        };
        BatchRequest {
            id: (index + 1).to_string(),
            method: method.to_owned(),
            url,
            body,
            // Request `index` (1-based id `index + 1`) waits for the one before it.
            depends_on: (index > 0).then(|| index.to_string()).into_iter().collect(),
        }
    }
}

enum Settled {
    Done(Written),
    Refused(ApiError),
    Again,
}

fn settle(answer: &BatchResponse, write: &UserWrite) -> Settled {
    let request_id = answer.request_id.clone();
    if answer.is_success() {
        return Settled::Done(Written {
            request_id,
            already_done: false,
        });
    }
    if answer.status == 424 || answer.status == 429 || answer.status >= 500 {
        return Settled::Again;
    }
    let Some(error) = answer.error(&operation(write)) else {
        return Settled::Again;
    };
    if matches!(write, UserWrite::LeaveGroup(_)) && error.is_not_found() {
        return Settled::Done(Written {
            request_id,
            already_done: true,
        });
    }
    Settled::Refused(error)
}

fn operation(write: &UserWrite) -> String {
    match write {
        UserWrite::Update(_) | UserWrite::Enabled(_) => "PATCH /users/{id}",
        UserWrite::Manager(_) => "PUT /users/{id}/manager/$ref",
        UserWrite::AssignLicense(_) | UserWrite::RemoveLicense(_) => {
            "POST /users/{id}/assignLicense"
        }
        UserWrite::RevokeSessions => "POST /users/{id}/revokeSignInSessions",
        UserWrite::LeaveGroup(_) => "DELETE /groups/{id}/members/{id}/$ref",
    }
    .to_owned()
}
