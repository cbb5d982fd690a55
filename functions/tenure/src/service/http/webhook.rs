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
use secrecy::SecretString;

use super::response::{closing, json_error};
use crate::service::Services;
use crate::service::deliveries::{self, DeliveryOutcome, DeliveryRecord, DeliverySource};
use crate::service::guard::ServiceGuard;
use crate::store::connections::ConnectionId;
use crate::store::secrets::{SecretKind, SecretName};
use crate::webhook::{self, Headers, MAX_BODY_BYTES, WebhookError};

/// Bodies up to this size are read and handed to [`webhook::accept`], which refuses those over
/// [`MAX_BODY_BYTES`] with their size; larger ones are refused while reading.
const READ_LIMIT: usize = 2 * MAX_BODY_BYTES;

/// The `hr-webhook` function: `POST /connections/{id}/hr-events`.
///
/// Answers `202 {"delivery_id": "<uuid>", "workers": <n>, "status": "queued"}` once the
/// workers are queued, `202 {…, "status": "held_for_approval", "approval_id": "…", "reason":
/// "…"}` when the mass-change guard held the whole delivery for a person (nothing queued; do
/// not send it again); else `{"error": "<message>"}` with 401 (bad or missing signature, stale
/// or future timestamp, replay; and a connection that does not exist or has no webhook key,
/// answered byte for byte as a wrong signature), 413 (body over [`MAX_BODY_BYTES`]), 400
/// (malformed payload, naming the JSON path), 503 (the key, the replay cache or the queue could
/// not be reached: retry). Nothing is queued unless 202.
///
/// The body's size and the signature headers are checked before anything is looked up for the
/// connection; the one paid call before the signature is checked is the read of its key.
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
    let body = match body {
        Ok(body) => body,
        Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
            return closing(refused(
                &id,
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is more than the {MAX_BODY_BYTES} byte limit"),
            ));
        }
        Err(e) => {
            return refused(
                &id,
                StatusCode::BAD_REQUEST,
                format!("the body could not be read: {e}"),
            );
        }
    };
    let headers = headers_of(&headers);
    // Nothing is looked up for a request that could not be signed by anyone.
    if let Err(e) = webhook::read_signature(&headers, &body) {
        return refused_for(&id, &e);
    }
    let Some((connection, key)) = (match webhook_key(&services, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    }) else {
        tracing::warn!(connection = ?id, "HR delivery for a connection with no webhook key");
        return json_error(
            StatusCode::UNAUTHORIZED,
            WebhookError::BadSignature.to_string(),
        );
    };
    let now = Timestamp::now();
    let accepted = webhook::accept(
        &connection,
        &headers,
        &body,
        &key,
        now,
        services.replay.as_ref(),
        services.queue.as_ref(),
        &ServiceGuard(&services),
    )
    .await;
    if let Some(record) = record_of(&accepted, now) {
        deliveries::record(services.objects.as_ref(), &connection, &record).await;
    }
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
        Err(e) => refused_for(connection.as_str(), &e),
    }
}

/// The record of a delivery to keep: every delivery signed with the connection's key; none for
/// one refused as unsigned, stale, from the future or a replay (anyone can send those).
fn record_of(
    accepted: &Result<webhook::Accepted, WebhookError>,
    at: Timestamp,
) -> Option<DeliveryRecord> {
    let (delivery_id, outcome) = match accepted {
        Ok(webhook::Accepted {
            delivery_id,
            workers,
            held: Some(held),
            ..
        }) => (
            Some(delivery_id.clone()),
            DeliveryOutcome::Held {
                workers: *workers,
                approval: held.approval_id.clone(),
            },
        ),
        Ok(accepted) => (
            Some(accepted.delivery_id.clone()),
            DeliveryOutcome::Queued {
                workers: accepted.workers,
            },
        ),
        Err(error) if error.status() == 401 || error.status() == 413 => return None,
        Err(error) => (
            None,
            DeliveryOutcome::Refused {
                status: error.status(),
                reason: error.to_string(),
            },
        ),
    };
    Some(DeliveryRecord {
        at,
        delivery_id,
        source: DeliverySource::Webhook,
        outcome,
    })
}

/// The connection named `id` and its webhook key; `None` when `id` is not a valid connection id
/// or the connection has no webhook key (both answered as a wrong signature would be).
async fn webhook_key(
    services: &Services,
    id: &str,
) -> Result<Option<(ConnectionId, SecretString)>, Response> {
    let Ok(connection) = ConnectionId::parse(id) else {
        return Ok(None);
    };
    let name = SecretName::for_connection(&connection, SecretKind::WebhookKey);
    match services.secrets.get(&name).await {
        Ok(Some((key, _))) => Ok(Some((connection, key))),
        Ok(None) => Ok(None),
        Err(e) => Err(refused(
            id,
            StatusCode::SERVICE_UNAVAILABLE,
            format!("could not read the connection's webhook key, retry later: {e}"),
        )),
    }
}

/// Logs and answers a refusal with the status [`WebhookError::status`] gives it.
fn refused_for(connection: &str, error: &WebhookError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    refused(connection, status, error.to_string())
}

/// Logs a refusal (its message never carries the key) and answers it.
fn refused(connection: &str, status: StatusCode, message: String) -> Response {
    tracing::warn!(connection = ?connection, status = status.as_u16(), "HR delivery refused: {message}");
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
