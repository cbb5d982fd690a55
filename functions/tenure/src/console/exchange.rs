//! A connection's Exchange Online form: `GET /console/connections/{id}/exchange` (whether Tenure
//! manages Exchange, how it reaches it for this connection, the anchor mailbox, the roles its
//! account needs, each with why) and `POST`, which turns it on, proved first with a one-mailbox
//! `Get-Mailbox` ([`crate::connect::set_exchange`], as `tenure connect exchange` does), or off.
//! A value that cannot be read, a role not confirmed, and Exchange's refusal are each said next
//! to their field; nothing is kept unless it works.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::connection::OnConnection;
use super::page::{Chrome, ErrorPage, Partial, answer};
use crate::connect::{
    ExchangeAccess, ExchangeChange, ExchangeSetupError, PermissionKind, exchange_access, requested,
    set_exchange,
};
use crate::microsoft::ClientOptions;
use crate::names::Upn;
use crate::service::Services;
use crate::store::connections::Connection;

#[derive(Template)]
#[template(path = "console/exchange.html", blocks = ["content"])]
struct ExchangePage {
    chrome: Option<Chrome>,
    title: String,
    id: String,
    name: String,
    section: &'static str,
    csrf_token: String,
    enabled: bool,
    anchor: String,
    anchor_error: Option<String>,
    access: &'static str,
    roles: Vec<Role>,
    roles_error: Option<String>,
    problem: Option<String>,
    saved: Option<String>,
}

struct Role {
    /// The checkbox's name and id.
    key: String,
    name: &'static str,
    why: &'static str,
    checked: bool,
}

/// What the form shows and what went wrong where.
#[derive(Default)]
struct Shown {
    enabled: bool,
    anchor: String,
    ticked: Vec<String>,
    anchor_error: Option<String>,
    roles_error: Option<String>,
    problem: Option<String>,
    saved: Option<String>,
}

/// The roles Exchange's account needs, for any connection (Exchange on or not).
fn roles_needed(connection: &Connection) -> Vec<(&'static str, &'static str)> {
    let mut with_exchange = connection.clone();
    with_exchange.exchange.enabled = true;
    requested(&with_exchange)
        .into_iter()
        .filter(|p| p.kind == PermissionKind::ExchangeRole)
        .map(|p| (p.name, p.why))
        .collect()
}

fn key_of(role: &str) -> String {
    format!(
        "role-{}",
        role.to_ascii_lowercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    )
}

fn access_text(access: ExchangeAccess) -> &'static str {
    match access {
        ExchangeAccess::AppOnly => {
            "App-only: the app's own token, with the Exchange.ManageAsApp application permission, and the app's service principal in a role group with the roles below (Exchange admin center → Roles → Admin roles). The anchor mailbox only routes the requests: any licensed mailbox of the tenant."
        }
        ExchangeAccess::ServiceAccount => {
            "As the service account: the account whose sign-in linked this connection, which must be in a role group with the roles below (Exchange admin center → Roles → Admin roles). The anchor mailbox is that account's UPN."
        }
    }
}

/// The form, as the connection is.
pub(crate) async fn page(
    State(services): State<Services>,
    OnConnection {
        chrome,
        connection,
        caller: _,
        partial,
    }: OnConnection,
) -> Response {
    let enabled = connection.exchange.enabled;
    let shown = Shown {
        enabled,
        anchor: connection
            .exchange
            .anchor_upn
            .as_ref()
            .map(|u| u.as_str().to_owned())
            .unwrap_or_default(),
        // A saved connection was proved with its roles.
        ticked: if enabled {
            roles_needed(&connection)
                .iter()
                .map(|(n, _)| key_of(n))
                .collect()
        } else {
            Vec::new()
        },
        ..Shown::default()
    };
    render(
        &services,
        chrome,
        &connection,
        shown,
        partial,
        StatusCode::OK,
    )
    .await
}

/// Turns Exchange on (proved first) or off.
pub(crate) async fn save(
    State(services): State<Services>,
    OnConnection {
        chrome,
        connection,
        caller: _,
        partial,
    }: OnConnection,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let mut shown = Shown::from_form(&fields);
    let change = if shown.enabled {
        match enable_change(&connection, &mut shown) {
            Some(change) => change,
            None => {
                let status = StatusCode::BAD_REQUEST;
                return render(&services, chrome, &connection, shown, partial, status).await;
            }
        }
    } else {
        ExchangeChange::Disable
    };
    let result = set_exchange(
        services.connections.as_ref(),
        services.secrets.clone(),
        services.tenure_app.as_deref(),
        &connection.id,
        change.clone(),
        ClientOptions::default(),
        services.clock.now(),
    )
    .await;
    let refused = StatusCode::UNPROCESSABLE_ENTITY;
    match result {
        Ok(kept) => {
            shown.saved = Some(saved_text(&change));
            tracing::info!(connection = %kept.id, enabled = kept.exchange.enabled, "Exchange Online set in the console");
            render(&services, chrome, &kept, shown, partial, StatusCode::OK).await
        }
        Err(ExchangeSetupError::Refused { advice }) => {
            shown.roles_error = Some(advice);
            render(&services, chrome, &connection, shown, partial, refused).await
        }
        Err(ExchangeSetupError::Unproved { advice }) => {
            shown.anchor_error = Some(advice);
            render(&services, chrome, &connection, shown, partial, refused).await
        }
        Err(ExchangeSetupError::Credential(error)) => {
            shown.problem = Some(error.to_string());
            render(&services, chrome, &connection, shown, partial, refused).await
        }
        Err(error) => {
            ErrorPage::failed(partial, Some(chrome), "keep the Exchange settings", &error)
        }
    }
}

impl Shown {
    /// The form as it was sent: Exchange on or off, the anchor mailbox, the roles ticked.
    fn from_form(fields: &[(String, String)]) -> Self {
        let value = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_owned())
        };
        Self {
            enabled: value("enabled").is_some(),
            anchor: value("anchor").unwrap_or_default(),
            ticked: fields
                .iter()
                .filter(|(k, _)| k.starts_with("role-"))
                .map(|(k, _)| k.clone())
                .collect(),
            ..Self::default()
        }
    }
}

/// Turning Exchange on, when the form has a UPN for the anchor mailbox and every role the
/// connection needs ticked; else `None`, with what is wrong said next to each field.
fn enable_change(connection: &Connection, shown: &mut Shown) -> Option<ExchangeChange> {
    let anchor = Upn::parse(&shown.anchor);
    if let Err(error) = &anchor {
        shown.anchor_error = Some(if shown.anchor.is_empty() {
            "Enter the anchor mailbox's UPN, such as svc-tenure@contoso.com.".to_owned()
        } else {
            error.to_string()
        });
    }
    let missing: Vec<&str> = roles_needed(connection)
        .iter()
        .filter(|(n, _)| !shown.ticked.contains(&key_of(n)))
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        shown.roles_error = Some(format!(
            "Assign and tick every role: {} missing.",
            missing.join(", ")
        ));
    }
    match anchor {
        Ok(anchor) if missing.is_empty() => Some(ExchangeChange::Enable { anchor }),
        _ => None,
    }
}

/// What the page says once the change is kept.
fn saved_text(change: &ExchangeChange) -> String {
    match change {
        ExchangeChange::Enable { anchor } => format!(
            "Saved and proved: Exchange Online answered Get-Mailbox through {anchor}. Tenure manages mailboxes, distribution lists and mail-enabled security groups from the next sync."
        ),
        ExchangeChange::Disable => {
            "Saved: Tenure manages no mailbox, distribution list or mail-enabled group of this connection.".to_owned()
        }
    }
}

async fn render(
    services: &Services,
    chrome: Chrome,
    connection: &Connection,
    shown: Shown,
    partial: Partial,
    status: StatusCode,
) -> Response {
    let access = match exchange_access(connection, services.secrets.as_ref()).await {
        Ok(access) => access,
        Err(error) => {
            return ErrorPage::failed(
                partial,
                Some(chrome),
                "read the connection's credential",
                &error,
            );
        }
    };
    let page = ExchangePage {
        title: format!("Exchange Online of {}", connection.display_name()),
        id: connection.id.to_string(),
        name: connection.display_name().to_owned(),
        section: "exchange",
        csrf_token: chrome.csrf_token.clone(),
        chrome: Some(chrome),
        enabled: shown.enabled,
        anchor: shown.anchor,
        anchor_error: shown.anchor_error,
        access: access_text(access),
        roles: roles_needed(connection)
            .into_iter()
            .map(|(name, why)| Role {
                key: key_of(name),
                name,
                why,
                checked: shown.ticked.contains(&key_of(name)),
            })
            .collect(),
        roles_error: shown.roles_error,
        problem: shown.problem,
        saved: shown.saved,
    };
    answer(
        status,
        partial,
        &page.title,
        || page.render(),
        || page.as_content().render(),
    )
}
