//! `cargo bench --workspace --bench plugins [-- WORKERS [LANGUAGE]]`: the reference plugins of
//! `plugins/examples` (one policy in Rust, JavaScript and Python) mapping a synthetic company of
//! WORKERS workers (default 10,000) on every core: wall time per worker amortised, fuel per
//! worker, what one fresh instance costs, and what loading costs: compiling, and then the same
//! component from the compile cache (paid once per version and machine).
//!
//! A plugin that maps its batches in JSON (contract 1.1: the JavaScript one) is measured through
//! that call, then through the typed call.
//!
//! LANGUAGE (`rust`, `javascript` or `python`) measures one plugin only. Targets
//! (docs/benchmarks.md): JavaScript ≤ 100 µs and Python ≤ 150 µs per worker on two cores.

use std::time::{Duration, Instant};

use tenure::directory::Snapshot;
use tenure::plugin::{BatchCall, MapItem, Plugin, PluginHost, SandboxLimits};
use tenure::today::Today;
use tenure_test_support::machine::{cores, cpu_model};

const PLUGINS: [(&str, &str); 3] = [
    ("rust", plugin_artifacts::EXAMPLE_RUST),
    ("javascript", plugin_artifacts::EXAMPLE_JS),
    ("python", plugin_artifacts::EXAMPLE_PY),
];

/// How many single-worker calls measure one fresh instance.
const SINGLES: usize = 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let workers: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let only = args.next();
    let company = tenure::synthetic::company(workers, 7)?;
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("hr.csv"), &company.hr_csv)?;
    let hr = tenure::hr::read_file(&dir.path().join("hr.csv"))?;
    let directory: Snapshot = company.directory;
    let today = Today::parse("2026-12-01")?;
    let items = tenure::pipeline::map_items(&hr.workers, &directory, today);
    let domains = directory.tenant.verified_domains.clone();
    println!(
        "{} workers; machine: {} cores, {}",
        items.len(),
        cores(),
        cpu_model()
    );
    for (language, path) in PLUGINS {
        if only.as_deref().is_some_and(|only| only != language) {
            continue;
        }
        let wasm = plugin_artifacts::read(path)?;
        let cache = dir.path().join(language);
        let (_, compile) = timed(|| load(&cache, &wasm))?;
        let (plugin, cached) = timed(|| load(&cache, &wasm))?;
        plugin.validate_config("{}", &domains)?;
        println!(
            "{language}: component {:.1} MiB, compiled in {:.1} s, from the cache in {:.0} ms",
            wasm.len() as f64 / (1 << 20) as f64,
            compile.as_secs_f64(),
            cached.as_secs_f64() * 1e3,
        );
        let call = plugin.batch_call();
        measure(&format!("{language} ({call:?})"), &plugin, &items, &domains);
        if call == BatchCall::Json {
            // The same plugin through the typed call, which a 1.0 plugin has only.
            let typed = plugin.typed_batches();
            measure(&format!("{language} (Typed)"), &typed, &items, &domains);
        }
    }
    Ok(())
}

/// Maps the company, and one worker alone [`SINGLES`] times, and prints the cost per worker.
fn measure(label: &str, plugin: &Plugin, items: &[MapItem<'_>], domains: &[String]) {
    let one = &items[..1];
    let started = Instant::now();
    let mut single_fuel = 0;
    for _ in 0..SINGLES {
        single_fuel = plugin.map_all(one, domains, "{}").fuel_consumed;
    }
    let single = started.elapsed() / SINGLES as u32;
    let started = Instant::now();
    let outcome = plugin.map_all(items, domains, "{}");
    let map = started.elapsed();
    let refused = outcome.results.iter().filter(|r| r.is_err()).count();
    let n = items.len().max(1) as f64;
    println!(
        "{label}: {:.1} µs/worker wall ({:.2} s for {}; {refused} refused), {:.0} fuel/worker; \
         one worker alone {:.2} ms and {single_fuel} fuel",
        map.as_secs_f64() * 1e6 / n,
        map.as_secs_f64(),
        items.len(),
        outcome.fuel_consumed as f64 / n,
        single.as_secs_f64() * 1e3,
    );
}

/// The plugin, loaded by a fresh host (one per process in Tenure) with the compile cache `cache`.
fn load(cache: &std::path::Path, wasm: &[u8]) -> Result<Plugin, Box<dyn std::error::Error>> {
    let host = PluginHost::new(SandboxLimits::default(), Some(cache.to_path_buf()))?;
    Ok(host.load(wasm)?)
}

fn timed<T>(
    run: impl FnOnce() -> Result<T, Box<dyn std::error::Error>>,
) -> Result<(T, Duration), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let value = run()?;
    Ok((value, started.elapsed()))
}
