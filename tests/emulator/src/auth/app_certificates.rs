//! The tenant's admin page for an app registration's certificates (the Entra admin center's
//! App registrations → the app → Certificates & secrets → Certificates): `GET
//! /_emulator/admin/apps/{client_id}/certificates` lists the certificates uploaded to the app
//! (SHA-1 thumbprint, as the portal shows it) with an **Upload certificate** form; its `POST`
//! (`multipart/form-data`: the PEM file `certificate` and an administrator's sign-in name
//! `login`) adds one. From then on the token endpoint takes client assertions signed with it,
//! besides the app's configured credential. Only a user holding one of the administering roles
//! may upload (`AADSTS90093` otherwise).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha1::{Digest, Sha1};

use super::approval::holds_consenting_role;
use super::authorize::signed_in_user;
use super::client_auth::certificate_der;
use super::page::{self, escape};
use crate::state::TenantState;

/// The page's address for an app.
fn address(client_id: &str) -> String {
    format!("/_emulator/admin/apps/{client_id}/certificates")
}

/// The upper-case hex SHA-1 thumbprint of a PEM certificate, as the portal shows it.
pub(crate) fn thumbprint(pem: &str) -> Option<String> {
    let der = certificate_der(pem)?;
    Some(
        Sha1::digest(&der)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect(),
    )
}

/// `GET /_emulator/admin/apps/{client_id}/certificates`.
pub(crate) async fn page(
    State(state): State<TenantState>,
    Path(client_id): Path<String>,
) -> Response {
    if state.shared.client(&client_id).is_none() {
        return page::error(700_016, "No such application in this directory.");
    }
    show(&state, &client_id, None, StatusCode::OK)
}

/// `POST /_emulator/admin/apps/{client_id}/certificates` (`multipart/form-data`).
pub(crate) async fn upload(
    State(state): State<TenantState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let shared = &state.shared;
    if shared.client(&client_id).is_none() {
        return page::error(700_016, "No such application in this directory.");
    }
    let refuse = |text: &str| show(&state, &client_id, Some(text), StatusCode::BAD_REQUEST);
    let Ok((login, pem)) = form(&headers, body).await else {
        return refuse("The upload could not be read: send the form as multipart/form-data.");
    };
    if let Err((code, text)) = signed_in_user(shared, &login) {
        return refuse(&format!("AADSTS{code}: {text}"));
    }
    if !holds_consenting_role(shared, &login) {
        return refuse(&format!(
            "AADSTS90093: {login} may not change this application's credentials. Sign in as a Global, Application or Cloud Application Administrator."
        ));
    }
    if thumbprint(&pem).is_none()
        || jsonwebtoken::DecodingKey::from_rsa_pem(pem.as_bytes()).is_err()
    {
        return refuse(
            "Failed to upload the certificate: choose a PEM file with one RSA certificate (-----BEGIN CERTIFICATE-----).",
        );
    }
    shared.login().add_certificate(&client_id, pem);
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(&address(&client_id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// The administrator's sign-in name and the certificate file of the upload form.
async fn form(headers: &HeaderMap, body: Bytes) -> Result<(String, String), multer::Error> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type)?;
    let stream = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut parts = multer::Multipart::new(stream, boundary);
    let (mut login, mut pem) = (String::new(), String::new());
    while let Some(field) = parts.next_field().await? {
        let name = field.name().unwrap_or_default().to_owned();
        let text = field.text().await?;
        match name.as_str() {
            "login" => login = text.trim().to_owned(),
            "certificate" => pem = text,
            _ => {}
        }
    }
    Ok((login, pem))
}

fn show(
    state: &TenantState,
    client_id: &str,
    problem: Option<&str>,
    status: StatusCode,
) -> Response {
    let rows: String = state
        .shared
        .login()
        .uploaded_certificates(client_id)
        .iter()
        .filter_map(|pem| thumbprint(pem))
        .map(|t| format!("<tr><td class=\"thumbprint\">{t}</td></tr>"))
        .collect();
    let table = if rows.is_empty() {
        "<p id=\"empty\">No certificates have been added for this application.</p>".to_owned()
    } else {
        format!(
            "<table id=\"certificates\"><thead><tr><th scope=\"col\">Thumbprint</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    let problem = problem
        .map(|p| {
            format!(
                "<p class=\"problem\" id=\"problem\" role=\"alert\">{}</p>",
                escape(p)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>Certificates &amp; secrets</h1>\n<p>Application (client) ID: <strong id=\"app\">{app}</strong></p>\n<h2>Certificates</h2>\n{table}\n<h2>Upload certificate</h2>\n<form method=\"post\" action=\"{action}\" enctype=\"multipart/form-data\">\n<label for=\"certificate\">Certificate (public key) file: .cer, .pem or .crt</label>\n<input type=\"file\" id=\"certificate\" name=\"certificate\" accept=\".cer,.pem,.crt\" required>\n<label for=\"login\">Administrator (sign-in name)</label>\n<input type=\"text\" id=\"login\" name=\"login\" autocomplete=\"username\" required>\n{problem}\n<button type=\"submit\" id=\"add\">Add</button>\n</form>",
        app = escape(client_id),
        action = escape(&address(client_id)),
    );
    let mut response = page::plain("Certificates & secrets", &body);
    *response.status_mut() = status;
    response
}
