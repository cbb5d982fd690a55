//! Plugin uploads through `tenure serve`.

use std::time::Duration;

use serde_json::json;
use sha2::{Digest as _, Sha256};
use tenure_emulator::Faults;

use super::harness::*;
use crate::tenant::{SECRET, Sandbox};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_is_uploaded_activated_and_listed_and_garbage_is_refused() -> Result {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let uri = sandbox.tenant.uri();
    let connected = Connected::to(&uri, sandbox.tenant.tenant_id(), SECRET).await;
    let served = connected.serve().await;
    let plugins = format!("{}/connections/{CONNECTION}/plugins", served.url);

    let upload = |body: Vec<u8>| {
        served
            .http
            .post(&plugins)
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

    let (status, listed) = json_answer(served.http.get(&plugins).send().await?).await;
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
    let (_, listed) = json_answer(served.http.get(&plugins).send().await?).await;
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
    let graph = Graph::sign_in(&uri, sandbox.tenant.tenant_id(), SECRET).await?;
    let user = served
        .wait_for("the hire 4001 to have an account", async || {
            graph.users_with("4001").await.ok()?.into_iter().next()
        })
        .await;
    assert_eq!(user["userPrincipalName"], "plug.in@contoso.com");
    Ok(())
}
