//! A user's manager: `GET /users/{id}/manager`, `PUT` and `DELETE /users/{id}/manager/$ref`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::errors::GraphError;
use crate::graph::body::{JsonObject, reference_of};
use crate::graph::user_json::typed_user;
use crate::state::TenantState;

fn no_manager() -> GraphError {
    GraphError::not_found("manager")
}

/// `GET /users/{id}/manager`: the manager, or `404` when there is none.
pub(crate) async fn get(
    State(state): State<TenantState>,
    Path(id): Path<String>,
) -> Result<Response, GraphError> {
    let directory = state.shared.directory();
    let user = directory
        .user(&id)
        .ok_or_else(|| GraphError::not_found(&id))?;
    let manager = user
        .manager
        .as_ref()
        .and_then(|m| directory.user(&m.id))
        .ok_or_else(no_manager)?;
    Ok(axum::Json(typed_user(manager, None)).into_response())
}

/// `PUT /users/{id}/manager/$ref` with `{"@odata.id": ".../users/{manager}"}`: `204`.
pub(crate) async fn put(
    State(state): State<TenantState>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Response, GraphError> {
    let manager_key = reference_of(&body)?;
    let mut directory = state.shared.directory();
    let user_id = directory
        .user(&id)
        .map(|u| u.id.clone())
        .ok_or_else(|| GraphError::not_found(&id))?;
    let manager_id = directory
        .user(&manager_key)
        .map(|u| u.id.clone())
        .ok_or_else(|| GraphError::not_found(&manager_key))?;
    if manager_id == user_id {
        return Err(GraphError::bad_request(
            "The user cannot be set as their own manager.",
        ));
    }
    directory.set_manager(&user_id, Some(&manager_id));
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /users/{id}/manager/$ref`: `204`, or `404` when there is no manager.
pub(crate) async fn delete(
    State(state): State<TenantState>,
    Path(id): Path<String>,
) -> Result<Response, GraphError> {
    let mut directory = state.shared.directory();
    let user = directory
        .user(&id)
        .ok_or_else(|| GraphError::not_found(&id))?;
    if user.manager.is_none() {
        return Err(no_manager());
    }
    let user_id = user.id.clone();
    directory.set_manager(&user_id, None);
    Ok(StatusCode::NO_CONTENT.into_response())
}
