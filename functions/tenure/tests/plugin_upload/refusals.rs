//! Uploads that fail a check: refused with the reason, nothing stored, settings unchanged.

use axum::http::StatusCode;
use tenure::plugin::STANDARD_MAPPER;
use tenure::service::settings::MappingSettings;
use tenure::store::objects::Condition;

use super::helpers::{Error, TestApp, TestResult, artifact, test_limits};

/// Uploads `wasm` to a connection with settings and the HR export `ids` (none: the sample
/// company); checks the refusal's status and that nothing changed; gives the message.
async fn refused(wasm: &[u8], ids: &[&str], status: StatusCode) -> Result<String, Error> {
    let app = TestApp::local().await?;
    app.store_settings().await?;
    if !ids.is_empty() {
        app.store_hr_export(ids).await?;
    }
    let settings = app.settings_bytes().await?;

    let (answered, answer) = app.upload(wasm, "").await?;

    assert_eq!(answered, status, "{answer}");
    assert_eq!(app.settings_bytes().await?, settings, "settings changed");
    assert_eq!(
        app.plugin_keys().await?,
        Vec::<String>::new(),
        "something was stored"
    );
    Ok(answer["error"]
        .as_str()
        .ok_or("no error message")?
        .to_owned())
}

async fn echo_on(ids: &[&str]) -> Result<String, Error> {
    refused(
        &artifact(plugin_artifacts::ECHO)?,
        ids,
        StatusCode::BAD_REQUEST,
    )
    .await
}

fn assert_says(message: &str, words: &[&str]) {
    for word in words {
        assert!(message.contains(word), "{word:?} not in: {message}");
    }
}

#[tokio::test]
async fn a_plugin_that_traps_on_a_sample_worker() -> TestResult {
    let message = echo_on(&["e1", "trap", "e2"]).await?;
    assert_says(
        &message,
        &[
            "failed on 1 of the 3 sample workers",
            "worker #2: it crashed",
        ],
    );
    Ok(())
}

#[tokio::test]
async fn a_plugin_that_loops_forever() -> TestResult {
    let message = echo_on(&["loop", "e1"]).await?;
    assert_says(&message, &["worker #1: it ran out of fuel"]);
    Ok(())
}

#[tokio::test]
async fn a_plugin_that_eats_memory() -> TestResult {
    let message = echo_on(&["grow"]).await?;
    assert_says(
        &message,
        &["worker #1: it used more than 33554432 bytes of memory"],
    );
    Ok(())
}

#[tokio::test]
async fn a_plugin_that_answers_garbage() -> TestResult {
    let message = echo_on(&["odd-attribute", "huge", "e1", "panic"]).await?;
    assert_says(
        &message,
        &[
            "failed on 3 of the 4",
            "worker #1: its answer breaks the contract",
            "worker #2: its answer was more than",
            "worker #4: it crashed",
        ],
    );
    Ok(())
}

/// A hostile plugin that writes HR values to stderr, panics with them and puts them in an
/// answer that breaks the contract gets back only positions and kinds: no employee id, name,
/// title or department, and nothing it wrote.
#[tokio::test]
async fn a_failed_trial_answers_no_hr_value_and_nothing_the_plugin_wrote() -> TestResult {
    let ids = [
        "e-7731",
        "panic",
        "leak",
        "leak-answer",
        "odd-attribute",
        "huge",
        "trap",
    ];
    let app = TestApp::local().await?;
    app.store_settings().await?;
    // Each row is the sample company's CEO with these ids.
    app.store_hr_export(&ids).await?;
    let (status, answer) = app.upload(&artifact(plugin_artifacts::ECHO)?, "").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let text = answer.to_string();
    assert!(
        text.contains("failed on 6 of the 7 sample workers"),
        "{text}"
    );
    assert!(text.contains("worker #3: it crashed"), "{text}");
    assert!(
        text.contains("worker #4: its answer breaks the contract"),
        "{text}"
    );
    for id in ids {
        // Employee ids are HR values too ("panic" is one here).
        assert!(!text.contains(&format!("worker {id}")), "{id} in: {text}");
    }
    let hr_values = [
        "Olivia",
        "Bennett",
        "Chief Executive Officer",
        "Executive",
        "olivia.1001@example.net",
        "e-7731",
    ];
    for value in hr_values {
        assert!(!text.contains(value), "{value:?} in: {text}");
    }
    for written in [
        "panics on purpose",
        "favouriteColour",
        "leaking",
        "it wrote",
    ] {
        assert!(!text.contains(written), "{written:?} in: {text}");
    }
    Ok(())
}

#[tokio::test]
async fn a_plugin_of_another_contract_version() -> TestResult {
    let message = refused(
        &artifact(plugin_artifacts::WRONG_WORLD)?,
        &[],
        StatusCode::BAD_REQUEST,
    )
    .await?;
    assert_says(
        &message,
        &["tenure:mapper/mapping@2.0.0", "this Tenure runs"],
    );
    Ok(())
}

#[tokio::test]
async fn a_plugin_with_imports_beyond_the_contract() -> TestResult {
    let message = refused(
        &artifact(plugin_artifacts::FORBIDDEN_IMPORT)?,
        &[],
        StatusCode::BAD_REQUEST,
    )
    .await?;
    assert_says(&message, &["imports `acme:exfil/net"]);
    let message = refused(
        &artifact(plugin_artifacts::SOCKET)?,
        &[],
        StatusCode::BAD_REQUEST,
    )
    .await?;
    assert_says(&message, &["imports `wasi:sockets/"]);
    Ok(())
}

#[tokio::test]
async fn bytes_that_are_not_a_component() -> TestResult {
    let message = refused(b"MZ\x90\0 not wasm at all", &[], StatusCode::BAD_REQUEST).await?;
    assert_says(
        &message,
        &["not a valid WebAssembly component", "magic bytes"],
    );
    let core_module = b"\0asm\x01\0\0\0";
    let message = refused(core_module, &[], StatusCode::BAD_REQUEST).await?;
    assert_says(&message, &["core WebAssembly module"]);
    let mut truncated = STANDARD_MAPPER.to_vec();
    truncated.truncate(STANDARD_MAPPER.len() / 2);
    let message = refused(&truncated, &[], StatusCode::BAD_REQUEST).await?;
    assert_says(&message, &["not a valid WebAssembly component"]);
    Ok(())
}

#[tokio::test]
async fn a_plugin_that_refuses_the_connections_configuration() -> TestResult {
    let app = TestApp::local().await?;
    MappingSettings::standard(serde_json::json!({ "refuse": true }))
        .save(app.objects.as_ref(), &app.connection, Condition::Absent)
        .await?;
    let settings = app.settings_bytes().await?;

    let (status, answer) = app.upload(&artifact(plugin_artifacts::ECHO)?, "").await?;

    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let message = answer["error"].as_str().unwrap_or_default();
    assert_says(
        message,
        &[
            "refused connection contoso's mapping configuration",
            "refused on purpose",
        ],
    );
    assert_eq!(app.settings_bytes().await?, settings);
    assert!(app.plugin_keys().await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn an_oversized_upload_is_answered_413() -> TestResult {
    let limit = test_limits().max_wasm_bytes;
    let mut just_over = STANDARD_MAPPER.to_vec();
    just_over.resize(limit + 1, 0);
    let message = refused(&just_over, &[], StatusCode::PAYLOAD_TOO_LARGE).await?;
    assert_says(
        &message,
        &[
            &format!("{} bytes", limit + 1),
            &format!("the {limit} bytes"),
        ],
    );
    let far_over = vec![0u8; limit + (1 << 20)];
    let message = refused(&far_over, &[], StatusCode::PAYLOAD_TOO_LARGE).await?;
    assert_says(&message, &[&format!("more than the {limit} bytes")]);
    Ok(())
}

#[tokio::test]
async fn an_unknown_connection_is_404() -> TestResult {
    let app = TestApp::local().await?;
    let (status, answer) = app
        .send(
            "POST",
            "/connections/fabrikam/plugins",
            "",
            Some(STANDARD_MAPPER),
        )
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert_says(
        answer["error"].as_str().unwrap_or_default(),
        &["no connection fabrikam"],
    );
    Ok(())
}
