//! `tenure plugin upload`: a plugin sent to a connection's `POST /connections/{id}/plugins`
//! (`tenure serve` or the deployed API) with an API token, which is read from an environment
//! variable or a file and never printed.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::args::PluginUploadArgs;

/// The upload's answer (`201`), as far as it is printed.
#[derive(Debug, Deserialize)]
struct Uploaded {
    sha256: String,
    size: u64,
    trial: Trial,
    activated: bool,
    already_uploaded: bool,
}

#[derive(Debug, Deserialize)]
struct Trial {
    source: String,
    workers_tried: usize,
    workers_mapped: usize,
    workers_refused: usize,
    fuel_consumed: u64,
}

pub(crate) fn upload(args: PluginUploadArgs) -> Result<ExitCode> {
    let token = token(&args)?;
    let wasm = std::fs::read(&args.plugin)
        .with_context(|| format!("cannot read plugin {}", args.plugin.display()))?;
    let base = args.url.trim_end_matches('/');
    let url = format!(
        "{base}/connections/{}/plugins?activate={}",
        args.connection, !args.no_activate
    );
    let size = wasm.len();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let response = runtime.block_on(async {
        let answer = reqwest::Client::new()
            .post(&url)
            .header(AUTHORIZATION, format!("Bearer {}", token.expose_secret()))
            .header(CONTENT_TYPE, "application/wasm")
            .body(wasm)
            .send()
            .await
            .with_context(|| {
                format!(
                    "the upload to {base} got no answer (is Tenure there? a server may also \
                     close the connection on a plugin larger than it takes: this one is {size} \
                     bytes)"
                )
            })?;
        let status = answer.status();
        let retry_after = answer
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = answer
            .text()
            .await
            .with_context(|| format!("the answer from {base} could not be read"))?;
        anyhow::Ok((status, retry_after, body))
    })?;
    let (status, retry_after, body) = response;
    if status != StatusCode::CREATED {
        bail!(refusal(&args, status, retry_after.as_deref(), &body));
    }
    let uploaded: Uploaded = serde_json::from_str(&body)
        .with_context(|| format!("{base} answered 201 with a body that is not an upload's"))?;
    print_uploaded(&args, &uploaded);
    Ok(ExitCode::SUCCESS)
}

/// The token: the file's first line, else the environment variable, trimmed.
fn token(args: &PluginUploadArgs) -> Result<SecretString> {
    let (text, origin) = match &args.token_file {
        Some(file) => (
            std::fs::read_to_string(file)
                .with_context(|| format!("cannot read the token file {}", file.display()))?,
            format!("the token file {}", file.display()),
        ),
        None => (
            std::env::var(&args.token_env).unwrap_or_default(),
            format!("the environment variable {}", args.token_env),
        ),
    };
    let token = text.lines().next().unwrap_or_default().trim();
    if token.is_empty() {
        bail!(
            "no API token in {origin}: make one with the plugins:write scope for connection {} \
             (the console's API tokens, or POST /connections/{}/tokens as a signed-in \
             administrator), then put it there",
            args.connection,
            args.connection
        );
    }
    Ok(SecretString::from(token.to_owned()))
}

/// What a refused upload says: the status, what it means here, and the server's own message.
fn refusal(
    args: &PluginUploadArgs,
    status: StatusCode,
    retry_after: Option<&str>,
    body: &str,
) -> String {
    let message = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(500).collect());
    let connection = &args.connection;
    let meaning = match status {
        StatusCode::UNAUTHORIZED => format!(
            "the API token was not accepted (wrong, expired or revoked): make a new one with the \
             plugins:write scope for connection {connection}"
        ),
        StatusCode::FORBIDDEN => format!(
            "the API token may not upload plugins to connection {connection}: it needs the \
             plugins:write scope, and must be one of that connection's tokens"
        ),
        StatusCode::NOT_FOUND => format!("no connection {connection} at {}", args.url),
        StatusCode::PAYLOAD_TOO_LARGE => "the plugin is larger than this Tenure accepts".to_owned(),
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
            "the plugin was refused (tenure plugin check runs the same checks offline)".to_owned()
        }
        StatusCode::CONFLICT => {
            "the plugin was stored but not activated: the connection has no mapping settings \
             yet (tenure connect mapping, or the console)"
                .to_owned()
        }
        StatusCode::TOO_MANY_REQUESTS => format!(
            "too many uploads to connection {connection} for now: try again in {} seconds",
            retry_after.unwrap_or("a few")
        ),
        _ => "the upload failed".to_owned(),
    };
    format!(
        "{} refused the upload ({status}): {meaning}. It said: {message}",
        args.url
    )
}

fn print_uploaded(args: &PluginUploadArgs, uploaded: &Uploaded) {
    println!(
        "{}: uploaded to connection {} ({} bytes, sha256 {}){}",
        args.plugin.display(),
        args.connection,
        uploaded.size,
        uploaded.sha256,
        if uploaded.already_uploaded {
            "; these bytes had been uploaded before"
        } else {
            ""
        }
    );
    let trial = &uploaded.trial;
    println!(
        "  trial: {} sample workers from {}: {} mapped, {} refused with the plugin's own reason; \
         fuel used {}",
        trial.workers_tried,
        trial.source,
        trial.workers_mapped,
        trial.workers_refused,
        trial.fuel_consumed
    );
    if uploaded.activated {
        println!("  active: the connection's runs use it from now on");
    } else {
        println!(
            "  stored, not active: POST /connections/{}/plugins/{}/activate to use it",
            args.connection, uploaded.sha256
        );
    }
}
