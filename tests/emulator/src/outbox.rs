//! The mail the tenant "sent" through `POST /users/{id}/sendMail`, kept in order so tests can
//! read it: [`crate::TenantState::outbox`] in process, or `GET /_emulator/outbox` over HTTP (an
//! endpoint of the emulator only; Microsoft has nothing like it).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use crate::state::TenantState;

/// One message as it left the sender's mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentMail {
    /// The sender: the user whose mailbox sent it, by UPN.
    pub from: String,
    /// The `toRecipients` addresses.
    pub to: Vec<String>,
    /// The `ccRecipients` addresses.
    pub cc: Vec<String>,
    /// The subject.
    pub subject: String,
    /// `Text` or `HTML`, as Graph spells the body's content type.
    pub content_type: String,
    /// The body.
    pub content: String,
    /// When it was accepted (RFC 3339).
    pub sent_at: String,
}

/// `GET /_emulator/outbox`: `{"value":[SentMail, …]}`, oldest first.
pub(crate) async fn list(State(state): State<TenantState>) -> Response {
    Json(json!({"value": state.outbox()})).into_response()
}
