//! The handlers of Tenure's functions, one module each, over one set of [`Services`]: the
//! Lambda binaries wrap one handler each, and `tenure serve` mounts them all on one port.
//!
//! | function         | trigger                                   | module       |
//! |------------------|-------------------------------------------|--------------|
//! | `consent`        | `GET /connections/{id}/consent`           | [`http`]     |
//! | `oauth-callback` | `GET /oauth/callback`                     | [`http`]     |
//! | `hr-webhook`     | `POST /connections/{id}/hr-events`        | [`http`]     |
//! | `plugin-upload`  | `/connections/{id}/plugins…`              | [`http`]     |
//! | `admin-api`      | `/connections/{id}/tokens…`, `…/approvals…`, `…/hr/export`, `…/matches/confirm` | [`http`] ([`tokens`], [`guard`], [`hr_export`], [`mod@matches`]) |
//! | `provision`      | SQS messages of [`crate::queue::WorkItem`]s | [`provision`] |
//! | `scheduled-sync` | EventBridge Scheduler, one per connection | [`schedule`] |
//!
//! Each connection's mapping (which plugin, its configuration, the guard) is kept in the object
//! store ([`settings`]).
//!
//! Folders: `guard/` (whole-change judgment, the rolling budget, pending approvals), `http/`
//! (the axum routers), `plugins/` (the plugin registry), `provision/` (the queue consumer),
//! `schedule/` (the scheduled fan-out); `settings` is each connection's
//! [`MappingSettings`](settings::MappingSettings); `overview` what the console lists of each
//! connection (who may see it, its last run, its pending approvals); `activity` its last runs,
//! audit trail, administrators' actions and dead letters, for a person to read; `deliveries`
//! what HR delivered to it and what became of each.

pub mod access_audit;
pub mod activity;
pub mod deliveries;
pub mod guard;
pub mod hr_export;
pub mod http;
pub mod mapping;
pub mod matches;
pub mod overview;
pub mod plugins;
pub mod provision;
pub mod schedule;
pub mod settings;
pub mod tokens;

use std::sync::Arc;
use std::time::Duration;

use self::plugins::PluginLibrary;
use crate::auth::AdminAccess;
use crate::clock::Clock;
use crate::connect::TenureApp;
use crate::plugin::PluginHost;
use crate::queue::{DeadLetters, InProcessQueue, LocalDeadLetters, WorkQueue};
use crate::store::connections::{CloudEndpointsOnly, ConnectionStore, LocalConnectionStore};
use crate::store::objects::{LocalObjectStore, ObjectStore};
use crate::store::secrets::{LocalSecretStore, SecretStore};
use crate::store::{DataDir, DataDirError, KeyRing};
use crate::webhook::{ObjectReplayCache, ReplayCache};

/// Everything the handlers use. Built once per process (a Lambda instance, `tenure serve`) and
/// shared by every request it handles.
#[derive(Clone)]
pub struct Services {
    /// Credentials: refresh tokens, client secrets, certificates, webhook keys.
    pub secrets: Arc<dyn SecretStore>,
    /// The deployment's own keys (sessions, compiled-code HMAC, API tokens), kept in
    /// `secrets` and cached.
    pub keys: Arc<KeyRing>,
    /// Connection records.
    pub connections: Arc<dyn ConnectionStore>,
    /// Plugins, mapping settings, HR exports, caches, audit trails.
    pub objects: Arc<dyn ObjectStore>,
    /// The work queue between the webhook (and the scheduler) and provisioning.
    pub queue: Arc<dyn WorkQueue>,
    /// Tenure's app registration, when this deployment has one (consent and delegated
    /// tokens need it; customer-app connections do not).
    pub tenure_app: Option<Arc<TenureApp>>,
    /// The plugin host (one engine per process) and the plugins this process has loaded.
    pub plugins: Arc<PluginLibrary>,
    /// What plugin uploads may cost each connection.
    pub uploads: plugins::UploadLimits,
    /// Webhook deliveries already accepted (shared by every instance in AWS).
    pub replay: Arc<dyn ReplayCache>,
    /// Where work that can never be done goes, with its reason (the SQS dead-letter queue in
    /// AWS, objects under `dead-letters/` locally).
    pub dead_letters: Arc<dyn DeadLetters>,
    /// How provisioning talks to Microsoft (retries, timeouts, requests in flight).
    pub provision: provision::ProvisionOptions,
    /// Who may sign in where, the operators, and the ID-token checker.
    pub admin: Arc<AdminAccess>,
    /// Where "now" comes from (the plans' today, the guard's rolling budget, approvals).
    pub clock: Clock,
}

/// How long a message taken from the in-process queue of [`Services::local`] stays hidden before
/// it comes back, so work that failed for a passing reason is tried again after it.
pub const LOCAL_QUEUE_VISIBILITY: Duration = Duration::from_secs(60);

/// Where a deployment keeps its state in AWS (the SAM template makes them).
#[cfg(feature = "aws")]
#[derive(Debug, Clone, Default)]
pub struct AwsResources {
    /// The bucket of connection records (under `connections/`), plugins, settings, caches and
    /// audit trails.
    pub bucket: String,
    /// The work queue's URL.
    pub queue_url: String,
    /// The dead-letter queue's URL.
    pub dead_letter_queue_url: String,
}

impl Services {
    /// The services of `tenure serve`: connections, secrets and objects in files under `data`,
    /// an in-process queue ([`LOCAL_QUEUE_VISIBILITY`]), dead letters and webhook replay
    /// entries as objects; no Tenure's app (see [`Services::with_tenure_app`]).
    pub fn local(data: &DataDir, plugins: PluginHost) -> Result<Self, DataDirError> {
        let objects: Arc<dyn ObjectStore> = Arc::new(LocalObjectStore::open(data)?);
        Ok(Self::assemble(
            Arc::new(LocalSecretStore::open(data)?),
            Arc::new(LocalConnectionStore::open(data)?),
            Arc::new(LocalDeadLetters::new(Arc::clone(&objects))),
            objects,
            Arc::new(InProcessQueue::new(LOCAL_QUEUE_VISIBILITY)),
            plugins,
        ))
    }

    /// The services of a Lambda function: Secrets Manager, S3 (connection records under
    /// `connections/` of the bucket) and SQS through the AWS SDK configured by `config`, the
    /// webhook replay entries in the bucket; no Tenure's app (see
    /// [`Services::with_tenure_app`]).
    #[cfg(feature = "aws")]
    pub fn aws(
        config: &aws_config::SdkConfig,
        resources: &AwsResources,
        plugins: PluginHost,
    ) -> Self {
        use crate::queue::{SqsDeadLetters, SqsQueue};
        use crate::store::connections::S3ConnectionStore;
        use crate::store::objects::S3ObjectStore;
        use crate::store::secrets::SecretsManagerStore;

        let objects: Arc<dyn ObjectStore> =
            Arc::new(S3ObjectStore::new(config, &resources.bucket, ""));
        Self::assemble(
            Arc::new(SecretsManagerStore::new(config)),
            Arc::new(S3ConnectionStore::new(
                config,
                &resources.bucket,
                "connections/",
            )),
            Arc::new(SqsDeadLetters::new(
                config,
                resources.dead_letter_queue_url.clone(),
            )),
            objects,
            Arc::new(SqsQueue::new(config, resources.queue_url.clone())),
            plugins,
        )
    }

    /// The same services with `app` as Tenure's app.
    pub fn with_tenure_app(self, app: Option<TenureApp>) -> Self {
        Self {
            tenure_app: app.map(Arc::new),
            ..self
        }
    }

    /// The same services with these admin-access settings.
    pub fn with_admin_access(self, admin: AdminAccess) -> Self {
        Self {
            admin: Arc::new(admin),
            ..self
        }
    }

    /// The same services, reading and writing only connections whose login, Graph and Exchange
    /// endpoints are their national cloud's own hosts over HTTPS, unless `allow_custom` (for
    /// local use and tests: the emulated tenant is on `http://127.0.0.1`). See
    /// [`CloudEndpointsOnly`].
    pub fn with_custom_endpoints(self, allow_custom: bool) -> Self {
        if allow_custom {
            return self;
        }
        Self {
            connections: Arc::new(CloudEndpointsOnly::new(self.connections)),
            ..self
        }
    }

    /// The one place the fields are written out: what differs between local and AWS comes in,
    /// the rest is the same everywhere.
    fn assemble(
        secrets: Arc<dyn SecretStore>,
        connections: Arc<dyn ConnectionStore>,
        dead_letters: Arc<dyn DeadLetters>,
        objects: Arc<dyn ObjectStore>,
        queue: Arc<dyn WorkQueue>,
        plugins: PluginHost,
    ) -> Self {
        Self {
            keys: Arc::new(KeyRing::new(Arc::clone(&secrets))),
            secrets,
            connections,
            replay: Arc::new(ObjectReplayCache::new(Arc::clone(&objects))),
            objects,
            queue,
            tenure_app: None,
            plugins: Arc::new(PluginLibrary::new(plugins)),
            uploads: plugins::UploadLimits::default(),
            dead_letters,
            provision: provision::ProvisionOptions::default(),
            admin: Arc::new(AdminAccess::default()),
            clock: Clock::system(),
        }
    }
}
