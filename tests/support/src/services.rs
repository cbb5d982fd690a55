//! [`Services`] for a test, made by the engine's own constructors — [`Services::local`] as
//! `tenure serve` makes them, [`Services::aws`] as the Lambda functions do (here on moto) — with
//! the few things tests change set by name. A new field of `Services` needs no edit here.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use tenure::connect::TenureApp;
use tenure::plugin::{PluginHost, SandboxLimits};
use tenure::queue::InProcessQueue;
use tenure::service::provision::ProvisionOptions;
use tenure::service::{AwsResources, Services};
use tenure::store::DataDir;
use tenure::webhook::InMemoryReplayCache;

use crate::Error;
use crate::aws::{QueueKind, moto_config, new_bucket, new_queue};

/// Builds [`Services`] for a test; see the module.
#[derive(Debug, Clone)]
pub struct ServicesBuilder {
    plugin_limits: SandboxLimits,
    plugin_cache: Option<PathBuf>,
    provision: Option<ProvisionOptions>,
    tenure_app: Option<TenureApp>,
    replay_in_memory: bool,
    queue_visibility: Option<Duration>,
    queue_kind: QueueKind,
}

impl Default for ServicesBuilder {
    fn default() -> Self {
        Self::new()
    }
}

/// [`Services::local`] over a fresh temporary folder, which lives as long as this.
pub struct LocalServices {
    /// The services.
    pub services: Services,
    /// The data folder the stores keep their files in.
    pub root: PathBuf,
    _dir: tempfile::TempDir,
}

/// [`Services::aws`] on this process's moto, over a fresh bucket and fresh queues.
pub struct MotoServices {
    /// The services.
    pub services: Services,
    /// The SDK configuration pointed at moto.
    pub config: SdkConfig,
    /// The bucket and the queues' URLs.
    pub resources: AwsResources,
}

impl ServicesBuilder {
    /// Default sandbox limits without a compile cache folder, default provisioning options,
    /// no Tenure's app, the replay cache in the object store (as deployed), FIFO queues on moto
    /// (as deployed) with SQS's visibility timeout.
    pub fn new() -> Self {
        Self {
            plugin_limits: SandboxLimits::default(),
            plugin_cache: None,
            provision: None,
            tenure_app: None,
            replay_in_memory: false,
            queue_visibility: None,
            queue_kind: QueueKind::Fifo,
        }
    }

    /// Plugins run under these limits.
    pub fn plugin_limits(mut self, limits: SandboxLimits) -> Self {
        self.plugin_limits = limits;
        self
    }

    /// The plugin host keeps compiled plugins in this folder.
    pub fn plugin_cache(mut self, dir: PathBuf) -> Self {
        self.plugin_cache = Some(dir);
        self
    }

    /// Provisioning talks to Microsoft with these options.
    pub fn provision(mut self, options: ProvisionOptions) -> Self {
        self.provision = Some(options);
        self
    }

    /// `app` is Tenure's app.
    pub fn tenure_app(mut self, app: TenureApp) -> Self {
        self.tenure_app = Some(app);
        self
    }

    /// Webhook deliveries are remembered in this process's memory rather than the object store.
    pub fn replay_in_memory(mut self) -> Self {
        self.replay_in_memory = true;
        self
    }

    /// A message received and not deleted comes back after `visibility`.
    pub fn queue_visibility(mut self, visibility: Duration) -> Self {
        self.queue_visibility = Some(visibility);
        self
    }

    /// The queues made on moto are standard queues, not FIFO.
    pub fn standard_queues(mut self) -> Self {
        self.queue_kind = QueueKind::Standard;
        self
    }

    /// [`Services::local`] over a fresh temporary folder.
    pub fn local(self) -> Result<LocalServices, Error> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("data");
        let data = DataDir::open(&root)?;
        let mut services = Services::local(&data, self.plugin_host()?)?;
        if let Some(visibility) = self.queue_visibility {
            services.queue = Arc::new(InProcessQueue::new(visibility));
        }
        Ok(LocalServices {
            services: self.finish(services),
            root,
            _dir: dir,
        })
    }

    /// [`Services::aws`] on this process's moto, over a fresh bucket and fresh work and
    /// dead-letter queues.
    pub async fn on_moto(self) -> Result<MotoServices, Error> {
        let config = moto_config().await?;
        let resources = AwsResources {
            bucket: new_bucket(&config, "tenure-test").await?,
            queue_url: new_queue(&config, "work", self.queue_kind, self.queue_visibility).await?,
            dead_letter_queue_url: new_queue(
                &config,
                "dead",
                self.queue_kind,
                self.queue_visibility,
            )
            .await?,
        };
        let services = Services::aws(&config, &resources, self.plugin_host()?);
        Ok(MotoServices {
            services: self.finish(services),
            config,
            resources,
        })
    }

    fn plugin_host(&self) -> Result<PluginHost, Error> {
        Ok(PluginHost::new(
            self.plugin_limits,
            self.plugin_cache.clone(),
        )?)
    }

    fn finish(self, mut services: Services) -> Services {
        if self.replay_in_memory {
            services.replay = Arc::new(InMemoryReplayCache::new());
        }
        if let Some(options) = self.provision {
            services.provision = options;
        }
        services.with_tenure_app(self.tenure_app)
    }
}
