//! The audit trail of the admin routes: who (an administrator, or an API token by its id —
//! never its value) did what to which connection, with the answer it got. The admin layer
//! writes one record for every request made with an API token and for every state-changing
//! request of a signed-in administrator on a connection's route, as one JSON line in
//! `audit/<connection>/<yyyy-mm-dd>/access-<uuid>.jsonl`, beside the provisioning runs' audit
//! records.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::service::Services;
use crate::store::connections::ConnectionId;
use crate::store::objects::{Condition, ObjectKey};

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A signed-in user.
    User {
        /// Their tenant id.
        tenant_id: String,
        /// Their object id.
        object_id: String,
        /// Their sign-in name.
        username: String,
    },
    /// An API token.
    ApiToken {
        /// The token's id.
        token_id: String,
        /// The token's name.
        token_name: String,
        /// Who made the token.
        created_by: String,
    },
}

impl Actor {
    /// How approvals and logs name the actor: `user:<tenant>/<object>` or
    /// `api-token:<id>`.
    pub fn label(&self) -> String {
        match self {
            Self::User {
                tenant_id,
                object_id,
                ..
            } => format!("user:{tenant_id}/{object_id}"),
            Self::ApiToken { token_id, .. } => format!("api-token:{token_id}"),
        }
    }
}

/// One request to an admin route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRecord {
    /// When it was answered.
    pub at: Timestamp,
    /// The connection of the route.
    pub connection: ConnectionId,
    /// Who made it.
    pub actor: Actor,
    /// The HTTP method.
    pub method: String,
    /// The path (no query string).
    pub path: String,
    /// The answer's status.
    pub status: u16,
    /// What the handler added (a rejection's note), if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What a handler adds to its request's access record, such as the note of a rejection: put
/// on the response as an extension, and the admin layer writes it as the record's `detail`.
/// Never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditDetail(pub String);

/// Writes the record; a failure is logged (the request was already answered).
pub async fn write(services: &Services, record: &AccessRecord) {
    let day = jiff::tz::Offset::UTC.to_datetime(record.at).date();
    let text = format!(
        "audit/{}/{day}/access-{}.jsonl",
        record.connection,
        uuid::Uuid::new_v4().simple()
    );
    let Ok(key) = ObjectKey::parse(&text) else {
        tracing::error!(key = text, "cannot name the access audit record");
        return;
    };
    let mut line = serde_json::to_vec(record).unwrap_or_default();
    line.push(b'\n');
    if let Err(error) = services.objects.put(&key, line, Condition::Absent).await {
        tracing::error!(connection = %record.connection, %error,
            actor = %record.actor.label(), "cannot write the access audit record");
    }
}
