//! Plugin uploads through `tenure serve`: only by a signed-in administrator of the
//! connection's tenant.

use std::time::Duration;

use serde_json::json;
use sha2::{Digest as _, Sha256};
use tenure_emulator::Faults;

use reqwest::Method;

use super::admin::{ADMIN, Admin, MEMBER, with_tenure_app};
use super::harness::*;
use crate::tenant::Sandbox;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_is_uploaded_activated_and_listed_and_garbage_is_refused() -> Result {
    let sandbox =
        Sandbox::configured(|c| with_tenure_app(c.with_faults(Faults::default(), 1))).await;
    let uri = sandbox.tenant.uri();
    let connected = Connected::to_sandbox(&sandbox).await;
    let served = connected.serve_with_sign_in(&uri).await;
    let plugins = format!("{}/connections/{CONNECTION}/plugins", served.url);
    let admin = Admin::sign_in(&served, &sandbox.tenant, ADMIN).await?;

    let upload = |body: Vec<u8>| {
        admin
            .request(Method::POST, &plugins)
            .header("Content-Type", "application/wasm")
            .body(body)
            .send()
    };
    let (status, uploaded) =
        json_answer(upload(tenure::plugin::STANDARD_MAPPER.to_vec()).await?).await;
    assert_eq!(status, 201, "{uploaded}");
    let sha256 = hex::encode(Sha256::digest(tenure::plugin::STANDARD_MAPPER));
    assert_eq!(uploaded["sha256"], sha256.as_str());
    assert_eq!(uploaded["activated"], true);

    let (status, listed) = json_answer(admin.request(Method::GET, &plugins).send().await?).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(
        listed["active"],
        json!({ "uploaded": { "sha256": sha256 } })
    );
    let versions = listed["versions"].as_array().ok_or("versions")?;
    assert_eq!(versions.len(), 1, "{listed}");
    assert_eq!(versions[0]["sha256"], sha256.as_str());
    assert_eq!(versions[0]["active"], true);

    for (what, body, words) in [
        (
            "not wasm",
            b"MZ this is not a component".to_vec(),
            "component",
        ),
        (
            "a component of another contract",
            plugin_artifacts::read(plugin_artifacts::WRONG_WORLD)?,
            "tenure:mapper/mapping@1",
        ),
    ] {
        let (status, refused) = json_answer(upload(body).await?).await;
        let error = refused["error"].as_str().unwrap_or_default();
        assert_eq!(status, 400, "{what}: {refused}");
        assert!(error.contains(words), "{what}: {error:?} lacks {words:?}");
    }
    let (_, listed) = json_answer(admin.request(Method::GET, &plugins).send().await?).await;
    assert_eq!(
        listed["versions"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    assert_eq!(
        listed["active"],
        json!({ "uploaded": { "sha256": sha256 } })
    );

    // The uploaded plugin is the one provisioning runs.
    served
        .accepted(&served.sign(&hire("4001", "Plug", "In"), Duration::ZERO))
        .await;
    let graph = Graph::of(&sandbox).await?;
    let user = served
        .wait_for("the hire 4001 to have an account", async || {
            graph.users_with("4001").await.ok()?.into_iter().next()
        })
        .await;
    assert_eq!(user["userPrincipalName"], "plug.in@contoso.com");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_members_and_forged_requests_cannot_touch_plugins() -> Result {
    let sandbox = Sandbox::configured(with_tenure_app).await;
    let uri = sandbox.tenant.uri();
    let connected = Connected::to_sandbox(&sandbox).await;
    let served = connected.serve_with_sign_in(&uri).await;
    let plugins = format!("{}/connections/{CONNECTION}/plugins", served.url);
    let activate = format!("{plugins}/{}/activate", "ab".repeat(32));
    // A small body: a refused request is answered before its body is read.
    let wasm = b"\0asm\x0d\0\x01\0".to_vec();

    // Anonymous: 401 for upload, list and activate, for this connection and a missing one.
    let anonymous = reqwest::Client::new();
    for url in [
        &plugins,
        &format!("{}/connections/nobody/plugins", served.url),
    ] {
        let upload = anonymous.post(url).body(wasm.clone()).send().await?;
        assert_eq!(upload.status(), 401);
        assert_eq!(anonymous.get(url).send().await?.status(), 401);
    }
    assert_eq!(anonymous.post(&activate).send().await?.status(), 401);

    // A member of the tenant without a role: 403.
    let member = Admin::sign_in(&served, &sandbox.tenant, MEMBER).await?;
    let answer = member.request(Method::GET, &plugins).send().await?;
    assert_eq!(answer.status(), 403);

    // An administrator, but without the CSRF token, with another one, or from another site.
    let admin = Admin::sign_in(&served, &sandbox.tenant, ADMIN).await?;
    let bare = admin
        .http
        .post(&plugins)
        .header("cookie", &admin.cookie)
        .body(wasm.clone())
        .send()
        .await?;
    assert_eq!(bare.status(), 403);
    let borrowed = admin
        .http
        .post(&plugins)
        .header("cookie", &admin.cookie)
        .header("x-csrf-token", &member.csrf_token)
        .body(wasm.clone())
        .send()
        .await?;
    assert_eq!(borrowed.status(), 403);
    let cross_site = admin
        .request(Method::POST, &plugins)
        .header("origin", "https://evil.example")
        .body(wasm.clone())
        .send()
        .await?;
    assert_eq!(cross_site.status(), 403);
    let (_, listed) = json_answer(admin.request(Method::GET, &plugins).send().await?).await;
    assert_eq!(
        listed["versions"].as_array().map(Vec::len),
        Some(0),
        "{listed}"
    );

    // Nothing secret in what tenure serve printed: not the app's secret, no session cookie.
    let output = served.running.output();
    for secret in [
        super::admin::APP_SECRET,
        &admin.cookie,
        &member.cookie,
        &admin.csrf_token,
    ] {
        let value = secret.split_once('=').map_or(secret, |(_, v)| v);
        assert!(
            !output.contains(value),
            "a secret is in the output:\n{output}"
        );
    }
    Ok(())
}
