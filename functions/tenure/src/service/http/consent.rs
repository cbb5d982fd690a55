//! `consent`: `GET /connections/{id}/consent`, the "Link Account" button: a redirect to
//! Microsoft's sign-in page for Tenure's app ([`crate::connect::start_link`]), for a
//! signed-in administrator of the connection (the admin layer), bound to their session.

use axum::Extension;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::get;
use jiff::Timestamp;

use super::admin::{AdminCaller, admin_layer};
use super::public_url::{PublicUrl, app_for};
use super::response::{json_error, redirect};
use crate::connect::{LinkError, LinkOwner, start_link};
use crate::service::Services;

/// The `consent` function: `GET /connections/{id}/consent`.
///
/// Answers `302 Found` with `Location` at Microsoft's authorize page (delegated permissions,
/// PKCE S256, a single-use `state` good for ten minutes); with `?admin=1` (or `true`) at the
/// admin-consent page for the whole tenant instead. Else `{"error": "<message>"}` with 404 (no
/// such connection), 400 (the connection does not use Tenure's app), 503 (this deployment
/// has no Tenure app configured, or a store could not be reached). Behind the admin layer: no
/// session → sign-in (a browser) or 401; another tenant's connection → 404; not an
/// administrator → 403.
///
/// The redirect URI sent to Microsoft is the one under the request's [`PublicUrl`] when the
/// host put one on the request (the Lambda functions do), else the configured one.
pub fn consent_routes(services: Services) -> Router {
    Router::new()
        .route("/connections/{id}/consent", get(consent))
        .route_layer(from_fn_with_state(services.clone(), admin_layer))
        .with_state(services)
}

async fn consent(
    State(services): State<Services>,
    Extension(caller): Extension<AdminCaller>,
    RawQuery(query): RawQuery,
    public: Option<Extension<PublicUrl>>,
) -> Response {
    let Some(app) = services.tenure_app.as_deref() else {
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "this deployment has no Tenure app configured, so connections cannot be linked by \
             signing in; connect the customer's own app instead",
        );
    };
    let Some(connection) = caller.connection.as_ref() else {
        return json_error(StatusCode::NOT_FOUND, "no connection");
    };
    let Some(session) = caller.session() else {
        return json_error(StatusCode::UNAUTHORIZED, "sign in first");
    };
    let id = &connection.id;
    let app = app_for(app, public.as_ref().map(|Extension(url)| url));
    match start_link(
        &app,
        connection,
        services.secrets.as_ref(),
        LinkOwner::Session(session),
        Timestamp::now(),
    )
    .await
    {
        Ok(start) if wants_admin_consent(query.as_deref()) => redirect(&start.admin_consent_url),
        Ok(start) => redirect(&start.authorize_url),
        Err(e) => {
            tracing::warn!(connection = %id, "consent: {e}");
            json_error(status_of(&e), e.to_string())
        }
    }
}

/// Whether the query asks for the tenant-wide admin consent (`admin=1` or `admin=true`).
fn wants_admin_consent(query: Option<&str>) -> bool {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .any(|(key, value)| key == "admin" && (value == "1" || value.eq_ignore_ascii_case("true")))
}

fn status_of(error: &LinkError) -> StatusCode {
    match error {
        LinkError::NotTenureApp { .. } => StatusCode::BAD_REQUEST,
        LinkError::Secrets(_) | LinkError::Connections(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
