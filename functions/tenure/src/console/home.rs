//! `GET /console`: who you are (name, sign-in name, tenant, roles) and the connections you may
//! manage, each with its status, its last run and the changes waiting for approval.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::labels::{self, StatusLabel};
use super::page::{Chrome, ErrorPage, Partial, answer, signed_in};
use crate::auth::holds_admin_role;
use crate::service::Services;
use crate::service::http::AdminCaller;
use crate::service::overview::{LastRun, manageable, overview};

#[derive(Template)]
#[template(path = "console/home.html", blocks = ["content"])]
struct Home {
    chrome: Option<Chrome>,
    title: &'static str,
    me: Me,
    rows: Vec<Row>,
    empty_reason: &'static str,
    can_create: bool,
}

struct Me {
    name: String,
    username: String,
    tenant_id: String,
    roles: Vec<&'static str>,
    operator: bool,
}

struct Row {
    id: String,
    /// The connection's name, when it has one (else the id is shown alone).
    name: Option<String>,
    kind: &'static str,
    exchange: bool,
    cloud: &'static str,
    tenant: String,
    status: StatusLabel,
    last_run: Option<LastRun>,
    pending_approvals: usize,
}

/// The home page.
pub(crate) async fn page(
    State(services): State<Services>,
    Extension(caller): Extension<AdminCaller>,
    partial: Partial,
) -> Response {
    let session = match signed_in(&caller, partial) {
        Ok(session) => session,
        Err(refused) => return *refused,
    };
    let identity = &session.identity;
    let chrome = Chrome::of(session);
    let operators = &services.admin.operators;
    let connections = match manageable(services.connections.as_ref(), identity, operators).await {
        Ok(connections) => connections,
        Err(error) => {
            return ErrorPage::failed(partial, Some(chrome), "read the connections", &error);
        }
    };
    let mut rows = Vec::with_capacity(connections.len());
    for connection in connections {
        let seen = match overview(services.objects.as_ref(), connection).await {
            Ok(seen) => seen,
            Err(error) => {
                return ErrorPage::failed(
                    partial,
                    Some(chrome),
                    "read the connections' runs",
                    &error,
                );
            }
        };
        let c = &seen.connection;
        rows.push(Row {
            id: c.id.to_string(),
            name: c.name.as_ref().map(ToString::to_string),
            kind: labels::kind(&c.app),
            exchange: c.exchange.enabled,
            cloud: labels::cloud(c.cloud),
            tenant: c.tenant_id.as_str().to_owned(),
            status: labels::status(&c.status),
            last_run: seen.last_run.map(|run| LastRun {
                at: labels::when_text(&run.at),
                ..run
            }),
            pending_approvals: seen.pending_approvals,
        });
    }
    let can_create = holds_admin_role(&identity.roles) || operators.contains(identity);
    let empty_reason = if can_create {
        "Your tenant has no connection yet."
    } else {
        "You may manage no connection: that takes one of the administrator roles Global, \
         Privileged Role, Application or Cloud Application Administrator in the connection's \
         tenant, or being named one of its managers."
    };
    let page = Home {
        chrome: Some(chrome),
        title: "Connections",
        me: Me {
            name: identity.name.clone(),
            username: identity.username.clone(),
            tenant_id: identity.tenant_id.clone(),
            roles: labels::admin_roles(&identity.roles),
            operator: operators.contains(identity),
        },
        rows,
        empty_reason,
        can_create,
    };
    answer(
        StatusCode::OK,
        partial,
        page.title,
        || page.render(),
        || page.as_content().render(),
    )
}
