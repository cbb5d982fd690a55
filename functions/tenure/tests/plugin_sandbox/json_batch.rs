//! The JSON batch call of contract 1.1 (`map-batch-json`), with the hostile JavaScript plugin
//! (`plugins/test-programs/javascript/hostile.js`), which exports it and breaks its JSON answer
//! on purpose for some employee ids: whatever the answer, only the worker it concerns fails,
//! with a reason that names the worker and the field, and the sandbox's limits hold.

use tenure::plugin::{BatchCall, Plugin, PluginError, PluginHost, SandboxLimits};

use super::helpers::{Error, TestResult, map_between_good_workers};

fn hostile(limits: SandboxLimits) -> Result<Plugin, Error> {
    // The compiled code is shared by every test process (compiling an interpreter takes a
    // debug build many seconds).
    let host = PluginHost::new(limits, Some(plugin_artifacts::compile_cache()))?;
    let plugin = host.load(&plugin_artifacts::read(plugin_artifacts::HOSTILE_JS)?)?;
    assert_eq!(plugin.batch_call(), BatchCall::Json);
    Ok(plugin)
}

/// The reason of an `InvalidOutput`, or what came instead.
fn invalid_output(result: Result<tenure::desired::DesiredState, PluginError>) -> String {
    match result {
        Err(PluginError::InvalidOutput { reason }) => reason,
        other => panic!("expected an answer that breaks the contract, got {other:?}"),
    }
}

#[test]
fn the_hostile_cases_are_contained_through_the_json_call_too() -> TestResult {
    // The loop, the memory bomb and the crash of the interpreted tests run through
    // map-batch-json here: check that this plugin's batches do go that way.
    let plugin = hostile(SandboxLimits::default())?;
    let error = map_between_good_workers(&plugin, "loop")?.err();
    assert_eq!(
        error,
        Some(PluginError::FuelExhausted {
            fuel: SandboxLimits::default().fuel_per_worker
        })
    );
    let error = map_between_good_workers(&plugin, "trap")?.err();
    assert!(matches!(error, Some(PluginError::Trap { .. })), "{error:?}");
    Ok(())
}

#[test]
fn an_answer_that_is_not_json_or_not_utf8_fails_only_its_worker() -> TestResult {
    let plugin = hostile(SandboxLimits::default())?;
    let reason = invalid_output(map_between_good_workers(&plugin, "json-garbage")?);
    assert!(
        reason.starts_with("its JSON answer is not what map-batch-json must give: expected "),
        "{reason}"
    );
    let reason = invalid_output(map_between_good_workers(&plugin, "json-not-utf8")?);
    assert!(
        reason.starts_with(
            "its JSON answer for employee json-not-utf8 is not what map-batch-json must give: \
             invalid unicode code point"
        ),
        "{reason}"
    );
    Ok(())
}

#[test]
fn an_answer_missing_a_worker_fails_only_that_worker() -> TestResult {
    let plugin = hostile(SandboxLimits::default())?;
    let reason = invalid_output(map_between_good_workers(&plugin, "json-short")?);
    assert_eq!(reason, "it gave 0 answers for 1 worker");
    Ok(())
}

#[test]
fn unknown_fields_and_cases_and_a_null_that_is_no_option_are_refused_by_name() -> TestResult {
    let plugin = hostile(SandboxLimits::default())?;
    for (id, field, said) in [
        (
            "json-field",
            "val.account.secretBackdoor",
            "unknown field `secretBackdoor`",
        ),
        ("json-variant", "val.phase", "unknown variant `retired`"),
        (
            "json-null-name",
            "val.account.displayName",
            "invalid type: null, expected a string",
        ),
    ] {
        let reason = invalid_output(map_between_good_workers(&plugin, id)?);
        assert!(
            reason.starts_with(&format!(
                "its JSON answer for employee {id} is not what map-batch-json must give at `{field}`: {said}"
            )),
            "{id}: {reason}"
        );
    }
    Ok(())
}

#[test]
fn a_huge_answer_is_refused_at_the_output_limit() -> TestResult {
    // Fuel enough for the interpreter to write a 300 KiB display name: the limit under test is
    // the output's.
    let limits = SandboxLimits {
        fuel_per_worker: 500_000_000,
        ..SandboxLimits::default()
    };
    // The answer, read, is over the limit (256 KiB), as a typed answer would be.
    let plugin = hostile(limits)?;
    let error = map_between_good_workers(&plugin, "json-huge")?.err();
    let Some(PluginError::OutputTooLarge { bytes, limit }) = error else {
        return Err(format!("expected OutputTooLarge, got {error:?}").into());
    };
    assert_eq!(limit, limits.output_bytes);
    assert!(bytes > 300 << 10, "{bytes}");

    // With a lower limit the JSON text alone is over twice the limit (for the worker alone, once
    // the batch has failed): refused before it is read.
    let strict = SandboxLimits {
        output_bytes: 32 << 10,
        ..limits
    };
    let plugin = hostile(strict)?;
    let error = map_between_good_workers(&plugin, "json-huge")?.err();
    assert!(
        matches!(error, Some(PluginError::OutputTooLarge { limit, .. }) if limit == 64 << 10),
        "{error:?}"
    );
    Ok(())
}

#[test]
fn a_plugin_without_the_json_call_maps_through_the_typed_one() -> TestResult {
    let host = PluginHost::new(SandboxLimits::default(), None)?;
    let echo = host.load(&plugin_artifacts::read(plugin_artifacts::ECHO)?)?;
    assert_eq!(echo.batch_call(), BatchCall::Typed);
    assert_eq!(echo.contract(), "tenure:mapper/mapping@1.1.0");
    Ok(())
}
