//! `tenure match`: the match report of workers without an account against the accounts that
//! exist without an `employeeId`, and `--confirm`, which adopts the pairs a reviewer marked.

use std::fs;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use tenure::apply::{ActionOutcome, ApplyOptions, AuditRecord, apply_observed};
use tenure::correlate::{MatchReport, confirm, read_confirmed, report_csv, report_text};
use tenure::directory::Snapshot;
use tenure::hr::HrBatch;
use tenure::microsoft::LiveDirectory;
use tenure::pipeline;
use tenure::today::Today;

use crate::args::{MatchArgs, ReportFormat};
use crate::commands::Mapping;
use crate::state::state_dir;
use crate::sync::{AuditFile, SOME_FAILED, Target, connect, read_tenant, record_failure};

/// Workers written at once when adopting.
const CONCURRENCY: u16 = 8;

pub(crate) fn run(args: MatchArgs) -> Result<ExitCode> {
    let (hr, mapping) = Mapping::load(&args.mapping)?;
    if let Some(directory) = &args.directory {
        let directory = Snapshot::read(directory)?;
        let report = report(&args, &mapping, &directory, hr)?;
        print_report(&report, args.format)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.connection.connection.is_none()
        && (args.connection.tenant.is_none() || args.connection.client_id.is_none())
    {
        bail!("give --directory SNAPSHOT.json, --connection, or --tenant and --client-id");
    }
    // A reviewed report that cannot be read is refused before the tenant is touched.
    let confirmed = match &args.confirm {
        Some(path) => {
            let text = fs::read_to_string(path)
                .with_context(|| format!("cannot read the match report {}", path.display()))?;
            Some(read_confirmed(&text, &path.display().to_string())?)
        }
        None => None,
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let state = state_dir(args.state_dir.as_deref())?;
        let target = connect(&args.connection, CONCURRENCY, &state).await?;
        let read = read_tenant(args.full_read, &state, &target).await;
        if let Err(error) = &read {
            record_failure(&target, error).await;
        }
        let (directory, tenant_dir, read) = read?;
        // The report alone goes to standard output, so that its JSON or CSV can be saved.
        eprintln!("{read}");
        match confirmed {
            None => {
                let report = report(&args, &mapping, &directory, hr)?;
                print_report(&report, args.format)?;
                Ok(ExitCode::SUCCESS)
            }
            Some(pairs) => {
                let audit = args
                    .audit
                    .clone()
                    .unwrap_or_else(|| tenant_dir.join("audit.jsonl"));
                adopt(&pairs, &args, hr, &directory, target, &audit).await
            }
        }
    })
}

fn report(
    args: &MatchArgs,
    mapping: &Mapping,
    directory: &Snapshot,
    hr: HrBatch,
) -> Result<MatchReport> {
    pipeline::match_report(mapping.request(&args.mapping, directory, hr))
        .with_context(|| format!("with configuration {}", args.mapping.config.display()))
}

fn print_report(report: &MatchReport, format: ReportFormat) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match format {
        ReportFormat::Text => out.write_all(report_text(report).as_bytes())?,
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, report)?;
            writeln!(out)?;
        }
        ReportFormat::Csv => out.write_all(report_csv(report)?.as_bytes())?,
    }
    out.flush()?;
    Ok(())
}

/// Adopts the confirmed pairs: checks them against HR and the tenant as they are now, then
/// writes each worker's `employeeId` on its account, with an audit record for each.
async fn adopt(
    pairs: &[(String, String)],
    args: &MatchArgs,
    hr: HrBatch,
    directory: &Snapshot,
    target: Target,
    audit_path: &std::path::Path,
) -> Result<ExitCode> {
    let today = args.mapping.today.unwrap_or_else(Today::now);
    let confirmation = confirm(pairs, &hr.workers, directory, today)?;
    for line in &confirmation.already {
        println!("{line}: nothing to do");
    }
    if confirmation.plan.workers.is_empty() {
        println!("No account to adopt.");
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", tenure::report::plan_text(&confirmation.plan));
    let audit = Mutex::new(AuditFile::open(audit_path)?);
    let observer = |_: &ActionOutcome, record: Option<&AuditRecord>| {
        if let Some(record) = record {
            audit
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .append(record);
        }
    };
    let Target {
        graph, exchange, ..
    } = target;
    let writer = LiveDirectory::new(graph, exchange);
    let options = ApplyOptions {
        concurrency: usize::from(CONCURRENCY),
    };
    let (report, _) = apply_observed(&confirmation.plan, &writer, options, &observer).await;
    let written = audit
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .finish()?;
    println!();
    print!("{}", tenure::report::apply_text(&report));
    println!(
        "Audit: {written} record{} appended to {}",
        if written == 1 { "" } else { "s" },
        audit_path.display()
    );
    let (_, _, failed, skipped) = report.counts();
    Ok(if failed + skipped > 0 {
        ExitCode::from(SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}
