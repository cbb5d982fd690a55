//! `tenure connect webhook-key | mapping | hr-export | exchange`: what a connection needs beyond its
//! credentials before `tenure serve` (or the Lambda functions) can work for it.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use secrecy::ExposeSecret as _;
use tenure::connect::{ExchangeChange, set_exchange};
use tenure::microsoft::ClientOptions;
use tenure::names::Upn;
use tenure::service::settings::PluginChoice;
use tenure::store::connections::Connection;
use tenure::store::objects::{Condition, ObjectKey};

use crate::args::{
    ExchangeArgs, ExistingConnectionArgs, HrExportArgs, MappingSettingsArgs, WebhookKeyArgs,
};
use crate::state::{Stores, state_dir};

async fn open(args: &ExistingConnectionArgs) -> Result<(Stores, Connection)> {
    let stores = Stores::open(&state_dir(args.state.state_dir.as_deref())?)?;
    let connection = stores.connection(&args.id).await?;
    Ok((stores, connection))
}

/// A new random key, written to a new owner-only file, then kept in the secret store.
pub(crate) async fn webhook_key(args: WebhookKeyArgs) -> Result<ExitCode> {
    let (stores, connection) = open(&args.connection).await?;
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&args.key_file)
        .with_context(|| {
            format!(
                "cannot create {} for the key (it must not exist yet)",
                args.key_file.display()
            )
        })?;
    let key = tenure::connect::new_webhook_key();
    file.write_all(key.expose_secret().as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", args.key_file.display()))?;
    tenure::connect::keep_webhook_key(stores.secrets.as_ref(), &connection.id, &key).await?;
    println!(
        "Webhook key of connection {} written to {} (owner-only). Give it to the HR system as \
         the HMAC-SHA256 signing key of POST /connections/{}/hr-events, then delete the file.",
        connection.id,
        args.key_file.display(),
        connection.id
    );
    Ok(ExitCode::SUCCESS)
}

/// Checks the configuration with the connection's plugin and stores it, and the guard's share
/// when given ([`tenure::service::mapping::save`], as the console does); an activated uploaded
/// plugin stays.
pub(crate) async fn mapping(args: MappingSettingsArgs) -> Result<ExitCode> {
    let (_, connection) = open(&args.connection).await?;
    let text = fs::read_to_string(&args.config)
        .with_context(|| format!("cannot read mapper configuration {}", args.config.display()))?;
    let config = tenure::service::mapping::parse(&text)
        .with_context(|| format!("{} is not usable", args.config.display()))?;
    let state = state_dir(args.connection.state.state_dir.as_deref())?;
    let services = crate::serve::local_services(&state)?;
    let settings =
        tenure::service::mapping::save(&services, &connection.id, config, args.max_disable_share)
            .await
            .with_context(|| format!("{} was not stored", args.config.display()))?;
    println!(
        "Mapping of connection {} stored ({}).",
        connection.id,
        match &settings.plugin {
            PluginChoice::Standard => "the standard mapper".to_owned(),
            PluginChoice::Uploaded { sha256 } => format!("uploaded plugin {sha256}"),
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// Checks the export with the HR readers, then stores it where scheduled syncs read it.
pub(crate) async fn hr_export(args: HrExportArgs) -> Result<ExitCode> {
    let (stores, connection) = open(&args.connection).await?;
    let extension = match args.file.extension().and_then(|e| e.to_str()) {
        Some("csv") => "csv",
        Some("json") => "json",
        _ => anyhow::bail!("{} must be a .csv or .json HR export", args.file.display()),
    };
    let batch = tenure::hr::read_file(&args.file)?;
    let bytes =
        fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    // Only one export per connection: a CSV replaces a JSON one and the other way round.
    for other in ["csv", "json"] {
        let key = ObjectKey::parse(&format!("connections/{}/hr/workers.{other}", connection.id))?;
        if other == extension {
            stores
                .objects
                .put(&key, bytes.clone(), Condition::Always)
                .await?;
        } else {
            stores.objects.delete(&key).await?;
        }
    }
    println!(
        "HR export of connection {} stored: {} workers ({} set aside by the HR checks).",
        connection.id,
        batch.workers.len(),
        batch.quarantined.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Exchange Online on (proved first) or off, through the engine's `set_exchange`.
pub(crate) async fn exchange(args: ExchangeArgs) -> Result<ExitCode> {
    let (stores, connection) = open(&args.connection).await?;
    let change = match &args.anchor {
        Some(anchor) if !args.disable => ExchangeChange::Enable {
            anchor: Upn::parse(anchor).context("--anchor")?,
        },
        _ => ExchangeChange::Disable,
    };
    let app = crate::state::tenure_app("");
    let kept = set_exchange(
        &stores.connections,
        Arc::clone(&stores.secrets),
        app.as_ref(),
        &connection.id,
        change,
        ClientOptions::default(),
        jiff::Timestamp::now(),
    )
    .await
    .with_context(|| {
        format!(
            "Exchange Online was not set for connection {}",
            connection.id
        )
    })?;
    match &kept.exchange.anchor_upn {
        Some(anchor) if kept.exchange.enabled => println!(
            "Exchange Online is on for {}: Get-Mailbox answered through {anchor}.",
            kept.id
        ),
        _ => println!("Exchange Online is off for {}.", kept.id),
    }
    Ok(ExitCode::SUCCESS)
}
