//! `tenure serve`: every function of Tenure on one local port, over the local stores, with an
//! in-process queue between the webhook (and the scheduler) and provisioning.

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use tenure::auth::{AdminAccess, Operators};
use tenure::microsoft::NationalCloud;
use tenure::plugin::{PluginHost, SandboxLimits};
use tenure::service::http::PublicUrl;
use tenure::service::{Services, http, provision, schedule};

use crate::args::ServeArgs;
use crate::state::{open_store_dir, state_dir, tenure_app};

/// Most messages provisioned together.
const BATCH: usize = 10;
/// How long the provisioning loop waits for work before asking again.
const POLL: Duration = Duration::from_secs(1);

pub(crate) fn serve(args: ServeArgs) -> Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(run(args))
}

async fn run(args: ServeArgs) -> Result<ExitCode> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in a log file or a pipe.
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    let state = state_dir(args.state.state_dir.as_deref())?;
    // One trailing slash less, so that the routes printed and the redirect URI have one slash.
    let given_url = args
        .public_url
        .as_deref()
        .map(|url| url.trim_end_matches('/').to_owned());
    if let Some(url) = &given_url {
        anyhow::ensure!(
            url.starts_with("http://") || url.starts_with("https://"),
            "--public-url {url:?} must be an http:// or https:// URL"
        );
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let listening = format!("http://{}", listener.local_addr()?);
    let public_url = given_url.unwrap_or_else(|| listening.clone());
    let admin = admin_access(&args, &public_url)?;
    let mut services = services(&state, &public_url)?.with_admin_access(admin);
    services.uploads.max_request_bytes = args.max_request_bytes;

    let app = axum::Router::new()
        .route("/health", axum::routing::get(|| async { "ok\n" }))
        .merge(http::webhook_routes(services.clone()))
        .merge(http::consent_routes(services.clone()))
        .merge(http::callback_routes(services.clone()))
        .merge(http::plugin_routes(services.clone()))
        .merge(http::sign_in_routes(services.clone()))
        .merge(http::admin_api_routes(services.clone()))
        .merge(tenure::console::console_routes(services.clone()));
    tokio::spawn(provision_loop(services.clone()));
    if let Some(every) = args.sync_every {
        tokio::spawn(schedule_loop(services.clone(), every));
    }
    // With a public URL the port actually bound is named too (it may have been port 0).
    let behind = if public_url == listening {
        String::new()
    } else {
        format!(", listening on {listening}")
    };
    println!(
        "Tenure is serving on {public_url}{behind} (state in {})",
        state.display()
    );
    println!("  POST {public_url}/connections/<id>/hr-events   HR webhooks");
    println!("  GET  {public_url}/connections/<id>/consent     link Tenure's app");
    println!("  GET  {public_url}/oauth/callback               Microsoft's redirect");
    println!("  POST {public_url}/connections/<id>/plugins     upload a mapping plugin");
    println!("  GET  {public_url}/signin                       administrators sign in");
    println!("  GET  {public_url}/console                      the admin console");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("the server failed")?;
    Ok(ExitCode::SUCCESS)
}

/// Who may sign in where: the operators, the public URL, and for local use the emulated
/// tenant as the global cloud's login.
fn admin_access(args: &ServeArgs, public_url: &str) -> Result<AdminAccess> {
    let operators = Operators::parse(args.operators.as_deref().unwrap_or_default())
        .context("--operators (TENURE_OPERATORS)")?;
    let mut access = AdminAccess::new(operators)
        .with_public_url(PublicUrl::parse(public_url).context("--public-url")?);
    if let Some(authority) = &args.sign_in_authority {
        let url = PublicUrl::parse(authority).context("--sign-in-authority")?;
        access = access.with_authority(NationalCloud::Global, url.as_str());
    }
    Ok(access)
}

/// The local stores, an in-process queue, and Tenure's app when the environment names one.
pub(crate) fn services(state: &std::path::Path, public_url: &str) -> Result<Services> {
    let redirect_uri = format!("{public_url}/oauth/callback");
    Ok(local_services(state)?.with_tenure_app(tenure_app(&redirect_uri)))
}

/// The local stores, an in-process queue and the plugin host with its cache under `state`.
pub(crate) fn local_services(state: &std::path::Path) -> Result<Services> {
    let plugins = PluginHost::new(SandboxLimits::default(), Some(state.join("plugin-cache")))
        .context("cannot start the plugin host")?;
    let data = open_store_dir(state)?;
    Ok(Services::local(&data, plugins)?)
}

/// Provisions queued work as it comes; a failure is logged and the work tried again later.
async fn provision_loop(services: Services) {
    loop {
        match provision::drain(&services, BATCH, POLL).await {
            Ok(_) => {}
            Err(error) => {
                tracing::error!("provisioning failed: {}", tenure::error_text(&error));
                tokio::time::sleep(POLL).await;
            }
        }
    }
}

/// Queues a full reconcile of every connection every `every`.
async fn schedule_loop(services: Services, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        match schedule::schedule_all(&services).await {
            Ok(all) => tracing::info!(
                scheduled = all.scheduled.len(),
                skipped = all.skipped.len(),
                failed = all.failed.len(),
                "scheduled sync of every connection queued"
            ),
            Err(error) => tracing::error!("scheduled sync failed: {error}"),
        }
    }
}
