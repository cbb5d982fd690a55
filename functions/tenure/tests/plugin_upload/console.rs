//! The console's upload of a plugin larger than one request carries, through its own routes (the
//! mapping page's script drives them; tests/console drives the page): an upload URL, the bytes,
//! then the page with the trial's report, behind the admin layer and its CSRF token, sizes
//! refused as the HTTP API refuses them. A plugin over the request limit sent in one request (a
//! browser without JavaScript) is refused with what to do.

use axum::Router;
use tenure::console::console_routes;
use tenure::service::plugins::{PluginSha256, UploadLimits};
use tenure::service::settings::{MappingSettings, PluginChoice};

use super::helpers::{ApiEvent, Error, TestApp, TestResult, artifact, test_limits};
use crate::support::Answer;

const UPLOADS: &str = "/console/connections/contoso/mapping/plugins/uploads";

/// The console over the app's services.
fn console(app: &TestApp) -> Router {
    console_routes(app.services.clone())
}

/// A request of the app's session: its cookie, and `csrf` as `X-CSRF-Token` when given.
fn request(app: &TestApp, method: &str, path: &str, csrf: Option<&str>) -> ApiEvent {
    let event = ApiEvent::new(method, "$default", path).header("cookie", &app.session.cookie);
    match csrf {
        Some(token) => event.header("x-csrf-token", token),
        None => event,
    }
}

/// Step 1: `POST …/uploads` with `bytes=…` and `csrf` as the header.
async fn issue(app: &TestApp, bytes: &str, csrf: &str) -> Result<Answer, Error> {
    request(app, "POST", UPLOADS, Some(csrf))
        .form(&format!("bytes={bytes}"))
        .send(&console(app))
        .await
}

/// Step 2: `PUT path` with `bytes`.
async fn put(app: &TestApp, path: &str, bytes: &[u8], csrf: &str) -> Result<Answer, Error> {
    request(app, "PUT", path, Some(csrf))
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .base64()
        .send(&console(app))
        .await
}

/// Step 3: `POST path` as the page's form posts it (the token in the form), as htmx does.
async fn complete(app: &TestApp, path: &str, csrf: &str) -> Result<Answer, Error> {
    request(app, "POST", path, None)
        .header("hx-request", "true")
        .form(&format!("csrf_token={csrf}"))
        .send(&console(app))
        .await
}

/// The echo test plugin grown to `size` bytes.
fn padded_echo(size: usize) -> Result<Vec<u8>, Error> {
    let echo = artifact(plugin_artifacts::ECHO)?;
    Ok(plugin_artifacts::padded(&echo, size).ok_or("no room for the padding")?)
}

/// The connection's settings' plugin.
async fn plugin_in_use(app: &TestApp) -> Result<PluginChoice, Error> {
    let (settings, _) = MappingSettings::load(app.objects.as_ref(), &app.connection).await?;
    Ok(settings.plugin)
}

/// The local server's limits, with a request limit of 64 KiB.
fn small_requests() -> UploadLimits {
    UploadLimits {
        max_request_bytes: Some(64 << 10),
        ..UploadLimits::default()
    }
}

#[tokio::test]
async fn a_plugin_larger_than_a_request_goes_through_the_consoles_upload_url_and_the_page_shows_its_trial()
-> TestResult {
    let app = TestApp::local_with(small_requests()).await?;
    app.store_settings().await?;
    let csrf = app.session.csrf_token.clone();
    let page = request(&app, "GET", "/console/connections/contoso/mapping", None)
        .send(&console(&app))
        .await?;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(&format!(
            "data-staged-uploads=\"{UPLOADS}\" data-request-limit=\"65536\""
        )),
        "the form tells the script where and above what size: {}",
        page.body
    );
    assert!(
        page.body.contains("A plugin larger than 64 KiB"),
        "the help says it: {}",
        page.body
    );
    let wasm = padded_echo(1 << 20)?;

    let issued = issue(&app, &wasm.len().to_string(), &csrf).await?;
    assert_eq!(issued.status, 201, "{}", issued.body);
    let ticket = issued.json()?;
    let upload = ticket["upload"].as_str().ok_or("no upload id")?;
    let here = format!("{UPLOADS}/{upload}");
    assert_eq!(ticket["method"], "PUT");
    assert_eq!(ticket["bytes"], wasm.len());
    assert_eq!(
        ticket["url"],
        here.as_str(),
        "the local store: the console's own route"
    );
    assert_eq!(ticket["complete"], here.as_str());

    let sent = put(&app, &here, &wasm, &csrf).await?;
    assert_eq!(sent.status, 204, "{}", sent.body);
    let answer = complete(&app, &here, &csrf).await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        !answer.body.contains("<html"),
        "htmx gets the page's content"
    );
    let sha256 = PluginSha256::of(&wasm);
    let short = &sha256.as_str()[..12];
    assert!(
        answer
            .body
            .contains(&format!("Uploaded version {short}: it mapped")),
        "the trial's report: {}",
        answer.body
    );
    assert!(
        answer.body.contains("It is not in use yet"),
        "{}",
        answer.body
    );
    assert_eq!(plugin_in_use(&app).await?, PluginChoice::Standard);
    assert_eq!(app.objects.list("plugin-uploads/").await?, Vec::new());
    assert!(
        app.plugin_keys()
            .await?
            .iter()
            .any(|k| k.ends_with(&format!("{}.wasm", sha256.as_str()))),
        "kept"
    );

    // Used up: completing again says so on the page, by the file field.
    let again = complete(&app, &here, &csrf).await?;
    assert!(
        again
            .body
            .contains("id=\"plugin-error\">Not uploaded: there is no upload"),
        "{}",
        again.body
    );
    Ok(())
}

#[tokio::test]
async fn the_consoles_upload_routes_need_a_session_and_its_csrf_token() -> TestResult {
    let app = TestApp::local().await?;
    app.store_settings().await?;
    let wasm = padded_echo(200 << 10)?;
    let size = wasm.len().to_string();

    let forged = issue(&app, &size, "not-the-token").await?;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_eq!(app.objects.list("plugin-uploads/").await?, Vec::new());
    let anonymous = ApiEvent::new("POST", "$default", UPLOADS)
        .header("x-csrf-token", &app.session.csrf_token)
        .form(&format!("bytes={size}"))
        .send(&console(&app))
        .await?;
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    assert_eq!(app.objects.list("plugin-uploads/").await?, Vec::new());

    let issued = issue(&app, &size, &app.session.csrf_token).await?;
    assert_eq!(issued.status, 201, "{}", issued.body);
    let here = issued.json()?["url"].as_str().ok_or("no url")?.to_owned();
    let forged = put(&app, &here, &wasm, "not-the-token").await?;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let nothing = complete(&app, &here, &app.session.csrf_token).await?;
    assert!(
        nothing.body.contains("nothing has arrived for upload"),
        "{}",
        nothing.body
    );

    let sent = put(&app, &here, &wasm, &app.session.csrf_token).await?;
    assert_eq!(sent.status, 204, "{}", sent.body);
    let forged = complete(&app, &here, "not-the-token").await?;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(app.plugin_keys().await?.is_empty(), "nothing kept");
    // Another connection's route is another connection's: none here.
    let elsewhere = request(
        &app,
        "POST",
        "/console/connections/nowhere/mapping/plugins/uploads",
        Some(&app.session.csrf_token),
    )
    .form("bytes=1000")
    .send(&console(&app))
    .await?;
    assert_eq!(elsewhere.status, 404, "{}", elsewhere.body);

    let answer = complete(&app, &here, &app.session.csrf_token).await?;
    assert!(answer.body.contains("Uploaded version"), "{}", answer.body);
    Ok(())
}

#[tokio::test]
async fn the_console_refuses_upload_sizes_as_the_api_does() -> TestResult {
    let app = TestApp::local().await?;
    let csrf = app.session.csrf_token.clone();
    let limit = test_limits().max_wasm_bytes;
    let too_many = (limit + 1).to_string();

    for (bytes, status, says) in [
        ("0", 400, "above 0"),
        (too_many.as_str(), 413, "more than"),
        ("many", 400, "the plugin's size in bytes"),
    ] {
        let answer = issue(&app, bytes, &csrf).await?;
        assert_eq!(answer.status, status, "bytes={bytes}: {}", answer.body);
        assert!(answer.error()?.contains(says), "{}", answer.body);
    }
    assert_eq!(app.objects.list("plugin-uploads/").await?, Vec::new());

    // Bytes other than the URL was issued for.
    let issued = issue(&app, "1000", &csrf).await?;
    let here = issued.json()?["url"].as_str().ok_or("no url")?.to_owned();
    let echo = artifact(plugin_artifacts::ECHO)?;
    let wrong = put(&app, &here, &echo, &csrf).await?;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert!(
        wrong.error()?.contains("issued for 1000 bytes"),
        "{}",
        wrong.body
    );
    // More than a plugin may have is not read at all.
    let over = put(&app, &here, &vec![0; limit + 2], &csrf).await?;
    assert_eq!(over.status, 413, "{}", over.body);
    assert!(app.plugin_keys().await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_plugin_over_the_request_limit_in_one_request_is_refused_with_what_to_do() -> TestResult {
    let app = TestApp::local_with(small_requests()).await?;
    app.store_settings().await?;
    let wasm = padded_echo(160 << 10)?;
    let boundary = "tenure-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"plugin\"; filename=\"big.wasm\"\r\nContent-Type: application/wasm\r\n\r\n",
        app.session.csrf_token
    )
    .into_bytes();
    body.extend_from_slice(&wasm);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let answer = request(
        &app,
        "POST",
        "/console/connections/contoso/mapping/plugins",
        None,
    )
    .header(
        "content-type",
        &format!("multipart/form-data; boundary={boundary}"),
    )
    .body(&body)
    .base64()
    .send(&console(&app))
    .await?;
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(
        answer
            .body
            .contains("Not uploaded: the plugin is 160 KiB, more than the 64 KiB one request carries here. With JavaScript on, this page sends a larger plugin"),
        "{}",
        answer.body
    );
    assert!(app.plugin_keys().await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn on_s3_the_upload_url_is_presigned_and_the_consoles_pages_may_send_to_it() -> TestResult {
    let app = TestApp::on_s3().await?;
    app.store_settings().await?;
    let csrf = app.session.csrf_token.clone();
    let wasm = padded_echo(300 << 10)?;

    let issued = issue(&app, &wasm.len().to_string(), &csrf).await?;
    assert_eq!(issued.status, 201, "{}", issued.body);
    let ticket = issued.json()?;
    let url = ticket["url"].as_str().ok_or("no url")?;
    assert!(url.contains("X-Amz-Signature="), "presigned: {url}");
    let origin = tenure::auth::csrf::origin_of(url).ok_or("not a URL")?;

    // Every page lets its scripts connect to the bucket (htmx swaps pages into one document).
    for path in ["/console", "/console/connections/contoso/mapping"] {
        let page = request(&app, "GET", path, None)
            .send(&console(&app))
            .await?;
        let policy = page.header("content-security-policy").ok_or("no policy")?;
        assert!(
            policy.contains(&format!("connect-src 'self' {origin};")),
            "{path}: {policy}"
        );
    }

    let mut put = reqwest::Client::new().put(url).body(wasm.clone());
    for (name, value) in ticket["headers"].as_object().ok_or("no headers")? {
        put = put.header(name, value.as_str().ok_or("not text")?);
    }
    assert_eq!(put.send().await?.status().as_u16(), 200);
    let complete_path = ticket["complete"].as_str().ok_or("no completion")?;
    let answer = complete(&app, complete_path, &csrf).await?;
    assert!(answer.body.contains("Uploaded version"), "{}", answer.body);
    assert_eq!(app.objects.list("plugin-uploads/").await?, Vec::new());
    Ok(())
}
