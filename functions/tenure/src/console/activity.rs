//! `GET /console/connections/{id}/activity?worker=…&day=…&kind=…`: the audit trail (each change with
//! before and after, why, Microsoft's request id; by worker, day and kind), the administrators'
//! actions on the connection, and its dead letters with their reason
//! ([`crate::service::activity`]).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::connection::OnConnection;
use super::labels;
use super::page::{Chrome, ErrorPage, answer};
use crate::service::Services;
use crate::service::access_audit::Actor;
use crate::service::activity::{TrailFilter, dead_letters, trail};

/// The longest employee id the filter takes.
const MAX_WORKER_ID: usize = 64;

#[derive(Template)]
#[template(path = "console/activity.html", blocks = ["content"])]
struct ActivityPage {
    chrome: Option<Chrome>,
    title: String,
    id: String,
    name: String,
    section: &'static str,
    worker: String,
    day: String,
    kind: String,
    kinds: Vec<(String, String)>,
    worker_error: Option<String>,
    day_error: Option<String>,
    filtered: bool,
    changes: Vec<ChangeRow>,
    more_changes: usize,
    access: Vec<AccessRow>,
    dead_letters: Vec<LetterRow>,
    dead_letters_note: Option<String>,
}

struct ChangeRow {
    at: String,
    delivery: String,
    worker: String,
    action: String,
    before: String,
    after: String,
    reason: String,
    request_id: Option<String>,
    /// Recorded after a run that was killed: it may have been applied.
    interrupted: bool,
}

struct AccessRow {
    at: String,
    who: String,
    request: String,
    detail: Option<String>,
    status: u16,
}

struct LetterRow {
    reason: String,
    message_id: Option<String>,
}

/// The filter as the form sends it.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ActivityQuery {
    #[serde(default)]
    worker: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    kind: String,
}

/// The activity page.
pub(crate) async fn page(
    State(services): State<Services>,
    OnConnection {
        chrome,
        connection,
        caller: _,
        partial,
    }: OnConnection,
    Query(query): Query<ActivityQuery>,
) -> Response {
    let worker = query.worker.trim().to_owned();
    let day_text = query.day.trim().to_owned();
    let worker_error =
        (worker.len() > MAX_WORKER_ID || worker.chars().any(char::is_control)).then(|| {
            format!(
                "An employee id has at most {MAX_WORKER_ID} characters and no control characters."
            )
        });
    let (day, day_error) = match day_text.as_str() {
        "" => (None, None),
        text => match text.parse::<jiff::civil::Date>() {
            Ok(day) => (Some(day), None),
            Err(_) => (
                None,
                Some(format!("{text:?} is not a day: write it as 2026-12-04.")),
            ),
        },
    };
    let kind = query.kind.trim().to_owned();
    let filter = TrailFilter {
        worker: (!worker.is_empty() && worker_error.is_none()).then(|| worker.clone()),
        day,
        kind: (!kind.is_empty()).then(|| kind.clone()),
    };
    let found = match trail(services.objects.as_ref(), &connection.id, &filter).await {
        Ok(found) => found,
        Err(error) => {
            return ErrorPage::failed(partial, Some(chrome), "read the audit trail", &error);
        }
    };
    let (letters, dead_letters_note) = match dead_letters(services.objects.as_ref(), &connection.id)
        .await
    {
        Ok(letters) => (letters, None),
        Err(error) => {
            tracing::info!(connection = %connection.id, %error, "console: dead letters not read");
            (
                    Vec::new(),
                    Some("Dead letters are not kept where this page can read them: on AWS they are in the deployment's SQS dead-letter queue (<stack>-dead-letters.fifo), with the reason in the message attribute tenure-reason.".to_owned()),
                )
        }
    };
    let filtered = filter.worker.is_some() || filter.day.is_some() || filter.kind.is_some();
    let kinds = found
        .kinds
        .iter()
        .chain(filter.kind.iter())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|k| (k.clone(), k.replace('_', " ")))
        .collect();
    let page = ActivityPage {
        chrome: Some(chrome),
        title: format!("Activity of {}", connection.display_name()),
        id: connection.id.to_string(),
        name: connection.display_name().to_owned(),
        section: "activity",
        worker,
        day: day_text,
        kind,
        kinds,
        worker_error,
        day_error,
        filtered,
        changes: found
            .changes
            .into_iter()
            .map(|c| ChangeRow {
                at: labels::when_text(&c.record.at),
                delivery: c.delivery,
                worker: c.record.employee_id,
                action: c.record.action.replace('_', " "),
                before: c.record.before.to_string(),
                after: c.record.after.to_string(),
                reason: c.record.reason,
                request_id: c.record.request_id,
                interrupted: c.record.interrupted,
            })
            .collect(),
        more_changes: found.more_changes,
        access: found
            .access
            .into_iter()
            .map(|a| AccessRow {
                at: labels::when(a.at),
                who: match a.actor {
                    Actor::User { username, .. } => username,
                    Actor::ApiToken {
                        token_name,
                        token_id,
                        ..
                    } => format!("API token {token_name} ({token_id})"),
                },
                request: format!("{} {}", a.method, a.path),
                detail: a.detail,
                status: a.status,
            })
            .collect(),
        dead_letters: letters
            .into_iter()
            .map(|l| LetterRow {
                reason: l.reason,
                message_id: l.message_id,
            })
            .collect(),
        dead_letters_note,
    };
    let status = if page.worker_error.is_some() || page.day_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    answer(
        status,
        partial,
        &page.title,
        || page.render(),
        || page.as_content().render(),
    )
}
