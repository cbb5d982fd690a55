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
//! reads. Faults (503s, injected 429s, slow answers, dropped connections, failing inner `$batch`
//! requests) are drawn from a seeded generator, so a test sees the same faults on every run.

mod auth;
mod config;
mod errors;
mod exchange;
mod faults;
mod graph;
mod ids;
mod routes;
mod server;
mod state;
mod throttle;

pub use config::{ClientCredential, DEFAULT_TENANT_ID, RateLimits, RegisteredClient, TenantConfig};
pub use faults::Faults;
pub use routes::app;
pub use server::{EmulatedTenant, StartError, serve};
pub use state::{DumpError, RecordedRequest, TenantState};
