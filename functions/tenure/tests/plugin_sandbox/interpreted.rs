//! The hostile cases again, in JavaScript (componentize-js) and Python (componentize-py): an
//! interpreter inside the component changes nothing about how each is contained, and each
//! failure is the same error as the Rust plugin's.

use std::time::Duration;

use tenure::plugin::{Plugin, PluginError, PluginHost, SandboxLimits};

use super::helpers::{Error, TestResult, map_between_good_workers, upn};

/// The hostile program in each language, built as plugins are.
const HOSTILE: [(&str, &str); 2] = [
    ("JavaScript", plugin_artifacts::HOSTILE_JS),
    ("Python", plugin_artifacts::HOSTILE_PY),
];

/// The program in each language in a host with these limits. The compiled code is shared by
/// every test process (compiling an interpreter takes a debug build many seconds).
fn each_language(limits: SandboxLimits) -> Result<Vec<(&'static str, Plugin)>, Error> {
    HOSTILE
        .iter()
        .map(|(language, path)| Ok((*language, load(path, limits)?)))
        .collect()
}

fn load(path: &str, limits: SandboxLimits) -> Result<Plugin, Error> {
    let host = PluginHost::new(limits, Some(plugin_artifacts::compile_cache()))?;
    Ok(host.load(&plugin_artifacts::read(path)?)?)
}

#[test]
fn an_endless_loop_runs_out_of_fuel() -> TestResult {
    let limits = SandboxLimits::default();
    for (language, plugin) in each_language(limits)? {
        let error = map_between_good_workers(&plugin, "loop")?.err();
        assert_eq!(
            error,
            Some(PluginError::FuelExhausted {
                fuel: limits.fuel_per_worker
            }),
            "{language}"
        );
    }
    Ok(())
}

#[test]
fn an_endless_loop_with_unlimited_fuel_is_stopped_by_the_deadline() -> TestResult {
    let limits = SandboxLimits {
        fuel_per_worker: u64::MAX / 16,
        epoch_deadline: Duration::from_millis(300),
        ..SandboxLimits::default()
    };
    for (language, plugin) in each_language(limits)? {
        let error = map_between_good_workers(&plugin, "loop")?.err();
        assert_eq!(
            error,
            Some(PluginError::Timeout {
                after: Duration::from_millis(300)
            }),
            "{language}"
        );
    }
    Ok(())
}

#[test]
fn a_memory_bomb_hits_the_memory_limit() -> TestResult {
    // Fuel and time enough for the interpreters to reach the limit rather than stop first.
    let limits = SandboxLimits {
        fuel_per_worker: u64::MAX / 16,
        epoch_deadline: Duration::from_secs(60),
        memory_bytes: 64 << 20,
        ..SandboxLimits::default()
    };
    for (language, plugin) in each_language(limits)? {
        let error = map_between_good_workers(&plugin, "grow")?.err();
        assert_eq!(
            error,
            Some(PluginError::MemoryLimit { bytes: 64 << 20 }),
            "{language}"
        );
        let message = error.map(|error| error.to_string()).unwrap_or_default();
        assert!(
            message.contains("more than 67108864 bytes of memory"),
            "{language}: {message}"
        );
    }
    Ok(())
}

#[test]
fn an_uncaught_exception_is_a_crash() -> TestResult {
    for (language, plugin) in each_language(SandboxLimits::default())? {
        let Err(error @ PluginError::Trap { .. }) = map_between_good_workers(&plugin, "trap")?
        else {
            return Err(format!("{language}: an uncaught exception should be a Trap").into());
        };
        assert!(
            error
                .to_string()
                .starts_with("the plugin crashed: it panicked or reached an `unreachable`"),
            "{language}: {error}"
        );
    }
    Ok(())
}

#[test]
fn fetch_and_sockets_fail_inside_the_sandbox_as_a_crash() -> TestResult {
    // Built as plugins are, neither has a way out: `fetch` throws, the socket cannot be made.
    for ((language, plugin), id) in each_language(SandboxLimits::default())?
        .into_iter()
        .zip(["fetch", "socket"])
    {
        let error = map_between_good_workers(&plugin, id)?.err();
        assert!(
            matches!(error, Some(PluginError::Trap { .. })),
            "{language} {id}: {error:?}"
        );
    }
    Ok(())
}

#[test]
fn built_with_fetch_or_sockets_it_is_refused_at_load_naming_the_import() -> TestResult {
    for (path, interface) in [
        (plugin_artifacts::HOSTILE_JS_FETCH, "wasi:http/"),
        (plugin_artifacts::HOSTILE_PY_SOCKETS, "wasi:sockets/"),
    ] {
        let host = PluginHost::new(SandboxLimits::default(), None)?;
        let error = host.load(&plugin_artifacts::read(path)?).err();
        let Some(PluginError::ForbiddenImport { import }) = &error else {
            return Err(
                format!("{path} should be refused as a forbidden import: {error:?}").into(),
            );
        };
        assert!(import.starts_with(interface), "{path}: {import}");
        let message = error.as_ref().map(ToString::to_string).unwrap_or_default();
        assert!(message.contains(import.as_str()), "{message}");
    }
    Ok(())
}

#[test]
fn logging_to_the_console_is_harmless() -> TestResult {
    for (language, plugin) in each_language(SandboxLimits::default())? {
        let state = map_between_good_workers(&plugin, "log")?
            .map_err(|error| format!("{language}: {error}"))?;
        assert_eq!(upn(&state), Some("log@contoso.com"), "{language}");
    }
    Ok(())
}

#[test]
fn a_python_plugin_writing_to_the_real_stdout_crashes() -> TestResult {
    // `--stub-wasi` leaves CPython no stdout: the reason the examples and templates replace
    // `sys.stdout` and `sys.stderr` with a writer that discards.
    let plugin = load(plugin_artifacts::HOSTILE_PY, SandboxLimits::default())?;
    let error = map_between_good_workers(&plugin, "raw-print")?.err();
    assert!(matches!(error, Some(PluginError::Trap { .. })), "{error:?}");
    Ok(())
}
