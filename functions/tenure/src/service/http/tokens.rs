//! A connection's API tokens over HTTP ([`crate::service::tokens`]), for signed-in
//! administrators only: no API token may make, list or revoke tokens.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::{Extension, Json, Router};
use secrecy::ExposeSecret;

use super::admin::{AdminCaller, AdminRoute, admin_layer};
use super::response::json_error;
use crate::service::Services;
use crate::service::tokens::{self, TokenError, TokenRequest};

/// The token routes:
///
/// * `POST /connections/{id}/tokens` with `{"name", "scopes": ["plugins:write" | "hr:write" |
///   "plans:read" | "plans:approve", …], "expires_in_days"}` (1 to 365, default 90): `201`
///   with the token's record and, this once, `"token": "tenure_<id>_<secret>"`.
/// * `GET /connections/{id}/tokens`: `200` `{"tokens": [{"id", "name", "scopes",
///   "created_by", "created_at", "expires_at", "revoked", "state"}]}`, never a secret.
/// * `DELETE /connections/{id}/tokens/{token_id}`: `200` with the record, revoked.
///
/// Refusals: 400 (a bad request, said what), 404 (no such token), 409 (25 active tokens; or
/// other writers kept winning), 503 (the secret store could not be reached). Behind the admin
/// layer for sessions only: a request with an API token gets 403.
pub fn token_routes(services: Services) -> Router {
    Router::new()
        .route("/connections/{id}/tokens", post(create).get(list))
        .route("/connections/{id}/tokens/{token_id}", delete(revoke))
        .route_layer(from_fn_with_state(
            AdminRoute::sessions(&services),
            admin_layer,
        ))
        .with_state(services)
}

/// The signed-in user's `<tenant id>/<object id>`.
fn who(caller: &AdminCaller) -> Option<String> {
    caller
        .session()
        .map(|s| format!("{}/{}", s.identity.tenant_id, s.identity.object_id))
}

async fn create(
    State(services): State<Services>,
    Extension(caller): Extension<AdminCaller>,
    body: Result<Json<TokenRequest>, JsonRejection>,
) -> Response {
    let (Some(connection), Some(by)) = (caller.connection.as_ref(), who(&caller)) else {
        return json_error(
            StatusCode::FORBIDDEN,
            "only a signed-in administrator may make API tokens",
        );
    };
    let request = match body {
        Ok(Json(request)) => request,
        Err(rejection) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                format!(
                    "the body must be JSON {{\"name\", \"scopes\", \"expires_in_days\"}}: {}",
                    rejection.body_text()
                ),
            );
        }
    };
    match tokens::create(&services, &connection.id, &request, &by).await {
        Ok(created) => {
            let mut body = serde_json::to_value(&created.view).unwrap_or_default();
            if let Some(fields) = body.as_object_mut() {
                fields.insert(
                    "token".into(),
                    created.value.expose_secret().to_owned().into(),
                );
            }
            let mut response = (StatusCode::CREATED, Json(body)).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => refused(&error),
    }
}

async fn list(
    State(services): State<Services>,
    Extension(caller): Extension<AdminCaller>,
) -> Response {
    let Some(connection) = caller.connection.as_ref() else {
        return json_error(StatusCode::NOT_FOUND, "no connection");
    };
    match tokens::list(&services, &connection.id).await {
        Ok(tokens) => (
            StatusCode::OK,
            Json(serde_json::json!({ "tokens": tokens })),
        )
            .into_response(),
        Err(error) => refused(&error),
    }
}

async fn revoke(
    State(services): State<Services>,
    Extension(caller): Extension<AdminCaller>,
    Path((_, token_id)): Path<(String, String)>,
) -> Response {
    let (Some(connection), Some(by)) = (caller.connection.as_ref(), who(&caller)) else {
        return json_error(
            StatusCode::FORBIDDEN,
            "only a signed-in administrator may revoke API tokens",
        );
    };
    match tokens::revoke(&services, &connection.id, &token_id, &by).await {
        Ok(view) => (StatusCode::OK, Json(view)).into_response(),
        Err(error) => refused(&error),
    }
}

fn refused(error: &TokenError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::warn!(%error, "API token request failed");
    }
    json_error(status, error.to_string())
}
