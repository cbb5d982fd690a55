//! Creating a Customer Owned Application connection: `GET /console/connections/new` (the form:
//! connection name, national cloud, client ID, tenant ID, client secret, each with where it is
//! found) and `POST /console/connections/new`, which saves it and proves it with the engine's
//! [`connect_customer_app`] (a token, a read of the tenant); Microsoft's refusal comes back as the
//! engine's advice. A field that cannot be read is said next to it and nothing is kept.
//!
//! The route has no connection `{id}`, so the admin layer checks the session and the CSRF token;
//! whether the caller may have this connection is the one access decision
//! ([`crate::auth::access`]) on the connection the form describes: an administrator of its
//! tenant (or an operator). An existing connection the caller may not manage is never touched
//! (answered as a taken name); one they may manage is replaced, as `tenure connect
//! customer-app` does (a wrong secret, then the right one).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use secrecy::SecretString;
use serde::Deserialize;

use super::labels;
use super::page::{Chrome, ErrorPage, Partial, answer, signed_in};
use crate::auth::{Access, access};
use crate::connect::{CustomerSecret, connect_customer_app};
use crate::microsoft::{ClientOptions, NationalCloud};
use crate::service::Services;
use crate::service::http::AdminCaller;
use crate::store::connections::{
    BaseUrl, ClientId, Connection, ConnectionId, ConnectionType, CustomerCredential,
    EndpointOverrides, TenantId,
};

#[derive(Template)]
#[template(path = "console/create.html", blocks = ["content"])]
struct CreatePage {
    chrome: Option<Chrome>,
    title: &'static str,
    csrf_token: String,
    clouds: Vec<(&'static str, &'static str)>,
    fields: Vec<Field>,
    problem: Option<String>,
}

struct Field {
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    help: &'static str,
    value: String,
    error: Option<String>,
}

/// The form as the browser sends it (the CSRF token is the layer's).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewConnection {
    #[serde(default)]
    id: String,
    #[serde(default)]
    cloud: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    tenant_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    endpoint: String,
}

const ID: &str = "id";
const CLIENT_SECRET: &str = "client_secret";

fn fields(form: &NewConnection) -> Vec<Field> {
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
            ID,
            "Connection name",
            "text",
            "Lowercase letters, digits and hyphens, such as contoso; it names the connection everywhere and cannot be changed.",
            &form.id,
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
            "client_id",
            "Client ID",
            "text",
            "The Application (client) ID on your app's Overview blade (Entra admin center → Identity → Applications → App registrations → your app).",
            &form.client_id,
        ),
        field(
            "tenant_id",
            "Tenant ID",
            "text",
            "The Directory (tenant) ID on the same Overview blade (a GUID).",
            &form.tenant_id,
        ),
        // Never echoed back: a secret is typed again after a refusal.
        field(
            CLIENT_SECRET,
            "Client secret",
            "password",
            "Certificates & secrets → Client secrets → New client secret: copy its Value (not the Secret ID) when it is made. Kept in Tenure's secret store, never shown again.",
            "",
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

fn clouds() -> Vec<(&'static str, &'static str)> {
    NationalCloud::ALL
        .into_iter()
        .map(|c| (c.name(), labels::cloud(c)))
        .collect()
}

/// The empty form.
pub(crate) async fn form(Extension(caller): Extension<AdminCaller>, partial: Partial) -> Response {
    let session = match signed_in(&caller, partial) {
        Ok(session) => session,
        Err(refused) => return *refused,
    };
    let chrome = Chrome::of(session);
    render(
        chrome,
        fields(&NewConnection::default()),
        None,
        partial,
        StatusCode::OK,
    )
}

/// Saves and proves the connection.
pub(crate) async fn create(
    State(services): State<Services>,
    Extension(caller): Extension<AdminCaller>,
    partial: Partial,
    Form(form): Form<NewConnection>,
) -> Response {
    let session = match signed_in(&caller, partial) {
        Ok(session) => session,
        Err(refused) => return *refused,
    };
    let chrome = Chrome::of(session);
    let mut shown = fields(&form);
    let mut refuse = |name: &str, message: String| {
        if let Some(field) = shown.iter_mut().find(|f| f.name == name) {
            field.error.get_or_insert(message);
        }
    };
    let id = ConnectionId::parse(form.id.trim()).map_err(|e| refuse(ID, e.to_string()));
    let cloud = form
        .cloud
        .parse::<NationalCloud>()
        .map_err(|e| refuse("cloud", e.to_string()));
    let client_id =
        ClientId::parse(form.client_id.trim()).map_err(|e| refuse("client_id", e.to_string()));
    let tenant_id =
        TenantId::parse(form.tenant_id.trim()).map_err(|e| refuse("tenant_id", e.to_string()));
    let endpoint = match form.endpoint.trim() {
        "" => Ok(None),
        text => BaseUrl::parse(text)
            .map(Some)
            .map_err(|e| refuse("endpoint", e.to_string())),
    };
    if form.client_secret.is_empty() {
        refuse(CLIENT_SECRET, "Enter the client secret's value.".to_owned());
    }
    let (Ok(id), Ok(cloud), Ok(client_id), Ok(tenant_id), Ok(endpoint)) =
        (id, cloud, client_id, tenant_id, endpoint)
    else {
        return render(chrome, shown, None, partial, StatusCode::BAD_REQUEST);
    };
    if form.client_secret.is_empty() {
        return render(chrome, shown, None, partial, StatusCode::BAD_REQUEST);
    }
    let now = services.clock.now();
    let mut connection = Connection::new(
        id,
        ConnectionType::CustomerApp {
            credential: CustomerCredential::ClientSecret,
        },
        cloud,
        tenant_id,
        client_id,
        now,
    );
    if let Some(base) = &endpoint {
        connection.endpoints = EndpointOverrides::all_at(base);
    }
    let operators = &services.admin.operators;
    if access(&session.identity, &connection, operators) != Access::Manage {
        refuse(
            "tenant_id",
            format!(
                "You may connect only your own tenant ({}), as one of its Global, Privileged Role, \
                 Application or Cloud Application Administrators.",
                session.identity.tenant_id
            ),
        );
        return render(chrome, shown, None, partial, StatusCode::FORBIDDEN);
    }
    match services.connections.get(&connection.id).await {
        Ok(Some((existing, _)))
            if access(&session.identity, &existing, operators) != Access::Manage =>
        {
            refuse(
                ID,
                format!("The name {} is taken: choose another.", connection.id),
            );
            return render(chrome, shown, None, partial, StatusCode::CONFLICT);
        }
        Ok(Some((existing, _))) if !matches!(existing.app, ConnectionType::CustomerApp { .. }) => {
            refuse(
                ID,
                format!(
                    "{} is a connection of Tenure's app: choose another name.",
                    connection.id
                ),
            );
            return render(chrome, shown, None, partial, StatusCode::CONFLICT);
        }
        Ok(_) => {}
        Err(error) => {
            return ErrorPage::failed(partial, Some(chrome), "read the connections", &error);
        }
    }
    let id = connection.id.clone();
    let secret = CustomerSecret::ClientSecret(SecretString::from(form.client_secret));
    let proved = connect_customer_app(
        connection,
        secret,
        services.connections.as_ref(),
        Arc::clone(&services.secrets),
        ClientOptions::default(),
        now,
    )
    .await;
    match proved {
        Ok(_) => {
            tracing::info!(connection = %id, user = %session.identity.object_id, "connection created in the console and proved");
            go_to(&format!("/console/connections/{id}"), partial)
        }
        Err(crate::connect::ConnectError::Connections(error)) => {
            // The store refused the record itself (a host this deployment does not allow).
            refuse("endpoint", error.to_string());
            render(chrome, shown, None, partial, StatusCode::BAD_REQUEST)
        }
        Err(error) => {
            tracing::info!(connection = %id, %error, "connection created in the console does not work");
            render(
                chrome,
                shown,
                Some(error.to_string()),
                partial,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

fn render(
    chrome: Chrome,
    fields: Vec<Field>,
    problem: Option<String>,
    partial: Partial,
    status: StatusCode,
) -> Response {
    let page = CreatePage {
        csrf_token: chrome.csrf_token.clone(),
        chrome: Some(chrome),
        title: "Create a connection",
        clouds: clouds(),
        fields,
        problem,
    };
    answer(
        status,
        partial,
        page.title,
        || page.render(),
        || page.as_content().render(),
    )
}

/// After a saved form: `303 See Other` to `location`, or for htmx a full navigation there
/// (`HX-Redirect`), so the address bar and history name the new page.
fn go_to(location: &str, partial: Partial) -> Response {
    let Ok(value) = HeaderValue::from_str(location) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if partial.0 {
        (StatusCode::OK, [("hx-redirect", value)]).into_response()
    } else {
        (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response()
    }
}
