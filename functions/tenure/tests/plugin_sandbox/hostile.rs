use std::time::Duration;

use plugin_artifacts::Extra;
use tenure::directory::UserAttribute;
use tenure::plugin::{PluginError, SandboxLimits};

use super::helpers::{
    TestResult, domains, echo, items, load, map_between_good_workers, quick_limits, upn,
};

#[test]
fn an_endless_loop_runs_out_of_fuel() -> TestResult {
    let plugin = echo()?;
    let error = map_between_good_workers(&plugin, "loop")?.err();
    assert_eq!(
        error,
        Some(PluginError::FuelExhausted {
            fuel: quick_limits().fuel_per_worker
        })
    );
    let message = error.map(|error| error.to_string()).unwrap_or_default();
    assert!(
        message.contains("ran out of fuel after 5000000 units"),
        "{message}"
    );
    Ok(())
}

#[test]
fn an_endless_loop_with_unlimited_fuel_is_stopped_by_the_deadline() -> TestResult {
    let limits = SandboxLimits {
        fuel_per_worker: u64::MAX / 16,
        epoch_deadline: Duration::from_millis(200),
        ..quick_limits()
    };
    let plugin = load(plugin_artifacts::ECHO, limits)?;
    let error = map_between_good_workers(&plugin, "loop")?.err();
    assert_eq!(
        error,
        Some(PluginError::Timeout {
            after: Duration::from_millis(200)
        })
    );
    let message = error.map(|error| error.to_string()).unwrap_or_default();
    assert!(
        message.contains("stopped after running for 200ms"),
        "{message}"
    );
    Ok(())
}

#[test]
fn a_panic_is_a_crash_that_quotes_the_panic_message() -> TestResult {
    let plugin = echo()?;
    let Err(PluginError::Trap { message }) = map_between_good_workers(&plugin, "panic")? else {
        return Err("a panic should be a Trap".into());
    };
    assert!(message.contains("panicked"), "{message}");
    assert!(
        message.contains("the echo plugin panics on purpose"),
        "{message}"
    );
    Ok(())
}

#[test]
fn an_unreachable_instruction_is_a_crash() -> TestResult {
    let plugin = echo()?;
    let Err(error @ PluginError::Trap { .. }) = map_between_good_workers(&plugin, "trap")? else {
        return Err("`unreachable` should be a Trap".into());
    };
    assert!(
        error
            .to_string()
            .starts_with("the plugin crashed: it panicked or reached an `unreachable`"),
        "{error}"
    );
    Ok(())
}

#[test]
fn a_memory_bomb_hits_the_memory_limit() -> TestResult {
    let plugin = echo()?;
    let error = map_between_good_workers(&plugin, "grow")?.err();
    assert_eq!(error, Some(PluginError::MemoryLimit { bytes: 32 << 20 }));
    let message = error.map(|error| error.to_string()).unwrap_or_default();
    assert!(
        message.contains("more than 33554432 bytes of memory"),
        "{message}"
    );
    Ok(())
}

#[test]
fn a_huge_answer_is_refused_as_too_large() -> TestResult {
    let plugin = echo()?;
    let Err(PluginError::OutputTooLarge { bytes, limit }) =
        map_between_good_workers(&plugin, "huge")?
    else {
        return Err("a 1 MiB answer should be OutputTooLarge".into());
    };
    assert_eq!(limit, SandboxLimits::default().output_bytes);
    assert!(bytes > 1 << 20, "{bytes}");
    Ok(())
}

#[test]
fn reading_a_file_is_denied_by_name() -> TestResult {
    let plugin = echo()?;
    let error = map_between_good_workers(&plugin, "file")?.err();
    assert_eq!(
        error,
        Some(PluginError::Denied {
            capability: "file access".into()
        })
    );
    let message = error.map(|error| error.to_string()).unwrap_or_default();
    assert!(
        message.starts_with("the sandbox denies file access"),
        "{message}"
    );
    Ok(())
}

#[test]
fn sleeping_is_denied_rather_than_waited_for() -> TestResult {
    let plugin = echo()?;
    let error = map_between_good_workers(&plugin, "sleep")?.err();
    assert_eq!(
        error,
        Some(PluginError::Denied {
            capability: "timers".into()
        })
    );
    Ok(())
}

#[test]
fn exiting_is_a_crash() -> TestResult {
    let plugin = echo()?;
    let Err(PluginError::Trap { message }) = map_between_good_workers(&plugin, "exit")? else {
        return Err("exit should be a Trap".into());
    };
    // WASI 0.2 passes on only success or failure: the 3 arrives as 1.
    assert_eq!(message, "it exited with status 1 instead of answering");
    Ok(())
}

#[test]
fn the_environment_and_arguments_are_empty() -> TestResult {
    let plugin = echo()?;
    let state = map_between_good_workers(&plugin, "env")??;
    let account = state
        .account
        .ok_or("the env worker should have an account")?;
    // The echo plugin reports every variable and argument it sees in its job title.
    assert_eq!(
        account.attributes,
        vec![(UserAttribute::JobTitle, Some("vars=[] args=[]".into()))]
    );
    Ok(())
}

#[test]
fn an_attribute_tenure_does_not_set_fails_only_that_worker() -> TestResult {
    let plugin = echo()?;
    let Err(PluginError::InvalidOutput { reason }) =
        map_between_good_workers(&plugin, "odd-attribute")?
    else {
        return Err("an unknown attribute should be InvalidOutput".into());
    };
    assert!(
        reason.contains("attribute \"favouriteColour\" is not a user property Tenure sets"),
        "{reason}"
    );
    Ok(())
}

#[test]
fn the_plugins_own_refusal_is_its_typed_error() -> TestResult {
    let plugin = echo()?;
    let Err(PluginError::Refused(refusal)) = map_between_good_workers(&plugin, "refuse")? else {
        return Err("the plugin's refusal should be Refused".into());
    };
    assert_eq!(refusal.field.as_deref(), Some("employee_id"));
    assert_eq!(refusal.message, "this worker is refused on purpose");
    Ok(())
}

#[test]
fn every_misbehaviour_at_once_fails_only_the_guilty() -> TestResult {
    let plugin = echo()?;
    let ids = [
        "a", "loop", "b", "panic", "c", "grow", "d", "huge", "e", "file", "f", "trap", "g",
    ];
    let outcome = plugin.map_all(&items(&ids), &domains(), "{}");
    for (id, result) in ids.iter().zip(&outcome.results) {
        if id.len() == 1 {
            let expected = format!("{id}@contoso.com");
            assert_eq!(
                result.as_ref().ok().and_then(upn),
                Some(expected.as_str()),
                "{id}: {result:?}"
            );
        } else {
            assert!(result.is_err(), "{id} should fail");
        }
    }
    // The same plugin, and its host, still work afterwards.
    let again = plugin.map_all(&items(&["z"]), &domains(), "{}");
    assert_eq!(
        again.results[0].as_ref().ok().and_then(upn),
        Some("z@contoso.com")
    );
    Ok(())
}

/// The echo plugin with `count` more core instances, each defining one `extra`, loaded with
/// [`quick_limits`] (32 MiB for memories and tables together).
fn echo_with(extra: Extra, count: u32) -> Result<tenure::plugin::Plugin, crate::support::Error> {
    let wasm = plugin_artifacts::with_extra(
        &plugin_artifacts::read(plugin_artifacts::ECHO)?,
        extra,
        count,
    );
    let host = tenure::plugin::PluginHost::new(quick_limits(), None)?;
    Ok(host.load(&wasm)?)
}

/// Every worker's result of one call.
fn map_three(
    plugin: &tenure::plugin::Plugin,
) -> Vec<Result<tenure::desired::DesiredState, PluginError>> {
    plugin
        .map_all(&items(&["a", "b", "c"]), &domains(), "{}")
        .results
}

#[test]
fn memories_each_under_the_limit_are_stopped_at_their_total() -> TestResult {
    // Three more memories of 12 MiB: each well under the 32 MiB limit, 36 MiB together.
    let plugin = echo_with(Extra::Memory { pages: 192 }, 3)?;
    for result in map_three(&plugin) {
        assert_eq!(
            result.err(),
            Some(PluginError::MemoryLimit { bytes: 32 << 20 })
        );
    }
    // Two of them (24 MiB, with the plugin's own memory under 32 MiB): the plugin works.
    let plugin = echo_with(Extra::Memory { pages: 192 }, 2)?;
    for result in map_three(&plugin) {
        assert!(upn(&result?).is_some());
    }
    Ok(())
}

#[test]
fn tables_count_against_the_same_total() -> TestResult {
    // Five more tables of a million elements: 8 bytes each, 40 MB together.
    let plugin = echo_with(
        Extra::Table {
            elements: 1_000_000,
        },
        5,
    )?;
    for result in map_three(&plugin) {
        assert_eq!(
            result.err(),
            Some(PluginError::MemoryLimit { bytes: 32 << 20 })
        );
    }
    Ok(())
}

#[test]
fn more_than_a_few_memories_or_tables_are_refused_whatever_their_size() -> TestResult {
    for (extra, what) in [
        (Extra::Memory { pages: 1 }, "memory"),
        (Extra::Table { elements: 1 }, "table"),
    ] {
        let plugin = echo_with(extra, 16)?;
        for result in map_three(&plugin) {
            let Err(error @ PluginError::TooManyResources { .. }) = result else {
                return Err(format!("{what}: {result:?}").into());
            };
            let message = error.to_string();
            assert!(
                message.contains("at most 4 memories and 16 tables"),
                "{message}"
            );
            assert!(message.contains(what), "{message}");
        }
    }
    Ok(())
}
