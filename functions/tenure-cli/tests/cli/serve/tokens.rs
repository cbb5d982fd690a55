//! API tokens through `tenure serve`: a signed-in administrator makes one, automation uploads a
//! plugin and the HR export with it (no cookie, no CSRF token), a token of another scope or a
//! tampered one is refused, and the token's secret appears in no output or file but the hash.

use reqwest::Method;
use reqwest::header::AUTHORIZATION;

use super::admin::{ADMIN, Admin, with_tenure_app};
use super::harness::*;
use crate::helpers::files;
use crate::tenant::Sandbox;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automation_uploads_with_a_token_and_its_secret_is_never_printed_or_stored() -> Result {
    let sandbox = Sandbox::configured(with_tenure_app).await;
    let uri = sandbox.tenant.uri();
    let connected = Connected::to_sandbox(&sandbox).await;
    let served = connected.serve_with_sign_in(&uri).await;
    let base = format!("{}/connections/{CONNECTION}", served.url);
    let admin = Admin::sign_in(&served, &sandbox.tenant, ADMIN).await?;

    let (status, made) = json_answer(
        admin
            .request(Method::POST, &format!("{base}/tokens"))
            .json(&serde_json::json!({ "name": "CI", "scopes": ["plugins:write", "hr:write"] }))
            .send()
            .await?,
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let token = made["token"].as_str().ok_or("no token")?.to_owned();
    let id = made["id"].as_str().ok_or("no id")?.to_owned();
    let secret = token[token.len() - 64..].to_owned();

    let http = reqwest::Client::new();
    let bearer = format!("Bearer {token}");
    let uploaded = http
        .post(format!("{base}/plugins"))
        .header(AUTHORIZATION, &bearer)
        .header("Content-Type", "application/wasm")
        .body(tenure::plugin::STANDARD_MAPPER.to_vec())
        .send()
        .await?;
    assert_eq!(uploaded.status(), 201, "{}", uploaded.text().await?);
    let export = http
        .put(format!("{base}/hr/export"))
        .header(AUTHORIZATION, &bearer)
        .header("Content-Type", "text/csv")
        .body(std::fs::read(
            crate::helpers::samples().join("company.csv"),
        )?)
        .send()
        .await?;
    assert_eq!(export.status(), 201, "{}", export.text().await?);
    // The token has no plans:read or plans:approve.
    let approvals = http
        .get(format!("{base}/approvals"))
        .header(AUTHORIZATION, &bearer)
        .send()
        .await?;
    assert_eq!(approvals.status(), 403);
    let tampered = format!("{}{}", &bearer[..bearer.len() - 1], "x");
    let refused = http
        .get(format!("{base}/plugins"))
        .header(AUTHORIZATION, &tampered)
        .send()
        .await?;
    assert_eq!(refused.status(), 401);

    let log = served.running.output();
    assert!(log.contains(&id), "no log line names the token:\n{log}");
    assert!(
        !log.contains(&secret),
        "the token's secret was printed:\n{log}"
    );
    for file in files(connected.dir.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&file)?).into_owned();
        assert!(
            !text.contains(&secret),
            "the token's secret is in {}",
            file.display()
        );
    }
    let audited = connected
        .audit()
        .iter()
        .filter(|(_, r)| r["actor"]["token_id"] == id.as_str())
        .count();
    // The upload, the export and the refused approvals list (the tampered value is no use of it).
    assert_eq!(audited, 3, "token uses audited");
    Ok(())
}
