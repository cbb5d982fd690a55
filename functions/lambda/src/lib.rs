//! What every Tenure Lambda function does before its handler runs: logging, and the
//! [`Services`] built from the function's environment (the SAM template sets it; see
//! [`Environment`]). Each binary in `src/bin` is a few lines around one handler of the engine.
//!
//! The binaries: `consent`, `oauth-callback`, `hr-webhook` and `plugin-upload` run one router of
//! `tenure::service::http` on `lambda_http`; `provision` (SQS events) and `scheduled-sync` (the
//! Scheduler's JSON) run on `lambda_runtime`. `tests/runtime_api/` runs the binaries under
//! cargo-lambda's Runtime API emulator with moto and the emulated tenant; `benches/cold_start.rs`
//! times their cold starts.

use std::sync::Arc;

use aws_config::SdkConfig;
use secrecy::SecretString;
use tenure::connect::ServiceApp;
use tenure::microsoft::ClientCredential;
use tenure::plugin::{PluginHost, SandboxLimits};
use tenure::queue::{SqsDeadLetters, SqsQueue};
use tenure::service::Services;
use tenure::service::plugins::PluginLibrary;
use tenure::service::provision::ProvisionOptions;
use tenure::store::AwsSettings;
use tenure::store::connections::S3ConnectionStore;
use tenure::store::objects::{ObjectStore, S3ObjectStore};
use tenure::store::secrets::SecretsManagerStore;
use tenure::webhook::ObjectReplayCache;

/// The bucket of connection records, plugins, settings, caches and audit trails.
pub const BUCKET: &str = "TENURE_BUCKET";
/// The work queue's URL.
pub const QUEUE_URL: &str = "TENURE_QUEUE_URL";
/// The dead-letter queue's URL (poison messages, with their reason).
pub const DEAD_LETTER_QUEUE_URL: &str = "TENURE_DEAD_LETTER_QUEUE_URL";
/// Tenure's own app's client id (Service Provider Application connections).
pub const APP_CLIENT_ID: &str = "TENURE_APP_CLIENT_ID";
/// The Secrets Manager secret holding that app's client secret.
pub const APP_CLIENT_SECRET_ID: &str = "TENURE_APP_CLIENT_SECRET_ID";
/// The redirect URI registered on that app (the API's `/oauth/callback`).
pub const REDIRECT_URI: &str = "TENURE_REDIRECT_URI";

/// A function cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A required environment variable is missing or empty.
    #[error("the environment variable {0} is not set (the SAM template sets it)")]
    Missing(&'static str),
    /// Tenure's app's client secret could not be read.
    #[error("cannot read Tenure's app client secret from Secrets Manager ({id}): {message}")]
    AppSecret {
        /// The secret id.
        id: String,
        /// What Secrets Manager said.
        message: String,
    },
    /// The plugin host could not start.
    #[error("the plugin host cannot start: {0}")]
    Plugins(#[from] tenure::plugin::PluginError),
}

/// The function's settings, from its environment.
#[derive(Debug, Clone)]
pub struct Environment {
    /// [`BUCKET`].
    pub bucket: String,
    /// [`QUEUE_URL`], when the function uses the queue.
    pub queue_url: Option<String>,
    /// [`DEAD_LETTER_QUEUE_URL`], when the function uses it.
    pub dead_letter_queue_url: Option<String>,
    /// [`APP_CLIENT_ID`], [`APP_CLIENT_SECRET_ID`] and [`REDIRECT_URI`], when all are set.
    pub app: Option<(String, String, String)>,
    /// The limits plugins run under (the defaults; `plugin-upload` lowers the size limit to
    /// [`LAMBDA_UPLOAD_LIMIT`]).
    pub plugin_limits: SandboxLimits,
}

fn var(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Environment {
    /// Reads the environment.
    pub fn read() -> Result<Self, StartupError> {
        Ok(Self {
            bucket: var(BUCKET).ok_or(StartupError::Missing(BUCKET))?,
            queue_url: var(QUEUE_URL),
            dead_letter_queue_url: var(DEAD_LETTER_QUEUE_URL),
            app: match (
                var(APP_CLIENT_ID),
                var(APP_CLIENT_SECRET_ID),
                var(REDIRECT_URI),
            ) {
                (Some(id), Some(secret), Some(redirect)) => Some((id, secret, redirect)),
                _ => None,
            },
            plugin_limits: SandboxLimits::default(),
        })
    }
}

/// Logs as JSON lines to stdout (CloudWatch), filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(false)
        .without_time()
        .try_init();
}

/// The largest plugin the `plugin-upload` function takes: Lambda takes at most 6 MB of request
/// through API Gateway, and API Gateway sends a binary body base64-encoded (4/3 of its size).
/// Larger components (JavaScript and Python ones are tens of MiB) are uploaded with
/// `tenure serve`, or put in the bucket by an administrator.
pub const LAMBDA_UPLOAD_LIMIT: usize = 4 * 1024 * 1024;

/// The services of a function: S3, SQS and Secrets Manager through the AWS SDK (whose
/// endpoint, region and credentials come from the usual `AWS_*` variables, so
/// `AWS_ENDPOINT_URL` points them at a local emulator).
pub async fn services() -> Result<Services, StartupError> {
    let env = Environment::read()?;
    services_with(&env, &aws_config().await).await
}

/// The AWS SDK configuration from the function's environment.
pub async fn aws_config() -> SdkConfig {
    AwsSettings::default().load().await
}

/// The services of a function with these settings and this SDK configuration (what
/// [`services`] does after reading them; the cold start benchmark times it on its own).
pub async fn services_with(
    env: &Environment,
    config: &SdkConfig,
) -> Result<Services, StartupError> {
    let objects: Arc<dyn ObjectStore> = Arc::new(S3ObjectStore::new(config, &env.bucket, ""));
    let queue_url = env.queue_url.clone().unwrap_or_default();
    let dead_letter_url = env.dead_letter_queue_url.clone().unwrap_or_default();
    Ok(Services {
        secrets: Arc::new(SecretsManagerStore::new(config)),
        connections: Arc::new(S3ConnectionStore::new(config, &env.bucket, "connections/")),
        replay: Arc::new(ObjectReplayCache::new(Arc::clone(&objects))),
        objects,
        queue: Arc::new(SqsQueue::new(config, queue_url)),
        dead_letters: Arc::new(SqsDeadLetters::new(config, dead_letter_url)),
        service_app: service_app(env, config).await?.map(Arc::new),
        // No compile cache directory: the library keeps compiled code in the bucket (shared by
        // every instance) and loaded plugins in memory, and never compiles through the host's
        // directory, so making and checking one on each cold start would be wasted.
        plugins: Arc::new(PluginLibrary::new(PluginHost::new(
            env.plugin_limits,
            None,
        )?)),
        provision: ProvisionOptions::default(),
    })
}

/// Tenure's app, its client secret read from Secrets Manager once per instance.
async fn service_app(
    env: &Environment,
    config: &SdkConfig,
) -> Result<Option<ServiceApp>, StartupError> {
    let Some((client_id, secret_id, redirect_uri)) = &env.app else {
        return Ok(None);
    };
    let fail = |message: String| StartupError::AppSecret {
        id: secret_id.clone(),
        message,
    };
    let out = aws_sdk_secretsmanager::Client::new(config)
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| fail(aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string()))?;
    let secret = out
        .secret_string()
        .ok_or_else(|| fail("the secret has no string value".to_owned()))?;
    Ok(Some(ServiceApp {
        client_id: client_id.clone(),
        credential: ClientCredential::Secret(SecretString::from(secret.to_owned())),
        redirect_uri: redirect_uri.clone(),
    }))
}
