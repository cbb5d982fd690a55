//! Supervised approval: `GET /console/connections/{id}/approvals` lists the changes the guard
//! held, each with its reason, what it takes away and, while pending, the plan it would make
//! now ([`crate::service::guard::preview`], shown as `tenure plan` writes it); `POST
//! …/approvals/{approval}/approve` approves one ([`crate::service::guard::approve`]) on
//! behalf of the signed-in user, who is kept as the approver on the approval and in the audit
//! trail (the admin layer writes the access record).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::connection::OnConnection;
use super::page::{Chrome, ErrorPage, Partial, answer};
use crate::report::plan_text;
use crate::service::Services;
use crate::service::guard::{self, Approval, ApprovalError, ApprovalStatus, Origin};
use crate::store::connections::Connection;

#[derive(Template)]
#[template(path = "console/approvals.html", blocks = ["content"])]
struct ApprovalsPage {
    chrome: Option<Chrome>,
    title: String,
    id: String,
    name: String,
    section: &'static str,
    csrf_token: String,
    notice: Option<String>,
    problem: Option<String>,
    approvals: Vec<ApprovalView>,
}

struct ApprovalView {
    id: String,
    created_at: String,
    origin: &'static str,
    reason: String,
    effect: String,
    workers: usize,
    deliveries: String,
    approved: Option<String>,
    plan: Option<String>,
    plan_note: String,
}

/// The approvals page.
pub(crate) async fn page(
    State(services): State<Services>,
    OnConnection {
        chrome,
        connection,
        caller: _,
        partial,
    }: OnConnection,
) -> Response {
    render(
        &services,
        chrome,
        &connection,
        partial,
        StatusCode::OK,
        None,
        None,
    )
    .await
}

/// Approves one held change, then shows the approvals again with what happened.
pub(crate) async fn approve(
    State(services): State<Services>,
    OnConnection {
        chrome,
        connection,
        caller,
        partial,
    }: OnConnection,
    Path((_, approval_id)): Path<(String, String)>,
) -> Response {
    let by = caller.actor().label();
    let (status, notice, problem) = match guard::approve(
        &services,
        &connection.id,
        &approval_id,
        &by,
    )
    .await
    {
        Ok(done) if done.released => (
            StatusCode::OK,
            Some(format!(
                "Approved: the held work of {} worker(s) is released to provisioning.",
                workers(&done.approval)
            )),
            None,
        ),
        Ok(_) => (
            StatusCode::OK,
            Some("This change was approved before; nothing more was done.".to_owned()),
            None,
        ),
        Err(error) => {
            let status = match &error {
                ApprovalError::BadId(_) | ApprovalError::NotFound { .. } => StatusCode::NOT_FOUND,
                ApprovalError::Contended(_) => StatusCode::CONFLICT,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            tracing::warn!(connection = %connection.id, approval = %approval_id, %error, "console: approval failed");
            (status, None, Some(format!("Not approved: {error}")))
        }
    };
    render(
        &services,
        chrome,
        &connection,
        partial,
        status,
        notice,
        problem,
    )
    .await
}

async fn render(
    services: &Services,
    chrome: Chrome,
    connection: &Connection,
    partial: Partial,
    status: StatusCode,
    notice: Option<String>,
    problem: Option<String>,
) -> Response {
    let approvals = match guard::list(services.objects.as_ref(), &connection.id).await {
        Ok(approvals) => approvals,
        Err(error) => {
            return ErrorPage::failed(partial, Some(chrome), "read the held changes", &error);
        }
    };
    let mut views = Vec::with_capacity(approvals.len());
    // Newest first: what waits now matters most.
    for approval in approvals.iter().rev() {
        views.push(view(services, connection, approval).await);
    }
    let page = ApprovalsPage {
        csrf_token: chrome.csrf_token.clone(),
        chrome: Some(chrome),
        title: format!("Approvals of {}", connection.display_name()),
        id: connection.id.to_string(),
        name: connection.display_name().to_owned(),
        section: "approvals",
        notice,
        problem,
        approvals: views,
    };
    answer(
        status,
        partial,
        &page.title,
        || page.render(),
        || page.as_content().render(),
    )
}

async fn view(services: &Services, connection: &Connection, approval: &Approval) -> ApprovalView {
    let approved = match &approval.status {
        ApprovalStatus::Pending => None,
        ApprovalStatus::Approved { at, by } => {
            Some(format!("on {} by {by}", super::labels::when(*at)))
        }
    };
    let (plan, plan_note) = if approved.is_some() {
        (None, String::new())
    } else {
        match guard::preview(services, &connection.id, &approval.items).await {
            Ok(Some(plan)) => (Some(plan_text(&plan)), String::new()),
            Ok(None) => (
                None,
                "No plan yet: the connection has no mapping or no directory read yet to plan against. Approving queues the held workers, and provisioning plans them as it runs.".to_owned(),
            ),
            Err(error) => {
                tracing::warn!(connection = %connection.id, approval = %approval.id, %error, "console: cannot preview a held change");
                (None, format!("The plan cannot be shown now: {error}"))
            }
        }
    };
    ApprovalView {
        id: approval.id.clone(),
        created_at: super::labels::when(approval.created_at),
        origin: match approval.origin {
            Origin::Webhook => "a webhook delivery",
            Origin::Schedule => "a scheduled sync",
            Origin::Provision => "a provision run over the budget",
        },
        reason: approval.reason.clone(),
        effect: approval.effect.describe(),
        workers: workers(approval),
        deliveries: approval.deliveries.join(", "),
        approved,
        plan,
        plan_note,
    }
}

fn workers(approval: &Approval) -> usize {
    approval.items.iter().map(|i| i.workers.len()).sum()
}
