//! A connection's pages: `GET /console/connections/{id}` (its status with the reason, "Link
//! Account" for Tenure's app, its details, last run and held changes) and
//! `GET /console/connections/{id}/permissions` (every Graph permission and Exchange role it
//! asks for, with why: [`crate::connect::requested`]). The admin layer has decided that the
//! caller may manage it.

use askama::Template;
use axum::Extension;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;

use super::labels::{self, StatusLabel};
use super::page::{Chrome, ErrorPage, Partial, answer, signed_in};
use crate::connect::{Permission, PermissionKind, requested};
use crate::service::Services;
use crate::service::http::{AdminCaller, PublicUrl};
use crate::service::overview::{LastRun, overview};
use crate::store::connections::{Connection, ConnectionStatus, ConnectionType, CustomerCredential};
use crate::store::secrets::SecretKind;

#[derive(Template)]
#[template(path = "console/connection.html", blocks = ["content"])]
struct ConnectionPage {
    chrome: Option<Chrome>,
    title: String,
    id: String,
    name: String,
    section: &'static str,
    status: StatusLabel,
    link: bool,
    /// For a connection awaiting admin approval: the link to forward to an administrator.
    forward: Option<String>,
    kind: &'static str,
    cloud: &'static str,
    tenant: String,
    client_id: String,
    credential: &'static str,
    /// When the credential was set ("set on …"), when Tenure knows.
    credential_set: Option<String>,
    /// Whether the app proves itself with a certificate (its page then downloads it).
    certificate: bool,
    exchange: Option<String>,
    managers: usize,
    created: String,
    updated: String,
    last_run: Option<LastRun>,
    pending_approvals: usize,
}

#[derive(Template)]
#[template(path = "console/permissions.html", blocks = ["content"])]
struct PermissionsPage {
    chrome: Option<Chrome>,
    title: String,
    id: String,
    name: String,
    section: &'static str,
    intro: &'static str,
    permissions: Vec<PermissionRow>,
}

struct PermissionRow {
    name: &'static str,
    kind: &'static str,
    why: &'static str,
}

/// A connection's page as the admin layer let it through: the signed-in user's chrome, the
/// route's connection (the caller may manage it), the caller, and whether htmx asked; or, as
/// the rejection, the page that says what is missing.
pub(crate) struct OnConnection {
    pub(crate) chrome: Chrome,
    pub(crate) connection: Connection,
    pub(crate) caller: AdminCaller,
    pub(crate) partial: Partial,
}

impl<S: Send + Sync> FromRequestParts<S> for OnConnection {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let Ok(partial) = Partial::from_request_parts(parts, state).await;
        let missing = |chrome| {
            ErrorPage::failed(
                partial,
                chrome,
                "find the connection",
                &"no connection on a connection's route",
            )
        };
        let Some(caller) = parts.extensions.get::<AdminCaller>().cloned() else {
            return Err(missing(None));
        };
        let chrome = Chrome::of(signed_in(&caller, partial).map_err(|refused| *refused)?);
        match caller.connection.clone() {
            Some(connection) => Ok(Self {
                chrome,
                connection,
                caller,
                partial,
            }),
            None => Err(missing(Some(chrome))),
        }
    }
}

/// The connection's overview.
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
    let seen = match overview(services.objects.as_ref(), connection).await {
        Ok(seen) => seen,
        Err(error) => {
            return ErrorPage::failed(partial, Some(chrome), "read the connection's runs", &error);
        }
    };
    let c = &seen.connection;
    let app_only = match c.app {
        ConnectionType::TenureApp => match services
            .secrets
            .get(&c.secret_name(SecretKind::RefreshToken))
            .await
        {
            Ok(found) => found.is_none(),
            Err(error) => {
                return ErrorPage::failed(
                    partial,
                    Some(chrome),
                    "read the connection's credential",
                    &error,
                );
            }
        },
        ConnectionType::CustomerApp { .. } => false,
    };
    let forward = matches!(c.status, ConnectionStatus::AwaitingAdminApproval { .. }).then(|| {
        let base = super::page::base_url(&services, public);
        format!("{base}/connections/{}/consent?admin=1", c.id)
    });
    let page = ConnectionPage {
        chrome: Some(chrome),
        title: format!("Connection {}", c.display_name()),
        id: c.id.to_string(),
        name: c.display_name().to_owned(),
        section: "overview",
        status: labels::status(&c.status),
        link: c.app == ConnectionType::TenureApp && c.status != ConnectionStatus::Linked,
        forward,
        kind: labels::kind(&c.app),
        cloud: labels::cloud(c.cloud),
        tenant: c.tenant_id.as_str().to_owned(),
        client_id: c.client_id.as_str().to_owned(),
        credential: match c.app {
            ConnectionType::TenureApp if app_only && c.status == ConnectionStatus::Linked => {
                "Tenure's app's own credential, with the tenant's admin consent (app-only: no user's token is kept)"
            }
            ConnectionType::TenureApp if app_only => {
                "none yet: an administrator's sign-in (Link Account) or the tenant's admin consent links it"
            }
            ConnectionType::TenureApp => {
                "a refresh token from the administrator's consent, kept in the secret store (never shown)"
            }
            ConnectionType::CustomerApp {
                credential: CustomerCredential::ClientSecret,
            } => "a client secret, kept in the secret store (never shown)",
            ConnectionType::CustomerApp {
                credential: CustomerCredential::Certificate,
            } => "a certificate and its private key, kept in the secret store (never shown)",
        },
        credential_set: c.credential_set_at.map(labels::when),
        certificate: c.app
            == (ConnectionType::CustomerApp {
                credential: CustomerCredential::Certificate,
            }),
        exchange: c.exchange.enabled.then(|| {
            c.exchange
                .anchor_upn
                .as_ref()
                .map_or_else(String::new, |u| u.as_str().to_owned())
        }),
        managers: c.managers.len(),
        created: labels::when(c.created_at),
        updated: labels::when(c.updated_at),
        last_run: seen.last_run.clone().map(|run| LastRun {
            at: labels::when_text(&run.at),
            ..run
        }),
        pending_approvals: seen.pending_approvals,
    };
    answer(
        StatusCode::OK,
        partial,
        &page.title,
        || page.render(),
        || page.as_content().render(),
    )
}

/// The permissions the connection asks for.
pub(crate) async fn permissions(
    OnConnection {
        chrome,
        connection,
        caller: _,
        partial,
    }: OnConnection,
) -> Response {
    let intro = match connection.app {
        ConnectionType::TenureApp => {
            "Tenure's app asks for these delegated Microsoft Graph permissions when an administrator links the tenant (\"Link Account\"); an administrator grants them for the whole tenant."
        }
        ConnectionType::CustomerApp { .. } => {
            "Your own app registration needs these Microsoft Graph application permissions, with admin consent (Entra admin center: App registrations → your app → API permissions → Grant admin consent)."
        }
    };
    let page = PermissionsPage {
        chrome: Some(chrome),
        title: format!("Permissions requested by {}", connection.display_name()),
        id: connection.id.to_string(),
        name: connection.display_name().to_owned(),
        section: "permissions",
        intro,
        permissions: requested(&connection).iter().map(row).collect(),
    };
    answer(
        StatusCode::OK,
        partial,
        &page.title,
        || page.render(),
        || page.as_content().render(),
    )
}

fn row(permission: &Permission) -> PermissionRow {
    PermissionRow {
        name: permission.name,
        kind: match permission.kind {
            PermissionKind::Delegated => "Microsoft Graph, delegated",
            PermissionKind::Application => "Microsoft Graph, application",
            PermissionKind::ExchangeRole => "Exchange Online role (role group)",
        },
        why: permission.why,
    }
}
