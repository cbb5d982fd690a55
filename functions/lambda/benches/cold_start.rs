//! `cargo bench -p tenure-lambda --bench cold_start [-- RUNS]`: the cold start of the Lambda
//! binaries, each run a fresh process under cargo-lambda's Runtime API emulator, with S3, SQS
//! and Secrets Manager in moto and the emulated tenant, all on this machine (the stack of
//! `tests/runtime_api`). Timed from spawning the binary to the emulator's answer to its first
//! invocation:
//! - `provision`, an SQS event for a worker already provisioned (AWS config, `Services`, the
//!   connection and settings from S3, the standard mapper's precompiled code from S3, the
//!   client secret and a token, the tenant through the directory cache and one delta read,
//!   an empty plan, the cache written back);
//! - `hr-webhook`, a signed delivery of one worker, to its 202 (the webhook key from Secrets
//!   Manager, the replay entry in S3, the work on SQS);
//! - `console`, an operator's `GET /console` with a session cookie, to its 200 (the session key
//!   from Secrets Manager, the connections from S3, the page rendered).
//!
//! Then the same `provision` work in this process, piece by piece, so what the process adds
//! (exec, runtime client, the emulator's hop) shows as the difference. Real Lambda adds its own
//! init (sandbox, code download) before the process starts; that is not measured here.
//! Targets (docs/benchmarks.md): ≤ 30 ms; the console ≤ 50 ms.

#[allow(dead_code)] // the end-to-end test's helpers this benchmark does not call
#[path = "../tests/runtime_api/stack.rs"]
mod stack;

use tenure_test_support::machine;

use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::SqsEvent;
use serde_json::{Value, json};
use tenure::service::settings::{MappingSettings, PluginChoice};
use tenure::store::AwsSettings;

use stack::{Error, Stack};

const TARGET: Duration = Duration::from_millis(30);
/// The console's page target (issue "Console"): a cold start within 50 ms.
const CONSOLE_TARGET: Duration = Duration::from_millis(50);
const PROVISION: &str = env!("CARGO_BIN_EXE_provision");
const HR_WEBHOOK: &str = env!("CARGO_BIN_EXE_hr-webhook");
const CONSOLE: &str = env!("CARGO_BIN_EXE_console");
/// What the SAM template sets by default.
const LOG_LEVEL: &str = "info";

fn main() -> Result<(), Error> {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(15);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(bench(runs))
}

async fn bench(runs: usize) -> Result<(), Error> {
    let stack = Stack::without_functions().await?;
    println!(
        "machine: {} cores, {}",
        machine::cores(),
        machine::cpu_model()
    );

    // Once, untimed: a hire through both functions (which also compiles the standard mapper
    // and stores its code), then the same work again, which changes nothing.
    let delivery =
        stack.signed_webhook_event(&stack::hire("9001", "Grace"), jiff::Timestamp::now());
    let answer = cold_invoke(&stack, "hr-webhook", HR_WEBHOOK, &delivery).await?;
    expect_status(&answer.1, 202)?;
    let (event, _) = stack.receive_event().await?.ok_or("nothing was queued")?;
    let warm = stack.spawn("provision", PROVISION, LOG_LEVEL)?;
    for _ in 0..2 {
        expect_no_failures(&stack.invoke("provision", &event).await?)?;
    }
    drop(warm);

    let mut provision = Vec::with_capacity(runs);
    let (requests, writes) = (stack.tenant.requests().len(), stack.graph_writes());
    for _ in 0..runs {
        let (took, answer) = cold_invoke(&stack, "provision", PROVISION, &event).await?;
        expect_no_failures(&answer)?;
        provision.push(took);
    }
    if stack.graph_writes() != writes {
        return Err("a cold provision of an unchanged worker wrote to Graph".into());
    }
    let graph_calls = (stack.tenant.requests().len() - requests) / runs;

    let mut webhook = Vec::with_capacity(runs);
    for run in 0..runs {
        let body = stack::hire(&(9100 + run).to_string(), "Grace");
        let delivery = stack.signed_webhook_event(&body, jiff::Timestamp::now());
        let (took, answer) = cold_invoke(&stack, "hr-webhook", HR_WEBHOOK, &delivery).await?;
        expect_status(&answer, 202)?;
        webhook.push(took);
    }

    // The same process refusing a malformed connection id, before any I/O: what starting a
    // process under the emulator costs, with nothing for moto to do.
    let mut bare = Vec::with_capacity(runs);
    let mut refused =
        stack.signed_webhook_event(&stack::hire("9001", "Grace"), jiff::Timestamp::now());
    refused["rawPath"] = json!("/connections/-x/hr-events");
    refused["requestContext"]["http"]["path"] = refused["rawPath"].clone();
    refused["pathParameters"]["id"] = json!("-x");
    for _ in 0..runs {
        let (took, answer) = cold_invoke(&stack, "hr-webhook", HR_WEBHOOK, &refused).await?;
        expect_status(&answer, 401)?;
        bare.push(took);
    }

    let mut console = Vec::with_capacity(runs);
    let cookie = stack::operator_cookie(&tenure_test_support::aws::moto_config().await?).await?;
    let operators = format!("{}/{}", stack::OPERATOR.0, stack::OPERATOR.1);
    let page = tenure_test_support::apigw::ApiEvent::get("GET /console", "/console")
        .header("cookie", &cookie)
        .header("accept", "text/html")
        .json();
    for _ in 0..runs {
        let started = Instant::now();
        let _process = stack.spawn_with(
            "console",
            CONSOLE,
            LOG_LEVEL,
            &[("TENURE_OPERATORS", operators.as_str())],
        )?;
        let answer = tokio::time::timeout(Duration::from_secs(30), stack.invoke("console", &page))
            .await
            .map_err(|_| "console did not answer within 30 s")??;
        expect_status(&answer, 200)?;
        console.push(started.elapsed());
    }

    println!(
        "{runs} cold starts each, from spawning the binary (the bench profile's) to its first answer:"
    );
    report(
        "provision, unchanged worker (SQS event → response)",
        &mut provision,
    );
    println!("    ({graph_calls} Graph requests per run, no writes)");
    report("hr-webhook, one worker (API event → 202)", &mut webhook);
    report("hr-webhook, malformed id (401, no I/O)", &mut bare);
    report("console, an operator's GET /console (→ 200)", &mut console);
    in_process(&stack, &event, runs).await?;
    for (name, samples, target) in [
        ("provision", &mut provision, TARGET),
        ("hr-webhook", &mut webhook, TARGET),
        ("console", &mut console, CONSOLE_TARGET),
    ] {
        let (median, p95) = median_p95(samples);
        let verdict = if p95 <= target { "met" } else { "missed" };
        println!("target ≤ {target:?} for {name}: {verdict} (median {median:.1?}, p95 {p95:.1?})");
    }
    Ok(())
}

/// The `provision` work of a cold start done in this process, each run on fresh `Services`
/// (fresh SDK clients and connections, a fresh plugin host), timed piece by piece.
async fn in_process(stack: &Stack, event: &Value, runs: usize) -> Result<(), Error> {
    let env = tenure_lambda::Environment {
        bucket: stack.bucket.clone(),
        queue_url: Some(stack.queue_url.clone()),
        dead_letter_queue_url: Some(stack.dead_letter_url.clone()),
        app: None,
        public_url: None,
        operators: tenure::auth::Operators::none(),
        plugin_limits: tenure::plugin::SandboxLimits::default(),
        // The emulated tenant is on http://127.0.0.1.
        allow_custom_endpoints: true,
        provision_timeout: None,
        provision_stop_margin: None,
    };
    let settings = AwsSettings::emulator(
        &stack.moto_endpoint,
        tenure_test_support::moto::REGION,
        tenure_test_support::moto::ACCESS_KEY_ID,
        tenure_test_support::moto::SECRET_ACCESS_KEY,
    );
    let event: SqsEvent = serde_json::from_value(event.clone())?;
    let [
        mut config,
        mut services,
        mut plugin,
        mut rest,
        mut total,
        mut get,
    ] = std::array::from_fn(|_| Vec::with_capacity(runs));
    for _ in 0..runs {
        let started = Instant::now();
        let sdk = settings.load().await;
        let configured = Instant::now();
        let built = tenure_lambda::services_with(&env, &sdk).await?;
        let ready = Instant::now();
        let loaded = built
            .plugins
            .load(
                built.objects.as_ref(),
                built.keys.as_ref(),
                &stack.connection,
                &PluginChoice::Standard,
            )
            .await?;
        if !loaded.from_cache() {
            return Err("the standard mapper was compiled, not deserialized".into());
        }
        let plugged = Instant::now();
        let answer = tenure::service::provision::handle_sqs(
            &built,
            event.clone(),
            tenure::service::provision::Deadline::none(),
        )
        .await;
        let done = Instant::now();
        if !answer.batch_item_failures.is_empty() {
            return Err(format!("in-process provision failed: {answer:?}").into());
        }
        config.push(configured - started);
        services.push(ready - configured);
        plugin.push(plugged - ready);
        rest.push(done - plugged);
        total.push(done - started);
        let asked = Instant::now();
        MappingSettings::load(built.objects.as_ref(), &stack.connection).await?;
        get.push(asked.elapsed());
    }
    println!("the same provision work in this process, {runs} runs on fresh Services:");
    report("AWS SDK config", &mut config);
    report("Services (SDK clients, plugin host)", &mut services);
    report("standard mapper: S3 GET + deserialize", &mut plugin);
    report("handle_sqs (S3, secret, token, delta, plan)", &mut rest);
    report("in-process total", &mut total);
    report("(one S3 GET from moto, connection open)", &mut get);
    Ok(())
}

/// Spawns `binary` as the function `name` and invokes it at once with `event` (the emulator
/// holds the invocation until the runtime asks for it): the time to the answer, and the answer.
/// The process is killed once it has answered, so the next run's is the only one polling.
async fn cold_invoke(
    stack: &Stack,
    name: &str,
    binary: &str,
    event: &Value,
) -> Result<(Duration, Value), Error> {
    let started = Instant::now();
    let _process = stack.spawn(name, binary, LOG_LEVEL)?;
    let answer = tokio::time::timeout(Duration::from_secs(30), stack.invoke(name, event))
        .await
        .map_err(|_| format!("{name} did not answer within 30 s"))??;
    Ok((started.elapsed(), answer))
}

fn expect_status(answer: &Value, status: u16) -> Result<(), Error> {
    if answer["statusCode"] != status {
        return Err(format!("expected {status}, got {answer}").into());
    }
    Ok(())
}

fn expect_no_failures(answer: &Value) -> Result<(), Error> {
    match answer["batchItemFailures"].as_array() {
        Some(failures) if failures.is_empty() => Ok(()),
        _ => Err(format!("provision failed: {answer}").into()),
    }
}

fn report(name: &str, samples: &mut [Duration]) {
    let (median, p95) = median_p95(samples);
    println!("  {name:<52} median {median:>8.2?}  p95 {p95:>8.2?}");
}

fn median_p95(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95))
}
