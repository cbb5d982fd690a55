//! `tenure connect link`: an administrator links Tenure's app through the loopback callback
//! (the emulated tenant accepts on their behalf), then the tenant syncs through the connection;
//! no secret of the run — the app's secret, refresh tokens, PKCE verifiers — shows anywhere but
//! in the secret store.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use tenure_emulator::RegisteredClient;

use crate::helpers::{files, samples, stderr, tenure_process};
use crate::tenant::{Sandbox, TODAY, stdout};

const APP: &str = "77777777-8888-9999-aaaa-bbbbbbbbbbbb";
const APP_SECRET: &str = "tenure-app-secret~Cli42";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn tenure(sandbox: &Sandbox) -> Command {
    let mut command = tenure_process();
    command
        .env("TENURE_APP_CLIENT_ID", APP)
        .env("TENURE_APP_CLIENT_SECRET", APP_SECRET)
        .env("TENURE_STATE_DIR", sandbox.dir.path().join("state"));
    command
}

/// Reads lines until one starts with `http`, and follows it like a browser: Microsoft's
/// redirect lands on the command's loopback listener.
fn follow_next_url(lines: &mut impl Iterator<Item = String>, seen: &mut String) {
    let url = lines
        .by_ref()
        .inspect(|line| {
            seen.push_str(line);
            seen.push('\n');
        })
        .find(|line| line.starts_with("http"))
        .unwrap_or_else(|| panic!("no URL in {seen}"));
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .expect("client");
    let answer = client.get(&url).send().expect("the sign-in answers");
    assert!(answer.status().is_success(), "{}", answer.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_links_tenures_app_and_the_tenant_syncs_through_it() {
    let port = free_port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let sandbox = Sandbox::configured(|config| {
        config
            .with_app(
                RegisteredClient::with_secret(APP, APP_SECRET)
                    .redirect_uris(&[&redirect])
                    .multi_tenant(),
            )
            .with_sample_roles()
            .with_auto_consent("admin@contoso.onmicrosoft.com")
    })
    .await;
    let mut link = tenure(&sandbox);
    link.args(["connect", "link", "--id", "contoso", "--tenant"])
        .arg(sandbox.tenant.tenant_id())
        .args([
            "--endpoint",
            &sandbox.tenant.uri(),
            "--port",
            &port.to_string(),
        ])
        .args(["--exchange-anchor", "admin@contoso.onmicrosoft.com"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let (printed, status, errors) = tokio::task::spawn_blocking(move || {
        let mut child = link.spawn().expect("tenure starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
        let mut seen = String::new();
        follow_next_url(&mut lines, &mut seen); // sign in
        follow_next_url(&mut lines, &mut seen); // admin consent
        seen.extend(lines.map(|l| l + "\n"));
        let output = child.wait_with_output().expect("ends");
        (
            seen,
            output.status,
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    })
    .await
    .expect("joins");
    assert!(status.success(), "{printed}\n{errors}");
    assert!(
        printed.contains("Signed in: Tenure holds a refresh token"),
        "{printed}"
    );
    assert!(printed.contains("Consent granted"), "{printed}");
    assert!(
        printed.contains("Connection contoso is linked."),
        "{printed}"
    );
    assert!(sandbox.tenant.handle().consented(APP));

    let s = samples();
    let mut sync = tenure(&sandbox);
    sync.args(["sync", "--connection", "contoso", "--today", TODAY])
        .arg("--hr")
        .arg(s.join("company.csv"))
        .arg("--config")
        .arg(s.join("mapper.json"));
    let synced = tokio::task::spawn_blocking(move || sync.output().expect("runs"))
        .await
        .expect("joins");
    assert!(
        synced.status.success(),
        "{}\n{}",
        stdout(&synced),
        stderr(&synced)
    );
    assert!(
        stdout(&synced).contains("Applied 106 of 106 actions"),
        "{}",
        stdout(&synced)
    );

    // An admin revokes the sessions: the next sync is refused by Microsoft, the connection is
    // marked for re-linking with the reason, and later syncs say so at once.
    assert!(
        sandbox
            .tenant
            .handle()
            .revoke_user_sessions("admin@contoso.onmicrosoft.com")
            > 0
    );
    let mut again = tenure(&sandbox);
    again
        .args(["sync", "--connection", "contoso", "--today", TODAY])
        .arg("--hr")
        .arg(s.join("company.csv"))
        .arg("--config")
        .arg(s.join("mapper.json"));
    let refused = tokio::task::spawn_blocking(move || again.output().expect("runs"))
        .await
        .expect("joins");
    assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
    assert!(
        stderr(&refused).contains("invalid_grant"),
        "{}",
        stderr(&refused)
    );
    let mut list = tenure(&sandbox);
    list.args(["connect", "list"]);
    let listed = tokio::task::spawn_blocking(move || list.output().expect("runs"))
        .await
        .expect("joins");
    assert!(
        stdout(&listed).contains("needs re-link: the link to tenant"),
        "{}",
        stdout(&listed)
    );

    // Every secret of the run, read back from the secret store: never anywhere else.
    let state = sandbox.dir.path().join("state");
    let mut secrets = vec![APP_SECRET.to_owned()];
    let mut elsewhere = format!(
        "{printed}{errors}{}{}{}{}",
        stdout(&synced),
        stderr(&synced),
        stderr(&refused),
        stdout(&listed)
    );
    for file in files(&state) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        if file.to_string_lossy().contains("/store/secrets/") {
            let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            collect_strings(&value, &mut secrets);
        } else {
            elsewhere.push_str(&text);
        }
    }
    let secrets: Vec<String> = secrets.into_iter().filter(|s| s.len() >= 16).collect();
    assert!(
        secrets.len() >= 2,
        "the app secret and the refresh token at least"
    );
    for secret in &secrets {
        assert!(
            !elsewhere.contains(secret.as_str()),
            "a secret leaked: {}…",
            &secret[..6]
        );
    }
}

fn collect_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => {
            out.push(s.clone());
            // The pending sign-ins are JSON inside the secret.
            if let Ok(inner) = serde_json::from_str::<serde_json::Value>(s) {
                collect_strings(&inner, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}
