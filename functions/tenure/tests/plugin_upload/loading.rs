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

/// The layout of sealed compiled code in the object store: magic, the key's number (4 bytes),
/// the wasm's SHA-256, the engine key, the code's SHA-256, the code, an HMAC-SHA256.
const HEADER: usize = 16 + 4 + 3 * 32;
const MAC: usize = 32;

fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).to_vec()
}

fn hmac(key: &[u8], bytes: &[u8]) -> Result<Vec<u8>, Error> {
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key)?;
    mac.update(bytes);
    Ok(mac.finalize().into_bytes().to_vec())
}

/// Someone who can write to the bucket but does not hold the deployment's compiled-code key
/// puts the standard mapper's machine code under the echo plugin's key, with every digest
/// right for the echo plugin: in the old layout without an HMAC, and in the new one with an
/// HMAC of a key of their own. Neither is run: the echo plugin is compiled again from its
/// WebAssembly, and its own code replaces the forgery.
#[tokio::test]
async fn compiled_code_with_right_digests_but_no_or_a_wrong_hmac_is_not_run() -> TestResult {
    let app = TestApp::local().await?;
    let echo = artifact(plugin_artifacts::ECHO)?;
    app.upload(&echo, "activate=false").await?;
    let echo_sha = PluginSha256::of(&echo);
    let choice = PluginChoice::Uploaded {
        sha256: echo_sha.to_string(),
    };
    let engine_key = app.services.plugins.host().engine_key();
    let engine = hex::decode(&engine_key)?;
    // The standard mapper's genuine sealed code, and the machine code in it.
    assert!(!cold_load(&app, &PluginChoice::Standard).await?);
    let standard_key = compiled_key(&PluginSha256::of(STANDARD_MAPPER), &engine_key);
    let (standard, _) = app.objects.get(&standard_key).await?.ok_or("no code")?;
    let code = &standard[HEADER..standard.len() - MAC];
    let key_id = &standard[16..20];

    let mut digests = hex::decode(echo_sha.as_str())?;
    digests.extend_from_slice(&engine);
    digests.extend_from_slice(&sha256(code));
    let mut without_hmac = b"tenure-cwasm-v1\n".to_vec();
    without_hmac.extend_from_slice(&digests);
    without_hmac.extend_from_slice(code);
    let mut wrong_hmac = b"tenure-cwasm-v2\n".to_vec();
    wrong_hmac.extend_from_slice(key_id);
    wrong_hmac.extend_from_slice(&digests);
    wrong_hmac.extend_from_slice(code);
    let mac = hmac(b"a key of the attacker's own", &wrong_hmac)?;
    wrong_hmac.extend_from_slice(&mac);

    let echo_key = compiled_key(&echo_sha, &engine_key);
    for forged in [without_hmac, wrong_hmac] {
        app.objects
            .put(&echo_key, forged.clone(), Condition::Always)
            .await?;
        let services = app.cold_services()?;
        let plugin = plugins::load(&services, &app.connection, &choice).await?;
        assert!(!plugin.from_cache(), "the forged code was deserialized");
        // The echo plugin's own answer (the standard mapper would give a name-based UPN).
        assert_eq!(echo_upn(&plugin), Some("1001@contoso.com".to_owned()));
        let (replaced, _) = app.objects.get(&echo_key).await?.ok_or("no code")?;
        assert_ne!(replaced, forged, "the forgery was kept");
    }
    Ok(())
}

/// The UPN the plugin gives the sample company's first worker (employee 1001).
fn echo_upn(plugin: &Plugin) -> Option<String> {
    let company = std::fs::read(crate::support::samples::path("company.csv")).ok()?;
    let batch = tenure::hr::read_csv(&company, "company.csv".into()).ok()?;
    let items = [MapItem {
        worker: &batch.workers.first()?.worker,
        today: jiff::civil::date(2026, 11, 27),
        has_account: false,
    }];
    let outcome = plugin.map_all(&items, &["contoso.com".to_owned()], "{}");
    let state = outcome.results.into_iter().next()?.ok()?;
    let account = state.account?;
    Some(account.identities.first()?.user_principal_name.clone())
}
