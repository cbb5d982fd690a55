//! Microsoft's login, identity platform v2.0: the token endpoint (client credentials with a
//! secret or a certificate assertion; authorization code with PKCE; refresh token with
//! rotation and revocation), the authorize endpoint with its sign-in and consent page, admin
//! consent, and the bearer-token check in front of Graph and Exchange.
//!
//! Files: `grants` (the token endpoint: finds and authenticates the app, dispatches the grant,
//! issues tokens), `client_auth` (secret, certificate assertion, public client), `form` (the form,
//! Basic credentials), `delegated` (authorization code and refresh token grants), `authorize`
//! (`/authorize` and the sign-in form), `approval` (the admin consent workflow: "Approval
//! required", a user's request), `admin_requests` (the admins' page: review, approve, deny), `app_certificates` (an app's
//! Certificates & secrets: upload a certificate),
//! `consent` (`/v2.0/adminconsent`), `page` (the sign-in and
//! error pages), `redirect` (exact redirect-URI matching, the `302` with the answer), `scopes`
//! (scopes against the cloud's resources), `pkce`, `ledger` (consent, pending sign-ins, codes,
//! refresh tokens, Exchange roles), `token_error` (Microsoft's error body), `bearer` (the token
//! check in front of Graph and Exchange, `403` for apps without granted permissions) and `oidc`
//! (the discovery document, the signing keys and their rotation, RS256 ID tokens with the
//! user's directory roles in `wids`).

mod admin_requests;
mod app_certificates;
mod approval;
mod authorize;
mod bearer;
mod client_auth;
mod consent;
mod delegated;
mod form;
mod grants;
pub(crate) mod ledger;
mod oidc;
mod page;
mod pkce;
mod redirect;
mod scopes;
mod token_error;

use axum::http::{HeaderMap, header};

pub(crate) use admin_requests::{
    decide as decide_consent_request, list as consent_requests, review as review_consent_request,
};
pub(crate) use app_certificates::{page as app_certificates, upload as upload_app_certificate};
pub(crate) use approval::form as consent_request_form;
pub(crate) use authorize::{authorize, sign_in_form};
pub(crate) use bearer::{Api, check_bearer, require_graph};
pub(crate) use consent::admin_consent;
pub(crate) use grants::token;
pub(crate) use oidc::SigningKeys;
pub use oidc::{IdTokenFault, MEMBER_USER_ROLE};
pub(crate) use oidc::{discovery, keys};

/// The base URL the caller used, from its `Host` header.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}
