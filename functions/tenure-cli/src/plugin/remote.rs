//! `tenure plugin upload | activate`: a connection's plugin routes of a Tenure (`tenure serve` or
//! the deployed API) over HTTP, with an API token that is read from an environment variable or a
//! file and never printed. A plugin larger than one request through API Gateway carries
//! ([`LAMBDA_REQUEST_BYTES`]) goes through an upload URL instead.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use tenure::service::plugins::{LAMBDA_REQUEST_BYTES, TrialReport};

use crate::args::{PluginActivateArgs, PluginUploadArgs, RemoteArgs};

/// The upload's answer (`201`), as far as it is printed.
#[derive(Debug, Deserialize)]
struct Uploaded {
    sha256: String,
    size: u64,
    trial: TrialReport,
    activated: bool,
    already_uploaded: bool,
}

/// The activation's answer (`200`): the version's record.
#[derive(Debug, Deserialize)]
struct Activated {
    sha256: String,
    size: u64,
}

pub(crate) fn upload(args: PluginUploadArgs) -> Result<ExitCode> {
    let remote = &args.remote;
    let token = token(remote)?;
    let wasm = std::fs::read(&args.plugin)
        .with_context(|| format!("cannot read plugin {}", args.plugin.display()))?;
    let activate = !args.no_activate;
    let staged = wasm.len() > LAMBDA_REQUEST_BYTES;
    let body = if staged {
        upload_in_two_steps(remote, &token, wasm, activate)?
    } else {
        let path = format!("plugins?activate={activate}");
        let request = move |client: &reqwest::Client, url: &str| {
            client
                .post(url)
                .header(CONTENT_TYPE, "application/wasm")
                .body(wasm)
        };
        send(remote, &token, &path, StatusCode::CREATED, request)?
    };
    let uploaded: Uploaded = serde_json::from_str(&body).with_context(|| {
        format!(
            "{} answered with a body that is not an upload's",
            remote.url
        )
    })?;
    if staged {
        println!(
            "{}: {} bytes, more than one request through API Gateway carries: sent through an \
             upload URL",
            args.plugin.display(),
            uploaded.size
        );
    }
    print_uploaded(&args, &uploaded);
    Ok(ExitCode::SUCCESS)
}

/// The upload URL Tenure issued (`201` of `POST …/plugins/uploads`).
#[derive(Deserialize)]
struct Issued {
    upload: String,
    url: String,
    headers: BTreeMap<String, String>,
}

/// An upload URL for the plugin's size, the bytes to it, then the upload's checks on what
/// arrived (`POST …/plugins/uploads`, `PUT <url>`, `POST …/plugins/uploads/{upload}`); gives
/// the last answer's body.
fn upload_in_two_steps(
    remote: &RemoteArgs,
    token: &SecretString,
    wasm: Vec<u8>,
    activate: bool,
) -> Result<String> {
    let size = wasm.len();
    let asked = send(
        remote,
        token,
        "plugins/uploads",
        StatusCode::CREATED,
        |client, url| client.post(url).json(&serde_json::json!({ "bytes": size })),
    )?;
    let issued: Issued = serde_json::from_str(&asked).with_context(|| {
        format!(
            "{} answered with a body that is not an upload URL",
            remote.url
        )
    })?;
    put_bytes(remote, token, &issued, wasm)?;
    let path = format!("plugins/uploads/{}?activate={activate}", issued.upload);
    send(remote, token, &path, StatusCode::CREATED, |client, url| {
        client.post(url)
    })
}

/// `PUT`s the bytes where the upload URL says: an absolute URL (S3, presigned) with exactly the
/// headers listed and none of Tenure's credentials; a path under the API (`tenure serve`) with
/// the token. The URL is never printed (a presigned URL is a credential until it expires).
fn put_bytes(
    remote: &RemoteArgs,
    token: &SecretString,
    issued: &Issued,
    wasm: Vec<u8>,
) -> Result<()> {
    let absolute = issued.url.starts_with("https://") || issued.url.starts_with("http://");
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let mut request = if absolute {
            client.put(&issued.url)
        } else {
            let base = remote.url.trim_end_matches('/');
            client
                .put(format!("{base}{}", issued.url))
                .header(AUTHORIZATION, format!("Bearer {}", token.expose_secret()))
                .header(CONTENT_TYPE, "application/wasm")
        };
        for (name, value) in &issued.headers {
            request = request.header(name, value);
        }
        let answer = request
            .body(wasm)
            .send()
            .await
            .context("sending the plugin to its upload URL got no answer")?;
        let status = answer.status();
        if status.is_success() {
            return Ok(());
        }
        // S3's refusals can quote the signed request, credentials included: never shown.
        let said = if absolute {
            String::new()
        } else {
            let text = answer.text().await.unwrap_or_default();
            format!(" It said: {}", text.chars().take(300).collect::<String>())
        };
        bail!("the upload URL refused the plugin ({status}); nothing was uploaded.{said}")
    })
}

pub(crate) fn activate(args: PluginActivateArgs) -> Result<ExitCode> {
    let remote = &args.remote;
    let token = token(remote)?;
    let path = format!("plugins/{}/activate", args.sha256);
    let body = send(remote, &token, &path, StatusCode::OK, |client, url| {
        client.post(url)
    })?;
    let activated: Activated = serde_json::from_str(&body).with_context(|| {
        format!(
            "{} answered with a body that is not a version's",
            remote.url
        )
    })?;
    println!(
        "connection {}: the plugin {} ({} bytes) is active: its runs use it from now on",
        remote.connection, activated.sha256, activated.size
    );
    Ok(ExitCode::SUCCESS)
}

/// Sends the request `build` makes for `<url>/connections/<id>/<path>` with the token, and gives
/// the answer's body when its status is `expected`; else an error with the status, what it
/// means, and the server's own message.
fn send(
    remote: &RemoteArgs,
    token: &SecretString,
    path: &str,
    expected: StatusCode,
    build: impl FnOnce(&reqwest::Client, &str) -> reqwest::RequestBuilder,
) -> Result<String> {
    let base = remote.url.trim_end_matches('/');
    let url = format!("{base}/connections/{}/{path}", remote.connection);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let (status, retry_after, body) = runtime.block_on(async {
        let client = reqwest::Client::new();
        let answer = build(&client, &url)
            .header(AUTHORIZATION, format!("Bearer {}", token.expose_secret()))
            .send()
            .await
            .with_context(|| {
                format!(
                    "no answer from {base}: is Tenure there? (A server may also close the \
                     connection on a request larger than it takes.)"
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
    if status != expected {
        bail!(refusal(remote, status, retry_after.as_deref(), &body));
    }
    Ok(body)
}

/// The token: the file's first line, else the environment variable, trimmed.
fn token(remote: &RemoteArgs) -> Result<SecretString> {
    let (text, origin) = match &remote.token_file {
        Some(file) => (
            std::fs::read_to_string(file)
                .with_context(|| format!("cannot read the token file {}", file.display()))?,
            format!("the token file {}", file.display()),
        ),
        None => (
            std::env::var(&remote.token_env).unwrap_or_default(),
            format!("the environment variable {}", remote.token_env),
        ),
    };
    let token = text.lines().next().unwrap_or_default().trim();
    if token.is_empty() {
        bail!(
            "no API token in {origin}: make one with the plugins:write scope for connection {} \
             (the console's API tokens, or POST /connections/{}/tokens as a signed-in \
             administrator), then put it there",
            remote.connection,
            remote.connection
        );
    }
    Ok(SecretString::from(token.to_owned()))
}

/// What a refusal says: the status, what it means here, and the server's own message.
fn refusal(
    remote: &RemoteArgs,
    status: StatusCode,
    retry_after: Option<&str>,
    body: &str,
) -> String {
    let message = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(500).collect());
    let connection = &remote.connection;
    let meaning = match status {
        StatusCode::UNAUTHORIZED => format!(
            "the API token was not accepted (wrong, expired or revoked): make a new one with the \
             plugins:write scope for connection {connection}"
        ),
        StatusCode::FORBIDDEN => format!(
            "the API token may not change connection {connection}'s plugins: it needs the \
             plugins:write scope, and must be one of that connection's tokens"
        ),
        StatusCode::NOT_FOUND => format!(
            "no connection {connection} at {}, or no such version of its plugin",
            remote.url
        ),
        StatusCode::PAYLOAD_TOO_LARGE => "the plugin is larger than this Tenure accepts".to_owned(),
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
            "the plugin was refused (tenure plugin check runs the same checks offline)".to_owned()
        }
        StatusCode::CONFLICT => "the plugin was stored but not activated: the connection has \
                                 no mapping settings yet (tenure connect mapping, or the \
                                 console)"
            .to_owned(),
        StatusCode::TOO_MANY_REQUESTS => format!(
            "too many uploads to connection {connection} for now: try again in {} seconds",
            retry_after.unwrap_or("a few")
        ),
        _ => "the request failed".to_owned(),
    };
    format!(
        "{} refused ({status}): {meaning}. It said: {message}",
        remote.url
    )
}

fn print_uploaded(args: &PluginUploadArgs, uploaded: &Uploaded) {
    let connection = &args.remote.connection;
    println!(
        "{}: uploaded to connection {connection} ({} bytes, sha256 {}){}",
        args.plugin.display(),
        uploaded.size,
        uploaded.sha256,
        if uploaded.already_uploaded {
            "; these bytes had been uploaded before"
        } else {
            ""
        }
    );
    super::print_trial(&uploaded.trial);
    if uploaded.activated {
        println!("  active: the connection's runs use it from now on");
    } else {
        println!(
            "  stored, not active: tenure plugin activate {} --connection {connection} … uses it",
            uploaded.sha256
        );
    }
}
