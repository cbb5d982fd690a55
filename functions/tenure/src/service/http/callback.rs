//! `oauth-callback`: `GET /oauth/callback`, where Microsoft sends the admin back after signing
//! in or consenting ([`crate::connect::finish_link`]).

use axum::Extension;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use jiff::Timestamp;

use super::admin::{cookies_for, public_url, request_session};
use super::public_url::{CALLBACK_PATH, PublicUrl, app_for};
use super::response::html_page;
use crate::connect::{Callback, LinkError, LinkOwner, Linked, finish_link};
use crate::service::Services;

/// The `oauth-callback` function: `GET /oauth/callback?code=…&state=…` (or `?error=…&
/// error_description=…&state=…`, or the admin-consent form `?admin_consent=True&tenant=…&
/// state=…`).
///
/// Answers an HTML page: 200 naming the connection and its tenant when linked (with a link to
/// the tenant-wide admin consent next) or consented; 400 with the reason when the `state` is
/// missing, unknown, expired or used before, the admin declined, or the code could not be
/// redeemed; 503 when a store could not be reached or the deployment has no Tenure app (as
/// consent answers).
/// The page and the logs never show the code, a token or the PKCE verifier. The code is
/// redeemed with the redirect URI `consent` sent: the one under the request's [`PublicUrl`]
/// when the host put one on the request, else the configured one.
pub fn callback_routes(services: Services) -> Router {
    Router::new()
        .route(CALLBACK_PATH, get(callback))
        .with_state(services)
}

async fn callback(
    State(services): State<Services>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    public: Option<Extension<PublicUrl>>,
) -> Response {
    let Some(app) = services.tenure_app.as_deref() else {
        return failed(
            StatusCode::SERVICE_UNAVAILABLE,
            "this deployment has no Tenure app configured, so it cannot complete a sign-in"
                .to_owned(),
        );
    };
    let callback = Callback::from_query(query.as_deref().unwrap_or_default());
    let now = Timestamp::now();
    // The link was started in an admin's session: only that session may finish it.
    let url = public_url(&services, public.as_ref().map(|Extension(url)| url));
    let opened = request_session(&services, cookies_for(url.as_ref()), &headers, now).await;
    let session = match opened {
        Ok(Some(session)) => session,
        Ok(None) => {
            return failed(
                StatusCode::BAD_REQUEST,
                "this link was not started in a signed-in session of this browser (or the \
                 session ended): sign in and start linking again"
                    .to_owned(),
            );
        }
        Err(e) => return failed(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let app = app_for(app, public.as_ref().map(|Extension(url)| url));
    let owner = if services.admin.operators.contains(&session.identity) {
        LinkOwner::OperatorSession(&session)
    } else {
        LinkOwner::Session(&session)
    };
    let finished = finish_link(
        &app,
        &callback,
        services.connections.as_ref(),
        services.secrets.as_ref(),
        owner,
        &services.admin.verifier,
        now,
    )
    .await;
    match finished {
        Ok(Linked::SignedIn { connection }) => {
            tracing::info!(connection = %connection.id, "connection linked");
            let consent = format!("/connections/{}/consent?admin=1", connection.id);
            let console = format!("/console/connections/{}", connection.id);
            html_page(
                StatusCode::OK,
                "Connection linked",
                &[
                    format!(
                        "Tenure is linked to tenant {} for connection {}.",
                        connection.tenant_id,
                        connection.display_name()
                    ),
                    "Next, an administrator grants Tenure's permissions for the whole tenant."
                        .to_owned(),
                ],
                &[
                    (&consent, "Grant consent for the tenant"),
                    (&console, "Back to the connection"),
                ],
            )
        }
        Ok(Linked::Consented { connection }) => {
            tracing::info!(connection = %connection.id, "tenant-wide consent granted");
            let console = format!("/console/connections/{}", connection.id);
            html_page(
                StatusCode::OK,
                "Consent granted",
                &[format!(
                    "Tenant {} granted Tenure's permissions for connection {}.",
                    connection.tenant_id,
                    connection.display_name()
                )],
                &[(&console, "Back to the connection")],
            )
        }
        Ok(Linked::ApprovalRequested { connection }) => {
            tracing::info!(connection = %connection.id, "admin approval requested");
            let console = format!("/console/connections/{}", connection.id);
            html_page(
                StatusCode::OK,
                "Admin approval requested",
                &[
                    format!(
                        "Your request went to the administrators of tenant {}. Connection {} waits until one of them approves Tenure's app.",
                        connection.tenant_id,
                        connection.display_name()
                    ),
                    "The connection's page has the link to forward to an administrator.".to_owned(),
                ],
                &[(&console, "Back to the connection")],
            )
        }
        Err(e) => {
            tracing::warn!("sign-in callback refused: {e}");
            failed(status_of(&e), e.to_string())
        }
    }
}

fn failed(status: StatusCode, message: String) -> Response {
    html_page(status, "Tenure could not be linked", &[message], &[])
}

fn status_of(error: &LinkError) -> StatusCode {
    match error {
        LinkError::Secrets(_) | LinkError::Connections(_) => StatusCode::SERVICE_UNAVAILABLE,
        LinkError::BadUrl { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}
