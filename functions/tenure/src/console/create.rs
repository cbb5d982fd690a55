//! Creating a Customer Owned Application connection: `GET /console/connections/new` (the form:
//! connection name, national cloud, client ID, tenant ID and the credential, each with where it
//! is found) and `POST /console/connections/new` (URL-encoded, or `multipart/form-data` with the
//! certificate files), which saves it and proves it with the engine's [`connect_customer_app`]
//! (a token, a read of the tenant); Microsoft's refusal comes back as the engine's advice. A
//! field that cannot be read is said next to it and nothing is kept.
//!
//! The credential is a client secret, a certificate and its private key (PEM files: one file
//! with both, or two), or a certificate Tenure makes ([`new_certificate`]): then the connection
//! is kept unproved and the browser goes to its certificate page ([`super::certificate`]) to
//! download the certificate, register it on the app, and prove the connection.
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
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret as _, SecretString};

use super::labels;
use super::page::{Chrome, ErrorPage, Partial, answer, signed_in};
use crate::auth::{Access, access};
use crate::connect::{
    CustomerSecret, connect_customer_app, keep_customer_app, split_certificate_secret,
};
use crate::microsoft::{
    CertificateError, ClientCertificate, ClientOptions, NationalCloud, new_certificate,
};
use crate::service::Services;
use crate::service::http::{AdminCaller, form_data};
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
    credentials: [(&'static str, &'static str); 3],
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

/// The form as the browser sends it (the CSRF token is the layer's): text fields, and the
/// certificate files when the form came as `multipart/form-data`. No `Debug`: it holds the
/// client secret and a private key.
#[derive(Default)]
pub(crate) struct NewConnection {
    name: String,
    /// The connection saved before from this form (hidden), to fix rather than make another.
    id: String,
    cloud: String,
    client_id: String,
    tenant_id: String,
    /// Which credential: [`SECRET`], [`CERTIFICATE`] or [`GENERATE`] (empty: a secret).
    credential: String,
    client_secret: String,
    certificate_file: Bytes,
    key_file: Bytes,
    endpoint: String,
}

impl NewConnection {
    /// Reads the form from a URL-encoded or `multipart/form-data` body; a body that is neither
    /// gives an empty form (every field then says what it needs).
    async fn read(headers: &HeaderMap, body: Bytes) -> Result<Self, String> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let mut form = Self::default();
        if form_data::is_form_data(content_type) {
            let parts = form_data::parts(body, content_type)
                .await
                .map_err(|error| format!("The form could not be read: {error}"))?;
            for part in parts {
                match part.name.as_str() {
                    "certificate_file" => form.certificate_file = part.bytes,
                    "key_file" => form.key_file = part.bytes,
                    name => form.set(name, String::from_utf8_lossy(&part.bytes).into_owned()),
                }
            }
        } else {
            for (name, value) in form_urlencoded::parse(&body) {
                form.set(&name, value.into_owned());
            }
        }
        Ok(form)
    }

    fn set(&mut self, name: &str, value: String) {
        let field = match name {
            NAME => &mut self.name,
            "id" => &mut self.id,
            "cloud" => &mut self.cloud,
            "client_id" => &mut self.client_id,
            "tenant_id" => &mut self.tenant_id,
            CREDENTIAL => &mut self.credential,
            CLIENT_SECRET => &mut self.client_secret,
            "endpoint" => &mut self.endpoint,
            _ => return,
        };
        *field = value;
    }
}

const NAME: &str = "name";
/// How many `-<n>` suffixes are tried before a name is refused as taken.
const MAX_SUFFIX: u32 = 50;
const CREDENTIAL: &str = "credential";
const CLIENT_SECRET: &str = "client_secret";
const CERTIFICATE_FILE: &str = "certificate_file";
const KEY_FILE: &str = "key_file";
/// The credential choices.
const SECRET: &str = "secret";
const CERTIFICATE: &str = "certificate";
const GENERATE: &str = "generate";
const CREDENTIALS: [(&str, &str); 3] = [
    (SECRET, "A client secret"),
    (
        CERTIFICATE,
        "A certificate you have (PEM files: the certificate and its private key)",
    ),
    (
        GENERATE,
        "A certificate Tenure makes: you download it and upload it to your app",
    ),
];

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
        field(
            CREDENTIAL,
            "How the app proves who it is",
            "radio",
            "Microsoft recommends a certificate over a secret. With a certificate Tenure makes, the private key never leaves Tenure.",
            if form.credential.is_empty() {
                SECRET
            } else {
                &form.credential
            },
        ),
        // Never echoed back: a secret is typed again after a refusal.
        field(
            CLIENT_SECRET,
            "Client secret",
            "password",
            "With a client secret: Certificates & secrets → Client secrets → New client secret: copy its Value (not the Secret ID) when it is made. Kept in Tenure's secret store, never shown again.",
            "",
        ),
        field(
            CERTIFICATE_FILE,
            "Certificate (PEM file)",
            "file",
            "With a certificate you have: the certificate uploaded to your app (Certificates & secrets → Certificates), as PEM (-----BEGIN CERTIFICATE-----). It may hold the private key too.",
            "",
        ),
        field(
            KEY_FILE,
            "Private key (PEM file)",
            "file",
            "The certificate's RSA private key as PEM (-----BEGIN PRIVATE KEY-----), unless the certificate file holds it. Kept in Tenure's secret store, never shown again.",
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

/// What a valid form describes.
struct Valid {
    name: ConnectionName,
    /// The kept connection the form fixes.
    kept: Option<ConnectionId>,
    cloud: NationalCloud,
    client_id: ClientId,
    tenant_id: TenantId,
    endpoint: Option<BaseUrl>,
    credential: Credential,
}

/// The credential a valid form gives.
enum Credential {
    Given(CustomerSecret),
    /// Tenure makes a certificate.
    Generate,
}

/// Saves and proves the connection.
pub(crate) async fn create(
    State(services): State<Services>,
    Extension(caller): Extension<AdminCaller>,
    partial: Partial,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let session = match signed_in(&caller, partial) {
        Ok(session) => session,
        Err(refused) => return *refused,
    };
    let chrome = Chrome::of(session);
    let form = match NewConnection::read(&headers, body).await {
        Ok(form) => form,
        Err(problem) => {
            let shown = fields(&NewConnection::default());
            return render(
                chrome,
                shown,
                None,
                Some(problem),
                partial,
                StatusCode::BAD_REQUEST,
            );
        }
    };
    let mut shown = fields(&form);
    let valid = match validate(form, &mut shown) {
        Ok(valid) => valid,
        Err(kept) => {
            let kept = kept.map(|id| id.to_string());
            return render(chrome, shown, kept, None, partial, StatusCode::BAD_REQUEST);
        }
    };
    let mut connection = Connection::new(
        valid
            .kept
            .clone()
            .unwrap_or_else(|| ConnectionId::from_name(&valid.name)),
        ConnectionType::CustomerApp {
            credential: CustomerCredential::ClientSecret,
        },
        valid.cloud,
        valid.tenant_id,
        valid.client_id,
        services.clock.now(),
    );
    connection.name = Some(valid.name);
    if let Some(base) = &valid.endpoint {
        connection.endpoints = EndpointOverrides::all_at(base);
    }
    if let Some((field, message, status)) =
        claim(&services, session, &valid.kept, &mut connection).await
    {
        refuse(&mut shown, field, message);
        return render(chrome, shown, None, None, partial, status);
    }
    let user = session.identity.object_id.clone();
    match valid.credential {
        Credential::Given(secret) => {
            prove_new(
                &services,
                chrome,
                shown,
                (connection, &user),
                secret,
                partial,
            )
            .await
        }
        Credential::Generate => generate(&services, chrome, (connection, &user), partial).await,
    }
}

/// Says `message` next to field `name` (the first problem of a field is the one shown).
fn refuse(shown: &mut [Field], name: &str, message: String) {
    if let Some(field) = shown.iter_mut().find(|f| f.name == name) {
        field.error.get_or_insert(message);
    }
}

/// Checks every field, saying each problem next to its field; `Err` carries the kept
/// connection's id when that could be read, so a corrected form still fixes it.
fn validate(form: NewConnection, shown: &mut [Field]) -> Result<Valid, Option<ConnectionId>> {
    let name = ConnectionName::parse(&form.name).map_err(|e| refuse(shown, NAME, e.to_string()));
    let kept = match form.id.trim() {
        "" => Ok(None),
        id => ConnectionId::parse(id)
            .map(Some)
            .map_err(|e| refuse(shown, NAME, e.to_string())),
    };
    let cloud = form
        .cloud
        .parse::<NationalCloud>()
        .map_err(|e| refuse(shown, "cloud", e.to_string()));
    let client_id = ClientId::parse(form.client_id.trim())
        .map_err(|e| refuse(shown, "client_id", e.to_string()));
    let tenant_id = TenantId::parse(form.tenant_id.trim())
        .map_err(|e| refuse(shown, "tenant_id", e.to_string()));
    let endpoint = match form.endpoint.trim() {
        "" => Ok(None),
        text => BaseUrl::parse(text)
            .map(Some)
            .map_err(|e| refuse(shown, "endpoint", e.to_string())),
    };
    let credential = credential(&form, shown);
    match (
        name, kept, cloud, client_id, tenant_id, endpoint, credential,
    ) {
        (Ok(name), Ok(kept), Ok(cloud), Ok(client_id), Ok(tenant_id), Ok(endpoint), Ok(c)) => {
            Ok(Valid {
                name,
                kept,
                cloud,
                client_id,
                tenant_id,
                endpoint,
                credential: c,
            })
        }
        (_, kept, ..) => Err(kept.ok().flatten()),
    }
}

/// The credential the form chose, checked: a secret typed, or a certificate whose key belongs
/// to it and which is valid now (the engine's check, said next to the file it concerns).
fn credential(form: &NewConnection, shown: &mut [Field]) -> Result<Credential, ()> {
    match form.credential.as_str() {
        "" | SECRET if form.client_secret.is_empty() => {
            refuse(
                shown,
                CLIENT_SECRET,
                "Enter the client secret's value.".to_owned(),
            );
            Err(())
        }
        "" | SECRET => Ok(Credential::Given(CustomerSecret::ClientSecret(
            SecretString::from(form.client_secret.clone()),
        ))),
        CERTIFICATE => certificate_files(form, shown).map(Credential::Given),
        GENERATE => Ok(Credential::Generate),
        other => {
            refuse(
                shown,
                CREDENTIAL,
                format!("Choose one of the ways offered (the form sent {other:?})."),
            );
            Err(())
        }
    }
}

/// The certificate and key from the uploaded files: the key from its own file, or from the
/// certificate file when that holds both.
fn certificate_files(form: &NewConnection, shown: &mut [Field]) -> Result<CustomerSecret, ()> {
    if form.certificate_file.is_empty() {
        refuse(
            shown,
            CERTIFICATE_FILE,
            "Choose the certificate's PEM file.".to_owned(),
        );
        return Err(());
    }
    let text = |bytes: &Bytes| String::from_utf8_lossy(bytes).into_owned();
    let (certificate_pem, key) = if form.key_file.is_empty() {
        split_certificate_secret(&text(&form.certificate_file))
    } else {
        (
            text(&form.certificate_file),
            SecretString::from(text(&form.key_file)),
        )
    };
    if key.expose_secret().trim().is_empty() {
        refuse(
            shown,
            KEY_FILE,
            "Choose the private key's PEM file (the certificate file holds no key).".to_owned(),
        );
        return Err(());
    }
    let private_key = key;
    match ClientCertificate::from_pem(&certificate_pem, &private_key) {
        Ok(_) => Ok(CustomerSecret::Certificate {
            certificate_pem,
            private_key,
        }),
        Err(error) => {
            let field = match error {
                CertificateError::NotAnRsaKey | CertificateError::KeyMismatch { .. } => KEY_FILE,
                _ => CERTIFICATE_FILE,
            };
            refuse(shown, field, sentence(&error));
            Err(())
        }
    }
}

/// An error as a sentence for the page: capital first letter, full stop.
fn sentence(error: &dyn std::fmt::Display) -> String {
    let text = error.to_string();
    let mut chars = text.chars();
    let first = chars.next().map(|c| c.to_uppercase().to_string());
    format!("{}{}.", first.unwrap_or_default(), chars.as_str())
}

/// Claims the connection's id (or checks the kept one may be fixed), after the one access
/// decision; `Some((field, message, status))` when the form cannot go on.
async fn claim(
    services: &Services,
    session: &crate::auth::Session,
    kept: &Option<ConnectionId>,
    connection: &mut Connection,
) -> Option<(&'static str, String, StatusCode)> {
    let operators = &services.admin.operators;
    if access(&session.identity, connection, operators) != Access::Manage {
        let message = format!(
            "You may connect only your own tenant ({}), as one of its Global, Privileged Role, \
             Application or Cloud Application Administrators.",
            session.identity.tenant_id
        );
        return Some(("tenant_id", message, StatusCode::FORBIDDEN));
    }
    let claimed = match kept {
        Some(_) => fixable(services, session, connection).await,
        None => claim_id(services, connection).await,
    };
    match claimed {
        Ok(Ok(())) => None,
        Ok(Err(message)) => Some((NAME, message, StatusCode::CONFLICT)),
        Err(error @ (ConnectionError::ForeignEndpoint { .. } | ConnectionError::Invalid(_))) => {
            // The store refused the record itself (a host this deployment does not allow).
            Some(("endpoint", error.to_string(), StatusCode::BAD_REQUEST))
        }
        Err(error) => Some((
            "endpoint",
            format!("The connection could not be kept: {error}"),
            StatusCode::INTERNAL_SERVER_ERROR,
        )),
    }
}

/// Keeps the connection with the credential given and proves it: its page when it works, else
/// the form again with Microsoft's refusal as advice (the connection is kept, to be fixed).
async fn prove_new(
    services: &Services,
    chrome: Chrome,
    mut shown: Vec<Field>,
    (connection, user): (Connection, &str),
    secret: CustomerSecret,
    partial: Partial,
) -> Response {
    let id = connection.id.clone();
    let proved = connect_customer_app(
        connection,
        secret,
        services.connections.as_ref(),
        Arc::clone(&services.secrets),
        ClientOptions::default(),
        services.clock.now(),
    )
    .await;
    match proved {
        Ok(_) => {
            tracing::info!(connection = %id, user = %user, "connection created in the console and proved");
            go_to(&format!("/console/connections/{id}"), partial)
        }
        Err(crate::connect::ConnectError::Connections(error)) => {
            // The store refused the record itself (a host this deployment does not allow).
            refuse(&mut shown, "endpoint", error.to_string());
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

/// Makes a certificate, keeps the connection with it unproved, and goes to the connection's
/// certificate page to download it and prove the connection once it is registered.
async fn generate(
    services: &Services,
    chrome: Chrome,
    (connection, user): (Connection, &str),
    partial: Partial,
) -> Response {
    let now = services.clock.now();
    let common_name = format!("Tenure {}", connection.display_name());
    let made = match new_certificate(&common_name, now) {
        Ok(made) => made,
        Err(error) => {
            return ErrorPage::failed(partial, Some(chrome), "make a certificate", &error);
        }
    };
    let secret = CustomerSecret::Certificate {
        certificate_pem: made.certificate_pem,
        private_key: made.private_key,
    };
    let id = connection.id.clone();
    let kept = keep_customer_app(
        connection,
        secret,
        services.connections.as_ref(),
        services.secrets.as_ref(),
        now,
    )
    .await;
    match kept {
        Ok(_) => {
            tracing::info!(connection = %id, user = %user, "connection created in the console with a certificate Tenure made");
            go_to(&format!("/console/connections/{id}/certificate"), partial)
        }
        Err(error) => ErrorPage::failed(partial, Some(chrome), "keep the connection", &error),
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
        credentials: CREDENTIALS,
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
