//! Confirming a reviewed match report over HTTP ([`crate::service::matches`]).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};

use super::admin::{AdminCaller, AdminRoute, admin_layer};
use super::response::json_error;
use crate::auth::api_token::Scope;
use crate::service::Services;
use crate::service::matches::confirm_report;

/// The largest reviewed report taken.
const MAX_REPORT_BYTES: usize = 4 * 1024 * 1024;

/// `POST /connections/{id}/matches/confirm` with the reviewed report as `tenure match` writes
/// it (JSON with `"adopt": true` on the right candidates, or CSV with `yes` under `adopt`):
/// `200` `{"adopt": [{"employee_id", "user_id", "user_principal_name"}], "already": […]}`;
/// the next provision run adopts them. Refusals: 400 (the report cannot be read, or a pair
/// cannot be adopted: every pair at fault is named; nothing is kept), 409 (no HR export or no
/// directory read yet to check against; the settings kept changing), 503. API tokens:
/// `plans:approve`.
pub fn match_routes(services: Services) -> Router {
    let layer = from_fn_with_state(
        AdminRoute::tokens(&services, &[Scope::PlansApprove]),
        admin_layer,
    );
    Router::new()
        .route(
            "/connections/{id}/matches/confirm",
            post(confirm).route_layer(layer),
        )
        .layer(DefaultBodyLimit::max(MAX_REPORT_BYTES))
        .with_state(services)
}

async fn confirm(
    State(services): State<Services>,
    Extension(caller): Extension<AdminCaller>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(connection) = caller.connection.as_ref() else {
        return json_error(StatusCode::NOT_FOUND, "no connection");
    };
    let Ok(body) = body else {
        return json_error(
            StatusCode::BAD_REQUEST,
            format!("the reviewed report could not be read (at most {MAX_REPORT_BYTES} bytes)"),
        );
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "the reviewed report is not UTF-8 text",
        );
    };
    match confirm_report(&services, connection, text).await {
        Ok(confirmed) => (StatusCode::OK, Json(confirmed)).into_response(),
        Err(error) => {
            let status =
                StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if status.is_server_error() {
                tracing::warn!(connection = %connection.id, %error, "match confirmation failed");
            }
            json_error(status, error.to_string())
        }
    }
}
