//! The HR export over HTTP ([`crate::service::hr_export`]): an HR system (an API token with
//! `hr:write`) or an administrator uploads the file the scheduled sync reads.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use axum::{Extension, Json, Router};

use super::admin::{AdminCaller, AdminRoute, admin_layer};
use super::response::{closing, json_error};
use crate::auth::api_token::Scope;
use crate::service::Services;
use crate::service::hr_export::{ExportFormat, HrExportError, MAX_EXPORT_BYTES, store_export};

/// `PUT /connections/{id}/hr/export` (or `POST`) with the export as the body, `Content-Type:
/// text/csv` or `application/json`: `201` `{"key", "bytes", "workers", "quarantined":
/// ["file:line: reason", …]}` (records every run sets aside). Refusals: 400 with the `file:line`
/// of what the HR readers cannot read (nothing is stored), 413 (over 6 MiB), 415 (another
/// content type), 503 (the store could not be reached). API tokens: `hr:write`.
pub fn hr_export_routes(services: Services) -> Router {
    let layer = from_fn_with_state(
        AdminRoute::tokens(&services, &[Scope::HrWrite]),
        admin_layer,
    );
    Router::new()
        .route(
            "/connections/{id}/hr/export",
            put(upload).post(upload).route_layer(layer),
        )
        .layer(DefaultBodyLimit::max(MAX_EXPORT_BYTES.saturating_add(1)))
        .with_state(services)
}

async fn upload(
    State(services): State<Services>,
    Extension(caller): Extension<AdminCaller>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(connection) = caller.connection.as_ref() else {
        return json_error(StatusCode::NOT_FOUND, "no connection");
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(format) = ExportFormat::of_content_type(content_type) else {
        return json_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the export as text/csv or application/json",
        );
    };
    let body = match body {
        Ok(body) => body,
        Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
            return closing(json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the HR export is more than the {MAX_EXPORT_BYTES} bytes an upload may have"
                ),
            ));
        }
        Err(e) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                format!("the body could not be read: {e}"),
            );
        }
    };
    match store_export(&services, &connection.id, format, body.to_vec()).await {
        Ok(stored) => (StatusCode::CREATED, Json(stored)).into_response(),
        Err(error) => refused(&error),
    }
}

fn refused(error: &HrExportError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::warn!(%error, "HR export upload failed");
    }
    if let HrExportError::Invalid(problems) = error {
        let body = serde_json::json!({ "error": error.to_string(), "problems": problems });
        return (status, Json(body)).into_response();
    }
    json_error(status, error.to_string())
}
