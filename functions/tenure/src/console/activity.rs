//! `GET /console/connections/{id}/activity?worker=…&day=…&kind=…`: the last runs (when, how
//! many messages settled, the changes applied, and what failed, was retried, held or set aside),
//! the audit trail (each change with before and after, why, Microsoft's request id; by worker,
//! day and kind), the administrators' actions on the connection, and its dead letters with their
//! reason ([`crate::service::activity`]); `POST …/activity/dead-letters/retry` queues a dead
//! letter's work again ([`crate::service::activity::retry_dead_letter`]).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::connection::OnConnection;
use super::labels;
use super::page::{Chrome, ErrorPage, answer};
use crate::service::Services;
use crate::service::access_audit::{AccessRecord, Actor};
use crate::service::activity::{
    Change, RetryError, RunSummary, TrailFilter, dead_letters, retry_dead_letter, runs, trail,
};
use crate::store::connections::ConnectionId;

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
    runs: Vec<RunRow>,
    runs_note: Option<String>,
    csrf_token: String,
    notice: Option<String>,
    problem: Option<String>,
}

struct RunRow {
    at: String,
    run: String,
    settled: String,
    changes: usize,
    digest_sent: bool,
    /// What needed an admin: (kind, line).
    items: Vec<(&'static str, String)>,
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
    key: String,
    reason: String,
    message_id: Option<String>,
    delivery: String,
    workers: usize,
}

/// The retry form: the dead letter's object key (the CSRF token is the layer's).
#[derive(Debug, Deserialize)]
pub(crate) struct RetryForm {
    #[serde(default)]
    letter: String,
}

/// What a page shows after an action.
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    problem: Option<String>,
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
    on: OnConnection,
    Query(query): Query<ActivityQuery>,
) -> Response {
    render(&services, on, query, Shown::default()).await
}

/// Queues a dead letter's work again and shows the page with what happened.
pub(crate) async fn retry(
    State(services): State<Services>,
    on: OnConnection,
    Form(form): Form<RetryForm>,
) -> Response {
    let retried = retry_dead_letter(
        services.dead_letters.as_ref(),
        services.queue.as_ref(),
        &on.connection.id,
        form.letter.trim(),
    )
    .await;
    let shown = match retried {
        Ok(item) => {
            tracing::info!(connection = %on.connection.id, delivery = %item.delivery_id, by = %on.caller.actor().label(), "console: a dead letter queued again");
            Shown {
                notice: Some(format!(
                    "Queued again: the work of delivery {} ({} worker{}). If it fails again, it comes back here with its reason.",
                    item.delivery_id,
                    item.workers.len(),
                    if item.workers.len() == 1 { "" } else { "s" }
                )),
                problem: None,
            }
        }
        Err(error @ RetryError::NotFound { .. }) => Shown {
            notice: None,
            problem: Some(format!("Nothing was queued: {error}.")),
        },
        Err(error) => {
            return ErrorPage::failed(
                on.partial,
                Some(on.chrome),
                "queue the dead letter again",
                &error,
            );
        }
    };
    render(&services, on, ActivityQuery::default(), shown).await
}

/// The page for `query`, with `shown` above it.
async fn render(
    services: &Services,
    OnConnection {
        chrome,
        connection,
        caller: _,
        partial,
    }: OnConnection,
    query: ActivityQuery,
    shown: Shown,
) -> Response {
    let form = FilterForm::read(query);
    let found = match trail(services.objects.as_ref(), &connection.id, &form.filter).await {
        Ok(found) => found,
        Err(error) => {
            return ErrorPage::failed(partial, Some(chrome), "read the audit trail", &error);
        }
    };
    let (dead_letters, dead_letters_note) = dead_letter_rows(services, &connection.id).await;
    let (runs, runs_note) = run_rows(services, &connection.id).await;
    let filter = &form.filter;
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
        csrf_token: chrome.csrf_token.clone(),
        chrome: Some(chrome),
        title: format!("Activity of {}", connection.display_name()),
        id: connection.id.to_string(),
        name: connection.display_name().to_owned(),
        section: "activity",
        worker: form.worker,
        day: form.day,
        kind: form.kind,
        kinds,
        worker_error: form.worker_error,
        day_error: form.day_error,
        filtered,
        changes: found.changes.into_iter().map(change_row).collect(),
        more_changes: found.more_changes,
        access: found.access.into_iter().map(access_row).collect(),
        dead_letters,
        dead_letters_note,
        runs,
        runs_note,
        notice: shown.notice,
        problem: shown.problem,
    };
    let status = if page.problem.is_some() {
        StatusCode::NOT_FOUND
    } else if page.worker_error.is_some() || page.day_error.is_some() {
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

/// The filter form as typed, what is wrong with it, and the filter it makes.
struct FilterForm {
    worker: String,
    day: String,
    kind: String,
    worker_error: Option<String>,
    day_error: Option<String>,
    filter: TrailFilter,
}

impl FilterForm {
    /// Reads the query: an employee id (at most [`MAX_WORKER_ID`] characters, no control
    /// character), a day (`2026-12-04`) and a kind of change; a field with an error filters
    /// nothing.
    fn read(query: ActivityQuery) -> Self {
        let worker = query.worker.trim().to_owned();
        let day = query.day.trim().to_owned();
        let kind = query.kind.trim().to_owned();
        let worker_error = (worker.len() > MAX_WORKER_ID || worker.chars().any(char::is_control))
            .then(|| {
                format!(
                    "An employee id has at most {MAX_WORKER_ID} characters and no control characters."
                )
            });
        let (parsed_day, day_error) = match day.as_str() {
            "" => (None, None),
            text => match text.parse::<jiff::civil::Date>() {
                Ok(day) => (Some(day), None),
                Err(_) => (
                    None,
                    Some(format!("{text:?} is not a day: write it as 2026-12-04.")),
                ),
            },
        };
        let filter = TrailFilter {
            worker: (!worker.is_empty() && worker_error.is_none()).then(|| worker.clone()),
            day: parsed_day,
            kind: (!kind.is_empty()).then(|| kind.clone()),
        };
        Self {
            worker,
            day,
            kind,
            worker_error,
            day_error,
            filter,
        }
    }
}

/// The connection's dead letters as rows, or a note that they could not be read.
async fn dead_letter_rows(
    services: &Services,
    connection: &ConnectionId,
) -> (Vec<LetterRow>, Option<String>) {
    match dead_letters(services.dead_letters.as_ref(), connection).await {
        Ok(letters) => (letters.into_iter().map(letter_row).collect(), None),
        Err(error) => {
            tracing::info!(%connection, %error, "console: dead letters not read");
            let note = "The dead letters could not be read just now; try again in a moment.";
            (Vec::new(), Some(note.to_owned()))
        }
    }
}

/// The connection's last runs as rows, or a note that they could not be read.
async fn run_rows(services: &Services, connection: &ConnectionId) -> (Vec<RunRow>, Option<String>) {
    match runs(services.objects.as_ref(), connection).await {
        Ok(runs) => (runs.into_iter().map(run_row).collect(), None),
        Err(error) => {
            tracing::info!(%connection, %error, "console: runs not read");
            let note = "The runs' records could not be read just now.";
            (Vec::new(), Some(note.to_owned()))
        }
    }
}

fn change_row(c: Change) -> ChangeRow {
    ChangeRow {
        at: labels::when_text(&c.record.at),
        delivery: c.delivery,
        worker: c.record.employee_id,
        action: c.record.action.replace('_', " "),
        before: c.record.before.to_string(),
        after: c.record.after.to_string(),
        reason: c.record.reason,
        request_id: c.record.request_id,
        interrupted: c.record.interrupted,
    }
}

fn access_row(a: AccessRecord) -> AccessRow {
    AccessRow {
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
    }
}

fn run_row(summary: RunSummary) -> RunRow {
    let r = summary.record;
    RunRow {
        at: labels::when(r.at),
        run: r.run,
        settled: format!("{} of {}", r.settled.0, r.settled.1),
        changes: summary.changes,
        digest_sent: r.digest_sent,
        items: r
            .items
            .into_iter()
            .map(|i| (i.kind.label(), i.line))
            .collect(),
    }
}

fn letter_row(kept: crate::queue::KeptDeadLetter) -> LetterRow {
    let item = serde_json::from_str::<crate::queue::WorkItem>(&kept.letter.body).ok();
    LetterRow {
        key: kept.id,
        reason: kept.letter.reason,
        message_id: kept.letter.message_id,
        delivery: item
            .as_ref()
            .map_or_else(String::new, |i| i.delivery_id.clone()),
        workers: item.map_or(0, |i| i.workers.len()),
    }
}
