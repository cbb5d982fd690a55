//! What every Tenure Lambda function does before its handler runs: logging, and the
//! [`Services`] built from the function's environment (the SAM template sets it; see
//! [`Environment`]). Each binary in `src/bin` is a few lines around one handler of the engine.
//!
//! The binaries: `consent`, `oauth-callback`, `sign-in`, `hr-webhook`, `plugin-upload`, `console`
//! and `admin-api` run one router of `tenure::service::http` on `lambda_http` ([`run_http`],
//! which marks each request with the public URL it was reached at); `provision` (SQS events) and `scheduled-sync` (the
//! Scheduler's JSON) run on `lambda_runtime`. `tests/runtime_api/` runs the binaries under
//! cargo-lambda's Runtime API emulator with moto and the emulated tenant; `benches/cold_start.rs`
//! times their cold starts.
//!
//! What each function reads from its environment is declared once, in [`FUNCTIONS`]: a function
//! reads nothing else and does not start without what it requires, and the template check
//! (`tests/template`, through `examples/environment.rs`) holds `infra/template.yaml` to it.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use lambda_http::RequestExt as _;
use lambda_http::request::RequestContext;
use secrecy::SecretString;
use tenure::auth::{AdminAccess, Operators};
use tenure::connect::TenureApp;
use tenure::microsoft::ClientCredential;
use tenure::plugin::{PluginHost, SandboxLimits};
use tenure::service::http::{PublicUrl, PublicUrlError};
use tenure::service::provision::Deadline;
use tenure::service::{AwsResources, Services};
use tenure::store::AwsSettings;

/// The bucket of connection records, plugins, settings, caches and audit trails.
pub const BUCKET: &str = "TENURE_BUCKET";
/// The work queue's URL.
pub const QUEUE_URL: &str = "TENURE_QUEUE_URL";
/// The dead-letter queue's URL (poison messages, with their reason).
pub const DEAD_LETTER_QUEUE_URL: &str = "TENURE_DEAD_LETTER_QUEUE_URL";
/// Tenure's app's client id (connections through Tenure's app).
pub const APP_CLIENT_ID: &str = "TENURE_APP_CLIENT_ID";
/// The Secrets Manager secret holding that app's client secret.
pub const APP_CLIENT_SECRET_ID: &str = "TENURE_APP_CLIENT_SECRET_ID";
/// The URL people and Microsoft reach the deployment at, when it is not the domain each request
/// came in on (a custom domain, with its base path): the OAuth redirect URI is under it.
pub const PUBLIC_URL: &str = "TENURE_PUBLIC_URL";
/// The deployment's operators, who may manage every connection: `<tenant-id>/<object-id>`
/// entries separated by commas.
pub const OPERATORS: &str = "TENURE_OPERATORS";
/// `true` lets connections name login, Graph and Exchange endpoints other than their national
/// cloud's own hosts (a test deployment against the emulated tenant); unset or `false`, such
/// a connection is refused ([`tenure::store::connections::CloudEndpointsOnly`]).
pub const ALLOW_CUSTOM_ENDPOINTS: &str = "TENURE_ALLOW_CUSTOM_ENDPOINTS";
/// The log filter ([`init_tracing`]).
pub const LOG: &str = "RUST_LOG";
/// The provision function's timeout, in seconds (the template's `ProvisionTimeout`): its
/// invocations' deadline when the Runtime API gives none that is still to come
/// ([`invocation_deadline`]).
pub const PROVISION_TIMEOUT: &str = "TENURE_PROVISION_TIMEOUT";
/// How many seconds before its deadline a provision invocation stops starting new work
/// (default: 30 s plus the longest Microsoft request, [`tenure::service::provision::ProvisionOptions`]).
pub const PROVISION_STOP_MARGIN: &str = "TENURE_PROVISION_STOP_MARGIN";

/// A function of the SAM template and its environment: the variables it cannot start without
/// and those it reads when they are set. [`Environment::read`] reads no others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    /// Its binary (`src/bin/<binary>.rs`, named in the template's `BuildProperties`).
    pub binary: &'static str,
    /// What it cannot start without.
    pub requires: &'static [&'static str],
    /// What it reads when set.
    pub optional: &'static [&'static str],
}

impl Function {
    /// Whether it reads `name` at all.
    pub fn reads(&self, name: &str) -> bool {
        self.requires.contains(&name) || self.optional.contains(&name)
    }
}

/// `consent`: `GET /connections/{id}/consent`.
pub const CONSENT: Function = Function {
    binary: "consent",
    requires: &[BUCKET],
    optional: &[
        LOG,
        APP_CLIENT_ID,
        APP_CLIENT_SECRET_ID,
        PUBLIC_URL,
        OPERATORS,
        ALLOW_CUSTOM_ENDPOINTS,
    ],
};
/// `oauth-callback`: `GET /oauth/callback`.
pub const OAUTH_CALLBACK: Function = Function {
    binary: "oauth-callback",
    requires: &[BUCKET],
    optional: &[
        LOG,
        APP_CLIENT_ID,
        APP_CLIENT_SECRET_ID,
        PUBLIC_URL,
        ALLOW_CUSTOM_ENDPOINTS,
    ],
};
/// `sign-in`: `GET /signin`, `GET /signin/callback`, `GET /session`, `POST /signout`.
pub const SIGN_IN: Function = Function {
    binary: "sign-in",
    requires: &[BUCKET],
    optional: &[
        LOG,
        APP_CLIENT_ID,
        APP_CLIENT_SECRET_ID,
        PUBLIC_URL,
        OPERATORS,
        ALLOW_CUSTOM_ENDPOINTS,
    ],
};
/// `hr-webhook`: `POST /connections/{id}/hr-events`.
pub const HR_WEBHOOK: Function = Function {
    binary: "hr-webhook",
    requires: &[BUCKET, QUEUE_URL],
    optional: &[LOG, ALLOW_CUSTOM_ENDPOINTS],
};
/// `provision`: the work queue's consumer (Tenure's app refreshes delegated tokens; the rest
/// of work not finished before the deadline goes back on the work queue).
pub const PROVISION: Function = Function {
    binary: "provision",
    requires: &[BUCKET, QUEUE_URL, DEAD_LETTER_QUEUE_URL],
    optional: &[
        LOG,
        APP_CLIENT_ID,
        APP_CLIENT_SECRET_ID,
        ALLOW_CUSTOM_ENDPOINTS,
        PROVISION_TIMEOUT,
        PROVISION_STOP_MARGIN,
    ],
};
/// `scheduled-sync`: the scheduled reconcile, fanned out over the work queue.
pub const SCHEDULED_SYNC: Function = Function {
    binary: "scheduled-sync",
    requires: &[BUCKET, QUEUE_URL],
    optional: &[LOG, ALLOW_CUSTOM_ENDPOINTS],
};
/// `plugin-upload`: `/connections/{id}/plugins…`.
pub const PLUGIN_UPLOAD: Function = Function {
    binary: "plugin-upload",
    requires: &[BUCKET],
    optional: &[LOG, PUBLIC_URL, OPERATORS, ALLOW_CUSTOM_ENDPOINTS],
};

/// `console`: `GET /`, the admin console's pages under `/console` (approving a held change
/// queues its work).
pub const CONSOLE: Function = Function {
    binary: "console",
    requires: &[BUCKET, QUEUE_URL, DEAD_LETTER_QUEUE_URL],
    optional: &[
        LOG,
        APP_CLIENT_ID,
        APP_CLIENT_SECRET_ID,
        PUBLIC_URL,
        OPERATORS,
        ALLOW_CUSTOM_ENDPOINTS,
    ],
};

/// `admin-api`: the admin API behind the admin layer (API tokens, held changes, the HR export,
/// match confirmation).
pub const ADMIN_API: Function = Function {
    binary: "admin-api",
    requires: &[BUCKET, QUEUE_URL],
    optional: &[LOG, PUBLIC_URL, OPERATORS, ALLOW_CUSTOM_ENDPOINTS],
};

/// Every function, as the SAM template must declare them.
pub const FUNCTIONS: [Function; 9] = [
    CONSENT,
    OAUTH_CALLBACK,
    SIGN_IN,
    HR_WEBHOOK,
    PROVISION,
    SCHEDULED_SYNC,
    PLUGIN_UPLOAD,
    CONSOLE,
    ADMIN_API,
];

/// A function cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A required environment variable is missing or empty.
    #[error("the environment variable {0} is not set (the SAM template sets it)")]
    Missing(&'static str),
    /// [`PUBLIC_URL`] is not a URL the deployment can be reached at.
    #[error("the environment variable {PUBLIC_URL}: {0}")]
    PublicUrl(#[from] PublicUrlError),
    /// Tenure's app's client secret could not be read.
    #[error("cannot read Tenure's app client secret from Secrets Manager ({id}): {message}")]
    AppSecret {
        /// The secret id.
        id: String,
        /// What Secrets Manager said.
        message: String,
    },
    /// A setting is not one of the values it may have.
    #[error("the environment variable {name} is {value:?}: {expected}")]
    Setting {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it may be.
        expected: &'static str,
    },
    /// The plugin host could not start.
    #[error("the plugin host cannot start: {0}")]
    Plugins(#[from] tenure::plugin::PluginError),
    /// [`OPERATORS`] cannot be read.
    #[error("the environment variable {OPERATORS}: {0}")]
    Operators(#[from] tenure::auth::InvalidOperators),
}

/// Tenure's app as the environment names it; its client secret is read from Secrets Manager
/// when the function starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSettings {
    /// [`APP_CLIENT_ID`]: the app's client id.
    pub client_id: String,
    /// [`APP_CLIENT_SECRET_ID`]: the Secrets Manager secret holding its client secret.
    pub client_secret_id: String,
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
    /// Tenure's app, when the deployment has one ([`APP_CLIENT_ID`] and
    /// [`APP_CLIENT_SECRET_ID`]).
    pub app: Option<AppSettings>,
    /// [`PUBLIC_URL`], when the deployment names one; else each request's own domain counts.
    pub public_url: Option<PublicUrl>,
    /// [`OPERATORS`]: who may manage every connection (none when unset).
    pub operators: Operators,
    /// The limits plugins run under (the defaults).
    pub plugin_limits: SandboxLimits,
    /// [`ALLOW_CUSTOM_ENDPOINTS`]: whether connections may name other hosts than their
    /// cloud's (`false` unless set to `true`).
    pub allow_custom_endpoints: bool,
    /// [`PROVISION_TIMEOUT`], when set.
    pub provision_timeout: Option<Duration>,
    /// [`PROVISION_STOP_MARGIN`], when set.
    pub provision_stop_margin: Option<Duration>,
}

fn var(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Environment {
    /// Reads what `function` reads from the environment: a variable it requires must be set
    /// (and so must both of Tenure's app's, or neither).
    pub fn read(function: &Function) -> Result<Self, StartupError> {
        let get = |name: &'static str| -> Result<Option<String>, StartupError> {
            if !function.reads(name) {
                return Ok(None);
            }
            match var(name) {
                None if function.requires.contains(&name) => Err(StartupError::Missing(name)),
                value => Ok(value),
            }
        };
        let app = match (get(APP_CLIENT_ID)?, get(APP_CLIENT_SECRET_ID)?) {
            (Some(client_id), Some(client_secret_id)) => Some(AppSettings {
                client_id,
                client_secret_id,
            }),
            (None, None) => None,
            (Some(_), None) => return Err(StartupError::Missing(APP_CLIENT_SECRET_ID)),
            (None, Some(_)) => return Err(StartupError::Missing(APP_CLIENT_ID)),
        };
        Ok(Self {
            bucket: get(BUCKET)?.ok_or(StartupError::Missing(BUCKET))?,
            queue_url: get(QUEUE_URL)?,
            dead_letter_queue_url: get(DEAD_LETTER_QUEUE_URL)?,
            app,
            public_url: get(PUBLIC_URL)?
                .map(|url| PublicUrl::parse(&url))
                .transpose()?,
            operators: Operators::parse(&get(OPERATORS)?.unwrap_or_default())?,
            plugin_limits: SandboxLimits::default(),
            allow_custom_endpoints: flag(ALLOW_CUSTOM_ENDPOINTS, get(ALLOW_CUSTOM_ENDPOINTS)?)?,
            provision_timeout: seconds(PROVISION_TIMEOUT, get(PROVISION_TIMEOUT)?)?,
            provision_stop_margin: seconds(PROVISION_STOP_MARGIN, get(PROVISION_STOP_MARGIN)?)?,
        })
    }
}

/// A whole number of seconds; unset is `None`.
fn seconds(name: &'static str, value: Option<String>) -> Result<Option<Duration>, StartupError> {
    value
        .map(|value| match value.trim().parse::<u64>() {
            Ok(n) => Ok(Duration::from_secs(n)),
            Err(_) => Err(StartupError::Setting {
                name,
                value,
                expected: "a whole number of seconds",
            }),
        })
        .transpose()
}

/// The deadline of a provision invocation that started now, with the Runtime API's deadline
/// `context_deadline_ms` (milliseconds since the Unix epoch, `LambdaEvent::context.deadline`):
/// the earlier of that and `timeout` from now. A Runtime API deadline already past when the
/// invocation starts is not believed (cargo-lambda's emulator sends a fixed 600000, in 1970), so
/// the function's timeout ([`PROVISION_TIMEOUT`]) counts; with neither, there is none.
pub fn invocation_deadline(
    context_deadline_ms: u64,
    timeout: Option<Duration>,
    margin: Duration,
) -> Deadline {
    let now = Instant::now();
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let from_context = Duration::from_millis(context_deadline_ms)
        .checked_sub(since_epoch)
        .filter(|left| !left.is_zero())
        .map(|left| now + left);
    let from_timeout = timeout.map(|timeout| now + timeout);
    match (from_context, from_timeout) {
        (Some(a), Some(b)) => Deadline::at(a.min(b), margin),
        (Some(at), None) | (None, Some(at)) => Deadline::at(at, margin),
        (None, None) => Deadline::none(),
    }
}

/// `true` or `false` (in any case); unset is `false`.
fn flag(name: &'static str, value: Option<String>) -> Result<bool, StartupError> {
    match value {
        None => Ok(false),
        Some(value) if value.trim().eq_ignore_ascii_case("true") => Ok(true),
        Some(value) if value.trim().eq_ignore_ascii_case("false") => Ok(false),
        Some(value) => Err(StartupError::Setting {
            name,
            value,
            expected: "true or false",
        }),
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

/// The services of `function`: S3, SQS and Secrets Manager through the AWS SDK (whose
/// endpoint, region and credentials come from the usual `AWS_*` variables, so
/// `AWS_ENDPOINT_URL` points them at a local emulator).
pub async fn services(function: &Function) -> Result<Services, StartupError> {
    let env = Environment::read(function)?;
    services_with(&env, &aws_config().await).await
}

/// Runs an HTTP function: its services from `env`, then API Gateway's requests to the router
/// `routes` makes of them, each marked with the public URL it was reached at
/// ([`with_public_url`]).
pub async fn run_http(
    env: Environment,
    routes: fn(Services) -> axum::Router,
) -> Result<(), lambda_http::Error> {
    let services = services_with(&env, &aws_config().await).await?;
    lambda_http::run(with_public_url(routes(services), env.public_url)).await
}

/// `router`, each request given the [`PublicUrl`] it was reached at (the engine's `consent` and
/// `oauth-callback` build the OAuth redirect URI under it): `configured` when the deployment
/// names one, else `https://` and the domain API Gateway received the request on
/// (`requestContext.domainName`: the API's own execute-api domain, or a custom domain mapped
/// to it; API Gateway sets it, the caller cannot). A request without either (not from API
/// Gateway) gets none, and the configured redirect URI counts.
pub fn with_public_url(
    router: axum::Router,
    configured: Option<PublicUrl>,
) -> impl tower::Service<
    lambda_http::Request,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future: Send,
> + Clone {
    tower::ServiceExt::map_request(router, move |mut request: lambda_http::Request| {
        let public = configured.clone().or_else(|| request_domain(&request));
        if let Some(url) = public {
            request.extensions_mut().insert(url);
        }
        request
    })
}

/// `https://<requestContext.domainName>` of an API Gateway HTTP API request.
fn request_domain(request: &lambda_http::Request) -> Option<PublicUrl> {
    let Some(RequestContext::ApiGatewayV2(context)) = request.request_context_ref() else {
        return None;
    };
    let domain = context.domain_name.as_deref()?;
    match PublicUrl::of_domain(domain) {
        Ok(url) => Some(url),
        Err(e) => {
            tracing::warn!("ignoring the request's domain: {e}");
            None
        }
    }
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
    let resources = AwsResources {
        bucket: env.bucket.clone(),
        queue_url: env.queue_url.clone().unwrap_or_default(),
        dead_letter_queue_url: env.dead_letter_queue_url.clone().unwrap_or_default(),
    };
    // No compile cache directory: the library keeps compiled code in the bucket (shared by
    // every instance) and loaded plugins in memory, and never compiles through the host's
    // directory, so making and checking one on each cold start would be wasted.
    let plugins = PluginHost::new(env.plugin_limits, None)?;
    let app = tenure_app(env, config).await?;
    // Admins sign in at each national cloud's own login; the public URL is the request's.
    let admin = AdminAccess::new(env.operators.clone());
    let mut services = Services::aws(config, &resources, plugins)
        .with_tenure_app(app)
        .with_custom_endpoints(env.allow_custom_endpoints)
        .with_admin_access(admin);
    if let Some(margin) = env.provision_stop_margin {
        services.provision.stop_margin = margin;
    }
    Ok(services)
}

/// Tenure's app, its client secret read from Secrets Manager once per instance.
async fn tenure_app(
    env: &Environment,
    config: &SdkConfig,
) -> Result<Option<TenureApp>, StartupError> {
    let Some(app) = &env.app else {
        return Ok(None);
    };
    let fail = |message: String| StartupError::AppSecret {
        id: app.client_secret_id.clone(),
        message,
    };
    let out = aws_sdk_secretsmanager::Client::new(config)
        .get_secret_value()
        .secret_id(&app.client_secret_id)
        .send()
        .await
        .map_err(|e| fail(aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string()))?;
    let secret = out
        .secret_string()
        .ok_or_else(|| fail("the secret has no string value".to_owned()))?;
    Ok(Some(TenureApp {
        client_id: app.client_id.clone(),
        credential: ClientCredential::Secret(SecretString::from(secret.to_owned())),
        // Without a configured public URL, each request's own ([`with_public_url`]): provision
        // refreshes tokens, which needs no redirect URI.
        redirect_uri: env
            .public_url
            .as_ref()
            .map(PublicUrl::redirect_uri)
            .unwrap_or_default(),
    }))
}
