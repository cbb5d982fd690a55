//! Listing a connection's versions and making an earlier one active again.

use axum::http::StatusCode;
use tenure::plugin::STANDARD_MAPPER;
use tenure::service::plugins::PluginSha256;
use tenure::service::settings::{MappingSettings, PluginChoice};

use super::helpers::{TestApp, TestResult, artifact};

#[tokio::test]
async fn an_earlier_version_is_activated_again() -> TestResult {
    let app = TestApp::local().await?;
    app.store_settings().await?;
    let first = PluginSha256::of(STANDARD_MAPPER);
    let second = PluginSha256::of(&artifact(plugin_artifacts::ECHO)?);
    app.upload(STANDARD_MAPPER, "").await?;
    app.upload(&artifact(plugin_artifacts::ECHO)?, "").await?;
    let path = format!("/connections/{}/plugins", app.connection);

    let (status, listed) = app.send("GET", &path, "", None).await?;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["active"]["uploaded"]["sha256"], second.as_str());
    let versions = listed["versions"].as_array().ok_or("no versions")?;
    let shown: Vec<(&str, bool)> = versions
        .iter()
        .map(|v| (v["sha256"].as_str().unwrap_or(""), v["active"] == true))
        .collect();
    assert_eq!(shown, [(first.as_str(), false), (second.as_str(), true)]);

    let (status, answer) = app
        .send("POST", &format!("{path}/{first}/activate"), "", None)
        .await?;

    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["sha256"], first.as_str());
    assert_eq!(answer["activated"], true);
    let (settings, _) = MappingSettings::load(app.objects.as_ref(), &app.connection).await?;
    assert_eq!(
        settings.plugin,
        PluginChoice::Uploaded {
            sha256: first.to_string()
        }
    );
    let (_, listed) = app.send("GET", &path, "", None).await?;
    assert_eq!(listed["versions"][0]["active"], true);
    assert_eq!(listed["versions"][1]["active"], false);
    Ok(())
}

#[tokio::test]
async fn an_unknown_version_is_404_and_a_malformed_one_400() -> TestResult {
    let app = TestApp::local().await?;
    app.store_settings().await?;
    let settings = app.settings_bytes().await?;
    let path = format!("/connections/{}/plugins", app.connection);

    let unknown = "0".repeat(64);
    let (status, answer) = app
        .send("POST", &format!("{path}/{unknown}/activate"), "", None)
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains(&format!(
                "{unknown} was never uploaded for connection contoso"
            ))),
        "{answer}"
    );

    let (status, answer) = app
        .send("POST", &format!("{path}/latest/activate"), "", None)
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("64 hex digits")),
        "{answer}"
    );
    assert_eq!(app.settings_bytes().await?, settings);
    Ok(())
}

#[tokio::test]
async fn a_version_of_another_connection_cannot_be_activated() -> TestResult {
    let app = TestApp::local().await?;
    app.store_settings().await?;
    let echo = artifact(plugin_artifacts::ECHO)?;
    // Uploaded for this connection only: another connection's request for it is unknown.
    app.upload(&echo, "").await?;
    let (status, answer) = app
        .send(
            "POST",
            &format!(
                "/connections/fabrikam/plugins/{}/activate",
                PluginSha256::of(&echo)
            ),
            "",
            None,
        )
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    Ok(())
}
