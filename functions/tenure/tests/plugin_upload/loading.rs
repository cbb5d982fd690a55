//! What a cold start does with stored plugins: deserializes the sealed compiled code, and
//! compiles again (replacing it) when that code is damaged.

use tenure::plugin::{MapItem, Plugin, PluginError, STANDARD_MAPPER};
use tenure::service::plugins::{self, PluginLoadError, PluginSha256, compiled_key};
use tenure::service::settings::PluginChoice;
use tenure::store::connections::ConnectionId;
use tenure::store::objects::Condition;

use super::helpers::{Error, TestApp, TestResult, artifact};

/// Loads `choice` as a fresh process would and says whether it was deserialized.
async fn cold_load(app: &TestApp, choice: &PluginChoice) -> Result<bool, Error> {
    let services = app.cold_services()?;
    let plugin = plugins::load(&services, &app.connection, choice).await?;
    assert_maps(&plugin);
    Ok(plugin.from_cache())
}

/// The plugin answers for the sample company's first worker (an answer or its own refusal).
fn assert_maps(plugin: &Plugin) {
    let company = std::fs::read(crate::support::samples::path("company.csv")).unwrap_or_default();
    let batch = tenure::hr::read_csv(&company, "company.csv".into())
        .unwrap_or_else(|e| panic!("the sample company: {e}"));
    let items = [MapItem {
        worker: &batch.workers[0].worker,
        today: jiff::civil::date(2026, 11, 27),
        has_account: false,
    }];
    let outcome = plugin.map_all(&items, &["contoso.com".to_owned()], "{}");
    assert!(
        matches!(&outcome.results[0], Ok(_) | Err(PluginError::Refused(_))),
        "{:?}",
        outcome.results[0]
    );
}

#[tokio::test]
async fn a_cold_start_deserializes_the_stored_compiled_code() -> TestResult {
    let app = TestApp::on_s3().await?;
    let echo = artifact(plugin_artifacts::ECHO)?;
    app.upload(&echo, "activate=false").await?;
    let choice = PluginChoice::Uploaded {
        sha256: PluginSha256::of(&echo).to_string(),
    };

    assert!(cold_load(&app, &choice).await?, "compiled again");
    Ok(())
}

#[tokio::test]
async fn damaged_compiled_code_is_compiled_again_and_replaced() -> TestResult {
    let app = TestApp::local().await?;
    let echo = artifact(plugin_artifacts::ECHO)?;
    app.upload(&echo, "activate=false").await?;
    let sha256 = PluginSha256::of(&echo);
    let choice = PluginChoice::Uploaded {
        sha256: sha256.to_string(),
    };
    let key = compiled_key(&sha256, &app.services.plugins.host().engine_key());
    let (mut sealed, _) = app.objects.get(&key).await?.ok_or("no compiled code")?;
    let last = sealed.len() - 1;
    sealed[last] ^= 0x55;
    app.objects
        .put(&key, sealed.clone(), Condition::Always)
        .await?;

    assert!(!cold_load(&app, &choice).await?, "damaged code was run");
    let (replaced, _) = app.objects.get(&key).await?.ok_or("no compiled code")?;
    assert_ne!(replaced, sealed);
    assert!(
        cold_load(&app, &choice).await?,
        "the replacement was not used"
    );

    // Code sealed for another plugin is refused the same way.
    let standard = compiled_key(
        &PluginSha256::of(STANDARD_MAPPER),
        &app.services.plugins.host().engine_key(),
    );
    app.objects
        .put(&key, replaced.clone(), Condition::Always)
        .await?;
    app.objects
        .put(&standard, replaced, Condition::Always)
        .await?;
    assert!(
        !cold_load(&app, &PluginChoice::Standard).await?,
        "foreign code was run"
    );
    Ok(())
}

#[tokio::test]
async fn the_standard_mapper_is_compiled_once_and_then_deserialized() -> TestResult {
    let app = TestApp::local().await?;
    let key = compiled_key(
        &PluginSha256::of(STANDARD_MAPPER),
        &app.services.plugins.host().engine_key(),
    );
    assert!(app.objects.get(&key).await?.is_none());

    assert!(!cold_load(&app, &PluginChoice::Standard).await?);
    assert!(app.objects.get(&key).await?.is_some());
    assert!(cold_load(&app, &PluginChoice::Standard).await?);
    Ok(())
}

#[tokio::test]
async fn a_version_is_loaded_only_for_the_connection_it_was_uploaded_to() -> TestResult {
    let app = TestApp::local().await?;
    let echo = artifact(plugin_artifacts::ECHO)?;
    app.upload(&echo, "activate=false").await?;
    let choice = PluginChoice::Uploaded {
        sha256: PluginSha256::of(&echo).to_string(),
    };
    let other = ConnectionId::parse("fabrikam")?;

    let loaded = plugins::load(&app.services, &other, &choice).await;

    assert!(
        matches!(loaded, Err(PluginLoadError::UnknownVersion { .. })),
        "{:?}",
        loaded.map(|p| p.sha256().to_owned())
    );
    Ok(())
}
