//! Uploads that pass: stored by content hash, compiled, activated; repeated uploads change
//! nothing.

use axum::http::StatusCode;
use tenure::plugin::STANDARD_MAPPER;
use tenure::service::plugins::{PluginSha256, compiled_key, record_key, wasm_key};
use tenure::service::settings::{MappingSettings, PluginChoice};

use super::helpers::{TestApp, TestResult, artifact};

/// What the stored settings choose.
async fn active(app: &TestApp) -> Result<PluginChoice, super::helpers::Error> {
    let (settings, _) = MappingSettings::load(app.objects.as_ref(), &app.connection).await?;
    Ok(settings.plugin)
}

#[tokio::test]
async fn the_standard_mapper_and_a_rust_plugin_are_stored_by_hash_compiled_and_activated()
-> TestResult {
    let app = TestApp::on_s3().await?;
    app.store_settings().await?;
    let engine = app.services.plugins.host().engine_key();

    for wasm in [STANDARD_MAPPER.to_vec(), artifact(plugin_artifacts::ECHO)?] {
        let sha256 = PluginSha256::of(&wasm);
        let (status, answer) = app.upload(&wasm, "").await?;

        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert_eq!(answer["sha256"], sha256.as_str());
        assert_eq!(answer["activated"], true);
        assert_eq!(answer["already_uploaded"], false);
        assert_eq!(answer["size"], wasm.len());
        let trial = &answer["trial"];
        assert!(trial["workers_tried"].as_u64() > Some(10), "{trial}");
        assert_eq!(trial["workers_mapped"], trial["workers_tried"], "{trial}");
        assert!(trial["fuel_consumed"].as_u64() > Some(0));
        assert_eq!(trial["config_checked"], true);
        assert!(
            trial["source"]
                .as_str()
                .is_some_and(|s| s.contains("sample company")),
            "{trial}"
        );

        let stored = app.objects.get(&wasm_key(&app.connection, &sha256)).await?;
        assert_eq!(stored.map(|(bytes, _)| bytes), Some(wasm.clone()));
        let record = app
            .objects
            .get(&record_key(&app.connection, &sha256))
            .await?;
        let record: serde_json::Value = serde_json::from_slice(&record.ok_or("no record")?.0)?;
        assert_eq!(record["sha256"], sha256.as_str());
        assert_eq!(record["trial"], *trial);
        assert!(
            app.objects
                .get(&compiled_key(&sha256, &engine))
                .await?
                .is_some(),
            "no compiled object for {sha256}"
        );
        assert_eq!(
            active(&app).await?,
            PluginChoice::Uploaded {
                sha256: sha256.to_string()
            }
        );
    }
    Ok(())
}

#[tokio::test]
async fn uploading_the_same_bytes_again_stores_nothing_new() -> TestResult {
    let app = TestApp::on_s3().await?;
    app.store_settings().await?;
    let echo = artifact(plugin_artifacts::ECHO)?;
    let (status, first) = app.upload(&echo, "activate=false").await?;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["activated"], false);
    let keys = app.plugin_keys().await?;
    let record = app
        .objects
        .get(&record_key(&app.connection, &PluginSha256::of(&echo)))
        .await?;

    let (status, again) = app.upload(&echo, "").await?;

    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["already_uploaded"], true);
    assert_eq!(again["activated"], true);
    assert_eq!(again["sha256"], first["sha256"]);
    assert_eq!(again["uploaded_at"], first["uploaded_at"]);
    assert_eq!(app.plugin_keys().await?, keys);
    let record_again = app
        .objects
        .get(&record_key(&app.connection, &PluginSha256::of(&echo)))
        .await?;
    assert_eq!(record_again, record, "the record was rewritten");
    Ok(())
}

#[tokio::test]
async fn activate_false_only_stores() -> TestResult {
    let app = TestApp::local().await?;
    app.store_settings().await?;
    let before = app.settings_bytes().await?;

    let (status, answer) = app
        .upload(&artifact(plugin_artifacts::ECHO)?, "activate=false")
        .await?;

    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["activated"], false);
    assert_eq!(app.settings_bytes().await?, before);
    assert_eq!(active(&app).await?, PluginChoice::Standard);
    Ok(())
}

#[tokio::test]
async fn without_settings_the_upload_is_kept_but_not_activated() -> TestResult {
    let app = TestApp::local().await?;
    let echo = artifact(plugin_artifacts::ECHO)?;

    let (status, answer) = app.upload(&echo, "").await?;

    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["sha256"], PluginSha256::of(&echo).as_str());
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(error.contains("stored but not activated"), "{error}");
    assert!(error.contains("no mapping settings"), "{error}");
    assert!(app.settings_bytes().await?.is_none());
    let path = format!("/connections/{}/plugins", app.connection);
    let (status, listed) = app.send("GET", &path, "", None).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["active"], serde_json::Value::Null);
    assert_eq!(listed["versions"][0]["sha256"], answer["sha256"]);
    assert_eq!(listed["versions"][0]["trial"]["config_checked"], false);
    Ok(())
}

#[tokio::test]
async fn the_connections_own_hr_export_is_what_is_tried() -> TestResult {
    let app = TestApp::local().await?;
    app.store_hr_export(&["e1", "e2", "refuse"]).await?;

    let (status, answer) = app
        .upload(&artifact(plugin_artifacts::ECHO)?, "activate=false")
        .await?;

    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let trial = &answer["trial"];
    assert_eq!(trial["source"], "connections/contoso/hr/workers.csv");
    assert_eq!(trial["workers_tried"], 3);
    assert_eq!(trial["workers_mapped"], 2);
    // A worker the plugin refuses with its own reason is an answer, not a failure.
    assert_eq!(trial["workers_refused"], 1);
    Ok(())
}
