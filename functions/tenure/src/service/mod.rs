//! The handlers of Tenure's functions, one module each, over one set of [`Services`]: the
//! Lambda binaries wrap one handler each, and `tenure serve` mounts them all on one port.
//!
//! | function         | trigger                                   | module       |
//! |------------------|-------------------------------------------|--------------|
//! | `consent`        | `GET /connections/{id}/consent`           | [`http`]     |
//! | `oauth-callback` | `GET /oauth/callback`                     | [`http`]     |
//! | `hr-webhook`     | `POST /connections/{id}/hr-events`        | [`http`]     |
//! | `plugin-upload`  | `/connections/{id}/plugins…`              | [`http`]     |
//! | `provision`      | SQS messages of [`crate::queue::WorkItem`]s | [`provision`] |
//! | `scheduled-sync` | EventBridge Scheduler, one per connection | [`schedule`] |
//!
//! Each connection's mapping (which plugin, its configuration, the guard) is kept in the object
//! store ([`settings`]).
//!
//! Folders: `http/` (the axum routers), `plugins/` (the plugin registry), `provision/` (the queue
//! consumer), `schedule/` (the scheduled fan-out); `settings` is each connection's
//! [`MappingSettings`](settings::MappingSettings).

pub mod http;
pub mod plugins;
pub mod provision;
pub mod schedule;
pub mod settings;

use std::sync::Arc;

use self::plugins::PluginLibrary;
use crate::connect::ServiceApp;
use crate::queue::{DeadLetters, WorkQueue};
use crate::store::connections::ConnectionStore;
use crate::store::objects::ObjectStore;
use crate::store::secrets::SecretStore;
use crate::webhook::ReplayCache;

/// Everything the handlers use. Built once per process (a Lambda instance, `tenure serve`) and
/// shared by every request it handles.
#[derive(Clone)]
pub struct Services {
    /// Credentials: refresh tokens, client secrets, certificates, webhook keys.
    pub secrets: Arc<dyn SecretStore>,
    /// Connection records.
    pub connections: Arc<dyn ConnectionStore>,
    /// Plugins, mapping settings, HR exports, caches, audit trails.
    pub objects: Arc<dyn ObjectStore>,
    /// The work queue between the webhook (and the scheduler) and provisioning.
    pub queue: Arc<dyn WorkQueue>,
    /// Tenure's own app registration, when this deployment has one (consent and delegated
    /// tokens need it; customer-app connections do not).
    pub service_app: Option<Arc<ServiceApp>>,
    /// The plugin host (one engine per process) and the plugins this process has loaded.
    pub plugins: Arc<PluginLibrary>,
    /// Webhook deliveries already accepted (shared by every instance in AWS).
    pub replay: Arc<dyn ReplayCache>,
    /// Where work that can never be done goes, with its reason (the SQS dead-letter queue in
    /// AWS, objects under `dead-letters/` locally).
    pub dead_letters: Arc<dyn DeadLetters>,
    /// How provisioning talks to Microsoft (retries, timeouts, requests in flight).
    pub provision: provision::ProvisionOptions,
}
