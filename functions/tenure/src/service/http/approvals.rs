//! Held changes over HTTP ([`crate::service::guard`]): the same list and approve as
//! `tenure approvals`, with the approver (a user, or an API token's id) kept on the approval
//! and in the audit trail.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};

use super::admin::{AdminCaller, AdminRoute, admin_layer};
use super::response::json_error;
use crate::auth::api_token::Scope;
use crate::service::Services;
use crate::service::guard::{self, Approval, ApprovalError};

/// The approval routes:
///
/// * `GET /connections/{id}/approvals`: `200` `{"approvals": [{"id", "created_at", "origin",
///   "deliveries", "reason", "effect", "status", "workers"}…]}`, oldest first (pending and
///   approved; `workers` is how many workers the held work holds: their HR records are not
///   answered). API tokens: `plans:read`.
/// * `POST /connections/{id}/approvals/{approval_id}/approve`: `200` the approval as listed,
///   with `"released"` (this request released the held work to provisioning; false when it was
///   approved before). API tokens: `plans:approve`.
///
/// Refusals: 400 (not an approval id), 404 (no such approval), 409 (other writers kept
/// changing it), 503 (a store or the queue could not be reached; the approval stays pending).
pub fn approval_routes(services: Services) -> Router {
    let read = from_fn_with_state(
        AdminRoute::tokens(&services, &[Scope::PlansRead]),
        admin_layer,
    );
    let approve_layer = from_fn_with_state(
        AdminRoute::tokens(&services, &[Scope::PlansApprove]),
        admin_layer,
    );
    Router::new()
        .route("/connections/{id}/approvals", get(list).route_layer(read))
        .route(
            "/connections/{id}/approvals/{approval_id}/approve",
            post(approve).route_layer(approve_layer),
        )
        .with_state(services)
}

async fn list(
    State(services): State<Services>,
    Extension(caller): Extension<AdminCaller>,
) -> Response {
    let Some(connection) = caller.connection.as_ref() else {
        return json_error(StatusCode::NOT_FOUND, "no connection");
    };
    match guard::list(services.objects.as_ref(), &connection.id).await {
        Ok(approvals) => {
            let approvals: Vec<_> = approvals.iter().map(summary).collect();
            (
                StatusCode::OK,
                Json(serde_json::json!({ "approvals": approvals })),
            )
                .into_response()
        }
        Err(error) => refused(&error),
    }
}

async fn approve(
    State(services): State<Services>,
    Extension(caller): Extension<AdminCaller>,
    Path((_, approval_id)): Path<(String, String)>,
) -> Response {
    let Some(connection) = caller.connection.as_ref() else {
        return json_error(StatusCode::NOT_FOUND, "no connection");
    };
    let by = caller.actor().label();
    match guard::approve(&services, &connection.id, &approval_id, &by).await {
        Ok(approved) => {
            let mut body = summary(&approved.approval);
            body["released"] = approved.released.into();
            (StatusCode::OK, Json(body)).into_response()
        }
        Err(error) => refused(&error),
    }
}

/// An approval without the held workers' HR records.
fn summary(approval: &Approval) -> serde_json::Value {
    let workers: usize = approval.items.iter().map(|i| i.workers.len()).sum();
    serde_json::json!({
        "id": approval.id,
        "created_at": approval.created_at,
        "origin": approval.origin,
        "deliveries": approval.deliveries,
        "reason": approval.reason,
        "effect": approval.effect,
        "status": approval.status,
        "workers": workers,
    })
}

fn refused(error: &ApprovalError) -> Response {
    let status = match error {
        ApprovalError::BadId(_) => StatusCode::BAD_REQUEST,
        ApprovalError::NotFound { .. } => StatusCode::NOT_FOUND,
        ApprovalError::Contended(_) => StatusCode::CONFLICT,
        ApprovalError::Invalid { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    if status.is_server_error() {
        tracing::warn!(%error, "approval request failed");
    }
    json_error(status, error.to_string())
}
