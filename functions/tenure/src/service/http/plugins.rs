//! `plugin-upload`: a connection's mapping plugin versions over HTTP
//! ([`crate::service::plugins`]).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::admin::{AdminRoute, admin_layer};
use super::response::{closing, json_error};
use crate::auth::api_token::Scope;
use crate::service::Services;
use crate::service::plugins::{self, UploadError};
use crate::store::connections::ConnectionId;

/// The `plugin-upload` function's routes:
///
/// * `POST /connections/{id}/plugins` with the component's bytes as the body
///   (`application/wasm`; `?activate=false` to store without activating): `201`
///   `{"sha256", "size", "uploaded_at", "trial": {"source", "workers_tried", "workers_mapped",
///   "workers_refused", "fuel_consumed", "config_checked"}, "activated", "already_uploaded"}`.
/// * `GET /connections/{id}/plugins`: `200` `{"active": "standard" | {"uploaded": {"sha256"}}
///   | null, "versions": [{"sha256", "size", "uploaded_at", "trial", "active", …}]}`.
/// * `POST /connections/{id}/plugins/{sha256}/activate`: `200` with the version's record and
///   `"activated": true`.
///
/// Refusals are `{"error": "<what is wrong>"}` with 400 (not a plugin Tenure runs, the
/// configuration refused, a failed trial, a malformed version), 404 (no such connection or
/// version), 413 (over the size limit), 409 (no or invalid settings to activate in; the
/// upload itself is kept and the answer carries its `sha256`), 429 (the connection's uploads
/// of the window are used up; `Retry-After` says in how many seconds to try again), 503 (a
/// store could not be reached: retry). Every route is behind the admin layer: no session →
/// 401; another tenant's connection → 404; not an administrator → 403; a POST without the
/// session's CSRF token or from another origin → 403. API tokens: upload and activate take
/// `plugins:write`; the list takes `plans:read` or `plugins:write` (a CI job that uploads may
/// see what it uploaded).
pub fn plugin_routes(services: Services) -> Router {
    // One byte over the limit is read, so that the upload's own check answers it with its size.
    let read_limit = services
        .plugins
        .host()
        .limits()
        .max_wasm_bytes
        .saturating_add(1);
    let write = || from_fn_with_state(AdminRoute::tokens(&services, WRITE), admin_layer);
    let read = || from_fn_with_state(AdminRoute::tokens(&services, READ), admin_layer);
    Router::new()
        .route(
            "/connections/{id}/plugins",
            post(upload).route_layer(write()),
        )
        .route("/connections/{id}/plugins", get(list).route_layer(read()))
        .route(
            "/connections/{id}/plugins/{sha256}/activate",
            post(activate).route_layer(write()),
        )
        .layer(DefaultBodyLimit::max(read_limit))
        .with_state(services)
}

/// The API-token scopes of uploading and activating.
const WRITE: &[Scope] = &[Scope::PluginsWrite];
/// The API-token scopes of listing.
const READ: &[Scope] = &[Scope::PlansRead, Scope::PluginsWrite];

/// `?activate=…`.
#[derive(Debug, Deserialize)]
struct UploadParams {
    activate: Option<bool>,
}

async fn upload(
    State(services): State<Services>,
    Path(id): Path<String>,
    params: Result<Query<UploadParams>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let connection = match ConnectionId::parse(&id) {
        Ok(connection) => connection,
        Err(e) => return json_error(StatusCode::NOT_FOUND, e.to_string()),
    };
    let activate = match params {
        Ok(Query(params)) => params.activate.unwrap_or(true),
        Err(_) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "the query parameter activate must be true or false",
            );
        }
    };
    let limit = services.plugins.host().limits().max_wasm_bytes;
    let body = match body {
        Ok(body) => body,
        Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
            return closing(json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the plugin is more than the {limit} bytes an upload may have"),
            ));
        }
        Err(e) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                format!("the body could not be read: {e}"),
            );
        }
    };
    match plugins::upload(&services, &connection, &body, activate).await {
        Ok(uploaded) => (StatusCode::CREATED, Json(uploaded)).into_response(),
        Err(error) => refused(&connection, &error),
    }
}

async fn list(State(services): State<Services>, Path(id): Path<String>) -> Response {
    let connection = match ConnectionId::parse(&id) {
        Ok(connection) => connection,
        Err(e) => return json_error(StatusCode::NOT_FOUND, e.to_string()),
    };
    match plugins::list_versions(&services, &connection).await {
        Ok(versions) => (StatusCode::OK, Json(versions)).into_response(),
        Err(error) => refused(&connection, &error),
    }
}

async fn activate(
    State(services): State<Services>,
    Path((id, sha256)): Path<(String, String)>,
) -> Response {
    let connection = match ConnectionId::parse(&id) {
        Ok(connection) => connection,
        Err(e) => return json_error(StatusCode::NOT_FOUND, e.to_string()),
    };
    match plugins::activate(&services, &connection, &sha256).await {
        Ok(record) => {
            let mut body = serde_json::to_value(&record).unwrap_or_default();
            if let Some(fields) = body.as_object_mut() {
                fields.insert("activated".into(), true.into());
            }
            (StatusCode::OK, Json(body)).into_response()
        }
        Err(error) => refused(&connection, &error),
    }
}

/// The error's answer; `NotActivated` also names the version that was kept.
fn refused(connection: &ConnectionId, error: &UploadError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::warn!(%connection, %error, "plugin request failed");
    } else {
        tracing::info!(%connection, %error, "plugin request refused");
    }
    if let UploadError::NotActivated { sha256, .. } = error {
        let body = serde_json::json!({ "error": error.to_string(), "sha256": sha256 });
        return (status, Json(body)).into_response();
    }
    if let UploadError::RateLimited { retry_after, .. } = error {
        let mut response = json_error(status, error.to_string());
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(retry_after.as_secs()),
        );
        return response;
    }
    json_error(status, error.to_string())
}
