//! Who is calling and what they may do: administrators sign in with Microsoft (OpenID Connect,
//! in their own national cloud), hold an encrypted session cookie, and manage only the
//! connections of their own tenant.
//!
//! - `id_token`: the ID token check ([`OidcVerifier`]): the cloud's discovery document and
//!   signing keys (cached, fetched again for an unknown `kid`), signature, issuer for the
//!   token's `tid`, audience, lifetime with a small skew, nonce. Gives an [`Identity`].
//! - `session`: the session cookie ([`Session`]): encrypted and authenticated with the key
//!   ring's session key (the previous key still opens it), 30 minutes idle, 8 hours at most;
//!   and the short-lived cookie that carries a sign-in in flight ([`SignInFlow`]).
//! - `csrf`: the per-session token every state-changing request carries, and the `Origin`
//!   check.
//! - `access`: the one decision ([`access`]): operators, administrator roles, managers.
//! - `settings`: the deployment's [`AdminAccess`]: operators, each cloud's login authority,
//!   the public URL.
//! - `api_token`: API tokens for automation (`tenure_<id>_<secret>`): their scopes, what is
//!   stored of them (an HMAC of the secret, never the secret) and the constant-time check.
//! - `code_grant`: redeeming a code for a refresh token and an ID token (sign-in and linking).
//!
//! The HTTP side (the sign-in routes and the layer in front of every admin route) is in
//! [`crate::service::http`].

mod access;
pub mod api_token;
pub(crate) mod code_grant;
pub mod csrf;
mod id_token;
mod session;
mod settings;

use serde::{Deserialize, Serialize};

pub use access::{
    ADMIN_ROLES, Access, InvalidOperators, Operator, Operators, access, holds_admin_role,
};
pub use id_token::{CLOCK_SKEW, IdTokenError, OidcVerifier, ProviderMetadata};
pub use session::{
    ABSOLUTE_LIFETIME, IDLE_LIFETIME, SIGN_IN_LIFETIME, Session, SessionCookies, SessionError,
    SignInFlow,
};
pub use settings::AdminAccess;

/// A signed-in user, as their verified ID token names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The user's tenant (`tid`).
    pub tenant_id: String,
    /// The user's object id in that tenant (`oid`).
    pub object_id: String,
    /// The sign-in name (`preferred_username`), for display only.
    pub username: String,
    /// The display name (`name`).
    pub name: String,
    /// Directory role template ids (`wids`).
    pub roles: Vec<String>,
}
