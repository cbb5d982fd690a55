//! `cargo bench --workspace --bench onboarding [-- WORKERS]`: a big onboarding through the
//! service, as `tenure serve` runs it: WORKERS workers (default 10,000) who have no account yet,
//! in an HR export; a scheduled sync fans them out over the queue by lane; the provisioning
//! consumer (`drain`, `tenure serve`'s loop) provisions them against the emulated tenant, whose
//! limits are Microsoft's per-tenant limits scaled up ten times (the same ratio of reads to
//! writes: 3,500 resource units per second, 3,000 writes per 15 s, 3,000 Exchange calls per
//! 6 s), so the run takes minutes rather than hours.
//!
//! Reports the time from the scheduled event to the last account, the writes Microsoft's limit
//! counts (requests inside a `$batch` one by one), and that time as a ratio of the floor: the
//! fewest write windows those writes need (the last window cannot open before
//! `(windows − 1) × 15 s`). Also checks that every message was provisioned, nothing was
//! dead-lettered and nobody was created twice (the target; the ratio is reported in
//! docs/benchmarks.md).

use std::error::Error;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use tenure::connect::{CustomerSecret, connect_customer_app};
use tenure::directory::Snapshot;
use tenure::names::Upn;
use tenure::service::provision::drain;
use tenure::service::schedule::schedule;
use tenure::service::settings::MappingSettings;
use tenure::store::connections::{ConnectionId, ConnectionType, CustomerCredential};
use tenure::store::objects::{Condition, ObjectKey};
use tenure_emulator::{EmulatedTenant, RateLimits, RecordedRequest, TenantConfig};
use tenure_test_support::machine::{cores, cpu_model};
use tenure_test_support::services::ServicesBuilder;
use tenure_test_support::tenant::{accounts_by_employee_id, connection_to, quick_client_options};

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

const CLIENT: &str = "tenure-onboarding-bench";
const ANCHOR: &str = "admin@contoso.com";
const SECRET: &str = "onboarding-bench-secret";
/// Microsoft's per-tenant limits (3,500 resource units per 10 s, 3,000 writes per 150 s, 3,000
/// Exchange calls per 60 s), every window a tenth as long.
const SCALE: u32 = 10;
const WRITE_WINDOW: Duration = Duration::from_secs(150 / SCALE as u64);
/// Messages taken per receive, as the `provision` function's batch size.
const BATCH: usize = 10;

fn main() -> Result<()> {
    let workers = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(10_000);
    println!("machine: {} cores (nproc), {}", cores(), cpu_model());
    // What goes wrong is logged (RUST_LOG for more).
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(onboard(workers))
}

async fn onboard(workers: usize) -> Result<()> {
    let company = tenure::synthetic::company(workers, 17)?;
    let tenant = EmulatedTenant::start(
        TenantConfig::new(without_accounts(company.directory.clone()))
            .with_client_secret(CLIENT, SECRET)
            .with_limits(scaled_limits()),
    )
    .await?;
    let local = ServicesBuilder::new()
        // A message whose run failed comes back this much later (and the failure is logged).
        .queue_visibility(Duration::from_secs(30))
        .local()?;
    let services = &local.services;
    let id = ConnectionId::parse("onboarding")?;
    let mut connection = connection_to(
        &tenant,
        &id,
        ConnectionType::CustomerApp {
            credential: CustomerCredential::ClientSecret,
        },
        CLIENT,
    )?;
    // The company's distribution lists are Exchange's.
    connection.exchange.enabled = true;
    connection.exchange.anchor_upn = Some(Upn::parse(ANCHOR)?);
    connect_customer_app(
        connection,
        CustomerSecret::ClientSecret(SecretString::from(SECRET)),
        services.connections.as_ref(),
        std::sync::Arc::clone(&services.secrets),
        quick_client_options(),
        jiff::Timestamp::now(),
    )
    .await?;
    MappingSettings::standard(serde_json::from_str(&company.mapper_config)?)
        .save(services.objects.as_ref(), &id, Condition::Absent)
        .await?;
    let export = ObjectKey::parse(&format!("connections/{id}/hr/workers.csv"))?;
    services
        .objects
        .put(
            &export,
            company.hr_csv.clone().into_bytes(),
            Condition::Always,
        )
        .await?;
    tenant.clear_requests();

    let started = Instant::now();
    let scheduled = schedule(
        services,
        serde_json::json!({ "connection_id": id.to_string() }),
    )
    .await?;
    println!(
        "{workers} workers in the export; scheduled {} workers in {} messages",
        scheduled.workers, scheduled.messages
    );
    let mut messages = 0;
    while messages < scheduled.messages {
        let done = drain(services, BATCH, Duration::from_secs(1)).await?;
        messages += done;
        if done == 0 && started.elapsed() > Duration::from_secs(3600) {
            return Err("an hour passed and the queue is not drained".into());
        }
    }
    let wall = started.elapsed().as_secs_f64();
    report(&tenant, services, workers, scheduled.workers, wall).await
}

/// The synthetic tenant with none of the company's accounts: everyone is a joiner.
fn without_accounts(mut directory: Snapshot) -> Snapshot {
    directory.users.retain(|u| u.employee_id.is_none());
    for group in &mut directory.groups {
        group.members.clear();
    }
    directory
}

fn scaled_limits() -> RateLimits {
    let microsoft = RateLimits::default();
    RateLimits {
        window: microsoft.window / SCALE,
        write_window: WRITE_WINDOW,
        exchange_window: microsoft.exchange_window / SCALE,
        ..microsoft
    }
}

async fn report(
    tenant: &EmulatedTenant,
    services: &tenure::service::Services,
    workers: usize,
    hr_rows: usize,
    wall: f64,
) -> Result<()> {
    let requests = tenant.requests();
    let writes = requests.iter().filter(|r| is_counted_write(r)).count();
    let throttled = requests.iter().filter(|r| r.status == 429).count();
    let windows = writes.div_ceil(RateLimits::default().writes as usize);
    let floor = windows.saturating_sub(1) as f64 * WRITE_WINDOW.as_secs_f64();
    println!(
        "provisioned in {wall:.1} s: {writes} writes as Microsoft counts them ({:.2} per worker), \
         {throttled} requests answered 429 and retried",
        writes as f64 / workers as f64
    );
    if windows > 1 {
        println!(
            "floor: {windows} write windows of {} s, the last opening at {floor:.0} s; this run \
             took {:.2} × the floor",
            WRITE_WINDOW.as_secs(),
            wall / floor
        );
    } else {
        println!("floor: every write fits in the first window; no floor to compare with");
    }
    let (accounts, distinct) = accounts_by_employee_id(tenant);
    let letters = services.objects.list("dead-letters/").await?.len();
    println!(
        "accounts with an employee id: {} ({} created twice; {hr_rows} workers in the export, \
         those who have left get none); dead letters: {letters}",
        distinct,
        accounts - distinct
    );
    // Every message was deleted by `drain`: done, or dead-lettered (a failed run's messages
    // come back instead), so with no dead letter every run succeeded.
    let met = accounts == distinct && letters == 0;
    println!(
        "target: every message provisioned, nobody created twice, nothing dead-lettered: {}",
        if met { "MET" } else { "NOT MET" }
    );
    Ok(())
}

/// A Graph write as Microsoft's write limit counts it: an accepted request that changes
/// something, each request inside a `$batch` on its own (the `$batch` itself is not counted).
fn is_counted_write(request: &RecordedRequest) -> bool {
    let graph = request.path.starts_with("/v1.0/") || request.path.starts_with("/beta/");
    let outer_batch = !request.in_batch && request.path.ends_with("/$batch");
    graph && request.method != "GET" && !outer_batch && (200..300).contains(&request.status)
}
