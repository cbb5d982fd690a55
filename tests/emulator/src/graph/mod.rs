//! Microsoft Graph v1.0: the users, groups, licenses, Temporary Access Pass, `sendMail` and `$batch` subset Tenure uses, behind the
//! bearer-token check and the resource-unit throttle.

mod access_pass;
mod batch;
mod body;
mod deleted_items;
mod delta;
mod domains;
mod filter;
mod group_delta;
mod groups;
mod licenses;
mod manager;
mod me;
mod organization;
mod paging;
mod query;
mod send_mail;
mod user_delta;
mod user_json;
mod user_write;
mod users;

use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};

use crate::errors::GraphError;
use crate::state::TenantState;
use crate::throttle::{Cost, whole_seconds};

/// The Graph routes, with authentication and throttling.
pub(crate) fn router(state: &TenantState) -> Router<TenantState> {
    Router::new()
        .route("/v1.0/users", get(users::list).post(users::create))
        .route("/v1.0/users/delta", get(user_delta::users))
        .route(
            "/v1.0/users/{id}",
            get(users::get).patch(users::patch).delete(users::delete),
        )
        .route("/v1.0/me", get(me::get))
        .route("/v1.0/users/{id}/manager", get(manager::get))
        .route("/v1.0/users/{id}/memberOf", get(groups::member_of))
        .route("/v1.0/domains", get(domains::list))
        .route("/v1.0/domains/{id}", get(domains::get))
        .route(
            "/v1.0/directory/deletedItems/microsoft.graph.user",
            get(deleted_items::list_users),
        )
        .route(
            "/v1.0/directory/deletedItems/{id}",
            get(deleted_items::get).delete(deleted_items::purge),
        )
        .route(
            "/v1.0/directory/deletedItems/{id}/restore",
            post(deleted_items::restore),
        )
        .route(
            "/v1.0/users/{id}/manager/$ref",
            put(manager::put).delete(manager::delete),
        )
        .route("/v1.0/users/{id}/assignLicense", post(licenses::assign))
        .route(
            "/v1.0/users/{id}/revokeSignInSessions",
            post(users::revoke_sessions),
        )
        .route(
            "/v1.0/users/{id}/authentication/temporaryAccessPassMethods",
            get(access_pass::list).post(access_pass::create),
        )
        .route(
            "/v1.0/users/{id}/authentication/temporaryAccessPassMethods/{method}",
            get(access_pass::get).delete(access_pass::delete),
        )
        .route("/v1.0/users/{id}/sendMail", post(send_mail::send))
        .route("/v1.0/subscribedSkus", get(licenses::subscribed))
        .route("/v1.0/organization", get(organization::get))
        .route("/v1.0/groups", get(groups::list))
        .route("/v1.0/groups/delta", get(group_delta::groups))
        .route("/v1.0/groups/{id}", get(groups::get).patch(groups::patch))
        .route("/v1.0/groups/{id}/members", get(groups::members))
        .route("/v1.0/groups/{id}/members/$ref", post(groups::add_member))
        .route(
            "/v1.0/groups/{id}/members/{member}/$ref",
            delete(groups::remove_member),
        )
        .route("/v1.0/$batch", post(batch::run))
        .layer(from_fn_with_state(state.clone(), throttle))
        .layer(from_fn_with_state(
            state.clone(),
            crate::auth::require_graph,
        ))
}

/// What a request costs, as Microsoft's identity throttling counts resource units: a members
/// read 3 units, another read 2, a write 1 unit and one write. A `$batch` itself costs nothing:
/// each inner request pays its own way.
fn cost(method: &Method, path: &str) -> Option<Cost> {
    if path == "/v1.0/$batch" {
        return None;
    }
    Some(if *method == Method::GET {
        Cost {
            units: if path.ends_with("/members") || path.ends_with("/memberOf") {
                3
            } else {
                2
            },
            write: false,
        }
    } else {
        Cost {
            units: 1,
            write: true,
        }
    })
}

/// Middleware: `429` with `Retry-After` once the budget of the window is spent.
async fn throttle(State(state): State<TenantState>, request: Request, next: Next) -> Response {
    if let Some(cost) = cost(request.method(), request.uri().path()) {
        let admitted = state.shared.throttle().admit_graph(Instant::now(), cost);
        if let Err(wait) = admitted {
            return GraphError::throttled(whole_seconds(wait)).into_response();
        }
    }
    next.run(request).await
}

/// Graph's answer to a path it does not know.
pub(crate) fn unknown_segment(path: &str) -> GraphError {
    let segment = path
        .trim_start_matches("/v1.0/")
        .split('/')
        .next()
        .unwrap_or_default();
    GraphError::malformed(format!("Resource not found for the segment '{segment}'."))
}
