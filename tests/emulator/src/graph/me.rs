//! `GET /me`: the signed-in user of a delegated token (authorization code or refresh token).

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;

use crate::errors::GraphError;
use crate::state::{Principal, TenantState};

/// `GET /me`: as `GET /users/{id}` for the token's user; an app-only token has no user.
pub(crate) async fn get(
    State(state): State<TenantState>,
    Extension(principal): Extension<Principal>,
    raw: RawQuery,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, GraphError> {
    match principal {
        Principal::User { user_id, .. } => {
            super::users::get(State(state), Path(user_id), raw, headers, uri).await
        }
        Principal::App { .. } => Err(GraphError::malformed(
            "/me request is only valid with delegated authentication flow.",
        )),
    }
}
