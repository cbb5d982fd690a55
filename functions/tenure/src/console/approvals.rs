//! Supervised approval: `GET /console/connections/{id}/approvals` lists the changes the guard
//! held, each with its reason, what it takes away and, while pending, the plan it would make
//! now ([`crate::service::guard::preview`], shown as `tenure plan` writes it); `POST
//! …/approvals/{approval}/approve` approves one ([`crate::service::guard::approve`]) on
//! behalf of the signed-in user, who is kept as the approver on the approval and in the audit
//! trail (the admin layer writes the access record). `POST …/approvals/supervision` sets the
//! connection's supervised mode ([`MappingSettings::set_supervision`]), which the page shows
//! first. `POST …/approvals/{approval}/reject` rejects one with a note (required), kept on the
//! approval and in the audit trail; a rejected change is never applied.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::connection::OnConnection;
use super::page::{Chrome, ErrorPage, Partial, answer};
use crate::report::plan_text;
use crate::service::Services;
use crate::service::access_audit::AuditDetail;
use crate::service::guard::{self, Approval, ApprovalError, ApprovalStatus, Origin};
use crate::service::settings::{MappingSettings, SettingsError, Supervision};
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
    supervision: Vec<ModeView>,
    /// Whether the connection has mapping settings (where the supervision is kept).
    has_mapping: bool,
    /// Why the supervision cannot be set (no mapping yet), or what was wrong with the choice.
    supervision_error: Option<String>,
    approvals: Vec<ApprovalView>,
}

/// One supervision mode as the form offers it.
struct ModeView {
    name: &'static str,
    label: &'static str,
    checked: bool,
}

/// Why the supervision of a connection without mapping settings cannot be set.
const NO_MAPPING: &str =
    "This connection has no mapping yet, so nothing to supervise: save a mapping first (Mapping).";

/// What an answer says besides the page itself.
#[derive(Default)]
struct Said {
    notice: Option<String>,
    problem: Option<String>,
    supervision_error: Option<String>,
    /// A rejection's note that could not be taken: the approval, what was typed, why.
    note_error: Option<(String, String, String)>,
    /// An approval refused because its plan changed: the approval and what differs.
    changed: Option<(String, Vec<String>)>,
}

struct ApprovalView {
    id: String,
    created_at: String,
    origin: &'static str,
    reason: String,
    effect: String,
    workers: usize,
    deliveries: String,
    /// How it was decided (approved or rejected, when, by whom), once it was.
    decided: Option<Decided>,
    plan: Option<String>,
    plan_note: String,
    /// The digest of the plan shown, which the approve form carries (no form without one).
    plan_digest: Option<String>,
    /// What differs from the plan the approver saw, when their approval was refused for it.
    changed: Vec<String>,
    /// The note as typed, shown again with its error.
    note_text: String,
    note_error: Option<String>,
}

/// An approval's decision, as the page shows it.
struct Decided {
    approved: bool,
    /// `on <when> by <who>`.
    when_who: String,
    /// A rejection's note.
    note: Option<String>,
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
        Said::default(),
    )
    .await
}

/// Sets the connection's supervision from the form's `supervision` field, then shows the page
/// with what happened (an unknown mode, or a connection without mapping settings, is said by
/// the field).
pub(crate) async fn set_supervision(
    State(services): State<Services>,
    OnConnection {
        chrome,
        connection,
        caller: _,
        partial,
    }: OnConnection,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let chosen = fields
        .iter()
        .find(|(name, _)| name == "supervision")
        .map(|(_, value)| value.as_str());
    let mode = match chosen.map(Supervision::parse) {
        Some(Ok(mode)) => mode,
        Some(Err(message)) => {
            return field_error(&services, chrome, &connection, partial, message).await;
        }
        None => {
            let message = "Choose how this connection is supervised.".to_owned();
            return field_error(&services, chrome, &connection, partial, message).await;
        }
    };
    let set =
        MappingSettings::set_supervision(services.objects.as_ref(), &connection.id, mode).await;
    let said = match set {
        Ok(_) => Said {
            notice: Some(format!("Saved. {}.", mode.describe())),
            ..Said::default()
        },
        Err(SettingsError::Missing(_)) => {
            let message = NO_MAPPING.to_owned();
            return field_error(&services, chrome, &connection, partial, message).await;
        }
        Err(error) => {
            return ErrorPage::failed(partial, Some(chrome), "save the supervision", &error);
        }
    };
    render(
        &services,
        chrome,
        &connection,
        partial,
        StatusCode::OK,
        said,
    )
    .await
}

async fn field_error(
    services: &Services,
    chrome: Chrome,
    connection: &Connection,
    partial: Partial,
    message: String,
) -> Response {
    let said = Said {
        supervision_error: Some(message),
        ..Said::default()
    };
    render(
        services,
        chrome,
        connection,
        partial,
        StatusCode::BAD_REQUEST,
        said,
    )
    .await
}

/// Approves one held change as the form's `plan_digest` says its plan was shown
/// ([`guard::approve_reviewed`]), then shows the approvals again with what happened: when the
/// plan changed since, nothing is approved and the page shows what differs and the plan now.
pub(crate) async fn approve(
    State(services): State<Services>,
    OnConnection {
        chrome,
        connection,
        caller,
        partial,
    }: OnConnection,
    Path((_, approval_id)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let Some(seen) = fields
        .iter()
        .find(|(name, _)| name == "plan_digest")
        .map(|(_, value)| value.clone())
    else {
        let said = Said {
            problem: Some(
                "Not approved: the form did not say which plan you saw. Read the plan below and approve it again.".to_owned(),
            ),
            ..Said::default()
        };
        return render(
            &services,
            chrome,
            &connection,
            partial,
            StatusCode::BAD_REQUEST,
            said,
        )
        .await;
    };
    let by = caller.actor().label();
    let approved =
        guard::approve_reviewed(&services, &connection.id, &approval_id, &by, &seen).await;
    let (status, said) = match approved {
        Ok(done) if done.released => (
            StatusCode::OK,
            Said {
                notice: Some(format!(
                    "Approved: the held work of {} worker(s) is released to provisioning.",
                    workers(&done.approval)
                )),
                ..Said::default()
            },
        ),
        Ok(_) => (
            StatusCode::OK,
            Said {
                notice: Some("This change was approved before; nothing more was done.".to_owned()),
                ..Said::default()
            },
        ),
        Err(ApprovalError::PlanChanged { differences, .. }) => (
            StatusCode::CONFLICT,
            Said {
                problem: Some(
                    "Not approved: the plan changed since it was shown (HR or the directory changed). Nothing was applied. What differs is listed with the change below; approve the plan as it is now if it is right.".to_owned(),
                ),
                changed: Some((approval_id.clone(), differences)),
                ..Said::default()
            },
        ),
        Err(error) => {
            tracing::warn!(connection = %connection.id, approval = %approval_id, %error, "console: approval failed");
            (
                decision_refused(&error),
                Said {
                    problem: Some(format!("Not approved: {error}")),
                    ..Said::default()
                },
            )
        }
    };
    render(&services, chrome, &connection, partial, status, said).await
}

/// Rejects one held change with the form's `note` (required), then shows the approvals again;
/// the note goes on the approval and, through the admin layer, into the audit trail.
pub(crate) async fn reject(
    State(services): State<Services>,
    OnConnection {
        chrome,
        connection,
        caller,
        partial,
    }: OnConnection,
    Path((_, approval_id)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let note = fields
        .iter()
        .find(|(name, _)| name == "note")
        .map_or("", |(_, value)| value.as_str());
    let by = caller.actor().label();
    let (status, said, detail) = match guard::reject(
        &services,
        &connection.id,
        &approval_id,
        &by,
        note,
    )
    .await
    {
        Ok(approval) => {
            let note = match &approval.status {
                ApprovalStatus::Rejected { note, .. } => note.as_str(),
                _ => note,
            };
            let said = Said {
                notice: Some(format!(
                    "Rejected: the held work of {} worker(s) will never be applied.",
                    workers(&approval)
                )),
                ..Said::default()
            };
            (StatusCode::OK, said, Some(format!("rejected: {note}")))
        }
        Err(ApprovalError::BadNote(message)) => {
            let said = Said {
                note_error: Some((approval_id.clone(), note.to_owned(), message)),
                ..Said::default()
            };
            (StatusCode::BAD_REQUEST, said, None)
        }
        Err(error) => {
            let status = decision_refused(&error);
            tracing::warn!(connection = %connection.id, approval = %approval_id, %error, "console: rejection failed");
            let said = Said {
                problem: Some(format!("Not rejected: {error}")),
                ..Said::default()
            };
            (status, said, None)
        }
    };
    let mut response = render(&services, chrome, &connection, partial, status, said).await;
    if let Some(detail) = detail {
        response.extensions_mut().insert(AuditDetail(detail));
    }
    response
}

/// The status of a refused approval or rejection.
fn decision_refused(error: &ApprovalError) -> StatusCode {
    match error {
        ApprovalError::BadId(_) | ApprovalError::NotFound { .. } => StatusCode::NOT_FOUND,
        ApprovalError::BadNote(_) => StatusCode::BAD_REQUEST,
        ApprovalError::Contended(_)
        | ApprovalError::Rejected { .. }
        | ApprovalError::AlreadyApproved { .. } => StatusCode::CONFLICT,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

async fn render(
    services: &Services,
    chrome: Chrome,
    connection: &Connection,
    partial: Partial,
    status: StatusCode,
    said: Said,
) -> Response {
    let current = match MappingSettings::load(services.objects.as_ref(), &connection.id).await {
        Ok((settings, _)) => Some(settings.guard.supervision),
        Err(SettingsError::Missing(_)) => None,
        Err(error) => {
            return ErrorPage::failed(
                partial,
                Some(chrome),
                "read the connection's settings",
                &error,
            );
        }
    };
    let supervision = Supervision::ALL
        .into_iter()
        .map(|mode| ModeView {
            name: mode.name(),
            label: mode.describe(),
            checked: current.unwrap_or_default() == mode,
        })
        .collect();

    let approvals = match guard::list(services.objects.as_ref(), &connection.id).await {
        Ok(approvals) => approvals,
        Err(error) => {
            return ErrorPage::failed(partial, Some(chrome), "read the held changes", &error);
        }
    };
    if approvals
        .iter()
        .any(|a| a.status == ApprovalStatus::Pending)
    {
        // The plan shown is the plan of the tenant as it is now.
        guard::refresh(services, &connection.id).await;
    }
    let mut views = Vec::with_capacity(approvals.len());
    // Newest first: what waits now matters most.
    for approval in approvals.iter().rev() {
        views.push(view(services, connection, approval, &said).await);
    }
    let page = ApprovalsPage {
        csrf_token: chrome.csrf_token.clone(),
        chrome: Some(chrome),
        title: format!("Approvals of {}", connection.display_name()),
        id: connection.id.to_string(),
        name: connection.display_name().to_owned(),
        section: "approvals",
        notice: said.notice,
        problem: said.problem,
        supervision,
        has_mapping: current.is_some(),
        supervision_error: said.supervision_error,
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

async fn view(
    services: &Services,
    connection: &Connection,
    approval: &Approval,
    said: &Said,
) -> ApprovalView {
    let (note_text, note_error) = match &said.note_error {
        Some((id, text, error)) if *id == approval.id => (text.clone(), Some(error.clone())),
        _ => (String::new(), None),
    };
    let decided = match &approval.status {
        ApprovalStatus::Pending => None,
        ApprovalStatus::Approved { at, by, .. } => Some(Decided {
            approved: true,
            when_who: format!("on {} by {by}", super::labels::when(*at)),
            note: None,
        }),
        ApprovalStatus::Rejected { at, by, note } => Some(Decided {
            approved: false,
            when_who: format!("on {} by {by}", super::labels::when(*at)),
            note: Some(note.clone()),
        }),
    };
    let (plan, plan_note, plan_digest) = if decided.is_some() {
        (None, String::new(), None)
    } else {
        match guard::review(services, &connection.id, approval).await {
            Ok(Some(review)) => (Some(plan_text(&review.plan)), String::new(), Some(review.digest)),
            Ok(None) => (
                None,
                "No plan yet: the connection has no mapping or no directory read yet to plan against. Approving queues the held workers, and provisioning plans them as it runs.".to_owned(),
                Some(guard::NO_PLAN.to_owned()),
            ),
            Err(error) => {
                tracing::warn!(connection = %connection.id, approval = %approval.id, %error, "console: cannot preview a held change");
                (
                    None,
                    format!("The plan cannot be shown now, so it cannot be approved here: {error}"),
                    None,
                )
            }
        }
    };
    let changed = match &said.changed {
        Some((id, lines)) if *id == approval.id => lines.clone(),
        _ => Vec::new(),
    };
    ApprovalView {
        id: approval.id.clone(),
        created_at: super::labels::when(approval.created_at),
        origin: match approval.origin {
            Origin::Webhook => "a webhook delivery",
            Origin::Schedule => "a scheduled sync",
            Origin::Provision => "a provision run",
        },
        reason: approval.reason.clone(),
        effect: approval.effect.describe(),
        workers: workers(approval),
        deliveries: approval.deliveries.join(", "),
        decided,
        plan,
        plan_note,
        plan_digest,
        changed,
        note_text,
        note_error,
    }
}

fn workers(approval: &Approval) -> usize {
    approval.items.iter().map(|i| i.workers.len()).sum()
}
