//! `plugin-upload`: a connection's mapping plugin versions over HTTP
//! ([`crate::service::plugins`]).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody, JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
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
/// * `POST /connections/{id}/plugins/uploads` with `{"bytes": N}`: an upload in two steps, for
///   a component larger than a request may carry (10 MB through API Gateway): `201`
///   `{"upload", "method": "PUT", "url", "headers", "bytes", "expires_at"}`. `url` is absolute
///   (an S3 presigned URL: send exactly `headers` and no credentials of yours) or relative to
///   this API (`tenure serve`: the `PUT` route below, with your credentials).
/// * `PUT /connections/{id}/plugins/uploads/{upload}` with exactly `bytes` bytes: `204`.
/// * `POST /connections/{id}/plugins/uploads/{upload}` (`?activate=false` as above): what
///   arrived goes through the upload's checks; the same answers as `POST …/plugins`. Each
///   upload URL takes one plugin, once: 404 for an upload completed already or never issued,
///   409 when nothing has arrived yet or the bytes arrived twice, 410 when it expired empty.
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
    let read_limit = request_limit(&services).saturating_add(1);
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
        .route(
            "/connections/{id}/plugins/uploads",
            post(issue_upload).route_layer(write()),
        )
        .route(
            "/connections/{id}/plugins/uploads/{upload}",
            // The bytes of an upload in two steps: up to the host's limit, not a request's.
            put(receive_upload)
                .layer(DefaultBodyLimit::max(
                    host_limit(&services).saturating_add(1),
                ))
                .post(complete_upload)
                .route_layer(write()),
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
) -> Result<Response, Refusal> {
    let connection = connection_of(&id)?;
    let activate = activate_param(params)?;
    let body = read_body(&services, request_limit(&services), body)?;
    Ok(
        match plugins::upload(&services, &connection, &body, activate).await {
            Ok(uploaded) => (StatusCode::CREATED, Json(uploaded)).into_response(),
            Err(error) => refused(&connection, &error),
        },
    )
}

/// The connection `{id}` names; 404 when it cannot be one.
fn connection_of(id: &str) -> Result<ConnectionId, Refusal> {
    ConnectionId::parse(id).map_err(|e| Refusal(StatusCode::NOT_FOUND, e.to_string()))
}

/// A request refused before any work: its status and why (a 413 also closes the connection).
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let Self(status, error) = self;
        let response = json_error(status, error);
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            closing(response)
        } else {
            response
        }
    }
}

/// `?activate=`: true unless `false`.
fn activate_param(params: Result<Query<UploadParams>, QueryRejection>) -> Result<bool, Refusal> {
    match params {
        Ok(Query(params)) => Ok(params.activate.unwrap_or(true)),
        Err(_) => Err(Refusal(
            StatusCode::BAD_REQUEST,
            "the query parameter activate must be true or false".to_owned(),
        )),
    }
}

/// The largest plugin the host takes.
fn host_limit(services: &Services) -> usize {
    services.plugins.host().limits().max_wasm_bytes
}

/// The most one request may carry: [`UploadLimits::max_request_bytes`](plugins::UploadLimits),
/// else the host's limit.
fn request_limit(services: &Services) -> usize {
    services.uploads.request_bytes(host_limit(services))
}

/// A component in the body, up to `limit` (413 beyond, and the connection closed).
fn read_body(
    services: &Services,
    limit: usize,
    body: Result<Bytes, BytesRejection>,
) -> Result<Bytes, Refusal> {
    let host = host_limit(services);
    match body {
        Ok(body) => Ok(body),
        Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
            let error = if limit < host {
                format!(
                    "the plugin is more than the {limit} bytes one request may carry here: ask \
                     for an upload URL (POST /connections/{{id}}/plugins/uploads with \
                     {{\"bytes\": <its size>}}) for plugins up to {host} bytes"
                )
            } else {
                format!("the plugin is more than the {limit} bytes an upload may have")
            };
            Err(Refusal(StatusCode::PAYLOAD_TOO_LARGE, error))
        }
        Err(e) => Err(Refusal(
            StatusCode::BAD_REQUEST,
            format!("the body could not be read: {e}"),
        )),
    }
}

/// `{"bytes": N}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadUrlRequest {
    bytes: u64,
}

async fn issue_upload(
    State(services): State<Services>,
    Path(id): Path<String>,
    body: Result<Json<UploadUrlRequest>, JsonRejection>,
) -> Result<Response, Refusal> {
    let connection = connection_of(&id)?;
    let Ok(Json(request)) = body else {
        return Err(Refusal(
            StatusCode::BAD_REQUEST,
            "the body must be JSON {\"bytes\": <the plugin's size in bytes>}".to_owned(),
        ));
    };
    Ok(
        match plugins::issue_upload_url(&services, &connection, request.bytes).await {
            Ok(issued) => {
                let own_route = format!(
                    "/connections/{connection}/plugins/uploads/{}",
                    issued.upload
                );
                let body = issued.ticket(&own_route);
                (StatusCode::CREATED, Json(body)).into_response()
            }
            Err(error) => refused(&connection, &error),
        },
    )
}

async fn receive_upload(
    State(services): State<Services>,
    Path((id, upload)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Refusal> {
    let connection = connection_of(&id)?;
    let body = read_body(&services, host_limit(&services), body)?;
    Ok(
        match plugins::receive_upload(&services, &connection, &upload, body.to_vec()).await {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(error) => refused(&connection, &error),
        },
    )
}

async fn complete_upload(
    State(services): State<Services>,
    Path((id, upload)): Path<(String, String)>,
    params: Result<Query<UploadParams>, QueryRejection>,
) -> Result<Response, Refusal> {
    let connection = connection_of(&id)?;
    let activate = activate_param(params)?;
    Ok(
        match plugins::complete_upload(&services, &connection, &upload, activate).await {
            Ok(uploaded) => (StatusCode::CREATED, Json(uploaded)).into_response(),
            Err(error) => refused(&connection, &error),
        },
    )
}

async fn list(
    State(services): State<Services>,
    Path(id): Path<String>,
) -> Result<Response, Refusal> {
    let connection = connection_of(&id)?;
    Ok(match plugins::list_versions(&services, &connection).await {
        Ok(versions) => (StatusCode::OK, Json(versions)).into_response(),
        Err(error) => refused(&connection, &error),
    })
}

async fn activate(
    State(services): State<Services>,
    Path((id, sha256)): Path<(String, String)>,
) -> Result<Response, Refusal> {
    let connection = connection_of(&id)?;
    Ok(
        match plugins::activate(&services, &connection, &sha256).await {
            Ok(record) => {
                let mut body = serde_json::to_value(&record).unwrap_or_default();
                if let Some(fields) = body.as_object_mut() {
                    fields.insert("activated".into(), true.into());
                }
                (StatusCode::OK, Json(body)).into_response()
            }
            Err(error) => refused(&connection, &error),
        },
    )
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
