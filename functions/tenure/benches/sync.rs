//! `cargo bench -p tenure --bench sync [-- JOINERS RATE_WORKERS]`: plans applied through the live
//! clients (`LiveDirectory` over Graph and Exchange) to the emulated tenant, counting what
//! reaches the wire. Targets (docs/benchmarks.md):
//!
//! 1. **Graph writes per joiner** with the sample configuration: ≤ 3 on average. The sample
//!    tenant is first brought level with the sample HR file (in memory), then `JOINERS` new hires
//!    (default 1,000) are added to the HR file; their plan is applied and every request the
//!    tenant answered is counted per joiner: Graph HTTP writes (a `$batch` counts once), the
//!    requests inside those batches, reads, Exchange calls. A second sync must find nothing to do.
//! 2. **Write rate under an enforced limit**: ≥ 90 % of the allowed rate, no change failed. The
//!    tenant allows 500 writes per 10 s (resource units and Exchange left wide open, so writes
//!    bind); a synthetic company of `RATE_WORKERS` (default 2,500) gets its week's changes plus a
//!    new `companyName` for everyone, a few thousand writes, applied three times to a fresh
//!    tenant: answering at once, then every answer 50 ms late (so the requests in flight set the
//!    pace of each window's writes, as against Microsoft), then 50 ms late again with the plan
//!    split into the tenant's four lanes (`tenure::queue::lane_of`) applied at once, each with
//!    its own token and adaptive limits, as four provision invocations share a tenant's limit
//!    in AWS. Every accepted write is counted the way Microsoft counts it (requests inside a
//!    `$batch` one by one).
//!
//! The limit uses fixed windows that open at the first request after the last one ended, and a
//! `Retry-After` is whole seconds rounded up, so a client that waits exactly as told still
//! starts each window up to a second late: at 10 s windows that alone can cost up to 10 %.

use tenure_test_support::machine;
use tenure_test_support::tenant::accounts_by_employee_id;

use machine::{cores, cpu_model};

use std::collections::BTreeMap;
use std::error::Error;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use tenure::apply::{ActionOutcome, ApplyOptions, ApplyReport, AuditRecord, Outcome};
use tenure::directory::Snapshot;
use tenure::guard::GuardPolicy;
use tenure::microsoft::{
    AdaptiveLimit, ClientCredential, ClientOptions, Endpoints, ExchangeClient, GraphClient,
    LiveDirectory, NationalCloud, ReadOptions, TokenSource, read_directory,
};
use tenure::pipeline::{self, PlanRequest};
use tenure::plan::{Change, Plan};
use tenure::plugin::{Plugin, PluginHost, STANDARD_MAPPER, SandboxLimits};
use tenure::queue::{PER_TENANT_LANES, lane_of};
use tenure::synthetic::SyntheticCompany;
use tenure::today::Today;
use tenure_emulator::{EmulatedTenant, Faults, RateLimits, RecordedRequest, TenantConfig};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const CLIENT: &str = "tenure-sync-bench";
const SECRET: &str = "sync-bench-secret";
const ANCHOR: &str = "admin@contoso.com";
/// Workers (and groups) written at once: `tenure sync`'s default.
const CONCURRENCY: usize = 8;
/// The enforced write limit of the second measurement.
const WRITES_PER_WINDOW: u32 = 500;
const WRITE_WINDOW: Duration = Duration::from_secs(10);
/// How long the tenant takes to answer, in the runs of the second measurement: at once, and
/// as a distant service would (so requests in flight, not the limit alone, set the pace).
const LATENCIES: [Duration; 2] = [Duration::ZERO, Duration::from_millis(50)];

fn main() -> Result<()> {
    let mut args = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse::<usize>().ok());
    let joiners = args.next().unwrap_or(1_000);
    let rate_workers = args.next().unwrap_or(2_500);
    println!("machine: {} cores (nproc), {}", cores(), cpu_model());
    let started = Instant::now();
    let host = PluginHost::new(SandboxLimits::default(), None)?;
    let plugin = host.load(STANDARD_MAPPER)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        writes_per_joiner(&plugin, joiners).await?;
        write_rate(&plugin, rate_workers).await
    })?;
    println!("\ntotal {:.1?}", started.elapsed());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 1. Requests per joiner

async fn writes_per_joiner(plugin: &Plugin, joiners: usize) -> Result<()> {
    println!("\n== 1. Graph requests per joiner, sample configuration (target ≤ 3 writes) ==");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samplesdata");
    let config = std::fs::read_to_string(samples.join("mapper.json"))?;
    let hr_csv = std::fs::read_to_string(samples.join("company.csv"))?;
    let today = Today::parse("2026-12-01")?;
    let mut directory = Snapshot::read(&samples.join("directory.json"))?;
    let (rounds, set_aside) = settle(&mut directory, plugin, &config, &hr_csv, today)?;
    let hr_csv = with_joiners(&hr_csv, joiners, &directory)?;
    let plan = plan_from(plugin, &config, &hr_csv, &directory, today)?;
    let news = plan.workers.iter().filter(|w| !w.actions.is_empty());
    let (new_hires, others) = news.fold((0, 0), |(j, o), w| match w.change {
        Change::Joiner => (j + 1, o),
        _ => (j, o + 1),
    });
    println!(
        "sample tenant levelled with samplesdata/company.csv ({set_aside} bad records set aside) in {rounds} \
         in-memory round(s): {} users; + {joiners} new hires → plan: {new_hires} joiners, {others} other workers \
         with actions, {} actions",
        directory.users.len(),
        plan.summary.actions
    );
    println!("  actions: {}", action_kinds(&plan));
    for q in plan.quarantined.iter().skip(set_aside).take(3) {
        println!("  set aside: {:?} {}", q.employee_id, q.reason);
    }
    if new_hires != joiners || others != 0 || plan.quarantined.len() != set_aside {
        return Err(format!(
            "the plan should hold exactly {joiners} joiners and nothing else, not {new_hires} joiners and {others} others"
        )
        .into());
    }

    let tenant = start_tenant(directory, unlimited()).await?;
    let clients = connect(&tenant)?;
    let (graph, exchange) = (&clients.graph, &clients.exchange);
    let writer = LiveDirectory::new(graph.clone(), Some(exchange.clone()));
    tenant.clear_requests();
    let t = Instant::now();
    let (report, _) = tenure::apply::apply(
        &plan,
        &writer,
        ApplyOptions {
            concurrency: CONCURRENCY,
        },
    )
    .await;
    let wall = t.elapsed();
    let requests = tenant.requests();
    let tally = Tally::of(&requests);
    println!(
        "applied in {:.2} s (concurrency {CONCURRENCY}): {}",
        wall.as_secs_f64(),
        outcome_counts(&report)
    );
    let per = |n: usize| n as f64 / joiners as f64;
    println!(
        "  per joiner: {:.2} Graph HTTP writes ({} in all; a $batch counts once) | {:.2} requests inside batches ({}) | \
         {:.2} writes as Microsoft counts them ({}) | {:.2} Graph reads ({}) | {:.2} Exchange calls ({})",
        per(tally.http_writes()),
        tally.http_writes(),
        per(tally.inner()),
        tally.inner(),
        per(tally.counted_writes()),
        tally.counted_writes(),
        per(tally.reads()),
        tally.reads(),
        per(tally.exchange),
        tally.exchange,
    );
    println!(
        "  target ≤ 3 Graph HTTP writes per joiner: {}",
        verdict(per(tally.http_writes()) <= 3.0)
    );
    println!("  by kind (count, per joiner):");
    tally.print_kinds(joiners);
    if tally.unexpected > 0 {
        println!("  non-2xx answers: {}", tally.unexpected);
    }

    let again = plan_from(
        plugin,
        &config,
        &hr_csv,
        &read_directory(graph, Some(exchange), ReadOptions::default()).await?,
        today,
    )?;
    println!(
        "  second plan against the tenant read back: {}",
        if again.is_empty() {
            "empty".to_owned()
        } else {
            format!(
                "{} actions ({})",
                again.summary.actions,
                action_kinds(&again)
            )
        }
    );
    Ok(())
}

/// Applies today's plan in memory until nothing is left, as the sample tenant would be after
/// enough syncs; returns the rounds it took and how many HR records were set aside.
fn settle(
    directory: &mut Snapshot,
    plugin: &Plugin,
    config: &str,
    hr_csv: &str,
    today: Today,
) -> Result<(usize, usize)> {
    for round in 0..5 {
        let plan = plan_from(plugin, config, hr_csv, directory, today)?;
        if plan.is_empty() {
            return Ok((round, plan.quarantined.len()));
        }
        directory.apply_plan(&plan, &mut |employee_id| {
            let digits: String = employee_id
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            format!("50000000-0000-4000-8000-{digits:0>12}")
        })?;
    }
    Err("the sample tenant does not settle in five rounds".into())
}

/// The HR file with `count` new hires starting today, each modelled on an active worker of the
/// file with an enabled account (same department, location, country, type and custom fields)
/// and reporting to them.
fn with_joiners(hr_csv: &str, count: usize, directory: &Snapshot) -> Result<String> {
    const FIRST: [&str; 25] = [
        "Alex", "Bruno", "Carla", "Dmitri", "Eva", "Felix", "Gina", "Hugo", "Ines", "Jonas",
        "Kira", "Luca", "Mira", "Nils", "Oona", "Paul", "Rosa", "Sami", "Tara", "Umar", "Vera",
        "Wim", "Xena", "Yann", "Zora",
    ];
    const LAST: [&str; 40] = [
        "Adler", "Baker", "Coles", "Dunn", "Ekberg", "Foster", "Gale", "Hart", "Irwin", "Joyce",
        "Keller", "Lund", "Moss", "Nash", "Ortiz", "Pike", "Quist", "Reyes", "Stone", "Thorne",
        "Ueda", "Vance", "Wells", "Xu", "Young", "Zeller", "Amato", "Brandt", "Croft", "Dahl",
        "Engel", "Frost", "Grant", "Holm", "Ivers", "Jansen", "Kerr", "Lowe", "Mertens", "Noble",
    ];
    let mut reader = csv::Reader::from_reader(hr_csv.as_bytes());
    let headers = reader.headers()?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("company.csv has no column {name}"))
    };
    let id = column("employee_id")?;
    let status = column("employment_status")?;
    let rows: Vec<csv::StringRecord> = reader.records().collect::<std::result::Result<_, _>>()?;
    let templates: Vec<&csv::StringRecord> = rows
        .iter()
        .filter(|r| {
            let worker = r.get(id).filter(|id| !id.is_empty());
            r.get(status) == Some("active")
                && worker.is_some()
                && directory
                    .users
                    .iter()
                    .any(|u| u.account_enabled && u.employee_id.as_deref() == worker)
        })
        .collect();
    if templates.is_empty() {
        return Err("company.csv has no active worker to model joiners on".into());
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&headers)?;
    for row in &rows {
        writer.write_record(row)?;
    }
    for i in 0..count {
        let template = templates[i % templates.len()];
        let employee_id = format!("{}", 90_000 + i);
        let first = FIRST[i % FIRST.len()];
        let last = LAST[(i / FIRST.len()) % LAST.len()];
        let record: Vec<String> = headers
            .iter()
            .zip(template.iter())
            .map(|(header, value)| match header {
                "employee_id" => employee_id.clone(),
                "first_name" => first.to_owned(),
                "last_name" => last.to_owned(),
                "preferred_name" | "middle_name" | "leave_type" | "termination_date" => {
                    String::new()
                }
                "personal_email" => format!("{}.{employee_id}@example.net", first.to_lowercase()),
                "job_title" => "Associate".to_owned(),
                "manager_employee_id" => template.get(id).unwrap_or_default().to_owned(),
                "hire_date" => "2026-12-01".to_owned(),
                "mobile_phone" => format!("+1 206 555 {:04}", i % 10_000),
                _ => value.to_owned(),
            })
            .collect();
        writer.write_record(&record)?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

// ---------------------------------------------------------------------------------------------
// 2. Write rate under an enforced limit

async fn write_rate(plugin: &Plugin, workers: usize) -> Result<()> {
    let allowed = f64::from(WRITES_PER_WINDOW) / WRITE_WINDOW.as_secs_f64();
    println!(
        "\n== 2. Write rate under an enforced limit: {WRITES_PER_WINDOW} writes per {} s = {allowed:.0}/s (target ≥ 90 %, nothing failed) ==",
        WRITE_WINDOW.as_secs()
    );
    let company = tenure::synthetic::company(workers, 11)?;
    // Everyone gets a companyName (the default attributes and one more): one write per account
    // on top of the week's changes.
    let mut config: serde_json::Value = serde_json::from_str(&company.mapper_config)?;
    config["attributes"] = serde_json::json!({
        "givenName": "{first}",
        "surname": "{last}",
        "jobTitle": "{job_title}",
        "department": "{department}",
        "officeLocation": "{location}",
        "usageLocation": "{country}",
        "employeeType": "{employment_type}",
        "employeeHireDate": "{hire_datetime}",
        "companyName": "Contoso",
    });
    let config = config.to_string();
    let today = Today::Date(company.today);
    let plan = plan_from(plugin, &config, &company.hr_csv, &company.directory, today)?;
    if let Some(q) = plan.quarantined.first() {
        return Err(format!("a synthetic HR record was set aside: {}", q.reason).into());
    }
    let s = &plan.summary;
    println!(
        "synthetic company of {workers} (+{} joiners), {} users in the tenant; plan: {} actions \
         ({} joiners, {} movers, {} leavers, {} leave, {} unchanged)",
        workers / 100,
        company.directory.users.len(),
        s.actions,
        s.joiners,
        s.movers,
        s.leavers,
        s.leave,
        s.unchanged
    );
    println!("  actions: {}", action_kinds(&plan));
    for latency in LATENCIES {
        limited_apply(plugin, &config, &company, &plan, latency, 1).await?;
    }
    limited_apply(
        plugin,
        &config,
        &company,
        &plan,
        LATENCIES[1],
        PER_TENANT_LANES,
    )
    .await?;
    Ok(())
}

/// Applies `plan` to a fresh tenant holding the company under the write limit, every Graph and
/// Exchange answer taking `latency`, and reports the rate, the 429s and the end state. With
/// `lanes` above one, the plan's workers are split by lane and the parts applied at once, each
/// through clients of its own (its own token and adaptive limits), as provision invocations of
/// different lanes are.
async fn limited_apply(
    plugin: &Plugin,
    config: &str,
    company: &SyntheticCompany,
    plan: &Plan,
    latency: Duration,
    lanes: u32,
) -> Result<()> {
    let allowed = f64::from(WRITES_PER_WINDOW) / WRITE_WINDOW.as_secs_f64();
    println!(
        "\n-- every answer after {} ms; {lanes} lane(s) at once --",
        latency.as_millis()
    );
    let limits = RateLimits {
        write_window: WRITE_WINDOW,
        writes: WRITES_PER_WINDOW,
        ..unlimited()
    };
    let tenant = start_tenant(company.directory.clone(), limits).await?;
    tenant.set_faults(slow(latency));
    let parts = by_lane(plan, lanes);
    let clients = parts
        .iter()
        .map(|_| connect(&tenant))
        .collect::<Result<Vec<_>>>()?;
    let writers: Vec<LiveDirectory> = clients
        .iter()
        .map(|c| LiveDirectory::new(c.graph.clone(), Some(c.exchange.clone())))
        .collect();
    tenant.clear_requests();
    let t = Instant::now();
    let settled = Mutex::new(Vec::with_capacity(plan.summary.actions));
    let observer = |_: &ActionOutcome, _: Option<&AuditRecord>| {
        settled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(t.elapsed());
    };
    let options = ApplyOptions {
        concurrency: CONCURRENCY,
    };
    let reports = futures::future::join_all(
        parts
            .iter()
            .zip(&writers)
            .map(|(part, writer)| tenure::apply::apply_observed(part, writer, options, &observer)),
    )
    .await;
    let report = ApplyReport {
        outcomes: reports
            .into_iter()
            .flat_map(|(report, _)| report.outcomes)
            .collect(),
    };
    let (graph, exchange) = (&clients[0].graph, &clients[0].exchange);
    let wall = t.elapsed().as_secs_f64();
    let settled = settled.into_inner().unwrap_or_else(PoisonError::into_inner);
    let requests = tenant.requests();
    let tally = Tally::of(&requests);
    let accepted = tally.counted_writes();
    let achieved = accepted as f64 / wall;
    // The fastest any client could go: a full window of writes at once, every window.
    let windows = accepted.div_ceil(WRITES_PER_WINDOW as usize);
    let fastest = (windows.saturating_sub(1)) as f64 * WRITE_WINDOW.as_secs_f64();
    let pace = 100.0 * fastest / wall;
    println!("applied in {wall:.1} s: {}", outcome_counts(&report));
    println!(
        "  accepted writes (inner $batch requests counted one by one): {accepted} \
         ({} Graph HTTP writes + {} inside {} batches)",
        tally.http_writes() - tally.batches,
        tally.inner_writes(),
        tally.batches
    );
    println!(
        "  {accepted} writes / {wall:.1} s = {achieved:.1} writes/s = {:.0} % of the {allowed:.0}/s allowed \
         (flattered: the first window's writes cost no waiting)",
        100.0 * achieved / allowed
    );
    println!(
        "  {accepted} writes need {windows} windows, so the last cannot open before {fastest:.0} s: \
         this run took {wall:.1} s = {pace:.0} % of the fastest pace the limit allows",
    );
    println!(
        "  429s received: {} on HTTP requests, {} inside batches; reads {}, Exchange calls {}; \
         adaptive width at the end, per lane: Graph {:?}, Exchange {:?} (of {CONCURRENCY})",
        tally.throttled_outer,
        tally.throttled_inner,
        tally.reads(),
        tally.exchange,
        clients
            .iter()
            .map(|c| c.graph_limit.limit())
            .collect::<Vec<_>>(),
        clients
            .iter()
            .map(|c| c.exchange_limit.limit())
            .collect::<Vec<_>>(),
    );
    let bursts = bursts(&settled);
    println!(
        "  actions settled in bursts (start s +duration s: actions): {}",
        bursts
            .iter()
            .map(|(start, length, count)| format!("{start:.2} +{length:.2}: {count}"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let gaps: Vec<f64> = bursts.windows(2).map(|w| w[1].0 - w[0].0).collect();
    let late: f64 = gaps.iter().map(|g| g - WRITE_WINDOW.as_secs_f64()).sum();
    println!(
        "  a burst began every {} s (the window is {} s): {late:.2} s lost between windows in all",
        gaps.iter()
            .map(|g| format!("{g:.2}"))
            .collect::<Vec<_>>()
            .join(", "),
        WRITE_WINDOW.as_secs()
    );
    println!("  by kind (count):");
    tally.print_kinds(0);
    let (_, _, failed, skipped) = report.counts();
    println!(
        "  target ≥ 90 % of the allowed rate with nothing failed: {}",
        verdict(pace >= 90.0 && failed + skipped == 0)
    );
    // Read back at full speed: the check is not part of the measurement.
    tenant.set_faults(Faults::default());

    let (all, distinct) = accounts_by_employee_id(&tenant);
    let again = plan_from(
        plugin,
        config,
        &company.hr_csv,
        &read_directory(graph, Some(exchange), ReadOptions::default()).await?,
        Today::Date(company.today),
    )?;
    println!(
        "  users doubled: {}; second plan: {}",
        all - distinct,
        if again.is_empty() {
            "empty".to_owned()
        } else {
            format!(
                "{} actions ({})",
                again.summary.actions,
                action_kinds(&again)
            )
        }
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The tenant, the clients and the plan

/// The plan's workers split by lane into `lanes` plans (the whole plan for one lane).
fn by_lane(plan: &Plan, lanes: u32) -> Vec<Plan> {
    if lanes <= 1 {
        return vec![plan.clone()];
    }
    (0..lanes)
        .map(|lane| Plan {
            workers: plan
                .workers
                .iter()
                .filter(|w| lane_of(&w.employee_id) % lanes == lane)
                .cloned()
                .collect(),
            ..plan.clone()
        })
        .collect()
}

/// Every Graph and Exchange answer after `latency` (none when zero).
fn slow(latency: Duration) -> Faults {
    Faults {
        slow: if latency.is_zero() { 0.0 } else { 1.0 },
        slow_delay: latency,
        ..Faults::default()
    }
}

/// Budgets no run here reaches.
fn unlimited() -> RateLimits {
    RateLimits {
        window: Duration::from_secs(10),
        resource_units: u32::MAX / 2,
        write_window: Duration::from_secs(10),
        writes: u32::MAX / 2,
        exchange_window: Duration::from_secs(10),
        exchange_requests: u32::MAX / 2,
    }
}

async fn start_tenant(directory: Snapshot, limits: RateLimits) -> Result<EmulatedTenant> {
    let config = TenantConfig::new(directory)
        .with_client_secret(CLIENT, SECRET)
        .with_limits(limits);
    Ok(EmulatedTenant::start(config).await?)
}

/// The Graph and Exchange clients, and their adaptive gates (to see how wide they ended).
struct Clients {
    graph: GraphClient,
    exchange: ExchangeClient,
    graph_limit: AdaptiveLimit,
    exchange_limit: AdaptiveLimit,
}

/// The clients as `tenure sync` builds them, pointed at the emulated tenant.
fn connect(tenant: &EmulatedTenant) -> Result<Clients> {
    let endpoints = Endpoints::all_at(NationalCloud::Global, &tenant.uri());
    let tokens = Arc::new(TokenSource::new(
        &endpoints,
        tenant.tenant_id(),
        CLIENT,
        ClientCredential::Secret(SecretString::from(SECRET)),
    )?);
    let graph_limit = AdaptiveLimit::new(CONCURRENCY);
    let exchange_limit = AdaptiveLimit::new(CONCURRENCY);
    let options = |limit: &AdaptiveLimit| ClientOptions {
        limit: limit.clone(),
        ..ClientOptions::default()
    };
    Ok(Clients {
        graph: GraphClient::new(&endpoints, Arc::clone(&tokens), options(&graph_limit))?,
        exchange: ExchangeClient::new(&endpoints, tokens, ANCHOR, options(&exchange_limit))?,
        graph_limit,
        exchange_limit,
    })
}

/// Today's plan for the HR file against `directory`, as `tenure plan` makes it (the guard
/// waved through: these are benchmarks, not customers).
fn plan_from(
    plugin: &Plugin,
    config: &str,
    hr_csv: &str,
    directory: &Snapshot,
    today: Today,
) -> Result<Plan> {
    let hr = tenure::hr::read_csv(hr_csv.as_bytes(), Arc::from("company.csv"))?;
    Ok(pipeline::plan(PlanRequest {
        hr,
        directory,
        plugin,
        plugin_config: config,
        today,
        guard: GuardPolicy {
            allow: true,
            ..GuardPolicy::default()
        },
        first_day_delivered: Default::default(),
    })?)
}

// ---------------------------------------------------------------------------------------------
// Counting

/// The requests a tenant answered, by kind.
#[derive(Default)]
struct Tally {
    /// Graph requests on the wire (not inside a batch), by kind: `(count, accepted)`.
    http: BTreeMap<String, (usize, usize)>,
    /// Requests inside `$batch`, by kind: `(count, accepted)`.
    in_batch: BTreeMap<String, (usize, usize)>,
    batches: usize,
    exchange: usize,
    throttled_outer: usize,
    throttled_inner: usize,
    unexpected: usize,
}

impl Tally {
    fn of(requests: &[RecordedRequest]) -> Self {
        let mut tally = Self::default();
        for r in requests {
            let ok = (200..300).contains(&r.status);
            if r.path.starts_with("/adminapi/") {
                tally.exchange += 1;
                tally.throttled_outer += usize::from(r.status == 429);
                continue;
            }
            if !r.path.starts_with("/v1.0/") {
                continue; // the token endpoint
            }
            match (r.status, r.in_batch) {
                (429, true) => tally.throttled_inner += 1,
                (429, false) => tally.throttled_outer += 1,
                (s, _) if !(200..300).contains(&s) => tally.unexpected += 1,
                _ => {}
            }
            if r.path.starts_with("/v1.0/$batch") {
                tally.batches += 1;
            }
            let map = if r.in_batch {
                &mut tally.in_batch
            } else {
                &mut tally.http
            };
            let entry = map.entry(kind(r)).or_default();
            entry.0 += 1;
            entry.1 += usize::from(ok);
        }
        tally
    }

    /// Graph writes on the wire (a `$batch` is one), accepted.
    fn http_writes(&self) -> usize {
        sum(&self.http, |k| !k.starts_with("GET "))
    }

    /// Requests inside batches, accepted.
    fn inner(&self) -> usize {
        sum(&self.in_batch, |_| true)
    }

    /// Writes inside batches, accepted.
    fn inner_writes(&self) -> usize {
        sum(&self.in_batch, |k| !k.starts_with("GET "))
    }

    /// Writes as Microsoft's write limit counts them: each request inside a batch on its own.
    fn counted_writes(&self) -> usize {
        sum(&self.http, |k| {
            !k.starts_with("GET ") && !k.contains("$batch")
        }) + self.inner_writes()
    }

    /// Graph reads on the wire and inside batches, accepted.
    fn reads(&self) -> usize {
        sum(&self.http, |k| k.starts_with("GET ")) + sum(&self.in_batch, |k| k.starts_with("GET "))
    }

    fn print_kinds(&self, per: usize) {
        let line = |place: &str, kind: &str, (count, accepted): (usize, usize)| {
            let share = if per > 0 {
                format!(" = {:.3} per joiner", accepted as f64 / per as f64)
            } else {
                String::new()
            };
            let refused = count - accepted;
            let refused = if refused > 0 {
                format!(" (+{refused} refused)")
            } else {
                String::new()
            };
            println!("    {place:<9} {kind:<48} {accepted:>6}{refused}{share}");
        };
        for (kind, counts) in &self.http {
            line("HTTP", kind, *counts);
        }
        for (kind, counts) in &self.in_batch {
            line("in batch", kind, *counts);
        }
        if self.exchange > 0 {
            line(
                "Exchange",
                "POST InvokeCommand",
                (self.exchange, self.exchange),
            );
        }
    }
}

fn sum(map: &BTreeMap<String, (usize, usize)>, keep: impl Fn(&str) -> bool) -> usize {
    map.iter()
        .filter(|(k, _)| keep(k))
        .map(|(_, (_, accepted))| accepted)
        .sum()
}

/// `METHOD /path` with object ids as `{id}` and the query reduced to its parameter names.
fn kind(request: &RecordedRequest) -> String {
    let (path, query) = request
        .path
        .split_once('?')
        .unwrap_or((request.path.as_str(), ""));
    let path: Vec<&str> = path
        .split('/')
        .map(|segment| {
            let id_like = segment.len() >= 8 && segment.chars().any(|c| c.is_ascii_digit())
                || segment.contains('%')
                || segment.contains('@');
            if id_like { "{id}" } else { segment }
        })
        .collect();
    let mut kind = format!("{} {}", request.method, path.join("/"));
    if query.contains("employeeId") {
        kind.push_str(" ?$filter=employeeId");
    } else if !query.is_empty() {
        kind.push_str(" ?…");
    }
    kind
}

/// When actions settled, as bursts separated by a second or more of silence (a throttled
/// stretch): `(start, length, actions)`, in seconds from the start of the apply.
fn bursts(settled: &[Duration]) -> Vec<(f64, f64, usize)> {
    let mut times = settled.to_vec();
    times.sort_unstable();
    let mut bursts: Vec<(Duration, Duration, usize)> = Vec::new();
    for t in times {
        match bursts.last_mut() {
            Some((_, end, count)) if t.saturating_sub(*end) < Duration::from_secs(1) => {
                *end = t;
                *count += 1;
            }
            _ => bursts.push((t, t, 1)),
        }
    }
    bursts
        .into_iter()
        .map(|(start, end, count)| (start.as_secs_f64(), (end - start).as_secs_f64(), count))
        .collect()
}

fn action_kinds(plan: &Plan) -> String {
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for action in plan.workers.iter().flat_map(|w| &w.actions) {
        *kinds.entry(action.op.kind()).or_default() += 1;
    }
    kinds
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn outcome_counts(report: &ApplyReport) -> String {
    let (applied, deferred, failed, skipped) = report.counts();
    let mut text =
        format!("{applied} applied, {deferred} deferred, {failed} failed, {skipped} skipped");
    if let Some(first) = report
        .outcomes
        .iter()
        .find(|o| !matches!(o.outcome, Outcome::Applied))
    {
        text.push_str(&format!(
            " (first not applied: {} {} {:?})",
            first.employee_id, first.kind, first.outcome
        ));
    }
    text
}

fn verdict(met: bool) -> &'static str {
    if met { "MET" } else { "NOT MET" }
}
