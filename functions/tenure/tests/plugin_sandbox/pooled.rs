//! A host whose instances come from a pool (`PluginHost::with_instance_pool`) answers as one
//! that maps a fresh instance for every call: the same answers, the same refusals in the same
//! words, the same fuel, for the hostile plugins in every language and the examples.

use plugin_artifacts::Extra;
use tenure::plugin::{MapOutcome, PluginHost, SandboxLimits};

use super::helpers::{Error, TestResult, domains, items, quick_limits};

/// Workers that make the hostile plugins misbehave in every way they can, among good ones.
const HOSTILE_WORKERS: [&str; 17] = [
    "a", "loop", "b", "panic", "c", "grow", "d", "huge", "e", "file", "f", "trap", "g", "sleep",
    "exit", "env", "refuse",
];

/// Maps `ids` with `wasm` in a fresh host of each kind; both must load it or refuse it alike,
/// and map alike. Gives how many workers were mapped without error.
fn mapped_alike(wasm: &[u8], limits: SandboxLimits, ids: &[&str]) -> Result<usize, Error> {
    let cache = Some(plugin_artifacts::compile_cache());
    let fresh = PluginHost::new(limits, cache.clone())?.load(wasm);
    let pooled = PluginHost::with_instance_pool(limits, cache)?.load(wasm);
    let (fresh, pooled) = match (fresh, pooled) {
        (Ok(fresh), Ok(pooled)) => (fresh, pooled),
        (Err(fresh), Err(pooled)) => {
            assert_eq!(fresh.to_string(), pooled.to_string());
            return Ok(0);
        }
        (fresh, pooled) => {
            return Err(format!(
                "loaded differently: {:?} and {:?}",
                fresh.err(),
                pooled.err()
            )
            .into());
        }
    };
    let workers = items(ids);
    let from_fresh: MapOutcome = fresh.map_all(&workers, &domains(), "{}");
    let from_pool: MapOutcome = pooled.map_all(&workers, &domains(), "{}");
    assert_eq!(from_fresh, from_pool);
    Ok(from_pool
        .results
        .iter()
        .filter(|result| result.is_ok())
        .count())
}

#[test]
fn the_hostile_rust_plugin_is_answered_alike() -> TestResult {
    let echo = plugin_artifacts::read(plugin_artifacts::ECHO)?;
    // The seven good workers, and the one whose environment is only read.
    assert_eq!(mapped_alike(&echo, quick_limits(), &HOSTILE_WORKERS)?, 8);
    Ok(())
}

#[test]
fn extra_memories_and_tables_are_refused_alike() -> TestResult {
    let echo = plugin_artifacts::read(plugin_artifacts::ECHO)?;
    for (extra, count) in [
        (Extra::Memory { pages: 192 }, 3),
        (Extra::Memory { pages: 192 }, 2),
        (
            Extra::Table {
                elements: 1_000_000,
            },
            5,
        ),
        (
            Extra::Table {
                elements: 1_000_001,
            },
            1,
        ),
        (Extra::Memory { pages: 1 }, 16),
        (Extra::Table { elements: 1 }, 16),
    ] {
        let wasm = plugin_artifacts::with_extra(&echo, extra, count);
        let mapped = mapped_alike(&wasm, quick_limits(), &["a", "b", "c"])?;
        // Only two extra memories of 12 MiB fit the 32 MiB.
        assert_eq!(
            mapped,
            if count == 2 { 3 } else { 0 },
            "{extra:?} × {count}"
        );
    }
    Ok(())
}

#[test]
fn the_hostile_javascript_and_python_plugins_are_answered_alike() -> TestResult {
    for path in [plugin_artifacts::HOSTILE_JS, plugin_artifacts::HOSTILE_PY] {
        let wasm = plugin_artifacts::read(path)?;
        assert!(mapped_alike(&wasm, SandboxLimits::default(), &HOSTILE_WORKERS)? >= 7);
    }
    Ok(())
}

#[test]
fn the_examples_in_every_language_map_alike_on_every_core() -> TestResult {
    // Batches on every thread at once, more than the pool holds instances per core.
    let ids: Vec<String> = (0..3_000).map(|i| format!("w{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    for path in [
        plugin_artifacts::EXAMPLE_RUST,
        plugin_artifacts::EXAMPLE_JS,
        plugin_artifacts::EXAMPLE_PY,
    ] {
        let wasm = plugin_artifacts::read(path)?;
        assert_eq!(
            mapped_alike(&wasm, SandboxLimits::default(), &ids)?,
            ids.len()
        );
    }
    Ok(())
}
