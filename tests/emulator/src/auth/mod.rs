//! Microsoft's login, identity platform v2.0: the token endpoint (client credentials with a
//! secret or a certificate assertion; authorization code with PKCE; refresh token with
//! rotation and revocation), the authorize endpoint with its sign-in and consent page, admin
//! consent, and the bearer-token check in front of Graph and Exchange.

mod authorize;
mod bearer;
mod client_auth;
mod consent;
mod delegated;
mod form;
mod grants;
pub(crate) mod ledger;
mod page;
mod pkce;
mod redirect;
mod scopes;
mod token_error;

use axum::http::{HeaderMap, header};

pub(crate) use authorize::{authorize, sign_in_form};
pub(crate) use bearer::{Api, check_bearer, require_graph};
pub(crate) use consent::admin_consent;
pub(crate) use grants::token;

/// The base URL the caller used, from its `Host` header.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}
