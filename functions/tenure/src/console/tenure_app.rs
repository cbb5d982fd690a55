//! Creating a connection through Tenure's app: `GET /console/connections/new/tenure-app` (the
//! form: connection name, national cloud, tenant ID, managers, each with where it is found) and
//! `POST /console/connections/new/tenure-app`, which keeps the connection, not linked yet, under
//! the first free id of its name, and then either sends the browser to **Link Account**
//! (`GET /connections/{id}/consent`: Microsoft's sign-in and consent, back at
//! `/oauth/callback`) or, for a manager to link, to the connection's page.
//!
//! Only an administrator of the tenant (or an operator) may create one: the one access decision
//! on the connection the form describes. Managers named here (object ids of the tenant's users)
//! may manage it and start its link; finishing a link takes an administrator (a user who may
//! not consent gets Microsoft's "Approval required" and the connection awaits admin approval:
//! [`crate::connect::finish_link`]).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;

use super::create::{Field, claim_id, clouds, go_to};
use super::page::{Chrome, ErrorPage, Partial, allow_forms_to, answer, signed_in};
use crate::auth::{Access, access};
use crate::microsoft::NationalCloud;
use crate::service::Services;
use crate::service::http::AdminCaller;
use crate::store::connections::{
    BaseUrl, ClientId, Connection, ConnectionError, ConnectionId, ConnectionName, ConnectionType,
    EndpointOverrides, TenantId,
};

#[derive(Template)]
#[template(path = "console/create_tenure_app.html", blocks = ["content"])]
struct TenureAppPage {
    chrome: Option<Chrome>,
    title: &'static str,
    kind: &'static str,
    csrf_token: String,
    /// Whether this deployment has Tenure's app (else nothing can be linked by signing in).
    configured: bool,
    clouds: Vec<(&'static str, &'static str)>,
    fields: Vec<Field>,
}

/// The form as the browser sends it (the CSRF token is the layer's).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewTenureAppConnection {
    #[serde(default)]
    name: String,
    #[serde(default)]
    cloud: String,
    #[serde(default)]
    tenant_id: String,
    #[serde(default)]
    managers: String,
    #[serde(default)]
    endpoint: String,
    /// `link` (Link Account now) or `save` (for a manager to link).
    #[serde(default)]
    then: String,
}

fn fields(form: &NewTenureAppConnection) -> Vec<Field> {
    let field = |name, label, kind, help, value: &str| Field {
        name,
        label,
        kind,
        help,
        value: value.to_owned(),
        error: None,
    };
    vec![
        field(
            "name",
            "Connection name",
            "text",
            "What your colleagues call it, such as Contoso Ltd (any language, at most 80 characters). Its id in addresses is made from it.",
            &form.name,
        ),
        field(
            "cloud",
            "Azure national cloud",
            "select",
            "Where your tenant lives: Global for most organizations; US Government (GCC High, DoD) and China (21Vianet) tenants pick theirs.",
            if form.cloud.is_empty() {
                "global"
            } else {
                &form.cloud
            },
        ),
        field(
            "tenant_id",
            "Tenant ID",
            "text",
            "Your Directory (tenant) ID: Entra admin center → Overview (a GUID). Yours is filled in.",
            &form.tenant_id,
        ),
        field(
            "managers",
            "Managers (optional)",
            "text",
            "Object IDs of people who may manage this connection without an administrator role (Entra admin center → Users → the user → Object ID), separated by spaces or commas. They may start its link; an administrator approves it.",
            &form.managers,
        ),
        field(
            "endpoint",
            "Endpoint override (optional)",
            "text",
            "For local use only: one base URL for login, Graph and Exchange instead of the cloud's own hosts (the emulated tenant's address). Leave empty; a deployment that allows only Microsoft's hosts refuses it.",
            &form.endpoint,
        ),
    ]
}

/// The empty form, the tenant filled in with the caller's.
pub(crate) async fn form(
    State(services): State<Services>,
    Extension(caller): Extension<AdminCaller>,
    partial: Partial,
) -> Response {
    let session = match signed_in(&caller, partial) {
        Ok(session) => session,
        Err(refused) => return *refused,
    };
    let empty = NewTenureAppConnection {
        tenant_id: session.identity.tenant_id.clone(),
        ..NewTenureAppConnection::default()
    };
    render(
        &services,
        Chrome::of(session),
        fields(&empty),
        partial,
        StatusCode::OK,
    )
}

/// Keeps the connection and sends the browser to Link Account (or to its page).
pub(crate) async fn create(
    State(services): State<Services>,
    Extension(caller): Extension<AdminCaller>,
    partial: Partial,
    Form(form): Form<NewTenureAppConnection>,
) -> Response {
    let session = match signed_in(&caller, partial) {
        Ok(session) => session,
        Err(refused) => return *refused,
    };
    let chrome = Chrome::of(session);
    let Some(app) = services.tenure_app.as_deref() else {
        return render(
            &services,
            chrome,
            fields(&form),
            partial,
            StatusCode::SERVICE_UNAVAILABLE,
        );
    };
    let mut shown = fields(&form);
    let mut refuse = |name: &str, message: String| {
        if let Some(field) = shown.iter_mut().find(|f| f.name == name) {
            field.error.get_or_insert(message);
        }
    };
    let name = ConnectionName::parse(&form.name).map_err(|e| refuse("name", e.to_string()));
    let cloud = form
        .cloud
        .parse::<NationalCloud>()
        .map_err(|e| refuse("cloud", e.to_string()));
    let tenant_id =
        TenantId::parse(form.tenant_id.trim()).map_err(|e| refuse("tenant_id", e.to_string()));
    let managers = parse_managers(&form.managers).map_err(|e| refuse("managers", e));
    let endpoint = match form.endpoint.trim() {
        "" => Ok(None),
        text => BaseUrl::parse(text)
            .map(Some)
            .map_err(|e| refuse("endpoint", e.to_string())),
    };
    let client_id = ClientId::parse(&app.client_id).map_err(|e| refuse("name", e.to_string()));
    let (Ok(name), Ok(cloud), Ok(tenant_id), Ok(managers), Ok(endpoint), Ok(client_id)) =
        (name, cloud, tenant_id, managers, endpoint, client_id)
    else {
        return render(&services, chrome, shown, partial, StatusCode::BAD_REQUEST);
    };
    let now = services.clock.now();
    let mut connection = Connection::new(
        ConnectionId::from_name(&name),
        ConnectionType::TenureApp,
        cloud,
        tenant_id,
        client_id,
        now,
    );
    connection.name = Some(name);
    if let Some(base) = &endpoint {
        connection.endpoints = EndpointOverrides::all_at(base);
    }
    // Decided before the managers are on the record: naming yourself a manager gives nothing.
    if access(&session.identity, &connection, &services.admin.operators) != Access::Manage {
        refuse(
            "tenant_id",
            format!(
                "You may connect only your own tenant ({}), as one of its Global, Privileged Role, \
                 Application or Cloud Application Administrators.",
                session.identity.tenant_id
            ),
        );
        return render(&services, chrome, shown, partial, StatusCode::FORBIDDEN);
    }
    connection.managers = managers;
    match claim_id(&services, &mut connection).await {
        Ok(Ok(())) => {}
        Ok(Err(message)) => {
            refuse("name", message);
            return render(&services, chrome, shown, partial, StatusCode::CONFLICT);
        }
        Err(error @ (ConnectionError::ForeignEndpoint { .. } | ConnectionError::Invalid(_))) => {
            refuse("endpoint", error.to_string());
            return render(&services, chrome, shown, partial, StatusCode::BAD_REQUEST);
        }
        Err(error) => {
            return ErrorPage::failed(partial, Some(chrome), "keep the connection", &error);
        }
    }
    let id = &connection.id;
    tracing::info!(connection = %id, user = %session.identity.object_id, "connection through Tenure's app created in the console");
    if form.then == "save" {
        go_to(&format!("/console/connections/{id}"), partial)
    } else {
        allow_forms_to(
            go_to(&format!("/connections/{id}/consent"), partial),
            &sign_in_origins(&services),
        )
    }
}

/// Object ids, separated by spaces, commas or lines; each a GUID.
fn parse_managers(text: &str) -> Result<Vec<String>, String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|id| {
            uuid::Uuid::parse_str(id)
                .map(|u| u.hyphenated().to_string())
                .map_err(|_| format!("{id:?} is not an object id (a GUID, such as 0b7c1e2d-0000-4000-8000-000000000001)"))
        })
        .collect()
}

/// Where Link Account's redirects end: the sign-in authorities of this deployment's clouds
/// (browsers hold a form's redirects to `form-action` too).
fn sign_in_origins(services: &Services) -> Vec<String> {
    services
        .admin
        .authorities
        .iter()
        .filter_map(|(_, login)| crate::auth::csrf::origin_of(login))
        .collect()
}

fn render(
    services: &Services,
    chrome: Chrome,
    fields: Vec<Field>,
    partial: Partial,
    status: StatusCode,
) -> Response {
    let page = TenureAppPage {
        csrf_token: chrome.csrf_token.clone(),
        chrome: Some(chrome),
        title: "Create a connection",
        kind: "tenure-app",
        configured: services.tenure_app.is_some(),
        clouds: clouds(),
        fields,
    };
    allow_forms_to(
        answer(
            status,
            partial,
            page.title,
            || page.render(),
            || page.as_content().render(),
        ),
        &sign_in_origins(services),
    )
}
