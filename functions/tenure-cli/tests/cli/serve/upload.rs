//! `tenure plugin upload` and `activate` against `tenure serve`: with an API token of the
//! connection (from a file or the environment) the plugin is uploaded and activated, and a
//! version activated again by its SHA-256; a plugin larger than one request through API Gateway
//! carries goes through an upload URL; without a token nothing is sent; a wrong token, one without the plugins:write scope, a plugin too large and one that
//! is not a plugin are refused with the server's status and message; no token ever appears in
//! the command's output.

use std::process::Output;

use reqwest::Method;
use sha2::{Digest as _, Sha256};

use super::admin::{ADMIN, Admin, with_tenure_app};
use super::harness::*;
use crate::helpers::{run, tenure_process};
use crate::tenant::Sandbox;

/// Makes an API token of the connection with these scopes, as a signed-in administrator.
async fn token(admin: &Admin, base: &str, scopes: &[&str]) -> Result<String> {
    let (status, made) = json_answer(
        admin
            .request(Method::POST, &format!("{base}/tokens"))
            .json(&serde_json::json!({ "name": "CLI upload", "scopes": scopes }))
            .send()
            .await?,
    )
    .await;
    assert_eq!(status, 201, "{made}");
    Ok(made["token"].as_str().ok_or("no token")?.to_owned())
}

/// `tenure plugin upload FILE --connection acme --url URL` with `extra` arguments and
/// environment.
async fn upload(file: &std::path::Path, url: &str, extra: &[&str], env: Option<&str>) -> Output {
    let mut command = tenure_process();
    command
        .args(["plugin", "upload"])
        .arg(file)
        .args(["--connection", CONNECTION, "--url", url])
        .args(extra)
        .env_remove("TENURE_API_TOKEN");
    if let Some(token) = env {
        command.env("TENURE_API_TOKEN", token);
    }
    run(command).await
}

/// `tenure plugin activate SHA256 --connection acme --url URL` with the token in the
/// environment.
async fn activate(sha256: &str, url: &str, token: Option<&str>) -> Output {
    let mut command = tenure_process();
    command
        .args(["plugin", "activate", sha256])
        .args(["--connection", CONNECTION, "--url", url])
        .env_remove("TENURE_API_TOKEN");
    if let Some(token) = token {
        command.env("TENURE_API_TOKEN", token);
    }
    run(command).await
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_is_uploaded_and_rolled_back_with_a_token_and_refused_without_one_and_no_token_is_printed()
-> Result {
    let sandbox = Sandbox::configured(with_tenure_app).await;
    let uri = sandbox.tenant.uri();
    let connected = Connected::to_sandbox(&sandbox).await;
    let served = connected.serve_with_sign_in(&uri).await;
    let base = format!("{}/connections/{CONNECTION}", served.url);
    let admin = Admin::sign_in(&served, &sandbox.tenant, ADMIN).await?;
    let uploader = token(&admin, &base, &["plugins:write"]).await?;
    let reader = token(&admin, &base, &["hr:write"]).await?;
    let files = tempfile::tempdir()?;
    let plugin = files.path().join("plugin.wasm");
    std::fs::write(&plugin, tenure::plugin::STANDARD_MAPPER)?;
    let sha256 = hex::encode(Sha256::digest(tenure::plugin::STANDARD_MAPPER));
    let token_file = files.path().join("token");
    std::fs::write(&token_file, format!("{uploader}\n"))?;
    let token_file = token_file.display().to_string();

    let mut printed = Vec::new();

    // From a file: uploaded, tried and activated.
    let output = upload(&plugin, &served.url, &["--token-file", &token_file], None).await;
    let out = text(&output);
    printed.push(out.clone());
    assert!(output.status.success(), "{out}");
    assert!(
        out.contains(&format!("uploaded to connection {CONNECTION}")),
        "{out}"
    );
    assert!(out.contains(&sha256), "{out}");
    assert!(
        out.contains("active: the connection's runs use it"),
        "{out}"
    );
    let (status, listed) = json_answer(
        reqwest::Client::new()
            .get(format!("{base}/plugins"))
            .bearer_auth(&uploader)
            .send()
            .await?,
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(
        listed["active"]["uploaded"]["sha256"],
        sha256.as_str(),
        "{listed}"
    );

    // Larger than one request through API Gateway carries: through an upload URL.
    let padded = plugin_artifacts::padded(tenure::plugin::STANDARD_MAPPER, 5 << 20)
        .ok_or("no room for the padding")?;
    let large_plugin = files.path().join("large-plugin.wasm");
    std::fs::write(&large_plugin, &padded)?;
    let output = upload(
        &large_plugin,
        &served.url,
        &["--no-activate"],
        Some(&uploader),
    )
    .await;
    let out = text(&output);
    printed.push(out.clone());
    assert!(output.status.success(), "{out}");
    assert!(out.contains("sent through an upload URL"), "{out}");
    assert!(out.contains(&hex::encode(Sha256::digest(&padded))), "{out}");
    assert!(out.contains("stored, not active"), "{out}");

    // From the environment, stored without activating: the same bytes again.
    let output = upload(&plugin, &served.url, &["--no-activate"], Some(&uploader)).await;
    let out = text(&output);
    printed.push(out.clone());
    assert!(output.status.success(), "{out}");
    assert!(out.contains("had been uploaded before"), "{out}");

    // No token: refused before anything is sent.
    let output = upload(&plugin, &served.url, &[], None).await;
    let out = text(&output);
    printed.push(out.clone());
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("no API token in the environment variable TENURE_API_TOKEN"),
        "{out}"
    );

    // A wrong token: the server's 401 and message.
    let wrong = format!("{}x", &uploader[..uploader.len() - 1]);
    let output = upload(&plugin, &served.url, &[], Some(&wrong)).await;
    let out = text(&output);
    printed.push(out.clone());
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("401 Unauthorized"), "{out}");
    assert!(out.contains("the API token was not accepted"), "{out}");

    // A token without plugins:write: the server's 403 and message, naming the scope.
    let output = upload(&plugin, &served.url, &[], Some(&reader)).await;
    let out = text(&output);
    printed.push(out.clone());
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("403 Forbidden"), "{out}");
    assert!(out.contains("plugins:write"), "{out}");

    // Larger than `tenure serve` takes: the server's 413, said as such.
    let large = files.path().join("large.wasm");
    std::fs::write(&large, vec![0u8; 64 * 1024 * 1024 + 1])?;
    let output = upload(&large, &served.url, &[], Some(&uploader)).await;
    let out = text(&output);
    printed.push(out.clone());
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("413 Payload Too Large"), "{out}");
    assert!(out.contains("larger than this Tenure accepts"), "{out}");

    // Not a plugin: the server's refusal, quoted.
    let garbage = files.path().join("garbage.wasm");
    std::fs::write(&garbage, b"not a component")?;
    let output = upload(&garbage, &served.url, &[], Some(&uploader)).await;
    let out = text(&output);
    printed.push(out.clone());
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("400 Bad Request"), "{out}");
    assert!(out.contains("the plugin was refused"), "{out}");
    assert!(out.contains("It said: "), "{out}");

    // Roll back: activate a version by its SHA-256; an unknown one is the server's 404.
    let output = activate(&sha256, &served.url, Some(&uploader)).await;
    let out = text(&output);
    printed.push(out.clone());
    assert!(output.status.success(), "{out}");
    assert!(
        out.contains(&format!("connection {CONNECTION}: the plugin {sha256}")),
        "{out}"
    );
    let unknown = "0".repeat(64);
    let output = activate(&unknown, &served.url, Some(&uploader)).await;
    let out = text(&output);
    printed.push(out.clone());
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("404 Not Found"), "{out}");
    let output = activate(&sha256, &served.url, Some(&wrong)).await;
    let out = text(&output);
    printed.push(out.clone());
    assert!(out.contains("401 Unauthorized"), "{out}");

    for (what, token) in [
        ("uploader", &uploader),
        ("wrong", &wrong),
        ("reader", &reader),
    ] {
        let secret = &token[token.len() - 64..];
        for output in &printed {
            assert!(
                !output.contains(secret),
                "the {what} token was printed: {output}"
            );
        }
    }
    Ok(())
}
