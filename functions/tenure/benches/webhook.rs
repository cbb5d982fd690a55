//! `cargo bench -p tenure --bench webhook [-- SECONDS]`: how fast the HR webhook accepts
//! deliveries under a steady load. The webhook router (as `tenure serve` mounts it: local
//! stores in a temporary folder, an in-process queue) listens on a loopback port in its own
//! runtime; a client on another runtime sends distinct signed one-worker deliveries over
//! keep-alive connections at a fixed rate, open loop: each request's latency is counted from
//! the moment it was due, so a slow answer delays nobody's clock (no coordinated omission), and
//! from the moment it was sent (the server alone: tokio's timer wakes up to a millisecond late).
//! Run at 300 and 600 requests/s, with the replay cache in the object store (files here, S3 in
//! AWS) and in memory, to show what the replay cache costs. Every answer must be 202.

use tenure_test_support::machine;

use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use tenure::plugin::{PluginHost, SandboxLimits};
use tenure::service::Services;
use tenure::store::DataDir;
use tenure::store::connections::ConnectionId;
use tenure::store::secrets::{SecretKind, SecretName};
use tenure::webhook::InMemoryReplayCache;
use tenure::webhook::signature::sign_generic;

use tenure_test_support::Error;

const RATES: [u32; 2] = [300, 600];

fn main() -> Result<(), Error> {
    let seconds: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10);
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    println!(
        "machine: {} cores, {} (client and server share them)",
        machine::cores(),
        machine::cpu_model()
    );
    for object_replay in [true, false] {
        for rate in RATES {
            let server = Server::start(object_replay)?;
            let run = client.block_on(drive(&server, rate, rate * seconds))?;
            let cache = if object_replay { "object" } else { "memory" };
            run.print(&format!("{rate}/s, replay cache in {cache}"));
        }
    }
    Ok(())
}

/// The webhook router on a loopback port, over fresh local stores, in its own runtime.
struct Server {
    url: String,
    key: SecretString,
    _runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(object_replay: bool) -> Result<Server, Error> {
        let runtime = tokio::runtime::Runtime::new()?;
        let dir = tempfile::tempdir()?;
        let data = DataDir::open(dir.path().join("data"))?;
        // As `tenure serve` has them: the replay cache in the object store (files here).
        let mut services =
            Services::local(&data, PluginHost::new(SandboxLimits::default(), None)?)?;
        if !object_replay {
            services.replay = Arc::new(InMemoryReplayCache::new());
        }
        let connection = ConnectionId::parse("contoso")?;
        let key = SecretString::from(format!("whsec-{}", uuid::Uuid::new_v4().simple()));
        let name = SecretName::for_connection(&connection, SecretKind::WebhookKey);
        runtime.block_on(services.secrets.put_new(&name, &key))?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let url = format!(
            "http://{}/connections/{connection}/hr-events",
            listener.local_addr()?
        );
        let app = tenure::service::http::webhook_routes(services);
        runtime.spawn(async move { axum::serve(listener, app).await });
        Ok(Server {
            url,
            key,
            _runtime: runtime,
            _dir: dir,
        })
    }

    /// A delivery of one worker with its signature headers, signed now.
    fn delivery(&self, employee_id: usize) -> (Vec<u8>, [(&'static str, String); 2]) {
        let body = serde_json::json!({"events": [{"type": "upsert", "worker": {
            "employee_id": employee_id.to_string(), "first_name": "Ada", "last_name": "Load",
            "job_title": "Engineer", "department": "Engineering", "country": "GB",
            "employment_status": "active", "hire_date": "2026-01-05",
            "time_zone": "Europe/London"}}]});
        let body = serde_json::to_vec(&body).unwrap_or_default();
        let signed = sign_generic(&body, &self.key, jiff::Timestamp::now());
        let header = |name: &'static str| (name, signed.get(name).unwrap_or("").to_owned());
        let headers = [header("X-Tenure-Timestamp"), header("X-Tenure-Signature")];
        (body, headers)
    }
}

/// Sends `total` deliveries at `rate` per second, each when it is due, and gathers the answers.
async fn drive(server: &Server, rate: u32, total: u32) -> Result<Run, Error> {
    let deliveries: Vec<_> = (0..total as usize).map(|i| server.delivery(i)).collect();
    let client = reqwest::Client::new();
    let start = Instant::now() + Duration::from_millis(20);
    let mut answers = Vec::with_capacity(deliveries.len());
    for (i, (body, headers)) in deliveries.into_iter().enumerate() {
        let due = start + Duration::from_secs(i as u64) / rate;
        tokio::time::sleep_until(due.into()).await;
        let mut request = client.post(&server.url).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request = request.header("content-type", "application/json");
        let late = due.elapsed();
        answers.push(tokio::spawn(async move {
            let status = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    response
                        .bytes()
                        .await
                        .map(|_| status)
                        .map_err(|e| e.to_string())
                }
                Err(e) => Err(e.to_string()),
            };
            (late, due.elapsed(), status)
        }));
    }
    let mut run = Run::default();
    for answer in answers {
        let (late, latency, status) = answer.await?;
        match status {
            Ok(202) => {}
            Ok(other) => run.errors.push(format!("status {other}")),
            Err(error) => run.errors.push(error),
        }
        run.latencies.push(latency);
        run.from_send.push(latency.saturating_sub(late));
    }
    run.wall = start.elapsed();
    Ok(run)
}

#[derive(Default)]
struct Run {
    latencies: Vec<Duration>,
    /// The same from when each was sent: without the client's timer, which wakes up to a
    /// millisecond late.
    from_send: Vec<Duration>,
    errors: Vec<String>,
    /// From the first request due to the last answer.
    wall: Duration,
}

impl Run {
    fn print(mut self, name: &str) {
        let n = self.latencies.len();
        println!(
            "{name:<30} {n} requests, {:.0}/s achieved, non-202: {}",
            n as f64 / self.wall.as_secs_f64(),
            self.errors.len()
        );
        for (from, samples) in [("due", &mut self.latencies), ("send", &mut self.from_send)] {
            samples.sort();
            let [p50, p90, p99, max] =
                [0.5, 0.9, 0.99, 1.0].map(|q| samples[((n - 1) as f64 * q).round() as usize]);
            println!(
                "  from {from:<4}  p50 {p50:>7.2?}  p90 {p90:>7.2?}  p99 {p99:>7.2?}  max {max:>7.2?}"
            );
        }
        if let Some(first) = self.errors.first() {
            println!("  first error: {first}");
        }
    }
}
