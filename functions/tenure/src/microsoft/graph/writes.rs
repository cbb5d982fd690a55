//! User, manager, membership and license writes. Each returns Microsoft's request id for the
//! audit.

use std::collections::BTreeMap;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{GraphClient, encode};
use crate::microsoft::error::{Api, ApiError};
use crate::microsoft::retry::NextTry;
use crate::microsoft::transport::Request;
use crate::names::{MailNickname, Upn};

/// What a write did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Written {
    /// Microsoft's `request-id`, for the audit (`None` when nothing had to be sent).
    pub request_id: Option<String>,
    /// The change was already in place (a member already added, a user already created by an
    /// earlier attempt whose answer was lost).
    pub already_done: bool,
}

/// A user to create. The password is passed to [`GraphClient::create_user`] separately.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// `userPrincipalName`.
    pub user_principal_name: Upn,
    /// `mailNickname`.
    pub mail_nickname: MailNickname,
    /// `displayName`.
    pub display_name: String,
    /// `accountEnabled`.
    pub account_enabled: bool,
    /// `employeeId`, which ties the account to HR.
    pub employee_id: Option<String>,
    /// Other Graph properties set at creation, by Graph name.
    pub attributes: BTreeMap<String, String>,
}

/// A created user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedUser {
    /// The new object id.
    pub id: String,
    /// What the write did.
    pub written: Written,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

impl GraphClient {
    /// `POST /users` with a `passwordProfile` holding `password` (never logged; the user must
    /// change it at first sign-in).
    ///
    /// A create is never doubled: the transport retries it only when it provably did not
    /// happen (429, connection refused). After an answer that leaves it unknown (a dropped
    /// connection, a timeout, a 5xx) or a "UPN already exists", the user is looked up by
    /// `userPrincipalName`: if it is there with this `employeeId`, the earlier attempt worked and
    /// its id is returned (`already_done`); if it is not there, the create is sent again.
    pub async fn create_user(
        &self,
        user: &NewUser,
        password: &SecretString,
    ) -> Result<CreatedUser, ApiError> {
        let mut body = Map::new();
        for (name, value) in &user.attributes {
            body.insert(name.clone(), Value::String(value.clone()));
        }
        body.insert("accountEnabled".into(), json!(user.account_enabled));
        body.insert("displayName".into(), json!(user.display_name));
        body.insert("mailNickname".into(), json!(user.mail_nickname));
        body.insert("userPrincipalName".into(), json!(user.user_principal_name));
        if let Some(id) = &user.employee_id {
            body.insert("employeeId".into(), json!(id));
        }
        body.insert(
            "passwordProfile".into(),
            json!({"password": password.expose_secret(), "forceChangePasswordNextSignIn": true}),
        );
        let body = Value::Object(body);
        let mut delays = backon::BackoffBuilder::build(self.transport.policy.backoff());
        loop {
            let request = Request::new(Method::POST, self.url("/users"), "POST /users".into())
                .json(body.clone())
                .idempotent(false);
            let error = match self.send(request).await {
                Ok(reply) => {
                    let created: Created = reply.json(Api::Graph, "POST /users")?;
                    return Ok(CreatedUser {
                        id: created.id,
                        written: Written {
                            request_id: reply.request_id,
                            already_done: false,
                        },
                    });
                }
                Err(error) if outcome_unknown(&error) || error.is_conflict() => error,
                Err(error) => return Err(error),
            };
            let found = match self.find_user(&user.user_principal_name).await {
                // Whether it happened is unknown: a failure, as it was (not left to a
                // continuation, whose plan would not know of it).
                Err(lookup) if lookup.is_out_of_time() => return Err(error),
                found => found?,
            };
            if let Some(existing) = found {
                if existing.employee_id == user.employee_id {
                    return Ok(CreatedUser {
                        id: existing.id.to_string(),
                        written: Written {
                            request_id: None,
                            already_done: true,
                        },
                    });
                }
                return Err(error);
            }
            if error.is_conflict() {
                // Taken by something that is not a user with this UPN (a mailNickname, a
                // proxy address): sending again would fail the same way.
                return Err(error);
            }
            // The user is not there: the create did not happen, and may be given up for time.
            match self.transport.next_try(None, delays.next(), true) {
                NextTry::After(delay) => tokio::time::sleep(delay).await,
                NextTry::GiveUp { wait } => {
                    return Err(self.transport.out_of_time("POST /users", wait));
                }
                NextTry::Stop => return Err(error),
            }
        }
    }

    /// `PATCH /users/{id}`: each property to its value, `None` clears it.
    pub async fn update_user(
        &self,
        user_id: &str,
        changes: &BTreeMap<String, Option<String>>,
    ) -> Result<Written, ApiError> {
        let body: Map<String, Value> = changes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().map_or(Value::Null, Value::String)))
            .collect();
        self.patch_user(user_id, Value::Object(body)).await
    }

    /// Allows or blocks sign-in (`accountEnabled`).
    pub async fn set_account_enabled(
        &self,
        user_id: &str,
        enabled: bool,
    ) -> Result<Written, ApiError> {
        self.patch_user(user_id, json!({"accountEnabled": enabled}))
            .await
    }

    /// Sets a new password nobody is told (a leaver's scramble). Never logged.
    pub async fn set_password(
        &self,
        user_id: &str,
        password: &SecretString,
    ) -> Result<Written, ApiError> {
        let body = json!({"passwordProfile": {
            "password": password.expose_secret(),
            "forceChangePasswordNextSignIn": true,
        }});
        self.patch_user(user_id, body).await
    }

    async fn patch_user(&self, user_id: &str, body: Value) -> Result<Written, ApiError> {
        let request = Request::new(
            Method::PATCH,
            self.url(&format!("/users/{}", encode(user_id))),
            "PATCH /users/{id}".into(),
        )
        .json(body);
        self.write(request).await
    }

    /// `PUT /users/{id}/manager/$ref`.
    pub async fn set_manager(&self, user_id: &str, manager_id: &str) -> Result<Written, ApiError> {
        let request = Request::new(
            Method::PUT,
            self.url(&format!("/users/{}/manager/$ref", encode(user_id))),
            "PUT /users/{id}/manager/$ref".into(),
        )
        .json(json!({"@odata.id": self.object_ref(manager_id)}));
        self.write(request).await
    }

    /// `POST /groups/{id}/members/$ref`. A member already there is `already_done`.
    pub async fn add_member(&self, group_id: &str, user_id: &str) -> Result<Written, ApiError> {
        let request = Request::new(
            Method::POST,
            self.url(&format!("/groups/{}/members/$ref", encode(group_id))),
            "POST /groups/{id}/members/$ref".into(),
        )
        .json(json!({"@odata.id": self.object_ref(user_id)}))
        // Adding twice only gives "already exist": safe to repeat.
        .idempotent(true);
        self.write_tolerant(request, ApiError::is_already_done)
            .await
    }

    /// `DELETE /groups/{id}/members/{user}/$ref`. A member already gone is `already_done`.
    pub async fn remove_member(&self, group_id: &str, user_id: &str) -> Result<Written, ApiError> {
        let request = Request::new(
            Method::DELETE,
            self.url(&format!(
                "/groups/{}/members/{}/$ref",
                encode(group_id),
                encode(user_id)
            )),
            "DELETE /groups/{id}/members/{id}/$ref".into(),
        );
        self.write_tolerant(request, ApiError::is_not_found).await
    }

    /// Adds many members with `PATCH /groups/{id}` and `members@odata.bind`, 20 per request
    /// (Graph's limit). Returns one [`Written`] per request sent.
    pub async fn add_members(
        &self,
        group_id: &str,
        user_ids: &[String],
    ) -> Result<Vec<Written>, ApiError> {
        let mut written = Vec::new();
        for chunk in user_ids.chunks(20) {
            let binds: Vec<String> = chunk.iter().map(|id| self.object_ref(id)).collect();
            let request = Request::new(
                Method::PATCH,
                self.url(&format!("/groups/{}", encode(group_id))),
                "PATCH /groups/{id} members@odata.bind".into(),
            )
            .json(json!({"members@odata.bind": binds}));
            written.push(self.write(request).await?);
        }
        Ok(written)
    }

    /// `POST /users/{id}/assignLicense`: adds and removes SKUs (by GUID) in one call. The user
    /// needs a `usageLocation` first.
    pub async fn assign_licenses(
        &self,
        user_id: &str,
        add: &[&str],
        remove: &[&str],
    ) -> Result<Written, ApiError> {
        let add: Vec<Value> = add
            .iter()
            .map(|sku| json!({"skuId": sku, "disabledPlans": []}))
            .collect();
        let request = Request::new(
            Method::POST,
            self.url(&format!("/users/{}/assignLicense", encode(user_id))),
            "POST /users/{id}/assignLicense".into(),
        )
        .json(json!({"addLicenses": add, "removeLicenses": remove}))
        // Assigning the same licenses again leaves them as they are.
        .idempotent(true);
        self.write(request).await
    }

    /// `POST /users/{id}/revokeSignInSessions`.
    pub async fn revoke_sign_in_sessions(&self, user_id: &str) -> Result<Written, ApiError> {
        let request = Request::new(
            Method::POST,
            self.url(&format!("/users/{}/revokeSignInSessions", encode(user_id))),
            "POST /users/{id}/revokeSignInSessions".into(),
        )
        .idempotent(true);
        self.write(request).await
    }

    pub(super) async fn write(&self, request: Request) -> Result<Written, ApiError> {
        let reply = self.send(request).await?;
        Ok(Written {
            request_id: reply.request_id,
            already_done: false,
        })
    }

    async fn write_tolerant(
        &self,
        request: Request,
        done: fn(&ApiError) -> bool,
    ) -> Result<Written, ApiError> {
        match self.send(request).await {
            Ok(reply) => Ok(Written {
                request_id: reply.request_id,
                already_done: false,
            }),
            Err(error) if done(&error) => Ok(Written {
                request_id: error.request_id().map(str::to_owned),
                already_done: true,
            }),
            Err(error) => Err(error),
        }
    }
}

/// Whether a failed create may or may not have happened.
fn outcome_unknown(error: &ApiError) -> bool {
    match error {
        ApiError::Network { maybe_applied, .. } => *maybe_applied,
        ApiError::Service { status, .. } => *status >= 500,
        ApiError::Unexpected { status, .. } => *status >= 500,
        _ => false,
    }
}
