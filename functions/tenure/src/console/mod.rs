//! The admin console: server-rendered pages over the engine's functions, one module per area
//! (the kanidm web UI's shape). Every page is an askama template (type-checked at compile
//! time, HTML-escaped); a normal request gets the whole page, an htmx request (`HX-Request`)
//! only its content. htmx is vendored into the binary (`assets`) and only enhances: every
//! page and form works without JavaScript. A form answered with a page leaves the address bar
//! on the page the form was on (`page::keep_address`), so a reload never asks for a POST-only
//! address. The one script of the console's own sends a plugin
//! larger than one request carries through an upload URL (`plugin_uploads`); without it such a
//! plugin is refused with what to do.
//!
//! Routes ([`console_routes`]):
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /` | anyone | the landing page: sign in |
//! | `GET /console/assets/{file}` | anyone | htmx and the stylesheet |
//! | `GET /console` | signed-in users | who you are, the connections you may manage |
//! | `GET`, `POST /console/connections/new` | administrators of the tenant named in the form | create a Customer Owned Application connection (a client secret, a certificate, or one Tenure makes), proved on save |
//! | `GET`, `POST /console/connections/new/tenure-app` | administrators of the tenant named in the form | create a connection through Tenure's app, then Link Account |
//! | `GET /console/connections/{id}` | its administrators | status, "Link Account", details, last run |
//! | `GET /console/connections/{id}/certificate` | its administrators | the app's certificate (subject, thumbprint, expiry) and how to register it |
//! | `GET /console/connections/{id}/certificate/download` | its administrators | the certificate as a PEM file (never the key) |
//! | `POST /console/connections/{id}/certificate/prove` | its administrators | prove the connection with its certificate |
//! | `GET /console/connections/{id}/permissions` | its administrators | the permissions it asks for, and why |
//! | `GET /console/connections/{id}/hr` | its administrators | the webhook's URL and key, the export kept with the records set aside, an upload form |
//! | `POST /console/connections/{id}/hr/webhook-key` | its administrators | a new webhook signing key, shown once |
//! | `POST /console/connections/{id}/hr/export` | its administrators | check and keep an uploaded export (`multipart/form-data`) |
//! | `POST /console/connections/{id}/hr/sync` | its administrators | reconcile now, as the scheduled sync: queued, or held for approval |
//! | `GET`, `POST /console/connections/{id}/mapping` | its administrators | the plugin in use, its configuration (saved after the plugin checks it), the uploaded versions |
//! | `POST /console/connections/{id}/mapping/preview` | its administrators | check a configuration and show the plan it would make now |
//! | `POST /console/connections/{id}/mapping/plugins` | its administrators | upload a plugin component (`multipart/form-data`): checked and tried, kept, not yet in use |
//! | `POST /console/connections/{id}/mapping/plugins/uploads` | its administrators | an upload URL for a plugin larger than one request carries (JSON, for the page's script) |
//! | `PUT /console/connections/{id}/mapping/plugins/uploads/{upload}` | its administrators | its bytes, where the store gives no upload URLs (`tenure serve`) |
//! | `POST /console/connections/{id}/mapping/plugins/uploads/{upload}` | its administrators | check and try what arrived, kept, not yet in use: the page as for a one-request upload |
//! | `POST /console/connections/{id}/mapping/versions/{sha256}/activate` | its administrators | use an uploaded version (roll forward or back) |
//! | `POST /console/connections/{id}/mapping/standard` | its administrators | use the standard mapper again |
//! | `GET`, `POST /console/connections/{id}/exchange` | its administrators | Exchange Online: how it is reached, the anchor mailbox, the roles; proved with `Get-Mailbox` on save |
//! | `GET /console/connections/{id}/approvals` | its administrators | held changes, with the plan each would make |
//! | `POST /console/connections/{id}/approvals/supervision` | its administrators | which changes wait for approval: automatic, leavers, every change |
//! | `POST /console/connections/{id}/approvals/{approval}/approve` | its administrators | approve one |
//! | `POST /console/connections/{id}/approvals/{approval}/reject` | its administrators | reject one, with a note |
//! | `GET /console/connections/{id}/activity` | its administrators | the last runs with what needed an admin, the audit trail by worker, day and kind, administrators' actions, dead letters |
//! | `POST /console/connections/{id}/activity/dead-letters/retry` | its administrators | queue a dead letter's work again |
//!
//! Everything but the landing page and the static files is behind
//! [`admin_layer`], the one authorization layer: it opens
//! the session, checks CSRF and `Origin` on every `POST`, and on a route with a connection
//! `{id}` decides whether the caller may manage it. Pages never show a secret: a saved secret
//! is shown only as when it was set.
//!
//! Files: `page` (full page or partial, the headers, the error page), `labels` (how the engine's
//! values are named), `assets`, `landing`, `home`, `connection` (a connection's overview and
//! permissions), `create` (a new Customer Owned Application connection), `certificate` (its
//! certificate: download, prove), `tenure_app` (a new
//! connection through Tenure's app), `exchange` (a connection's Exchange Online), `hr`, `mapping`,
//! `plugin_uploads` (a large plugin through an upload URL), `approvals`, `activity`.

mod activity;
mod approvals;
mod assets;
mod certificate;
mod connection;
mod create;
mod exchange;
mod home;
mod hr;
mod labels;
mod landing;
mod mapping;
mod page;
mod plugin_uploads;
mod tenure_app;
mod upload;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post, put};

use crate::service::Services;
use crate::service::http::admin_layer;
use crate::service::http::form_data;

/// The console's routes (see the module docs), for `tenure serve` and the `console` Lambda.
pub fn console_routes(services: Services) -> Router {
    let upload_limit = form_data::max_bytes(&services);
    let host_limit = services.plugins.host().limits().max_wasm_bytes;
    let behind_layer = Router::new()
        .route("/console", get(home::page))
        .route(
            "/console/connections/new",
            get(create::form).post(create::create),
        )
        .route(
            "/console/connections/new/tenure-app",
            get(tenure_app::form).post(tenure_app::create),
        )
        .route("/console/connections/{id}", get(connection::page))
        .route(
            "/console/connections/{id}/certificate",
            get(certificate::page),
        )
        .route(
            "/console/connections/{id}/certificate/download",
            get(certificate::download),
        )
        .route(
            "/console/connections/{id}/certificate/prove",
            post(certificate::prove),
        )
        .route(
            "/console/connections/{id}/permissions",
            get(connection::permissions),
        )
        .route("/console/connections/{id}/hr", get(hr::page))
        .route(
            "/console/connections/{id}/hr/webhook-key",
            post(hr::rotate_key),
        )
        .route("/console/connections/{id}/hr/sync", post(hr::sync_now))
        .route(
            "/console/connections/{id}/hr/export",
            post(hr::upload_export).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/console/connections/{id}/mapping",
            get(mapping::page).post(mapping::save),
        )
        .route(
            "/console/connections/{id}/mapping/plugins",
            post(mapping::upload).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/console/connections/{id}/mapping/plugins/uploads",
            post(plugin_uploads::issue),
        )
        .route(
            "/console/connections/{id}/mapping/plugins/uploads/{upload}",
            // The bytes of an upload in two steps: up to the host's limit, not a request's.
            put(plugin_uploads::receive)
                .layer(DefaultBodyLimit::max(host_limit.saturating_add(1)))
                .post(plugin_uploads::complete),
        )
        .route(
            "/console/connections/{id}/mapping/standard",
            post(mapping::use_standard),
        )
        .route(
            "/console/connections/{id}/mapping/preview",
            post(mapping::preview),
        )
        .route(
            "/console/connections/{id}/mapping/versions/{sha256}/activate",
            post(mapping::activate),
        )
        .route(
            "/console/connections/{id}/exchange",
            get(exchange::page).post(exchange::save),
        )
        .route("/console/connections/{id}/approvals", get(approvals::page))
        .route("/console/connections/{id}/activity", get(activity::page))
        .route(
            "/console/connections/{id}/activity/dead-letters/retry",
            post(activity::retry),
        )
        .route(
            "/console/connections/{id}/approvals/supervision",
            post(approvals::set_supervision),
        )
        .route(
            "/console/connections/{id}/approvals/{approval}/approve",
            post(approvals::approve),
        )
        .route(
            "/console/connections/{id}/approvals/{approval}/reject",
            post(approvals::reject),
        )
        .route_layer(from_fn_with_state(services.clone(), admin_layer));
    Router::new()
        .route("/", get(landing::page))
        .route("/console/assets/{file}", get(assets::file))
        .merge(behind_layer)
        .layer(from_fn_with_state(
            page::UploadOrigin::new(&services),
            page::allow_uploads,
        ))
        .layer(axum::middleware::from_fn(page::keep_address))
        .with_state(services)
}
