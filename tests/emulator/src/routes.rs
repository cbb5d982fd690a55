//! The one router every host path goes to: login, Graph and Exchange, with the request log and
//! fault injection around them.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::Uri;
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::errors::GraphError;
use crate::faults::Fault;
use crate::state::{RecordedRequest, TenantState};

/// Marks an answer whose connection must be closed without sending it. [`crate::EmulatedTenant`]
/// honours it; a host serving [`app`] some other way sends a `503` instead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// The emulated tenant as an axum router: the login endpoints (`/{tenant}/oauth2/v2.0/token`,
/// `/{tenant}/oauth2/v2.0/authorize`, `/{tenant}/v2.0/adminconsent`, the sign-in form's
/// `/{tenant}/login`, the "Approval required" form's `/{tenant}/consentrequest`, OpenID discovery
/// and keys), the emulator's own `/_emulator/outbox` and admin consent requests
/// (`/_emulator/admin/consent-requests`), an app's certificates
/// (`/_emulator/admin/apps/{client_id}/certificates`), `/v1.0/…` and `/adminapi/beta/{tenant}/InvokeCommand`, recording
/// requests and injecting faults.
pub fn app(state: TenantState) -> Router {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(crate::auth::token))
        .route(
            "/{tenant}/oauth2/v2.0/authorize",
            get(crate::auth::authorize),
        )
        .route(
            "/{tenant}/v2.0/adminconsent",
            get(crate::auth::admin_consent),
        )
        .route("/{tenant}/login", post(crate::auth::sign_in_form))
        .route(
            "/{tenant}/consentrequest",
            post(crate::auth::consent_request_form),
        )
        .route(
            "/_emulator/admin/consent-requests",
            get(crate::auth::consent_requests),
        )
        .route(
            "/_emulator/admin/consent-requests/{id}",
            get(crate::auth::review_consent_request).post(crate::auth::decide_consent_request),
        )
        .route(
            "/_emulator/admin/apps/{client_id}/certificates",
            get(crate::auth::app_certificates).post(crate::auth::upload_app_certificate),
        )
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(crate::auth::discovery),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(crate::auth::keys))
        .route("/_emulator/outbox", get(crate::outbox::list))
        .merge(api_routes(&state))
        .fallback(fallback)
        .layer(from_fn_with_state(state.clone(), outer))
        .with_state(state)
}

/// Graph and Exchange without the log and faults: what `$batch` runs its inner requests through.
pub(crate) fn api(state: TenantState) -> Router {
    api_routes(&state).fallback(fallback).with_state(state)
}

fn api_routes(state: &TenantState) -> Router<TenantState> {
    crate::graph::router(state)
        .merge(crate::exchange::router())
        .layer(from_fn(crate::ids::assign))
}

async fn fallback(uri: Uri) -> Response {
    if uri.path().starts_with("/v1.0/") {
        crate::graph::unknown_segment(uri.path()).into_response()
    } else {
        GraphError::new(
            axum::http::StatusCode::NOT_FOUND,
            "NotFound",
            format!("No route for {}.", uri.path()),
        )
        .into_response()
    }
}

/// Middleware: draws the request's faults (Graph and Exchange only), then records the answer.
async fn outer(State(state): State<TenantState>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let exchange = path.starts_with("/adminapi/");
    let (fault, slow) = if exchange || path.starts_with("/v1.0/") {
        state.shared.faults().draw()
    } else {
        (None, None)
    };
    if let Some(delay) = slow {
        tokio::time::sleep(delay).await;
    }
    let response = match fault {
        Some(Fault::Drop) => {
            let mut response = GraphError::unavailable().into_response();
            response.extensions_mut().insert(DropConnection);
            response
        }
        Some(Fault::Unavailable) if exchange => crate::exchange::unavailable(),
        Some(Fault::Unavailable) => GraphError::unavailable().into_response(),
        Some(Fault::Throttle) if exchange => {
            crate::exchange::throttled(std::time::Duration::from_secs(1))
        }
        Some(Fault::Throttle) => GraphError::throttled(1).into_response(),
        None => next.run(request).await,
    };
    let status = if fault == Some(Fault::Drop) {
        0
    } else {
        response.status().as_u16()
    };
    state.shared.record(RecordedRequest {
        method,
        path,
        status,
        in_batch: false,
    });
    response
}
