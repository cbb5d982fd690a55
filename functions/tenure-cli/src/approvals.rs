//! `tenure approvals list | approve | reject | supervise`: the changes the guard held for approval in the
//! local state folder, and which changes a connection holds (its supervision). The CLI runs as the operator, so it approves directly; the approved work is then
//! provisioned by this process (the queue of `tenure serve` lives in that process).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use tenure::service::guard::{self, ApprovalStatus};
use tenure::service::provision;
use tenure::service::settings::MappingSettings;

use crate::args::{
    ApprovalsCommand, ApproveArgs, ExistingConnectionArgs, RejectArgs, SuperviseArgs,
};
use crate::state::state_dir;

/// The most messages provisioned at once.
const BATCH: usize = 10;

pub(crate) fn run(command: ApprovalsCommand) -> Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        match command {
            ApprovalsCommand::List(args) => list(args).await,
            ApprovalsCommand::Approve(args) => approve(args).await,
            ApprovalsCommand::Reject(args) => reject(args).await,
            ApprovalsCommand::Supervise(args) => supervise(args).await,
        }
    })
}

async fn list(args: ExistingConnectionArgs) -> Result<ExitCode> {
    let state = state_dir(args.state.state_dir.as_deref())?;
    let stores = crate::state::Stores::open(&state)?;
    let connection = stores.connection(&args.id).await?;
    let approvals = guard::list(stores.objects.as_ref(), &connection.id).await?;
    if let Ok((settings, _)) = MappingSettings::load(stores.objects.as_ref(), &connection.id).await
    {
        println!("Supervision: {}.", settings.guard.supervision.describe());
    }
    if approvals.is_empty() {
        println!("Connection {} has no held changes.", connection.id);
    }
    for approval in approvals {
        let workers: usize = approval.items.iter().map(|i| i.workers.len()).sum();
        let state = match &approval.status {
            ApprovalStatus::Pending => "pending".to_owned(),
            ApprovalStatus::Approved { at, by, .. } => format!("approved {at} by {by}"),
            ApprovalStatus::Rejected { at, by, note } => {
                format!("rejected {at} by {by}: {note:?}")
            }
        };
        println!(
            "{}  {state}  held {} from {:?}, {workers} workers ({})\n    {}",
            approval.id,
            approval.created_at,
            approval.origin,
            approval.effect.describe(),
            approval.reason
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn reject(args: RejectArgs) -> Result<ExitCode> {
    let state = state_dir(args.connection.state.state_dir.as_deref())?;
    let stores = crate::state::Stores::open(&state)?;
    let connection = stores.connection(&args.connection.id).await?;
    drop(stores);
    let services = crate::serve::services(&state, "http://127.0.0.1")?;
    let rejected = guard::reject(
        &services,
        &connection.id,
        &args.approval,
        &operator(),
        &args.note,
    )
    .await?;
    if let ApprovalStatus::Rejected { by, note, .. } = &rejected.status {
        println!(
            "Rejected {} (by {by}: {note:?}); its work will never be applied.",
            rejected.id
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// How the CLI names who approved or rejected: `cli:$USER`.
fn operator() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "operator".to_owned())
    )
}

async fn supervise(args: SuperviseArgs) -> Result<ExitCode> {
    let state = state_dir(args.connection.state.state_dir.as_deref())?;
    let stores = crate::state::Stores::open(&state)?;
    let connection = stores.connection(&args.connection.id).await?;
    MappingSettings::set_supervision(stores.objects.as_ref(), &connection.id, args.mode).await?;
    println!("Connection {}: {}.", connection.id, args.mode.describe());
    Ok(ExitCode::SUCCESS)
}

async fn approve(args: ApproveArgs) -> Result<ExitCode> {
    let state = state_dir(args.connection.state.state_dir.as_deref())?;
    let stores = crate::state::Stores::open(&state)?;
    let connection = stores.connection(&args.connection.id).await?;
    drop(stores);
    let services = crate::serve::services(&state, "http://127.0.0.1")?;
    let by = operator();
    let approved = guard::approve(&services, &connection.id, &args.approval, &by).await?;
    if !approved.released {
        println!(
            "Approval {} was already approved ({:?}); nothing was done.",
            args.approval, approved.approval.status
        );
        return Ok(ExitCode::SUCCESS);
    }
    let workers: usize = approved
        .approval
        .items
        .iter()
        .map(|i| i.workers.len())
        .sum();
    println!(
        "Approved {} ({workers} workers); provisioning it now.",
        args.approval
    );
    let mut done = 0;
    loop {
        let settled = provision::drain(&services, BATCH, Duration::ZERO).await?;
        if settled == 0 {
            break;
        }
        done += settled;
    }
    let messages = approved.approval.items.len();
    if done < messages {
        anyhow::bail!(
            "approved, but {} of {messages} messages could not be provisioned now (see the log \
             above); the next sync of these workers applies them",
            messages - done
        );
    }
    println!("Provisioned {done} messages; the audit trail is in the state folder.");
    Ok(ExitCode::SUCCESS)
}
