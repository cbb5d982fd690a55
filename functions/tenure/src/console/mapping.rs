//! A connection's mapping: `GET /console/connections/{id}/mapping` shows the plugin in use, its
//! JSON configuration in an editor and the uploaded versions; `POST …/mapping/preview` checks an
//! edited configuration with the plugin and shows the plan it would make now (counts and the
//! first actions with their reasons, [`crate::service::mapping::preview`]); `POST …/mapping`
//! checks it again and keeps it ([`crate::service::mapping::save`]); `POST
//! …/mapping/versions/{sha256}/activate` makes an uploaded version the one in use again, after
//! checking it takes the configuration ([`crate::service::plugins::activate`]): the roll back.
//! A configuration that is not JSON, or that the plugin refuses, is said next to the editor
//! with where it is wrong, and nothing is kept.

use askama::Template;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::connection::OnConnection;
use super::labels;
use super::page::{Chrome, ErrorPage, Partial, answer};
use super::upload::chosen_file;
use crate::report::plan_text;
use crate::service::Services;
use crate::service::http::AdminCaller;
use crate::service::mapping::{self, ConfigError, Preview};
use crate::service::plugins::{self, UploadError, Versions};
use crate::service::settings::{MappingSettings, PluginChoice, SettingsError};
use crate::store::connections::Connection;

/// How many lines of the previewed plan the page shows.
const PREVIEW_LINES: usize = 60;

#[derive(Template)]
#[template(path = "console/mapping.html", blocks = ["content"])]
struct MappingPage {
    chrome: Option<Chrome>,
    title: String,
    id: String,
    name: String,
    section: &'static str,
    csrf_token: String,
    plugin: String,
    config: String,
    config_error: Option<String>,
    notice: Option<String>,
    problem: Option<String>,
    preview: Option<PreviewView>,
    versions: Vec<VersionView>,
    versions_note: Option<String>,
    plugin_error: Option<String>,
    uploaded_in_use: bool,
    /// The largest plugin the host takes, in words.
    max_size: String,
    /// The largest one request carries, in words, when it is less than [`Self::max_size`]:
    /// the script sends a larger plugin through an upload URL.
    request_size: Option<String>,
    /// The same in bytes, for the script.
    request_limit: usize,
}

struct PreviewView {
    source: String,
    counts: Vec<(&'static str, usize)>,
    plan: Option<String>,
    more_lines: usize,
    note: Option<String>,
}

struct VersionView {
    sha256: String,
    short: String,
    size: String,
    uploaded: String,
    trial: String,
    active: bool,
}

/// The form: the configuration as typed (the CSRF token is the layer's).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ConfigForm {
    #[serde(default)]
    config: String,
}

/// What the page shows besides the stored state.
#[derive(Default)]
struct Shown {
    config: Option<String>,
    config_error: Option<String>,
    notice: Option<String>,
    problem: Option<String>,
    preview: Option<PreviewView>,
    plugin_error: Option<String>,
}

/// The mapping page.
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
        Shown::default(),
    )
    .await
}

/// Checks the typed configuration and shows the plan it would make, without keeping it.
pub(crate) async fn preview(
    State(services): State<Services>,
    OnConnection {
        chrome,
        connection,
        caller: _,
        partial,
    }: OnConnection,
    Form(form): Form<ConfigForm>,
) -> Response {
    let mut shown = Shown {
        config: Some(form.config.clone()),
        ..Shown::default()
    };
    let outcome = match mapping::parse(&form.config) {
        Ok(config) => mapping::preview(&services, &connection.id, &config).await,
        Err(error) => Err(error),
    };
    let status = match outcome {
        Ok(preview) => {
            shown.preview = Some(preview_view(preview));
            StatusCode::OK
        }
        Err(error) => refused(&connection, &mut shown, error),
    };
    render(&services, chrome, &connection, partial, status, shown).await
}

/// Checks the typed configuration and keeps it.
pub(crate) async fn save(
    State(services): State<Services>,
    OnConnection {
        chrome,
        connection,
        caller,
        partial,
    }: OnConnection,
    Form(form): Form<ConfigForm>,
) -> Response {
    let mut shown = Shown::default();
    let outcome = match mapping::parse(&form.config) {
        Ok(config) => mapping::save(&services, &connection.id, config, None)
            .await
            .map(drop),
        Err(error) => Err(error),
    };
    let status = match outcome {
        Ok(()) => {
            tracing::info!(connection = %connection.id, by = %caller.actor().label(), "console: mapping configuration saved");
            shown.notice =
                Some("Saved: the next sync maps workers with this configuration.".to_owned());
            StatusCode::OK
        }
        Err(error) => {
            shown.config = Some(form.config);
            refused(&connection, &mut shown, error)
        }
    };
    render(&services, chrome, &connection, partial, status, shown).await
}

/// Makes an uploaded version the one in use.
pub(crate) async fn activate(
    State(services): State<Services>,
    OnConnection {
        chrome,
        connection,
        caller,
        partial,
    }: OnConnection,
    Path((_, sha256)): Path<(String, String)>,
) -> Response {
    let mut shown = Shown::default();
    let status = match plugins::activate(&services, &connection.id, &sha256).await {
        Ok(record) => {
            tracing::info!(connection = %connection.id, version = %record.sha256, by = %caller.actor().label(), "console: plugin version activated");
            shown.notice = Some(format!("Version {} is now in use.", short(&record.sha256)));
            StatusCode::OK
        }
        Err(error) => {
            shown.problem = Some(format!("Not activated: {error}"));
            upload_status(&error)
        }
    };
    render(&services, chrome, &connection, partial, status, shown).await
}

/// Uploads a plugin component: the same checks and trial as the HTTP API's upload; kept, not
/// yet in use (**Use this version** makes it so). One larger than a request may carry here is
/// refused with what to do: the page's script sends such a plugin through an upload URL
/// ([`super::plugin_uploads`]), so only a browser without JavaScript gets here with one.
pub(crate) async fn upload(
    State(services): State<Services>,
    OnConnection {
        chrome,
        connection,
        caller,
        partial,
    }: OnConnection,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut shown = Shown::default();
    let limits = Limits::of(&services);
    let status = match chosen_file(&headers, body, "plugin", "the component (.wasm)").await {
        Err(message) => {
            shown.plugin_error = Some(message);
            StatusCode::BAD_REQUEST
        }
        Ok((_, wasm)) if wasm.len() > limits.request && limits.request < limits.host => {
            shown.plugin_error = Some(format!(
                "Not uploaded: the plugin is {}, more than the {} one request carries here. \
                 With JavaScript on, this page sends a larger plugin (up to {}) straight to \
                 storage; without it, upload it with tenure plugin upload. Nothing was kept or \
                 put in use.",
                labels::size(wasm.len() as u64),
                labels::size(limits.request as u64),
                labels::size(limits.host as u64),
            ));
            StatusCode::PAYLOAD_TOO_LARGE
        }
        Ok((_, wasm)) => {
            let outcome = plugins::upload(&services, &connection.id, &wasm, false).await;
            show_upload(&connection, &caller, outcome, &mut shown)
        }
    };
    render(&services, chrome, &connection, partial, status, shown).await
}

/// Answers an upload in two steps that [`super::plugin_uploads`] completed: the page as
/// [`upload`] answers, with the trial's report or the refusal.
pub(crate) async fn uploaded(
    services: &Services,
    on: OnConnection,
    outcome: Result<plugins::UploadedVersion, UploadError>,
) -> Response {
    let mut shown = Shown::default();
    let status = show_upload(&on.connection, &on.caller, outcome, &mut shown);
    render(
        services,
        on.chrome,
        &on.connection,
        on.partial,
        status,
        shown,
    )
    .await
}

/// What the page says of an upload's outcome; its status.
fn show_upload(
    connection: &Connection,
    caller: &AdminCaller,
    outcome: Result<plugins::UploadedVersion, UploadError>,
    shown: &mut Shown,
) -> StatusCode {
    match outcome {
        Ok(uploaded) => {
            tracing::info!(connection = %connection.id, version = %uploaded.sha256, by = %caller.actor().label(), "console: plugin uploaded");
            let trial = &uploaded.trial;
            shown.notice = Some(format!(
                "{} version {}: it mapped {} of {} workers in its trial ({} refused by the plugin). It is not in use yet: choose Use this version below.",
                if uploaded.already_uploaded {
                    "Uploaded before:"
                } else {
                    "Uploaded"
                },
                short(&uploaded.sha256),
                trial.workers_mapped,
                trial.workers_tried,
                trial.workers_refused,
            ));
            StatusCode::OK
        }
        Err(error) => {
            let status = upload_status(&error);
            if status == StatusCode::SERVICE_UNAVAILABLE {
                tracing::warn!(connection = %connection.id, %error, "console: plugin upload failed");
                shown.problem = Some(format!("Not uploaded: {error}"));
            } else {
                shown.plugin_error = Some(format!(
                    "Not uploaded: {error}. Nothing was kept or put in use."
                ));
            }
            status
        }
    }
}

/// The largest plugin the host takes and the largest one request may carry here.
pub(crate) struct Limits {
    pub(crate) host: usize,
    pub(crate) request: usize,
}

impl Limits {
    pub(crate) fn of(services: &Services) -> Self {
        let host = services.plugins.host().limits().max_wasm_bytes;
        Self {
            host,
            request: services.uploads.request_bytes(host),
        }
    }
}

/// Makes the standard mapper the one in use again.
pub(crate) async fn use_standard(
    State(services): State<Services>,
    OnConnection {
        chrome,
        connection,
        caller,
        partial,
    }: OnConnection,
) -> Response {
    let mut shown = Shown::default();
    let status = match plugins::activate_standard(&services, &connection.id).await {
        Ok(()) => {
            tracing::info!(connection = %connection.id, by = %caller.actor().label(), "console: the standard mapper is in use again");
            shown.notice = Some("The standard mapper is in use again.".to_owned());
            StatusCode::OK
        }
        Err(error) => {
            shown.problem = Some(format!("Not changed: {error}"));
            upload_status(&error)
        }
    };
    render(&services, chrome, &connection, partial, status, shown).await
}

/// The HTTP status that answers an upload or activation refused.
fn upload_status(error: &UploadError) -> StatusCode {
    match error {
        UploadError::UnknownVersion { .. } | UploadError::InvalidVersion(_) => {
            StatusCode::NOT_FOUND
        }
        UploadError::UnknownUpload { .. } => StatusCode::NOT_FOUND,
        UploadError::UploadExpired { .. } => StatusCode::GONE,
        UploadError::NothingUploaded { .. } | UploadError::UploadUsed { .. } => {
            StatusCode::CONFLICT
        }
        UploadError::EmptyUpload | UploadError::UploadLength { .. } => StatusCode::BAD_REQUEST,
        UploadError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        UploadError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        UploadError::Invalid(_)
        | UploadError::ConfigRefused { .. }
        | UploadError::ConfigCheckFailed { .. }
        | UploadError::TrialFailed { .. }
        | UploadError::Settings(_) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// Puts a refusal where it belongs: by the editor when it is about the configuration, above
/// the page otherwise. Returns the status.
fn refused(connection: &Connection, shown: &mut Shown, error: ConfigError) -> StatusCode {
    match &error {
        ConfigError::NotJson { .. } | ConfigError::Refused(_) | ConfigError::CheckFailed(_) => {
            shown.config_error = Some(error.to_string());
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => {
            tracing::warn!(connection = %connection.id, %error, "console: mapping not checked");
            shown.problem = Some(format!("Not done: {error}"));
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

fn preview_view(preview: Preview) -> PreviewView {
    match preview {
        Preview::Plan { source, plan } => {
            let s = &plan.summary;
            let counts = vec![
                ("Workers", s.workers),
                ("Joiners", s.joiners),
                ("Pre-hires", s.pre_hires),
                ("Movers", s.movers),
                ("Leave", s.leave),
                ("Leavers", s.leavers),
                ("Rehires", s.rehires),
                ("Adopted accounts", s.adopted),
                ("Held for review", s.held),
                ("Unchanged", s.unchanged),
                ("Quarantined", s.quarantined),
                ("Actions", s.actions),
            ];
            let text = plan_text(&plan);
            let lines: Vec<&str> = text.lines().collect();
            let more_lines = lines.len().saturating_sub(PREVIEW_LINES);
            PreviewView {
                source,
                counts,
                plan: Some(lines[..lines.len().min(PREVIEW_LINES)].join("\n")),
                more_lines,
                note: None,
            }
        }
        Preview::Unavailable(why) => PreviewView {
            source: String::new(),
            counts: Vec::new(),
            plan: None,
            more_lines: 0,
            note: Some(format!(
                "The configuration is valid, but there is nothing to plan yet: {why}"
            )),
        },
    }
}

async fn render(
    services: &Services,
    chrome: Chrome,
    connection: &Connection,
    partial: Partial,
    status: StatusCode,
    shown: Shown,
) -> Response {
    let stored = match MappingSettings::load(services.objects.as_ref(), &connection.id).await {
        Ok((settings, _)) => Some(settings),
        Err(SettingsError::Missing(_)) => None,
        Err(error) => {
            return ErrorPage::failed(partial, Some(chrome), "read the mapping settings", &error);
        }
    };
    let (versions, versions_note) = match plugins::list_versions(services, &connection.id).await {
        Ok(Versions { versions, .. }) => (versions.iter().rev().map(version_view).collect(), None),
        Err(error) => {
            tracing::warn!(connection = %connection.id, %error, "console: cannot list plugin versions");
            (
                Vec::new(),
                Some(format!(
                    "The uploaded versions cannot be listed now: {error}"
                )),
            )
        }
    };
    let plugin = match stored.as_ref().map(|s| &s.plugin) {
        None => "The standard mapper (no configuration saved yet)".to_owned(),
        Some(PluginChoice::Standard) => "The standard mapper".to_owned(),
        Some(PluginChoice::Uploaded { sha256 }) => {
            format!("Uploaded plugin, version {}", short(sha256))
        }
    };
    let config = shown.config.unwrap_or_else(|| {
        stored
            .as_ref()
            .and_then(|s| serde_json::to_string_pretty(&s.config).ok())
            .unwrap_or_else(|| "{}".to_owned())
    });
    let limits = Limits::of(services);
    let page = MappingPage {
        csrf_token: chrome.csrf_token.clone(),
        chrome: Some(chrome),
        title: format!("Mapping of {}", connection.display_name()),
        id: connection.id.to_string(),
        name: connection.display_name().to_owned(),
        section: "mapping",
        plugin,
        config,
        config_error: shown.config_error,
        notice: shown.notice,
        problem: shown.problem,
        preview: shown.preview,
        uploaded_in_use: matches!(
            stored.as_ref().map(|s| &s.plugin),
            Some(PluginChoice::Uploaded { .. })
        ),
        versions,
        versions_note,
        plugin_error: shown.plugin_error,
        max_size: labels::size(limits.host as u64),
        request_size: (limits.request < limits.host).then(|| labels::size(limits.request as u64)),
        request_limit: limits.request,
    };
    answer(
        status,
        partial,
        &page.title,
        || page.render(),
        || page.as_content().render(),
    )
}

fn version_view(listed: &plugins::ListedVersion) -> VersionView {
    let record = &listed.record;
    let trial = &record.trial;
    VersionView {
        sha256: record.sha256.clone(),
        short: short(&record.sha256).to_owned(),
        size: labels::size(record.size as u64),
        uploaded: super::labels::when(record.uploaded_at),
        trial: format!(
            "{} of {} workers mapped, {} refused by the plugin",
            trial.workers_mapped, trial.workers_tried, trial.workers_refused
        ),
        active: listed.active,
    }
}

/// The first 12 hex digits of a version: enough to tell versions apart on a page.
fn short(sha256: &str) -> &str {
    sha256.get(..12).unwrap_or(sha256)
}
