//! `cargo bench -p tenure --bench delta [-- USERS]`: what reading a tenant costs, the first time
//! (≤ 200 Exchange calls for a 100,000-mailbox tenant) and once its delta links are
//! known (docs/benchmarks.md: an incremental sync of an unchanged 100,000-user tenant in ≤ 3 Graph reads).
//!
//! A synthetic company's tenant (default 100,000 users, with their groups and mailboxes; one
//! mailbox in 2,000 made a shared one, as role mailboxes are) is loaded into the emulated
//! tenant. The first, whole read goes through `/users/delta`, `/groups/delta`, one paged
//! `Get-Mailbox` and `Get-MailboxPermission` for the mailboxes whose full-access holders a plan
//! needs (shared ones and disabled accounts'), as `tenure sync` reads
//! (`read_directory_with_delta`); then the tenant is read again with the links
//! (`refresh_directory`), changing nothing; every request the tenant answered is counted.

use tenure_test_support::machine;

use machine::{cores, cpu_model};

use std::error::Error;
use std::sync::Arc;
use std::time::Instant;

use secrecy::SecretString;
use tenure::microsoft::{
    ClientCredential, ClientOptions, Endpoints, ExchangeClient, GraphClient, NationalCloud,
    ReadOptions, TokenSource, read_directory_with_delta, refresh_directory,
};
use tenure_emulator::{EmulatedTenant, RateLimits, RecordedRequest, TenantConfig};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const CLIENT: &str = "tenure-delta-bench";
const SECRET: &str = "delta-bench-secret";

fn main() -> Result<()> {
    let users = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(100_000);
    println!("machine: {} cores, {}", cores(), cpu_model());
    let company = tenure::synthetic::company(users, 7)?;
    let mut snapshot = company.directory;
    for mailbox in snapshot.mailboxes.iter_mut().step_by(2_000) {
        mailbox.recipient_type_details = tenure::directory::MailboxType::SharedMailbox;
    }
    let shared = snapshot
        .mailboxes
        .iter()
        .filter(|m| m.recipient_type_details == tenure::directory::MailboxType::SharedMailbox)
        .count();
    println!(
        "tenant: {} users, {} groups, {} mailboxes",
        snapshot.users.len(),
        snapshot.groups.len(),
        snapshot.mailboxes.len()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        // Wide limits: this measures requests, not throttling.
        let limits = RateLimits {
            resource_units: u32::MAX,
            writes: u32::MAX,
            exchange_requests: u32::MAX,
            ..RateLimits::default()
        };
        let config = TenantConfig::new(snapshot)
            .with_client_secret(CLIENT, SECRET)
            .with_limits(limits);
        let tenant = EmulatedTenant::start(config).await?;
        let endpoints = Endpoints::all_at(NationalCloud::Global, &tenant.uri());
        let tokens = Arc::new(TokenSource::new(
            &endpoints,
            tenant.tenant_id(),
            CLIENT,
            ClientCredential::Secret(SecretString::from(SECRET.to_owned())),
        )?);
        let graph = GraphClient::new(&endpoints, Arc::clone(&tokens), ClientOptions::default())?;
        let exchange = ExchangeClient::new(
            &endpoints,
            tokens,
            "admin@contoso.com",
            ClientOptions::default(),
        )?;
        let options = ReadOptions {
            tenant: true,
            full_access: true,
        };

        let started = Instant::now();
        let (directory, state) =
            read_directory_with_delta(&graph, Some(&exchange), options).await?;
        let whole = started.elapsed();
        println!(
            "\nwhole read (with delta links): {:.2?}, {} users read",
            whole,
            directory.users.len()
        );
        let (_, _, exchange_calls) = report(&tenant.requests());
        println!(
            "  → {exchange_calls} Exchange calls for {} mailboxes ({shared} shared; target ≤ 200)",
            directory.mailboxes.len()
        );

        tenant.clear_requests();
        let started = Instant::now();
        let (refreshed, _) = refresh_directory(&graph, Some(&exchange), directory, &state).await?;
        let refresh = started.elapsed();
        println!("\nincremental read of the unchanged tenant: {refresh:.2?}");
        let (graph_reads, _, _) = report(&tenant.requests());
        println!(
            "  → {graph_reads} Graph reads (target ≤ 3); {} users in the refreshed snapshot",
            refreshed.users.len()
        );
        Ok::<_, Box<dyn Error>>(())
    })?;
    Ok(())
}

/// Prints and returns (Graph reads, Graph writes, Exchange calls); token requests apart.
fn report(requests: &[RecordedRequest]) -> (usize, usize, usize) {
    let graph = |r: &&RecordedRequest| r.path.starts_with("/v1.0/") && !r.in_batch;
    let reads = requests
        .iter()
        .filter(graph)
        .filter(|r| r.method == "GET")
        .count();
    let writes = requests
        .iter()
        .filter(graph)
        .filter(|r| r.method != "GET")
        .count();
    let exchange = requests
        .iter()
        .filter(|r| r.path.contains("/adminapi/"))
        .count();
    let tokens = requests
        .iter()
        .filter(|r| r.path.ends_with("/oauth2/v2.0/token"))
        .count();
    println!(
        "  requests: Graph reads {reads}, Graph writes {writes}, Exchange calls {exchange}, token requests {tokens}"
    );
    (reads, writes, exchange)
}
