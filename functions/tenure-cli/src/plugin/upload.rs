//! `tenure plugin upload`: a plugin sent to a connection's `POST /connections/{id}/plugins`
//! (`tenure serve` or the deployed API) with an API token, which is read from an environment
//! variable or a file and never printed. A plugin larger than one request through API Gateway
//! carries ([`LAMBDA_REQUEST_BYTES`]) goes through an upload URL instead.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use tenure::service::plugins::LAMBDA_REQUEST_BYTES;

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
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let server = Server {
        base: args.url.trim_end_matches('/').to_owned(),
        connection: args.connection.clone(),
        token,
        client: reqwest::Client::new(),
    };
    let activate = !args.no_activate;
    let staged = wasm.len() > LAMBDA_REQUEST_BYTES;
    let answer = runtime.block_on(async {
        if staged {
            server.upload_in_two_steps(wasm, activate).await
        } else {
            server.upload_in_one_request(wasm, activate).await
        }
    })?;
    if answer.status != StatusCode::CREATED {
        bail!(refusal(
            &args,
            answer.status,
            answer.retry_after.as_deref(),
            &answer.body
        ));
    }
    let uploaded: Uploaded = serde_json::from_str(&answer.body).with_context(|| {
        format!(
            "{} answered 201 with a body that is not an upload's",
            server.base
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

/// A Tenure's plugin routes for one connection, reached with an API token.
struct Server {
    base: String,
    connection: String,
    token: SecretString,
    client: reqwest::Client,
}

/// An answer as far as it is needed: status, `Retry-After`, body.
struct Answer {
    status: StatusCode,
    retry_after: Option<String>,
    body: String,
}

/// The upload URL Tenure issued (`201` of `POST …/plugins/uploads`).
#[derive(Deserialize)]
struct Issued {
    upload: String,
    url: String,
    headers: std::collections::BTreeMap<String, String>,
}

impl Server {
    /// `POST /connections/{id}/plugins` with the plugin as the body.
    async fn upload_in_one_request(&self, wasm: Vec<u8>, activate: bool) -> Result<Answer> {
        let size = wasm.len();
        let request = self
            .client
            .post(self.plugins(&format!("?activate={activate}")))
            .header(CONTENT_TYPE, "application/wasm")
            .body(wasm);
        self.send(request, || {
            format!(
                "the upload to {} got no answer (is Tenure there? a server may also close the \
                 connection on a plugin larger than it takes: this one is {size} bytes)",
                self.base
            )
        })
        .await
    }

    /// An upload URL for the plugin's size, the bytes to it, then the upload's checks on what
    /// arrived (`POST …/plugins/uploads`, `PUT <url>`, `POST …/plugins/uploads/{upload}`). An
    /// answer other than `201` from the first or last step is the answer.
    async fn upload_in_two_steps(&self, wasm: Vec<u8>, activate: bool) -> Result<Answer> {
        let size = wasm.len();
        let request = self
            .client
            .post(self.plugins("/uploads"))
            .json(&serde_json::json!({ "bytes": size }));
        let asked = self
            .send(request, || {
                format!("asking {} for an upload URL got no answer", self.base)
            })
            .await?;
        if asked.status != StatusCode::CREATED {
            return Ok(asked);
        }
        let issued: Issued = serde_json::from_str(&asked.body).with_context(|| {
            format!(
                "{} answered 201 with a body that is not an upload URL",
                self.base
            )
        })?;
        self.put_bytes(&issued, wasm).await?;
        let request = self
            .client
            .post(self.plugins(&format!("/uploads/{}?activate={activate}", issued.upload)));
        self.send(request, || {
            format!("completing the upload at {} got no answer", self.base)
        })
        .await
    }

    /// `PUT`s the bytes where the upload URL says: an absolute URL (S3, presigned) with
    /// exactly the headers listed and none of Tenure's credentials; a path under the API
    /// (`tenure serve`) with the token. The URL is never printed (a presigned URL is a
    /// credential until it expires).
    async fn put_bytes(&self, issued: &Issued, wasm: Vec<u8>) -> Result<()> {
        let absolute = issued.url.starts_with("https://") || issued.url.starts_with("http://");
        let mut request = if absolute {
            self.client.put(&issued.url)
        } else {
            self.client
                .put(format!("{}{}", self.base, issued.url))
                .header(
                    AUTHORIZATION,
                    format!("Bearer {}", self.token.expose_secret()),
                )
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
    }

    /// `{base}/connections/{id}/plugins{rest}`.
    fn plugins(&self, rest: &str) -> String {
        format!(
            "{}/connections/{}/plugins{rest}",
            self.base, self.connection
        )
    }

    /// Sends `request` with the token; `no_answer` says what failed when nothing came back.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        no_answer: impl FnOnce() -> String,
    ) -> Result<Answer> {
        let answer = request
            .header(
                AUTHORIZATION,
                format!("Bearer {}", self.token.expose_secret()),
            )
            .send()
            .await
            .with_context(no_answer)?;
        let status = answer.status();
        let retry_after = answer
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = answer
            .text()
            .await
            .with_context(|| format!("the answer from {} could not be read", self.base))?;
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }
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
