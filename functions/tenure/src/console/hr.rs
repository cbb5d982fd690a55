//! A connection's HR: `GET /console/connections/{id}/hr` shows where HR delivers (the webhook's
//! URL and whether it has a signing key), the export scheduled syncs read with the records its
//! readers set aside (`file:line` and why), and a form to upload an export by hand; `POST
//! …/hr/webhook-key` makes a new signing key ([`crate::connect::new_webhook_key`]), shown on the
//! answer once and never again; `POST …/hr/export` (a file, `multipart/form-data`) checks and
//! stores an export as the HTTP API does ([`crate::service::hr_export::store_export`]). An
//! export the readers cannot read is said next to the file field and nothing is kept.

use askama::Template;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use secrecy::ExposeSecret as _;

use super::connection::OnConnection;
use super::labels;
use super::page::{Chrome, ErrorPage, Partial, answer, base_url};
use super::upload::chosen_file;
use crate::connect::{has_webhook_key, keep_webhook_key, new_webhook_key};
use crate::service::Services;
use crate::service::deliveries::{self, DeliveryOutcome, DeliveryRecord, DeliverySource};
use crate::service::hr_export::{self, ExportFormat, HrExportError};
use crate::service::http::PublicUrl;
use crate::store::connections::Connection;

/// The most set-aside records the page lists.
const MAX_LISTED: usize = 100;

#[derive(Template)]
#[template(path = "console/hr.html", blocks = ["content"])]
struct HrPage {
    chrome: Option<Chrome>,
    title: String,
    id: String,
    name: String,
    section: &'static str,
    csrf_token: String,
    webhook_url: String,
    has_key: bool,
    new_key: Option<String>,
    export: Option<ExportView>,
    notice: Option<String>,
    problem: Option<String>,
    file_error: Option<String>,
    deliveries: Vec<DeliveryRow>,
}

/// One of the last deliveries as the page lists it.
struct DeliveryRow {
    at: String,
    source: &'static str,
    delivery_id: String,
    outcome: String,
    refused: bool,
}

/// How many deliveries the page lists.
const MAX_DELIVERIES: usize = 20;

struct ExportView {
    key: String,
    workers: usize,
    quarantined: Vec<(String, String)>,
    more: usize,
}

/// What the page shows besides the stored state.
#[derive(Default)]
struct Shown {
    new_key: Option<String>,
    notice: Option<String>,
    problem: Option<String>,
    file_error: Option<String>,
}

/// The HR page.
pub(crate) async fn page(
    State(services): State<Services>,
    OnConnection {
        chrome,
        connection,
        caller: _,
        partial,
    }: OnConnection,
    public: Option<Extension<PublicUrl>>,
) -> Response {
    let base = base_url(&services, public);
    render(
        &services,
        chrome,
        &connection,
        &base,
        partial,
        StatusCode::OK,
        Shown::default(),
    )
    .await
}

/// Makes a new webhook signing key and shows it, once.
pub(crate) async fn rotate_key(
    State(services): State<Services>,
    OnConnection {
        chrome,
        connection,
        caller,
        partial,
    }: OnConnection,
    public: Option<Extension<PublicUrl>>,
) -> Response {
    let key = new_webhook_key();
    if let Err(error) = keep_webhook_key(services.secrets.as_ref(), &connection.id, &key).await {
        return ErrorPage::failed(partial, Some(chrome), "keep the new webhook key", &error);
    }
    tracing::info!(connection = %connection.id, by = %caller.actor().label(), "console: new webhook key");
    let shown = Shown {
        new_key: Some(key.expose_secret().to_owned()),
        ..Shown::default()
    };
    let base = base_url(&services, public);
    render(
        &services,
        chrome,
        &connection,
        &base,
        partial,
        StatusCode::OK,
        shown,
    )
    .await
}

/// Reconciles the connection now, as its scheduled sync does
/// ([`crate::service::schedule::schedule`]): the export (else the workers' last known records)
/// judged as a whole and queued, or held for approval; the page says which.
pub(crate) async fn sync_now(
    State(services): State<Services>,
    OnConnection {
        chrome,
        connection,
        caller,
        partial,
    }: OnConnection,
    public: Option<Extension<PublicUrl>>,
) -> Response {
    let event = serde_json::json!({ "connection_id": connection.id.as_str() });
    tracing::info!(connection = %connection.id, by = %caller.actor().label(), "console: sync now");
    let (status, shown) = match crate::service::schedule::schedule(&services, event).await {
        Ok(scheduled) => match scheduled.held {
            Some(held) => (
                StatusCode::OK,
                Shown {
                    notice: Some(format!(
                        "Held for approval ({} workers): {}. Approve or reject it on the Approvals page.",
                        scheduled.workers, held.reason
                    )),
                    ..Shown::default()
                },
            ),
            None => (
                StatusCode::OK,
                Shown {
                    notice: Some(format!(
                        "Queued: {} workers in {} message(s); provisioning applies what changed.",
                        scheduled.workers, scheduled.messages
                    )),
                    ..Shown::default()
                },
            ),
        },
        Err(error) => {
            tracing::warn!(connection = %connection.id, %error, "console: sync now failed");
            (
                StatusCode::CONFLICT,
                Shown {
                    problem: Some(format!("Nothing was synced: {error}")),
                    ..Shown::default()
                },
            )
        }
    };
    let base = base_url(&services, public);
    render(
        &services,
        chrome,
        &connection,
        &base,
        partial,
        status,
        shown,
    )
    .await
}

/// Checks and stores an uploaded export.
pub(crate) async fn upload_export(
    State(services): State<Services>,
    OnConnection {
        chrome,
        connection,
        caller,
        partial,
    }: OnConnection,
    public: Option<Extension<PublicUrl>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let base = base_url(&services, public);
    let mut shown = Shown::default();
    let status = match uploaded_file(&headers, body).await {
        Err(message) => {
            shown.file_error = Some(message);
            StatusCode::BAD_REQUEST
        }
        Ok((format, bytes)) => {
            match hr_export::store_export(&services, &connection.id, format, bytes).await {
                Ok(stored) => {
                    tracing::info!(connection = %connection.id, by = %caller.actor().label(), workers = stored.workers, "console: HR export stored");
                    shown.notice = Some(format!(
                        "Stored: {} workers; {} record(s) set aside. The next scheduled sync reconciles it.",
                        stored.workers,
                        stored.quarantined.len()
                    ));
                    StatusCode::OK
                }
                Err(error @ (HrExportError::Invalid(_) | HrExportError::TooLarge(_))) => {
                    shown.file_error = Some(error.to_string());
                    StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST)
                }
                Err(error) => {
                    shown.problem = Some(error.to_string());
                    StatusCode::SERVICE_UNAVAILABLE
                }
            }
        }
    };
    render(
        &services,
        chrome,
        &connection,
        &base,
        partial,
        status,
        shown,
    )
    .await
}

/// The export of the form and its format (by its name: `.csv` or `.json`), or what is wrong.
async fn uploaded_file(
    headers: &HeaderMap,
    body: Bytes,
) -> Result<(ExportFormat, Vec<u8>), String> {
    let (file_name, bytes) = chosen_file(headers, body, "export", "the export file").await?;
    let lower = file_name.to_ascii_lowercase();
    let format = if lower.ends_with(".csv") {
        ExportFormat::Csv
    } else if lower.ends_with(".json") || lower.ends_with(".jsonl") {
        ExportFormat::Json
    } else {
        return Err(format!(
            "{file_name:?} is neither a .csv nor a .json file: export the HR report as CSV (with a header row) or JSON."
        ));
    };
    Ok((format, bytes.to_vec()))
}

async fn render(
    services: &Services,
    chrome: Chrome,
    connection: &Connection,
    base: &str,
    partial: Partial,
    status: StatusCode,
    shown: Shown,
) -> Response {
    let has_key = match has_webhook_key(services.secrets.as_ref(), &connection.id).await {
        Ok(has) => has,
        Err(error) => {
            return ErrorPage::failed(partial, Some(chrome), "read the webhook key", &error);
        }
    };
    let export = match hr_export::stored_export(services, &connection.id).await {
        Ok(export) => export.map(|e| ExportView {
            key: e.key,
            workers: e.workers,
            more: e.quarantined.len().saturating_sub(MAX_LISTED),
            quarantined: e
                .quarantined
                .iter()
                .take(MAX_LISTED)
                .map(|q| (q.source.to_string(), q.reason.clone()))
                .collect(),
        }),
        Err(error) => {
            return ErrorPage::failed(partial, Some(chrome), "read the HR export", &error);
        }
    };
    let deliveries =
        match deliveries::recent(services.objects.as_ref(), &connection.id, MAX_DELIVERIES).await {
            Ok(found) => found.into_iter().map(delivery_row).collect(),
            Err(error) => {
                return ErrorPage::failed(partial, Some(chrome), "read the HR deliveries", &error);
            }
        };
    let page = HrPage {
        deliveries,
        csrf_token: chrome.csrf_token.clone(),
        chrome: Some(chrome),
        title: format!("HR of {}", connection.display_name()),
        id: connection.id.to_string(),
        name: connection.display_name().to_owned(),
        section: "hr",
        webhook_url: format!("{base}/connections/{}/hr-events", connection.id),
        has_key,
        new_key: shown.new_key,
        export,
        notice: shown.notice,
        problem: shown.problem,
        file_error: shown.file_error,
    };
    answer(
        status,
        partial,
        &page.title,
        || page.render(),
        || page.as_content().render(),
    )
}

fn delivery_row(record: DeliveryRecord) -> DeliveryRow {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let (outcome, refused) = match record.outcome {
        DeliveryOutcome::Queued { workers } => (
            format!("accepted: {workers} worker{} queued", plural(workers)),
            false,
        ),
        DeliveryOutcome::Held { workers, approval } => (
            format!(
                "accepted, held for approval ({workers} worker{}; approval {approval})",
                plural(workers)
            ),
            false,
        ),
        DeliveryOutcome::Stored { workers, set_aside } => (
            format!(
                "stored for the scheduled sync: {workers} worker{}, {set_aside} record{} set aside",
                plural(workers),
                plural(set_aside)
            ),
            false,
        ),
        DeliveryOutcome::Refused { status, reason } => {
            (format!("refused ({status}): {reason}"), true)
        }
    };
    DeliveryRow {
        at: labels::when(record.at),
        source: match record.source {
            DeliverySource::Webhook => "webhook",
            DeliverySource::Upload => "upload",
        },
        delivery_id: record.delivery_id.unwrap_or_default(),
        outcome,
        refused,
    }
}
