//! The emulated tenant: Microsoft's login token endpoint, a Graph v1.0 subset and the Exchange
//! Online `InvokeCommand` subset, in Microsoft's wire shapes, on one local HTTP port.
//!
//! Tests start a fresh tenant per test on a random port and point every client base URL (login,
//! Graph, Exchange) at [`EmulatedTenant::uri`]:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use tenure_emulator::{EmulatedTenant, TenantConfig};
//! let config = TenantConfig::new(tenure::directory::Snapshot::default())
//!     .with_client_secret("app-id", "app-secret");
//! let tenant = EmulatedTenant::start(config).await?;
//! let token_url = format!("{}/{}/oauth2/v2.0/token", tenant.uri(), tenant.tenant_id());
//! # let _ = token_url;
//! # Ok(()) }
//! ```
//!
//! The state is a [`tenure::directory::Snapshot`], so a dump is a file `tenure plan --directory`
//! reads.
//!
//! # Sign-in
//!
//! Besides client credentials, the login service has Microsoft's interactive flows for apps
//! registered with redirect URIs ([`RegisteredClient`]): `/authorize` (authorization code with
//! PKCE `S256`, exact redirect URIs) with a sign-in and consent page, `/v2.0/adminconsent`, and
//! the `authorization_code` and `refresh_token` grants (single-use codes, refresh-token
//! rotation and revocation). Tests answer sign-ins at once with
//! [`TenantConfig::with_auto_consent`] (or [`TenantState::set_sign_in`]) and steer consent,
//! granted permissions, sessions and Exchange roles through [`TenantState`]. A tenant lives in
//! one national cloud ([`TenantConfig::in_cloud`]) and refuses another cloud's resources as
//! Microsoft does (`AADSTS500011`).
//!
//! # OpenID Connect
//!
//! Each tenant serves its discovery document (`/{tenant}/v2.0/.well-known/openid-configuration`,
//! also for `organizations` and `common`) and signing keys (`/{tenant}/discovery/v2.0/keys`);
//! a sign-in that asked for `openid` gets an RS256 ID token with `tid`, `oid`,
//! `preferred_username`, `name`, `wids` (the user's directory roles, from
//! [`TenantConfig::with_directory_role`] or [`TenantState::assign_directory_role`]) and the
//! authorize request's `nonce`, issued by `https://{cloud login host}/{tid}/v2.0`.
//! [`TenantState::rotate_signing_key`] rolls the signing key over (a second `kid`).
//!
//! # Change tracking
//!
//! Every write stamps what it changed in a per-tenant change journal, whichever API made it
//! (Graph directly, inside `$batch`, or an Exchange cmdlet):
//!
//! - `GET /users/delta` returns users created or changed since a delta link, and deleted users
//!   with `@removed`. With `manager` in `$select`, `manager@delta` names the manager on a first
//!   round and, later, only a changed one (the old manager marked `@removed`).
//! - `GET /groups/delta` returns groups changed since, with `members@delta` listing the members
//!   added and removed (`@removed`), through Graph or `Add`/`Remove-DistributionGroupMember`,
//!   and when a member is deleted. A first round lists every member; a group with more than 500
//!   comes back on the next page with the rest of its list.
//! - `Get-Mailbox` shows `WhenChangedUTC` and takes `-Filter "WhenChangedUTC -ge '<date>'"` (or
//!   `-gt`; RFC 3339 or `MM/dd/yyyy HH:mm:ss`); a mailbox is stamped when it appears after its
//!   license, when `Set-Mailbox` or `Add-MailboxPermission` changes it, and when its owner's UPN
//!   changes. Any other filter is refused with PowerShell's binding error.
//!
//! Delta tokens name the journal position, not an offset into a list, so a round stays right
//! while the directory changes between its pages. A token the tenant does not know (garbage,
//! another collection's, or one issued before [`TenantState::load`]) is `410 Gone` with
//! `syncStateNotFound`: the client must start over. `$deltatoken=latest` starts from now.
//!
//! # First-day access and mail
//!
//! `POST /users/{id}/authentication/temporaryAccessPassMethods` issues a Temporary Access Pass
//! (one per user: a new one replaces the old; not offered in the US Government clouds; refused
//! without `UserAuthenticationMethod.ReadWrite.All`), and the sign-in page takes it, or the
//! user's last password, in its password field (a one-time pass once).
//! `POST /users/{id}/sendMail` (refused without `Mail.Send`, or for a user without a mailbox)
//! puts the message in an outbox that tests read with [`TenantState::outbox`] or
//! `GET /_emulator/outbox`, an endpoint of the emulator only. [`TenantState::set_permission`]
//! (or [`RegisteredClient::without_permission`]) takes one permission from an app.
//!
//! Faults (503s, injected 429s, slow answers, dropped connections, failing inner `$batch`
//! requests) are drawn from a seeded generator, so a test sees the same faults on every run.
//!
//! # Files
//!
//! - `config`: what a tenant starts with ([`TenantConfig`]: directory, national cloud, apps,
//!   sign-in mode, lifetimes, limits); `apps`: app registrations ([`RegisteredClient`]: credential,
//!   redirect URIs, multi-tenant, consent, granted permissions; [`SignIn`]; [`ExchangeRole`]).
//! - `auth/`: Microsoft's login, identity platform v2.0, and the bearer-token check in front of
//!   Graph and Exchange.
//! - `graph/`: the Graph v1.0 subset (users, `me`, groups, licenses, manager, `$batch`, users and
//!   groups delta, queries and paging).
//! - `exchange`: `InvokeCommand` cmdlets, role checks and the mailbox delay, with
//!   `mailbox_filter` (`Get-Mailbox -Filter`).
//! - `credentials` and `outbox`: what the sign-in page checks (passwords, passes) and the
//!   mail `sendMail` sent.
//! - `journal`: the change stamps behind delta and `WhenChangedUTC`.
//! - `throttle` and `faults`: rate limits and injected faults.
//! - `state`: [`TenantState`]: a `Snapshot` behind a lock, issued tokens, the request log, the
//!   runtime controls.
//! - `server` and `routes`: the HTTP server ([`EmulatedTenant`]) and its router; `errors` and
//!   `ids`: Microsoft's error bodies and object ids.
//!
//! Beside the library: `tests/tenant/` tests it (its `sign_in_client` is a client of the login
//! endpoints written from Microsoft's documentation); `examples/sign_in_page` and `page-test/`
//! drive the sign-in page in headless Chromium (`node:test` and `playwright-core`).

mod apps;
mod auth;
mod config;
mod credentials;
mod errors;
mod exchange;
mod faults;
mod graph;
mod ids;
mod journal;
mod mailbox_filter;
mod outbox;
mod routes;
mod server;
mod skus;
mod state;
mod throttle;

pub use apps::{ClientCredential, ExchangeRole, RegisteredClient, SignIn};
pub use auth::ledger::RefreshTokenInfo;
pub use auth::{IdTokenFault, MEMBER_USER_ROLE};
pub use config::{DEFAULT_TENANT_ID, GLOBAL_ADMINISTRATOR, RateLimits, SAMPLE_ADMIN, TenantConfig};
pub use faults::Faults;
pub use outbox::SentMail;
pub use routes::app;
pub use server::{EmulatedTenant, StartError, serve};
pub use state::{DumpError, RecordedRequest, TenantState};
