//! What uploads may cost a connection: so many per window (429 with `Retry-After` beyond, counted
//! the same by every instance), and so many versions kept (the oldest inactive pruned).

use std::time::Duration;

use axum::http::StatusCode;
use tenure::plugin::STANDARD_MAPPER;
use tenure::service::plugins::{PluginSha256, UploadLimits};

use super::helpers::{ApiEvent, TestApp, TestResult, artifact};

fn limits(uploads_per_window: usize, max_versions: usize) -> UploadLimits {
    UploadLimits {
        uploads_per_window,
        window: Duration::from_secs(3600),
        max_versions,
        ..UploadLimits::default()
    }
}

#[tokio::test]
async fn the_upload_after_the_windows_last_is_429_with_retry_after() -> TestResult {
    let app = TestApp::local_with(limits(3, 20)).await?;
    app.store_settings().await?;
    // Every upload counts, whatever becomes of it: a refused one cost a compile too.
    let (status, answer) = app.upload(b"not a plugin", "").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    for _ in 0..2 {
        let (status, answer) = app.upload(STANDARD_MAPPER, "").await?;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }

    let path = format!("/connections/{}/plugins", app.connection);
    let answer = app
        .session
        .on(ApiEvent::new("POST", "$default", &path))
        .header("content-type", "application/wasm")
        .body(STANDARD_MAPPER)
        .base64()
        .send(&app.another_instance()?)
        .await?;
    assert_eq!(answer.status, 429, "{}", answer.body);
    let retry_after: u64 = answer
        .header("retry-after")
        .ok_or("no Retry-After")?
        .parse()?;
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    let error = answer.error()?;
    assert!(
        error.contains("has uploaded 3 plugins within 3600s") && error.contains("try again in"),
        "{error}"
    );
    Ok(())
}

#[tokio::test]
async fn uploads_at_once_through_several_instances_are_each_counted_once() -> TestResult {
    let app = TestApp::local_with(limits(3, 20)).await?;
    let path = format!("/connections/{}/plugins", app.connection);
    let mut uploads = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let router = app.another_instance()?;
        let event = app
            .session
            .on(ApiEvent::new("POST", "$default", &path))
            .header("content-type", "application/wasm")
            .body(b"not a plugin")
            .base64();
        uploads.spawn(async move { event.send(&router).await });
    }
    let mut statuses = Vec::new();
    while let Some(answer) = uploads.join_next().await {
        statuses.push(answer??.status);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [400, 400, 400, 429, 429, 429]);
    Ok(())
}

#[tokio::test]
async fn beyond_the_cap_the_oldest_inactive_versions_are_pruned() -> TestResult {
    let app = TestApp::local_with(limits(10, 2)).await?;
    app.store_settings().await?;
    let echo = artifact(plugin_artifacts::ECHO)?;
    // Three distinct plugins: the echo plugin with one more (empty) memory is another version.
    let echo_with_memory =
        plugin_artifacts::with_extra(&echo, plugin_artifacts::Extra::Memory { pages: 0 }, 1);
    let (first, second, third) = (
        PluginSha256::of(STANDARD_MAPPER),
        PluginSha256::of(&echo),
        PluginSha256::of(&echo_with_memory),
    );
    for (wasm, query) in [
        (STANDARD_MAPPER, ""),
        (echo.as_slice(), "activate=false"),
        (echo_with_memory.as_slice(), "activate=false"),
    ] {
        let (status, answer) = app.upload(wasm, query).await?;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }

    let path = format!("/connections/{}/plugins", app.connection);
    let (status, listed) = app.send("GET", &path, "", None).await?;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let kept: Vec<(&str, bool)> = listed["versions"]
        .as_array()
        .ok_or("no versions")?
        .iter()
        .map(|v| (v["sha256"].as_str().unwrap_or(""), v["active"] == true))
        .collect();
    // The first is the oldest but active: the second, the oldest inactive one, went.
    assert_eq!(kept, [(first.as_str(), true), (third.as_str(), false)]);
    let stored: Vec<String> = app.plugin_keys().await?;
    assert!(
        !stored
            .iter()
            .any(|k| k.starts_with("plugins/") && k.contains(second.as_str())),
        "{stored:?}"
    );
    let (status, answer) = app
        .send("POST", &format!("{path}/{second}/activate"), "", None)
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    Ok(())
}
