//! `tenure emulate`: the emulated tenant as a local server that a Microsoft client can use.

use std::process::Command;

use crate::helpers::samples;
use crate::serve::harness::Running;

#[tokio::test]
async fn the_emulated_tenant_serves_tokens_and_graph_for_the_sample_tenant()
-> Result<(), Box<dyn std::error::Error>> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tenure"));
    command
        .args([
            "emulate",
            "--port",
            "0",
            "--client-id",
            "sandbox-app",
            "--state",
        ])
        .arg(samples().join("directory.json"))
        .env("TENURE_EMULATOR_CLIENT_SECRET", "a-test-secret-value");
    // The harness keeps reading what the server prints: a closed pipe must not end it.
    let server = Running::start(command);
    let first = server.first_line.clone();
    assert!(
        !first.contains("a-test-secret-value"),
        "the secret is never printed"
    );
    let uri = first
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .ok_or_else(|| format!("no address in {first:?}"))?
        .to_owned();
    let tenant = first
        .split_whitespace()
        .nth(2)
        .ok_or("no tenant id")?
        .to_owned();
    let client = reqwest::Client::new();
    let token_url = format!("{uri}/{tenant}/oauth2/v2.0/token");
    let token: serde_json::Value = client
        .post(&token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sandbox-app"),
            ("client_secret", "a-test-secret-value"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await?
        .json()
        .await?;
    let access = token["access_token"]
        .as_str()
        .ok_or_else(|| format!("no token: {token}"))?;
    let users: serde_json::Value = client
        .get(format!("{uri}/v1.0/users?$select=id,employeeId&$top=999"))
        .bearer_auth(access)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        users["value"].as_array().map(Vec::len),
        Some(39),
        "the sample tenant's users"
    );
    let refused = client
        .post(&token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sandbox-app"),
            ("client_secret", "wrong"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await?;
    assert_eq!(refused.status(), 401);
    let body: serde_json::Value = refused.json().await?;
    assert_eq!(body["error"], "invalid_client");
    assert!(
        !server.output().contains("a-test-secret-value"),
        "the secret is never printed"
    );
    drop(server);
    Ok(())
}

#[test]
fn without_a_secret_it_says_which_variable_to_set() {
    let output = Command::new(env!("CARGO_BIN_EXE_tenure"))
        .args([
            "emulate",
            "--client-secret-env",
            "TENURE_TEST_UNSET_SECRET_VARIABLE",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("set TENURE_TEST_UNSET_SECRET_VARIABLE to the client secret"),
        "{message}"
    );
}
