//! A plugin larger than one request may carry (4 MiB through API Gateway to a Lambda function;
//! JavaScript and Python plugins are 12–30 MiB), sent by the mapping page's script
//! (`assets/console/plugin-upload.js`) in three steps, as `tenure plugin upload` does through the
//! HTTP API:
//!
//! 1. `POST …/mapping/plugins/uploads` with `bytes=<its size>`: an upload URL
//!    ([`plugins::issue_upload_url`]), as JSON `{"upload", "method": "PUT", "url", "headers",
//!    "bytes", "expires_at", "complete"}`. `url` is an S3 presigned `PUT` in AWS (cross-origin:
//!    the bucket's CORS rule lets the console's origin `PUT`, and the console's
//!    Content-Security-Policy lets its pages connect there), else step 2's route.
//! 2. `PUT …/mapping/plugins/uploads/{upload}` with exactly those bytes, where the store gives no
//!    upload URLs (`tenure serve`): `204`.
//! 3. `POST …/mapping/plugins/uploads/{upload}` (`complete`): what arrived goes through every
//!    check and the trial of a one-request upload ([`plugins::complete_upload`]), and the answer
//!    is the mapping page exactly as [`super::mapping::upload`] answers, kept and not yet in use.
//!
//! Steps 1 and 2 answer the script in JSON, a refusal as `{"error"}` with the HTTP API's status
//! for it (400 no bytes, 413 more than the host takes, 404, 409, 410, 503). All three are behind
//! the admin layer like every console route: the session, `Origin`, and its CSRF token (which the
//! script sends as `X-CSRF-Token`, and step 3 in its form).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody, FormRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::Deserialize;

use super::connection::OnConnection;
use super::{labels, mapping};
use crate::service::Services;
use crate::service::plugins::{self, UploadError};
use crate::store::connections::ConnectionId;

/// Step 1's form: the plugin's size in bytes.
#[derive(Debug, Deserialize)]
pub(crate) struct UploadUrlForm {
    bytes: u64,
}

/// The route of upload `upload`: where its bytes go here (step 2), and where it is completed
/// (step 3).
fn upload_path(connection: &ConnectionId, upload: &str) -> String {
    format!("/console/connections/{connection}/mapping/plugins/uploads/{upload}")
}

/// Step 1: an upload URL for a plugin of `bytes` bytes.
pub(crate) async fn issue(
    State(services): State<Services>,
    on: OnConnection,
    form: Result<Form<UploadUrlForm>, FormRejection>,
) -> Response {
    let connection = &on.connection.id;
    let Ok(Form(UploadUrlForm { bytes })) = form else {
        return refused(
            StatusCode::BAD_REQUEST,
            "the form must give bytes: the plugin's size in bytes".to_owned(),
        );
    };
    match plugins::issue_upload_url(&services, connection, bytes).await {
        Ok(issued) => {
            tracing::info!(%connection, upload = %issued.upload, bytes, by = %on.caller.actor().label(), "console: plugin upload URL issued");
            let here = upload_path(connection, &issued.upload);
            let mut body = issued.ticket(&here);
            body["complete"] = here.into();
            (StatusCode::CREATED, Json(body)).into_response()
        }
        Err(error) => refused_upload(connection, &error),
    }
}

/// Step 2, where the store gives no upload URLs: the bytes of upload `upload`.
pub(crate) async fn receive(
    State(services): State<Services>,
    on: OnConnection,
    Path((_, upload)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let connection = &on.connection.id;
    let host = mapping::Limits::of(&services).host;
    let body = match body {
        Ok(body) => body,
        Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
            return refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the plugin is more than the {} a plugin may have",
                    labels::size(host as u64)
                ),
            );
        }
        Err(error) => {
            return refused(
                StatusCode::BAD_REQUEST,
                format!("the plugin could not be read: {error}"),
            );
        }
    };
    match plugins::receive_upload(&services, connection, &upload, body.to_vec()).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => refused_upload(connection, &error),
    }
}

/// Step 3: the checks and the trial on what arrived; the mapping page with what they said.
pub(crate) async fn complete(
    State(services): State<Services>,
    on: OnConnection,
    Path((_, upload)): Path<(String, String)>,
) -> Response {
    let outcome = plugins::complete_upload(&services, &on.connection.id, &upload, false).await;
    mapping::uploaded(&services, on, outcome).await
}

/// A refusal for the script: `{"error"}` with `status`.
fn refused(status: StatusCode, error: String) -> Response {
    (status, Json(serde_json::json!({ "error": error }))).into_response()
}

/// An upload's refusal with the HTTP API's status for it.
fn refused_upload(connection: &ConnectionId, error: &UploadError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::warn!(%connection, %error, "console: plugin upload failed");
    } else {
        tracing::info!(%connection, %error, "console: plugin upload refused");
    }
    refused(status, error.to_string())
}
