//! `POST /users/{id}/sendMail`: a JSON message from the user's mailbox, `202 Accepted` with no
//! body, kept in the tenant's outbox ([`crate::SentMail`]). Refused without `Mail.Send`, for a
//! user without a mailbox, and for a message Exchange would not take.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::errors::GraphError;
use crate::graph::body::JsonObject;
use crate::outbox::SentMail;
use crate::state::{Principal, TenantState};

/// Exchange's answer to a bad message (`400 ErrorInvalidRecipients` and the like).
fn refused(code: &'static str, message: &str) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, code, message)
}

/// The addresses of a recipients list (`[{"emailAddress":{"address","name"}}]`).
fn addresses(message: &Map<String, Value>, field: &str) -> Result<Vec<String>, GraphError> {
    let Some(list) = message.get(field) else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| GraphError::malformed(format!("Invalid value for property '{field}'.")))?;
    list.iter()
        .map(|recipient| {
            recipient["emailAddress"]["address"]
                .as_str()
                .filter(|a| {
                    a.split_once('@')
                        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
                })
                .map(str::to_owned)
                .ok_or_else(|| {
                    refused(
                        "ErrorInvalidRecipients",
                        "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
                    )
                })
        })
        .collect()
}

/// Reads a `sendMail` body into what the outbox keeps.
fn read_message(from: String, body: &Map<String, Value>) -> Result<SentMail, GraphError> {
    for key in body.keys() {
        if !matches!(key.as_str(), "message" | "saveToSentItems") {
            return Err(GraphError::malformed(format!(
                "The parameter '{key}' in the request payload is not a valid parameter for the operation 'sendMail'."
            )));
        }
    }
    if body.get("saveToSentItems").is_some_and(|v| !v.is_boolean()) {
        return Err(GraphError::malformed(
            "Invalid value for 'saveToSentItems'.",
        ));
    }
    let message = body
        .get("message")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            refused(
                "ErrorInvalidParameter",
                "Empty Payload. JSON content expected.",
            )
        })?;
    let to = addresses(message, "toRecipients")?;
    let cc = addresses(message, "ccRecipients")?;
    if to.is_empty() && cc.is_empty() {
        return Err(refused(
            "ErrorInvalidRecipients",
            "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
        ));
    }
    let subject = match message.get("subject") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(GraphError::malformed(
                "Invalid value for property 'subject'.",
            ));
        }
    };
    let (content_type, content) = match message.get("body") {
        None | Some(Value::Null) => ("Text".to_owned(), String::new()),
        Some(Value::Object(b)) => {
            let kind = match b.get("contentType").and_then(Value::as_str) {
                None => "Text",
                Some(t) if t.eq_ignore_ascii_case("text") => "Text",
                Some(t) if t.eq_ignore_ascii_case("html") => "HTML",
                Some(other) => {
                    return Err(GraphError::malformed(format!(
                        "Requested value '{other}' was not found."
                    )));
                }
            };
            let content = b.get("content").and_then(Value::as_str).unwrap_or_default();
            (kind.to_owned(), content.to_owned())
        }
        Some(_) => return Err(GraphError::malformed("Invalid value for property 'body'.")),
    };
    Ok(SentMail {
        from,
        to,
        cc,
        subject,
        content_type,
        content,
        sent_at: jiff::Timestamp::now().to_string(),
    })
}

/// `POST /users/{id}/sendMail`: `202` with no body.
pub(crate) async fn send(
    State(state): State<TenantState>,
    Extension(principal): Extension<Principal>,
    Path(sender): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Response, GraphError> {
    let shared = &state.shared;
    if !shared.permission_granted(&principal, "Mail.Send") {
        return Err(GraphError::new(
            StatusCode::FORBIDDEN,
            "ErrorAccessDenied",
            "Access is denied. Check credentials and try again.",
        ));
    }
    let retry_after = shared.faults().send_mail_retry_after();
    if let Some(wait) = retry_after {
        return Err(GraphError::throttled(crate::throttle::whole_seconds(wait)));
    }
    if shared.faults().draw_send_mail_failure() {
        return Err(GraphError::unavailable());
    }
    let from = {
        let directory = shared.directory();
        let user = directory.user(&sender).ok_or_else(|| {
            GraphError::new(
                StatusCode::NOT_FOUND,
                "ErrorInvalidUser",
                format!("The requested user '{sender}' is invalid."),
            )
        })?;
        if directory.mailbox(&user.id).is_none() {
            return Err(GraphError::new(
                StatusCode::NOT_FOUND,
                "MailboxNotEnabledForRESTAPI",
                "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
            ));
        }
        user.user_principal_name.to_string()
    };
    let mail = read_message(from, &body)?;
    shared.send(mail);
    Ok(StatusCode::ACCEPTED.into_response())
}
