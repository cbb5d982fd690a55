//! The HTTP functions as [`axum::Router`]s: `hr-webhook` ([`webhook_routes`]), `consent`
//! ([`consent_routes`]), `oauth-callback` ([`callback_routes`]), `plugin-upload`
//! ([`plugin_routes`]: upload, list, activate), `sign-in` ([`sign_in_routes`]: sign-in,
//! its callback, the session, sign-out) and `admin-api` ([`admin_api_routes`]: API tokens,
//! held changes, the HR export, match confirmation).
//!
//! Public by design: the webhook (HMAC signature), the OAuth callback (`state` bound to the
//! admin's session), sign-in and its callback (`state` bound to the browser). Every other route
//! is behind [`admin_layer`], the one place where the caller's session (or API token and its
//! scopes), CSRF token, origin and right to the connection are checked (`admin`). Each Lambda binary runs one of them under
//! `lambda_http::run` (API Gateway HTTP API, payload format 2.0); `tenure serve` merges them on
//! one port. `response` holds the JSON error answers and pages they share.
//!
//! The OAuth redirect URI is [`CALLBACK_PATH`] under the deployment's [`PublicUrl`], which a
//! host that learns it per request (the Lambda functions) puts on each request.
//!
//! Errors are answered as JSON `{"error": "<message>"}` (or, for the browser-facing callback, a
//! small HTML page) with a status that says whose fault it was. Messages name what is wrong and
//! never carry a key, a code, a token or a verifier.

mod admin;
mod approvals;
mod callback;
mod consent;
pub(crate) mod form_data;
mod hr_export;
mod matches;
mod plugins;
mod public_url;
mod response;
mod sign_in;
mod tokens;
mod webhook;

pub(crate) use admin::public_url;
pub use admin::{AdminCaller, AdminRoute, Caller, TokenCaller, admin_layer};
pub use approvals::approval_routes;
pub use callback::callback_routes;
pub use consent::consent_routes;
pub use hr_export::hr_export_routes;
pub use matches::match_routes;
pub use plugins::plugin_routes;
pub use public_url::{CALLBACK_PATH, PublicUrl, PublicUrlError};
pub use sign_in::{SIGN_IN_CALLBACK_PATH, sign_in_routes};
pub use tokens::token_routes;
pub use webhook::webhook_routes;

/// The `admin-api` function's routes: [`token_routes`], [`approval_routes`],
/// [`hr_export_routes`] and [`match_routes`], every one behind [`admin_layer`].
pub fn admin_api_routes(services: crate::service::Services) -> axum::Router {
    axum::Router::new()
        .merge(token_routes(services.clone()))
        .merge(approval_routes(services.clone()))
        .merge(hr_export_routes(services.clone()))
        .merge(match_routes(services))
}
