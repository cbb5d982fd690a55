//! Creating a Customer Owned Application connection: `GET /console/connections/new` (the form:
//! connection name, national cloud, client ID, tenant ID, client secret, each with where it is
//! found) and `POST /console/connections/new`, which saves it and proves it with the engine's
//! [`connect_customer_app`] (a token, a read of the tenant); Microsoft's refusal comes back as the
//! engine's advice. A field that cannot be read is said next to it and nothing is kept.
//!
//! The connection's id is a slug of its name ([`ConnectionId::from_name`]); when that id is
//! taken, the first free `-2`, `-3`, … is used (claimed with a create-only write, so two
//! forms never get one id). A connection that was kept but does not work comes back in the
//! form with its id (hidden), so saving again fixes that connection instead of making another.
//!
//! The route has no connection `{id}`, so the admin layer checks the session and the CSRF token;
//! whether the caller may have this connection is the one access decision
//! ([`crate::auth::access`]) on the connection the form describes: an administrator of its
//! tenant (or an operator). A kept connection named by the hidden id is replaced only when the
//! caller may manage it and it is a Customer Owned Application.

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
    BaseUrl, ClientId, Connection, ConnectionError, ConnectionId, ConnectionName, ConnectionType,
    CustomerCredential, EndpointOverrides, TenantId,
};

#[derive(Template)]
#[template(path = "console/create.html", blocks = ["content"])]
struct CreatePage {
    chrome: Option<Chrome>,
    title: &'static str,
    /// Which kind of connection the form makes (the tabs at its top).
    kind: &'static str,
    csrf_token: String,
    /// The kept connection the form fixes, when it was saved and does not work yet.
    kept: Option<String>,
    clouds: Vec<(&'static str, &'static str)>,
    fields: Vec<Field>,
    problem: Option<String>,
}

pub(super) struct Field {
    pub(super) name: &'static str,
    pub(super) label: &'static str,
    pub(super) kind: &'static str,
    pub(super) help: &'static str,
    pub(super) value: String,
    pub(super) error: Option<String>,
}

/// The form as the browser sends it (the CSRF token is the layer's).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewConnection {
    #[serde(default)]
    name: String,
    /// The connection saved before from this form (hidden), to fix rather than make another.
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

const NAME: &str = "name";
/// How many `-<n>` suffixes are tried before a name is refused as taken.
const MAX_SUFFIX: u32 = 50;
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
            NAME,
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

pub(super) fn clouds() -> Vec<(&'static str, &'static str)> {
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
    let name = ConnectionName::parse(&form.name).map_err(|e| refuse(NAME, e.to_string()));
    let kept = match form.id.trim() {
        "" => Ok(None),
        id => ConnectionId::parse(id)
            .map(Some)
            .map_err(|e| refuse(NAME, e.to_string())),
    };
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
    let (Ok(name), Ok(kept), Ok(cloud), Ok(client_id), Ok(tenant_id), Ok(endpoint)) =
        (name, kept, cloud, client_id, tenant_id, endpoint)
    else {
        return render(chrome, shown, None, None, partial, StatusCode::BAD_REQUEST);
    };
    if form.client_secret.is_empty() {
        let kept = kept.map(|id| id.to_string());
        return render(chrome, shown, kept, None, partial, StatusCode::BAD_REQUEST);
    }
    let now = services.clock.now();
    let mut connection = Connection::new(
        kept.clone()
            .unwrap_or_else(|| ConnectionId::from_name(&name)),
        ConnectionType::CustomerApp {
            credential: CustomerCredential::ClientSecret,
        },
        cloud,
        tenant_id,
        client_id,
        now,
    );
    connection.name = Some(name);
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
        return render(chrome, shown, None, None, partial, StatusCode::FORBIDDEN);
    }
    let claimed = match &kept {
        Some(_) => fixable(&services, session, &connection).await,
        None => claim_id(&services, &mut connection).await,
    };
    match claimed {
        Ok(Ok(())) => {}
        Ok(Err(message)) => {
            refuse(NAME, message);
            return render(chrome, shown, None, None, partial, StatusCode::CONFLICT);
        }
        Err(error @ (ConnectionError::ForeignEndpoint { .. } | ConnectionError::Invalid(_))) => {
            // The store refused the record itself (a host this deployment does not allow).
            refuse("endpoint", error.to_string());
            return render(chrome, shown, None, None, partial, StatusCode::BAD_REQUEST);
        }
        Err(error) => {
            return ErrorPage::failed(partial, Some(chrome), "keep the connection", &error);
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
            render(chrome, shown, None, None, partial, StatusCode::BAD_REQUEST)
        }
        Err(error) => {
            tracing::info!(connection = %id, %error, "connection created in the console does not work");
            render(
                chrome,
                shown,
                Some(id.to_string()),
                Some(error.to_string()),
                partial,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

/// The kept connection named by the form's hidden id may be fixed: the caller may manage it and
/// it is a Customer Owned Application. `Ok(Err(message))` says why not.
async fn fixable(
    services: &Services,
    session: &crate::auth::Session,
    connection: &Connection,
) -> Result<Result<(), String>, ConnectionError> {
    let operators = &services.admin.operators;
    Ok(match services.connections.get(&connection.id).await? {
        Some((existing, _))
            if access(&session.identity, &existing, operators) == Access::Manage
                && matches!(existing.app, ConnectionType::CustomerApp { .. }) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "The connection {} this form was fixing cannot be changed here: start again from Create a connection.",
            connection.id
        )),
    })
}

/// Gives a new connection the first free id of its name (`contoso`, `contoso-2`, …), claimed by
/// storing the record, not proved yet, with a create-only write. `Ok(Err(message))` when every
/// id tried is taken.
pub(super) async fn claim_id(
    services: &Services,
    connection: &mut Connection,
) -> Result<Result<(), String>, ConnectionError> {
    let base = connection.id.clone();
    for n in 1..=MAX_SUFFIX {
        connection.id = if n == 1 {
            base.clone()
        } else {
            base.with_suffix(n)
        };
        match services.connections.put_new(connection).await {
            Ok(_) => return Ok(Ok(())),
            Err(ConnectionError::Conflict { .. }) => continue,
            Err(error) => return Err(error),
        }
    }
    Ok(Err(format!(
        "Too many connections are named like this (ids {base} to {}): choose another name.",
        base.with_suffix(MAX_SUFFIX)
    )))
}

fn render(
    chrome: Chrome,
    fields: Vec<Field>,
    kept: Option<String>,
    problem: Option<String>,
    partial: Partial,
    status: StatusCode,
) -> Response {
    let page = CreatePage {
        csrf_token: chrome.csrf_token.clone(),
        chrome: Some(chrome),
        title: "Create a connection",
        kind: "customer-app",
        kept,
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
pub(super) fn go_to(location: &str, partial: Partial) -> Response {
    let Ok(value) = HeaderValue::from_str(location) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if partial.0 {
        (StatusCode::OK, [("hx-redirect", value)]).into_response()
    } else {
        (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response()
    }
}
