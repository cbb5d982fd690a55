//! `tenure connect`: make a connection to a tenant and prove it works.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use secrecy::SecretString;
use tenure::auth::OidcVerifier;
use tenure::connect::{
    Callback, CustomerSecret, LINK_LIFETIME, LinkOwner, Linked, connect_customer_app, finish_link,
    prove, save_connection, start_link, token_source,
};
use tenure::microsoft::ClientOptions;
use tenure::names::Upn;
use tenure::store::connections::{
    BaseUrl, ClientId, Connection, ConnectionId, ConnectionName, ConnectionStatus, ConnectionStore,
    ConnectionType, CustomerCredential, EndpointOverrides, TenantId,
};
use tokio::sync::mpsc;

use crate::args::{ConnectArgs, ConnectKind, CustomerAppArgs, LinkArgs, NewConnectionArgs};
use crate::state::{Stores, state_dir, tenure_app};

pub(crate) fn connect(args: ConnectArgs) -> Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        match args.kind {
            ConnectKind::CustomerApp(args) => customer_app(args).await,
            ConnectKind::Link(args) => link(args).await,
            ConnectKind::List(args) => {
                let stores = Stores::open(&state_dir(args.state_dir.as_deref())?)?;
                list(&stores).await
            }
            ConnectKind::WebhookKey(args) => crate::settings::webhook_key(args).await,
            ConnectKind::Mapping(args) => crate::settings::mapping(args).await,
            ConnectKind::HrExport(args) => crate::settings::hr_export(args).await,
            ConnectKind::Exchange(args) => crate::settings::exchange(args).await,
        }
    })
}

/// The record for a new connection, from the flags: its id is `--id`, or made from `--name`.
fn record(args: &NewConnectionArgs, app: ConnectionType, client_id: &str) -> Result<Connection> {
    let name = args
        .name
        .as_deref()
        .map(ConnectionName::parse)
        .transpose()
        .context("--name")?;
    let id = match (&args.id, &name) {
        (Some(id), _) => ConnectionId::parse_new(id).context("--id")?,
        (None, Some(name)) => ConnectionId::from_name(name),
        (None, None) => anyhow::bail!("give the connection an --id or a --name"),
    };
    let mut connection = Connection::new(
        id,
        app,
        args.cloud,
        TenantId::parse(&args.tenant)?,
        ClientId::parse(client_id)?,
        jiff::Timestamp::now(),
    );
    connection.name = name;
    if let Some(url) = &args.endpoint {
        connection.endpoints = EndpointOverrides::all_at(&BaseUrl::parse(url)?);
    }
    if let Some(anchor) = &args.exchange_anchor {
        connection.exchange.enabled = true;
        connection.exchange.anchor_upn = Some(Upn::parse(anchor)?);
    }
    Ok(connection)
}

async fn customer_app(args: CustomerAppArgs) -> Result<ExitCode> {
    let secret = match (&args.client_secret_env, &args.certificate, &args.key) {
        (Some(variable), None, None) => {
            CustomerSecret::ClientSecret(SecretString::from(std::env::var(variable).with_context(
                || format!("set {variable} to the app's client secret (it is read from the environment only)"),
            )?))
        }
        (None, Some(certificate), Some(key)) => CustomerSecret::Certificate {
            certificate_pem: std::fs::read_to_string(certificate)
                .with_context(|| format!("cannot read the certificate {}", certificate.display()))?,
            private_key: SecretString::from(
                std::fs::read_to_string(key)
                    .with_context(|| format!("cannot read the private key {}", key.display()))?,
            ),
        },
        _ => anyhow::bail!(
            "give the app's credential: --client-secret-env VAR, or --certificate CERT.pem with --key KEY.pem"
        ),
    };
    let credential = match &secret {
        CustomerSecret::ClientSecret(_) => CustomerCredential::ClientSecret,
        CustomerSecret::Certificate { .. } => CustomerCredential::Certificate,
    };
    let connection = record(
        &args.connection,
        ConnectionType::CustomerApp { credential },
        &args.client_id,
    )?;
    let connection_id = connection.id.clone();
    let stores = Stores::open(&state_dir(args.connection.state.state_dir.as_deref())?)?;
    let connected = connect_customer_app(
        connection,
        secret,
        &stores.connections,
        Arc::clone(&stores.secrets),
        ClientOptions::default(),
        jiff::Timestamp::now(),
    )
    .await
    .with_context(|| {
        format!(
            "connection {} was kept, but it does not work",
            connection_id
        )
    })?;
    println!(
        "Connection {} is linked: app {} in tenant {} ({} cloud){}",
        connected.connection.id,
        connected.connection.client_id,
        connected.connection.tenant_id,
        connected.connection.cloud,
        if connected.exchange.is_some() {
            ", Exchange Online checked"
        } else {
            ""
        }
    );
    println!(
        "Sync it with: tenure sync --connection {} …",
        connected.connection.id
    );
    Ok(ExitCode::SUCCESS)
}

async fn link(args: LinkArgs) -> Result<ExitCode> {
    let redirect_uri = format!("http://127.0.0.1:{}/callback", args.port);
    let app = tenure_app(&redirect_uri).context(
        "set TENURE_APP_CLIENT_ID and TENURE_APP_CLIENT_SECRET to Tenure's app registration",
    )?;
    let stores = Stores::open(&state_dir(args.connection.state.state_dir.as_deref())?)?;
    let connection = record(&args.connection, ConnectionType::TenureApp, &app.client_id)?;
    save_connection(&stores.connections, &connection).await?;
    let (callbacks, mut received) = mpsc::channel(4);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .with_context(|| {
            format!(
                "cannot listen on 127.0.0.1:{} for Microsoft's redirect",
                args.port
            )
        })?;
    let server = tokio::spawn(callback_server(listener, callbacks));
    let start = start_link(
        &app,
        &connection,
        stores.secrets.as_ref(),
        LinkOwner::Operator,
        jiff::Timestamp::now(),
    )
    .await?;
    println!(
        "Open this address as an administrator of {} to link Tenure:",
        connection.tenant_id
    );
    println!("{}", start.authorize_url);
    let callback = next_callback(&mut received).await?;
    let verifier = OidcVerifier::new();
    let linked = finish_link(
        &app,
        &callback,
        &stores.connections,
        stores.secrets.as_ref(),
        LinkOwner::Operator,
        &verifier,
        jiff::Timestamp::now(),
    )
    .await?;
    let connection = match linked {
        Linked::SignedIn { connection } => connection,
        Linked::ApprovalRequested { connection } => anyhow::bail!(
            "whoever signed in may not grant Tenure's app its permissions and asked the administrators of {} to approve it: once one has, link again as an administrator",
            connection.tenant_id
        ),
        Linked::Consented { .. } => {
            anyhow::bail!("expected the sign-in first, got the admin consent")
        }
    };
    println!(
        "Signed in: Tenure holds a refresh token for {}.",
        connection.tenant_id
    );
    if !args.skip_admin_consent {
        println!("Now consent for the whole organisation at:");
        println!("{}", start.admin_consent_url);
        let callback = next_callback(&mut received).await?;
        match finish_link(
            &app,
            &callback,
            &stores.connections,
            stores.secrets.as_ref(),
            LinkOwner::Operator,
            &verifier,
            jiff::Timestamp::now(),
        )
        .await?
        {
            Linked::Consented { .. } => println!("Consent granted for {}.", connection.tenant_id),
            Linked::SignedIn { .. } | Linked::ApprovalRequested { .. } => {
                anyhow::bail!("expected the admin consent")
            }
        }
    }
    server.abort();
    let tokens =
        Arc::new(token_source(&connection, Arc::clone(&stores.secrets), Some(&app)).await?);
    let proof = prove(&connection, tokens, ClientOptions::default()).await;
    if let Err(error) = &proof {
        let failed = ConnectionStatus::Failed {
            reason: error.to_string(),
        };
        tenure::connect::set_status(
            &stores.connections,
            &connection.id,
            failed,
            jiff::Timestamp::now(),
        )
        .await?;
    }
    proof.with_context(|| format!("connection {} is linked but does not work", connection.id))?;
    println!("Connection {} is linked.", connection.id);
    println!("Sync it with: tenure sync --connection {} …", connection.id);
    Ok(ExitCode::SUCCESS)
}

/// The next answer Microsoft sends the administrator back with, within a link's lifetime.
async fn next_callback(received: &mut mpsc::Receiver<Callback>) -> Result<Callback> {
    let wait = std::time::Duration::try_from(LINK_LIFETIME).unwrap_or_default();
    tokio::time::timeout(wait, received.recv())
        .await
        .context("nobody signed in within ten minutes: run tenure connect link again")?
        .context("the callback listener stopped")
}

/// Answers `GET /callback` on the loopback port: hands the query on and tells the browser.
async fn callback_server(listener: tokio::net::TcpListener, callbacks: mpsc::Sender<Callback>) {
    use axum::extract::RawQuery;
    use axum::response::Html;
    let app = axum::Router::new().route(
        "/callback",
        axum::routing::get(move |RawQuery(query): RawQuery| {
            let callbacks = callbacks.clone();
            async move {
                let callback = Callback::from_query(query.as_deref().unwrap_or_default());
                let _ = callbacks.send(callback).await;
                Html("<!doctype html><title>Tenure</title><p>Tenure got Microsoft's answer. You can close this window and return to the terminal.</p>")
            }
        }),
    );
    let _ = axum::serve(listener, app).await;
}

async fn list(stores: &Stores) -> Result<ExitCode> {
    let ids = stores.connections.list().await?;
    if ids.is_empty() {
        println!(
            "No connections yet: make one with tenure connect customer-app or tenure connect link."
        );
    }
    for id in ids {
        match stores.connections.get(&id).await {
            Ok(Some((c, _))) => {
                let kind = match c.app {
                    ConnectionType::TenureApp => "Tenure's app".to_owned(),
                    ConnectionType::CustomerApp { credential } => format!(
                        "customer app ({})",
                        match credential {
                            CustomerCredential::ClientSecret => "client secret",
                            CustomerCredential::Certificate => "certificate",
                        }
                    ),
                };
                let status = match &c.status {
                    ConnectionStatus::Pending => "pending".to_owned(),
                    ConnectionStatus::Linked => "linked".to_owned(),
                    ConnectionStatus::AwaitingAdminApproval { requested_by, .. } => {
                        format!("awaiting admin approval (asked by {requested_by})")
                    }
                    ConnectionStatus::NeedsRelink { reason } => format!("needs re-link: {reason}"),
                    ConnectionStatus::Failed { reason } => format!("failed: {reason}"),
                };
                println!(
                    "{id}\t{}\t{}\t{} cloud\t{kind}\t{status}",
                    c.display_name(),
                    c.tenant_id,
                    c.cloud
                );
            }
            Ok(None) => {}
            Err(error) => println!("{id}\tunreadable: {error}"),
        }
    }
    Ok(ExitCode::SUCCESS)
}
