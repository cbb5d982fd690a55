//! Uploads in two steps, for components larger than a request may carry: an upload URL (S3
//! presigned on moto; the server's own route locally), the bytes, then the same checks as a
//! direct upload. Each URL takes one plugin, of the size it was issued for, once.

use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use tenure::clock::Clock;
use tenure::plugin::SandboxLimits;
use tenure::service::Services;
use tenure::service::plugins::{PluginSha256, UploadLimits};

use super::helpers::{Error, TestApp, TestResult, artifact, test_limits};

/// `POST /connections/contoso/plugins/uploads` with `{"bytes": n}`.
async fn issue(app: &TestApp, bytes: u64) -> Result<(StatusCode, serde_json::Value), Error> {
    let body = serde_json::json!({ "bytes": bytes }).to_string();
    let path = format!("/connections/{}/plugins/uploads", app.connection);
    let (status, text) = app
        .send_raw(
            "POST",
            &path,
            "",
            Some(("application/json", body.as_bytes())),
        )
        .await?;
    Ok((status, serde_json::from_str(&text)?))
}

/// `POST /connections/contoso/plugins/uploads/{upload}`: the checks on what arrived.
async fn complete(app: &TestApp, upload: &str) -> Result<(StatusCode, serde_json::Value), Error> {
    let path = format!("/connections/{}/plugins/uploads/{upload}", app.connection);
    app.send("POST", &path, "", None).await
}

/// `PUT`s `bytes` to a presigned URL with the headers the answer lists (but its length, with
/// `skip_length`: the client's own), as any HTTP client would; gives the status.
async fn put_presigned(
    issued: &serde_json::Value,
    bytes: Vec<u8>,
    skip_length: bool,
) -> Result<u16, Error> {
    let url = issued["url"].as_str().ok_or("no url")?;
    let mut request = reqwest::Client::new().put(url).body(bytes);
    for (name, value) in issued["headers"].as_object().ok_or("no headers")? {
        if skip_length && name == "content-length" {
            continue;
        }
        request = request.header(name, value.as_str().ok_or("a header that is not text")?);
    }
    Ok(request.send().await?.status().as_u16())
}

/// The echo test plugin grown to `size` bytes: as large as a JavaScript or Python plugin.
fn padded_plugin(size: usize) -> Result<Vec<u8>, Error> {
    let echo = artifact(plugin_artifacts::ECHO)?;
    Ok(plugin_artifacts::padded(&echo, size).ok_or("no room for the padding")?)
}

/// Limits with room for a 30 MiB component.
fn large_limits() -> SandboxLimits {
    SandboxLimits {
        max_wasm_bytes: 40 << 20,
        ..test_limits()
    }
}

#[tokio::test]
async fn a_30_mib_plugin_goes_through_a_presigned_url_and_the_upload_checks() -> TestResult {
    let app = TestApp::on_s3_with(large_limits()).await?;
    app.store_settings().await?;
    let wasm = padded_plugin(30 << 20)?;
    assert_eq!(wasm.len(), 30 << 20);

    let (status, issued) = issue(&app, wasm.len() as u64).await?;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    assert_eq!(issued["method"], "PUT");
    assert_eq!(issued["bytes"], wasm.len());
    let url = issued["url"].as_str().ok_or("no url")?;
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "a presigned URL on moto: {url}"
    );
    assert!(url.contains("X-Amz-Signature="), "{url}");
    assert_eq!(issued["headers"]["if-none-match"], "*", "{issued}");
    let expires_at: Timestamp = issued["expires_at"].as_str().ok_or("no expiry")?.parse()?;
    assert!(expires_at > Timestamp::now(), "{expires_at}");
    let upload = issued["upload"].as_str().ok_or("no upload id")?;

    assert_eq!(put_presigned(&issued, wasm.clone(), false).await?, 200);
    let (status, answer) = complete(&app, upload).await?;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["sha256"], PluginSha256::of(&wasm).as_str());
    assert_eq!(answer["size"], wasm.len());
    assert_eq!(answer["activated"], true);
    assert_eq!(
        answer["trial"]["workers_mapped"],
        answer["trial"]["workers_tried"]
    );
    assert_eq!(
        app.objects.list("plugin-uploads/").await?,
        Vec::new(),
        "the staged upload is gone once checked"
    );

    // Used up: completing again, or putting again and completing, is refused.
    let (status, again) = complete(&app, upload).await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "{again}");
    assert!(
        again["error"]
            .as_str()
            .is_some_and(|e| e.contains("completed already")),
        "{again}"
    );
    put_presigned(&issued, wasm, false).await?;
    let (status, again) = complete(&app, upload).await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "{again}");
    Ok(())
}

#[tokio::test]
async fn bytes_other_than_the_url_was_issued_for_are_refused_and_nothing_is_stored() -> TestResult {
    let app = TestApp::on_s3().await?;
    app.store_settings().await?;
    let echo = artifact(plugin_artifacts::ECHO)?;
    let (status, issued) = issue(&app, 1000).await?;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let upload = issued["upload"].as_str().ok_or("no upload id")?;

    // S3 checks the signed length; moto does not, so the completion must.
    let put = put_presigned(&issued, echo, true).await?;
    let (status, answer) = complete(&app, upload).await?;
    if put == 200 {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains("issued for 1000 bytes"), "{answer}");
        assert_eq!(app.objects.list("plugin-uploads/").await?, Vec::new());
    } else {
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    }
    assert_eq!(app.plugin_keys().await?, Vec::<String>::new());
    Ok(())
}

#[tokio::test]
async fn an_upload_url_is_refused_for_no_bytes_too_many_or_a_body_that_is_not_asked_for()
-> TestResult {
    let app = TestApp::on_s3().await?;
    let limit = test_limits().max_wasm_bytes as u64;
    let (status, answer) = issue(&app, limit + 1).await?;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    let (status, answer) = issue(&app, 0).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let path = format!("/connections/{}/plugins/uploads", app.connection);
    for body in [&b"{\"size\": 10}"[..], b"10", b"{\"bytes\": -1}"] {
        let (status, text) = app
            .send_raw("POST", &path, "", Some(("application/json", body)))
            .await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
        let answer: serde_json::Value = serde_json::from_str(&text)?;
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains("{\"bytes\": "), "{text}");
    }
    let (status, answer) = complete(&app, "not-an-upload").await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    let (status, answer) = issue(&app, 10).await?;
    let upload = answer["upload"].as_str().ok_or("no upload id")?;
    assert_eq!(status, StatusCode::CREATED);
    let (status, answer) = complete(&app, upload).await?;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "nothing has arrived yet: {answer}"
    );
    assert_eq!(
        app.objects.list("plugin-uploads/").await?.len(),
        1,
        "the ticket stays"
    );
    Ok(())
}

#[tokio::test]
async fn locally_the_bytes_go_to_the_server_itself_once_and_of_the_issued_size() -> TestResult {
    let app = TestApp::local().await?;
    app.store_settings().await?;
    let echo = artifact(plugin_artifacts::ECHO)?;

    let (status, issued) = issue(&app, echo.len() as u64).await?;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let upload = issued["upload"].as_str().ok_or("no upload id")?;
    let route = format!("/connections/{}/plugins/uploads/{upload}", app.connection);
    assert_eq!(
        issued["url"],
        route.as_str(),
        "relative to the API: {issued}"
    );
    assert_eq!(issued["headers"], serde_json::json!({}));

    let wasm = Some(("application/wasm", &echo[..]));
    let short = Some(("application/wasm", &echo[..10]));
    let (status, text) = app.send_raw("PUT", &route, "", short).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let (status, text) = app.send_raw("PUT", &route, "", wasm).await?;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    let (status, text) = app.send_raw("PUT", &route, "", wasm).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{text}");
    assert!(text.contains("used already"), "{text}");

    let (status, answer) = complete(&app, upload).await?;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["sha256"], PluginSha256::of(&echo).as_str());
    let (status, text) = app.send_raw("PUT", &route, "", wasm).await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "{text}");
    Ok(())
}

#[tokio::test]
async fn an_upload_url_that_expired_empty_is_refused_and_forgotten() -> TestResult {
    let clock = Clock::manual(Timestamp::now());
    let app = TestApp::local_changed({
        let clock = clock.clone();
        |services| Services { clock, ..services }
    })
    .await?;
    let echo = artifact(plugin_artifacts::ECHO)?;
    let (_, issued) = issue(&app, echo.len() as u64).await?;
    let upload = issued["upload"].as_str().ok_or("no upload id")?;
    let route = format!("/connections/{}/plugins/uploads/{upload}", app.connection);

    clock.advance(SignedDuration::from_mins(16));
    let wasm = Some(("application/wasm", &echo[..]));
    let (status, text) = app.send_raw("PUT", &route, "", wasm).await?;
    assert_eq!(status, StatusCode::GONE, "{text}");
    let (status, answer) = complete(&app, upload).await?;
    assert_eq!(status, StatusCode::GONE, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("expired")),
        "{answer}"
    );
    assert_eq!(app.objects.list("plugin-uploads/").await?, Vec::new());
    Ok(())
}

#[tokio::test]
async fn a_plugin_larger_than_a_request_may_carry_is_sent_to_an_upload_url() -> TestResult {
    let app = TestApp::local_changed(|services| Services {
        uploads: UploadLimits {
            max_request_bytes: Some(1024),
            ..services.uploads
        },
        ..services
    })
    .await?;
    app.store_settings().await?;
    let echo = artifact(plugin_artifacts::ECHO)?;
    assert!(echo.len() > 1024);

    let (status, answer) = app.upload(&echo, "").await?;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("POST /connections/{id}/plugins/uploads"),
        "{error}"
    );

    let (status, issued) = issue(&app, echo.len() as u64).await?;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let upload = issued["upload"].as_str().ok_or("no upload id")?;
    let route = issued["url"].as_str().ok_or("no url")?;
    // Locally the server takes the bytes itself, beyond the one-request limit.
    let (status, text) = app
        .send_raw("PUT", route, "", Some(("application/wasm", &echo[..])))
        .await?;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    let (status, answer) = complete(&app, upload).await?;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["activated"], true);
    Ok(())
}
