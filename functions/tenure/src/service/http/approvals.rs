//! Held changes over HTTP ([`crate::service::guard`]): the same list, approve and reject as
//! `tenure approvals`, with the approver or rejecter (a user, or an API token's id) kept on the
//! approval and in the audit trail (a rejection's note too).

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
use crate::service::access_audit::AuditDetail;
use crate::service::guard::{self, Approval, ApprovalError};

/// The approval routes:
///
/// * `GET /connections/{id}/approvals`: `200` `{"approvals": [{"id", "created_at", "origin",
///   "deliveries", "reason", "effect", "status", "workers", "plan_digest"}…]}`, oldest first
///   (pending, approved and rejected; `workers` is how many workers the held work holds: their
///   HR records are not answered; `plan_digest`, for a pending one, names the plan it makes now,
///   `none` when none can be made yet). API tokens: `plans:read`.
/// * `POST /connections/{id}/approvals/{approval_id}/approve`, optionally with
///   `{"plan_digest": "<digest>"}` (the `plan_digest` listed: approve only that plan): `200` the
///   approval as listed, with `"released"` (this request released the held work to
///   provisioning; false when it was approved before). When the plan is no longer the one named,
///   `409` `{"error", "plan_digest": <the plan now>, "differences": [...]}` and nothing is
///   approved. API tokens: `plans:approve`.
///
/// * `POST /connections/{id}/approvals/{approval_id}/reject` with `{"note": "<why>"}` (required,
///   at most 2000 characters): `200` the approval as listed, now `rejected` with who and the
///   note; its work is never queued, and approving it afterwards is refused (`409`). Rejecting
///   it again answers it as it stands. API tokens: `plans:approve`.
///
/// Refusals: 400 (not an approval id, no note), 404 (no such approval), 409 (other writers kept
/// changing it; approving a rejected change, rejecting an approved one), 503 (a store or the
/// queue could not be reached; the approval stays pending).
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
            post(approve).route_layer(approve_layer.clone()),
        )
        .route(
            "/connections/{id}/approvals/{approval_id}/reject",
            post(reject).route_layer(approve_layer),
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
            if approvals
                .iter()
                .any(|a| a.status == guard::ApprovalStatus::Pending)
            {
                guard::refresh(&services, &connection.id).await;
            }
            let mut listed = Vec::with_capacity(approvals.len());
            for approval in &approvals {
                let mut body = summary(approval);
                if approval.status == guard::ApprovalStatus::Pending {
                    body["plan_digest"] = match guard::review(&services, &connection.id, approval)
                        .await
                    {
                        Ok(Some(review)) => review.digest.into(),
                        Ok(None) => guard::NO_PLAN.into(),
                        Err(error) => {
                            tracing::warn!(connection = %connection.id, approval = %approval.id, %error, "cannot plan a held change");
                            serde_json::Value::Null
                        }
                    };
                }
                listed.push(body);
            }
            let approvals = listed;
            (
                StatusCode::OK,
                Json(serde_json::json!({ "approvals": approvals })),
            )
                .into_response()
        }
        Err(error) => refused(&error),
    }
}

/// The optional body of an approval.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Approving {
    plan_digest: Option<String>,
}

async fn approve(
    State(services): State<Services>,
    Extension(caller): Extension<AdminCaller>,
    Path((_, approval_id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let Some(connection) = caller.connection.as_ref() else {
        return json_error(StatusCode::NOT_FOUND, "no connection");
    };
    let seen = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<Approving>(&body) {
            Ok(approving) => approving.plan_digest,
            Err(error) => {
                return json_error(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "the body must be empty or {{\"plan_digest\": \"<the plan_digest listed>\"}}: {error}"
                    ),
                );
            }
        }
    };
    let by = caller.actor().label();
    let approved = match &seen {
        Some(seen) => {
            guard::approve_reviewed(&services, &connection.id, &approval_id, &by, seen).await
        }
        None => guard::approve(&services, &connection.id, &approval_id, &by).await,
    };
    match approved {
        Ok(approved) => {
            let mut body = summary(&approved.approval);
            body["released"] = approved.released.into();
            (StatusCode::OK, Json(body)).into_response()
        }
        Err(error) => refused(&error),
    }
}

/// The body of a rejection.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Rejection {
    note: String,
}

async fn reject(
    State(services): State<Services>,
    Extension(caller): Extension<AdminCaller>,
    Path((_, approval_id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let Some(connection) = caller.connection.as_ref() else {
        return json_error(StatusCode::NOT_FOUND, "no connection");
    };
    let note = match serde_json::from_slice::<Rejection>(&body) {
        Ok(rejection) => rejection.note,
        Err(error) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                format!("the body must be {{\"note\": \"<why the change is rejected>\"}}: {error}"),
            );
        }
    };
    let by = caller.actor().label();
    match guard::reject(&services, &connection.id, &approval_id, &by, &note).await {
        Ok(approval) => {
            let mut answer = (StatusCode::OK, Json(summary(&approval))).into_response();
            if let guard::ApprovalStatus::Rejected { note, .. } = &approval.status {
                answer
                    .extensions_mut()
                    .insert(AuditDetail(format!("rejected: {note}")));
            }
            answer
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
    if let ApprovalError::PlanChanged {
        now, differences, ..
    } = error
    {
        let body = serde_json::json!({
            "error": error.to_string(),
            "plan_digest": now,
            "differences": differences,
        });
        return (StatusCode::CONFLICT, Json(body)).into_response();
    }
    let status = match error {
        ApprovalError::BadId(_) | ApprovalError::BadNote(_) => StatusCode::BAD_REQUEST,
        ApprovalError::Rejected { .. } | ApprovalError::AlreadyApproved { .. } => {
            StatusCode::CONFLICT
        }
        ApprovalError::Review(_) => StatusCode::SERVICE_UNAVAILABLE,
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
