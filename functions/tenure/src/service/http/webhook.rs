//! `hr-webhook`: `POST /connections/{id}/hr-events`, a signed delivery from an HR system,
//! verified with the connection's webhook key and queued ([`crate::webhook::accept`]).

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use jiff::Timestamp;

use super::response::{closing, json_error};
use crate::service::Services;
use crate::service::guard::ServiceGuard;
use crate::store::connections::ConnectionId;
use crate::store::secrets::{SecretKind, SecretName};
use crate::webhook::{self, Headers, MAX_BODY_BYTES};

/// Bodies up to this size are read and handed to [`webhook::accept`], which refuses those over
/// [`MAX_BODY_BYTES`] with their size; larger ones are refused while reading.
const READ_LIMIT: usize = 2 * MAX_BODY_BYTES;

/// The `hr-webhook` function: `POST /connections/{id}/hr-events`.
///
/// Answers `202 {"delivery_id": "<uuid>", "workers": <n>, "status": "queued"}` once the
/// workers are queued, `202 {…, "status": "held_for_approval", "approval_id": "…", "reason":
/// "…"}` when the mass-change guard held the whole delivery for a person (nothing queued; do
/// not send it again); else
/// `{"error": "<message>"}` with 404 (no such connection, or no webhook key for it), 401 (bad
/// or missing signature, stale or future timestamp, replay), 413 (body over
/// [`MAX_BODY_BYTES`]), 400 (malformed payload, naming the JSON path), 503 (the key, the
/// replay cache or the queue could not be reached: retry). Nothing is queued unless 202.
pub fn webhook_routes(services: Services) -> Router {
    Router::new()
        .route("/connections/{id}/hr-events", post(hr_events))
        .layer(DefaultBodyLimit::max(READ_LIMIT))
        .with_state(services)
}

async fn hr_events(
    State(services): State<Services>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let connection = match ConnectionId::parse(&id) {
        Ok(connection) => connection,
        Err(e) => return json_error(StatusCode::NOT_FOUND, e.to_string()),
    };
    let body = match body {
        Ok(body) => body,
        Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
            return closing(refused(
                &connection,
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is more than the {MAX_BODY_BYTES} byte limit"),
            ));
        }
        Err(e) => {
            return refused(
                &connection,
                StatusCode::BAD_REQUEST,
                format!("the body could not be read: {e}"),
            );
        }
    };
    let name = SecretName::for_connection(&connection, SecretKind::WebhookKey);
    let key = match services.secrets.get(&name).await {
        Ok(Some((key, _))) => key,
        Ok(None) => {
            return json_error(
                StatusCode::NOT_FOUND,
                format!(
                    "no webhook is set up for connection {connection}: the connection does not \
                     exist or has no webhook key"
                ),
            );
        }
        Err(e) => {
            return refused(
                &connection,
                StatusCode::SERVICE_UNAVAILABLE,
                format!("could not read the connection's webhook key, retry later: {e}"),
            );
        }
    };
    let accepted = webhook::accept(
        &connection,
        &headers_of(&headers),
        &body,
        &key,
        Timestamp::now(),
        services.replay.as_ref(),
        services.queue.as_ref(),
        &ServiceGuard(&services),
    )
    .await;
    match accepted {
        Ok(webhook::Accepted {
            delivery_id,
            workers,
            held: Some(held),
            ..
        }) => {
            tracing::warn!(
                connection = %connection,
                delivery_id = %delivery_id,
                workers,
                approval = %held.approval_id,
                "HR delivery held for approval"
            );
            let body = serde_json::json!({
                "delivery_id": delivery_id,
                "workers": workers,
                "status": "held_for_approval",
                "approval_id": held.approval_id,
                "reason": held.reason,
            });
            (StatusCode::ACCEPTED, axum::Json(body)).into_response()
        }
        Ok(accepted) => {
            tracing::info!(
                connection = %connection,
                delivery_id = %accepted.delivery_id,
                workers = accepted.workers,
                "HR delivery queued"
            );
            let body = serde_json::json!({
                "delivery_id": accepted.delivery_id,
                "workers": accepted.workers,
                "status": "queued",
            });
            (StatusCode::ACCEPTED, axum::Json(body)).into_response()
        }
        Err(e) => {
            let status =
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            refused(&connection, status, e.to_string())
        }
    }
}

/// Logs a refusal (its message never carries the key) and answers it.
fn refused(connection: &ConnectionId, status: StatusCode, message: String) -> Response {
    tracing::warn!(connection = %connection, status = status.as_u16(), "HR delivery refused: {message}");
    json_error(status, message)
}

/// The request's headers for signature checking; a value that is not UTF-8 is read lossily
/// (and so fails the check if the signature needed it).
fn headers_of(headers: &HeaderMap) -> Headers {
    Headers::from_pairs(headers.iter().map(|(name, value)| {
        (
            name.as_str().to_owned(),
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        )
    }))
}
