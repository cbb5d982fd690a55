//! `cargo bench -p tenure --bench cold_start [-- RUNS]`: what a cold Lambda pays for its plugin.
//! Each run builds a fresh `PluginHost` (a new engine, linker and epoch thread), loads the
//! standard mapper through a fresh `PluginLibrary` from its sealed precompiled code in a local
//! object store (deserialized, not compiled), checks the sample configuration and maps one
//! worker. Target (docs/benchmarks.md): ≤ 30 ms. Prints the median and p95 of the whole, and of
//! each part.

use tenure_test_support::machine;

use machine::{cores, cpu_model};

use std::sync::Arc;
use std::time::{Duration, Instant};

use tenure::plugin::{MapItem, PluginHost, SandboxLimits};
use tenure::service::plugins::PluginLibrary;
use tenure::service::settings::PluginChoice;
use tenure::store::connections::ConnectionId;
use tenure::store::objects::{LocalObjectStore, ObjectStore};
use tenure::store::secrets::{KeyPurpose, LocalSecretStore, SecretStore};
use tenure::store::{DataDir, KeyRing};

const TARGET: Duration = Duration::from_millis(30);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(50);
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let dir = tempfile::tempdir()?;
    let data = DataDir::open(dir.path().join("data"))?;
    let objects: Arc<dyn ObjectStore> = Arc::new(LocalObjectStore::open(&data)?);
    let secrets: Arc<dyn SecretStore> = Arc::new(LocalSecretStore::open(&data)?);
    let connection = ConnectionId::parse("contoso")?;
    let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samplesdata");
    let config = std::fs::read_to_string(samples.join("mapper.json"))?;
    let company = std::fs::read(samples.join("company.csv"))?;
    let hr = tenure::hr::read_csv(&company, "company.csv".into())?;
    let worker = &hr.workers.first().ok_or("no sample worker")?.worker;
    let domains = vec!["contoso.com".to_owned()];

    // What the first cold start (or an upload) does once: compile and store the sealed code.
    let started = Instant::now();
    let library = PluginLibrary::new(PluginHost::new(SandboxLimits::default(), None)?);
    let keys = KeyRing::new(Arc::clone(&secrets));
    runtime.block_on(library.load(
        objects.as_ref(),
        &keys,
        &connection,
        &PluginChoice::Standard,
    ))?;
    println!(
        "first start: compiled the standard mapper and stored its code in {:.1?}",
        started.elapsed()
    );
    drop(library);
    println!("machine: {} cores, {}", cores(), cpu_model());
    hmac_check(&runtime, objects.as_ref(), &keys, runs.max(200))?;

    let mut totals = Vec::with_capacity(runs);
    let mut hosts = Vec::with_capacity(runs);
    let mut loads = Vec::with_capacity(runs);
    let mut maps = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let host = PluginHost::new(SandboxLimits::default(), None)?;
        let library = PluginLibrary::new(host);
        // A fresh instance reads the compiled-code key from the secret store once.
        let keys = KeyRing::new(Arc::clone(&secrets));
        let host_done = Instant::now();
        let plugin = runtime.block_on(library.load(
            objects.as_ref(),
            &keys,
            &connection,
            &PluginChoice::Standard,
        ))?;
        let load_done = Instant::now();
        plugin.validate_config(&config, &domains)?;
        let items = [MapItem {
            worker,
            today: jiff::civil::date(2026, 11, 27),
            has_account: false,
        }];
        let outcome = plugin.map_all(&items, &domains, &config);
        let done = Instant::now();
        if !plugin.from_cache() {
            return Err("the standard mapper was compiled, not deserialized".into());
        }
        if let Some(Err(error)) = outcome.results.first() {
            return Err(format!("the sample worker did not map: {error}").into());
        }
        totals.push(done - started);
        hosts.push(host_done - started);
        loads.push(load_done - host_done);
        maps.push(done - load_done);
        drop(plugin);
        drop(library);
    }
    println!(
        "{runs} cold starts (fresh host + load of the precompiled standard mapper + one worker):"
    );
    for (name, samples) in [
        ("total", &mut totals),
        ("new host", &mut hosts),
        ("load (object read + deserialize + pre-link)", &mut loads),
        ("check config + map one worker", &mut maps),
    ] {
        let (median, p95) = median_p95(samples);
        println!("  {name:<48} median {median:>8.2?}  p95 {p95:>8.2?}");
    }
    let (median, p95) = median_p95(&mut totals);
    let verdict = if p95 <= TARGET { "met" } else { "missed" };
    println!("target ≤ {TARGET:?}: {verdict} (median {median:.2?}, p95 {p95:.2?})");
    Ok(())
}

fn median_p95(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95))
}

/// What checking the HMAC of the standard mapper's sealed code costs (the check a load makes
/// before it deserializes): HMAC-SHA256 over every byte of the stored blob with the
/// deployment's key, compared in constant time.
fn hmac_check(
    runtime: &tokio::runtime::Runtime,
    objects: &dyn ObjectStore,
    keys: &KeyRing,
    runs: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    use hmac::Mac as _;
    let keyed = PluginLibrary::standard_sha256();
    let host = PluginHost::new(SandboxLimits::default(), None)?;
    let blob_key = tenure::service::plugins::compiled_key(keyed, &host.engine_key());
    let (blob, _) = runtime
        .block_on(objects.get(&blob_key))?
        .ok_or("no stored compiled code")?;
    let set = runtime.block_on(keys.keys(KeyPurpose::PluginCodeHmac))?;
    let key = set.current().expose();
    let (signed, mac) = blob.split_at(blob.len() - 32);
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let mut check = hmac::Hmac::<sha2::Sha256>::new_from_slice(key)?;
        check.update(signed);
        check.verify_slice(mac)?;
        times.push(started.elapsed());
    }
    times.sort_unstable();
    println!(
        "HMAC-SHA256 check of the standard mapper's sealed code ({} KiB), {runs} runs: median {:.2?}, p95 {:.2?}",
        blob.len() / 1024,
        times[runs / 2],
        times[runs * 95 / 100]
    );
    Ok(())
}
