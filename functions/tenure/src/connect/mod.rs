//! Connecting Tenure to a customer's tenant (docs/connections.md), over the stores of
//! [`crate::store`]:
//!
//! - **Tenure's app** (what Hire2Retire calls a Service Provider Application): [`start_link`] gives the authorize
//!   URL (delegated permissions, PKCE S256, a single-use `state` bound to the connection, ten
//!   minutes) and the admin-consent URL; [`finish_link`] checks the callback's `state`, redeems
//!   the code and keeps the refresh token. Syncs then get delegated tokens from it
//!   ([`StoredRefreshToken`]), keeping each rotated refresh token with compare-and-swap.
//! - **The customer's own app** (Customer Owned Application): [`connect_customer_app`] keeps a
//!   client secret or a certificate and proves the connection by getting a token and reading the
//!   tenant (and Exchange, when enabled).
//! - [`open_connection`] gives clients for a stored connection; [`status_after`] and
//!   [`set_status`] keep its status true ("needs re-link" when Microsoft refuses the refresh
//!   token).
//!
//! Secrets (refresh tokens, client secrets, keys, PKCE verifiers) live in the secret store only
//! and never appear in a connection record, an error or a log.
//!
//! # Files
//!
//! - `tenure_app`: Tenure's app and its delegated scopes per cloud.
//! - `link`: the authorize and admin-consent URLs, and the callback.
//! - `pending`: a link being made: its single-use `state` and PKCE verifier, in the secret store.
//! - `refresh_tokens`: the stored refresh token behind delegated tokens, rotated by
//!   compare-and-swap.
//! - `customer_app`: the customer's own app, with a secret or a certificate: kept, then proved
//!   (at once, or after the customer registers a certificate Tenure made).
//! - `exchange`: Exchange Online turned on (proved first) or off for a stored connection.
//! - `credentials`: the token source of a stored connection.
//! - `permissions`: what each connection type asks of the tenant, and why.
//! - `prove`: a token, a tenant read and an Exchange read; Microsoft's refusals turned into advice.
//! - `open`: clients for a stored connection, or "needs re-link".
//! - `upsert`: saving a connection record and its secret.
//! - `error`: what connecting and linking fail with.

mod credentials;
mod customer_app;
mod error;
mod exchange;
mod link;
mod open;
mod pending;
mod permissions;
mod prove;
mod refresh_tokens;
mod tenure_app;
mod upsert;
mod webhook_key;

pub(crate) use credentials::split_certificate_secret;
pub use credentials::{AppCertificate, app_certificate, certificate_secret, token_source};
pub use customer_app::{
    Connected, CustomerSecret, connect_customer_app, keep_customer_app, prove_customer_app,
};
pub use error::{ConnectError, LinkError};
pub use exchange::{
    ExchangeAccess, ExchangeChange, ExchangeSetupError, exchange_access, set_exchange,
};
pub use link::{Callback, LinkOwner, LinkStart, Linked, finish_link, start_link};
pub use open::{open_connection, set_status, status_after};
pub use pending::{LINK_LIFETIME, MAX_ATTEMPTS, MAX_PENDING};
pub use permissions::{Permission, PermissionKind, requested};
pub use prove::{APPLICATION_PERMISSIONS, EXCHANGE_ROLES, prove, token_advice};
pub use refresh_tokens::StoredRefreshToken;
pub use tenure_app::{DELEGATED_PERMISSIONS, TenureApp, delegated_scopes};
pub use upsert::{keep_secret, save_connection};
pub use webhook_key::{has_webhook_key, keep_webhook_key, new_webhook_key};
