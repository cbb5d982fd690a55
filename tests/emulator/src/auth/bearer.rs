//! The bearer-token check in front of Graph and Exchange: a token this tenant issued, for that
//! API, not expired; and on Graph, an app-only token of an app whose application permissions
//! are granted.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::errors::GraphError;
use crate::state::{Principal, TenantState};

/// Which API a token must be for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// Microsoft Graph.
    Graph,
    /// Exchange Online.
    Exchange,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// None was sent.
    Missing,
    /// Unknown to this tenant.
    Invalid,
    /// Past its lifetime.
    Expired,
    /// For another API.
    WrongAudience,
}

/// Checks the request's bearer token for an API; answers whom it speaks for.
pub(crate) fn check_bearer(
    state: &TenantState,
    headers: &HeaderMap,
    api: Api,
) -> Result<Principal, Refusal> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(Refusal::Missing)?;
    let shared = &state.shared;
    let issued = shared
        .tokens()
        .get(token)
        .cloned()
        .ok_or(Refusal::Invalid)?;
    if issued.expires_at <= Instant::now() {
        return Err(Refusal::Expired);
    }
    let audiences = match api {
        Api::Graph => &shared.graph_audiences,
        Api::Exchange => &shared.exchange_audiences,
    };
    if audiences.contains(&issued.audience) {
        Ok(issued.principal)
    } else {
        Err(Refusal::WrongAudience)
    }
}

/// Middleware in front of Graph: `401 InvalidAuthenticationToken` without a valid Graph token,
/// `403 Authorization_RequestDenied` for an app whose permissions are not granted. The
/// token's [`Principal`] goes into the request's extensions.
pub(crate) async fn require_graph(
    State(state): State<TenantState>,
    mut request: Request,
    next: Next,
) -> Response {
    match check_bearer(&state, request.headers(), Api::Graph) {
        Ok(principal) => {
            if let Principal::App { client_id } = &principal
                && !state.shared.login().standing(client_id).permissions_granted
            {
                return GraphError::new(
                    StatusCode::FORBIDDEN,
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                )
                .into_response();
            }
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(refusal) => GraphError::unauthenticated(match refusal {
            Refusal::Missing => "Access token is empty.",
            Refusal::Invalid => "Invalid JWT token. The token is malformed.",
            Refusal::Expired => "Lifetime validation failed, the token is expired.",
            Refusal::WrongAudience => "Access token validation failure. Invalid audience.",
        })
        .into_response(),
    }
}
