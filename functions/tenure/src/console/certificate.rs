//! A connection's certificate, when its app proves itself with one: `GET
//! /console/connections/{id}/certificate` shows it as the Entra admin center lists an app's
//! certificates (subject, thumbprint, expiry) with the steps to register it; `GET
//! …/certificate/download` gives the certificate (public: never the key) as a PEM file to
//! upload to the app; `POST …/certificate/prove` proves the connection with it
//! ([`crate::connect::prove_customer_app`]): its overview once it works, else this page with
//! Microsoft's refusal as advice (such as "not registered on the app").

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::connection::OnConnection;
use super::create::go_to;
use super::labels;
use super::page::{Chrome, ErrorPage, answer};
use crate::connect::{AppCertificate, app_certificate, prove_customer_app};
use crate::microsoft::ClientOptions;
use crate::service::Services;
use crate::store::connections::ConnectionStatus;

#[derive(Template)]
#[template(path = "console/certificate.html", blocks = ["content"])]
struct CertificatePage {
    chrome: Option<Chrome>,
    title: String,
    id: String,
    name: String,
    section: &'static str,
    csrf_token: String,
    client_id: String,
    linked: bool,
    subject: String,
    thumbprint: String,
    expires: String,
    problem: Option<String>,
}

/// The certificate page.
pub(crate) async fn page(State(services): State<Services>, on: OnConnection) -> Response {
    let problem = match &on.connection.status {
        ConnectionStatus::Failed { reason } => Some(reason.clone()),
        _ => None,
    };
    show(&services, on, problem, StatusCode::OK).await
}

/// The certificate as a file to upload to the app registration.
pub(crate) async fn download(State(services): State<Services>, on: OnConnection) -> Response {
    let certificate = match certificate_of(&services, &on).await {
        Ok(certificate) => certificate,
        Err(refused) => return refused,
    };
    let file = format!("attachment; filename=\"tenure-{}.pem\"", on.connection.id);
    let Ok(disposition) = HeaderValue::from_str(&file) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-pem-file"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        certificate.pem,
    )
        .into_response()
}

/// Proves the connection with its certificate.
pub(crate) async fn prove(State(services): State<Services>, on: OnConnection) -> Response {
    let id = on.connection.id.clone();
    let proved = prove_customer_app(
        on.connection.clone(),
        services.connections.as_ref(),
        Arc::clone(&services.secrets),
        ClientOptions::default(),
        services.clock.now(),
    )
    .await;
    match proved {
        Ok(_) => {
            tracing::info!(connection = %id, by = %on.caller.actor().label(), "console: connection proved with its certificate");
            go_to(&format!("/console/connections/{id}"), on.partial)
        }
        Err(error) => {
            tracing::info!(connection = %id, %error, "console: the certificate does not work yet");
            let problem = Some(error.to_string());
            show(&services, on, problem, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// The connection's certificate, or the page that says why there is none to show.
async fn certificate_of(
    services: &Services,
    on: &OnConnection,
) -> Result<AppCertificate, Response> {
    match app_certificate(&on.connection, services.secrets.as_ref()).await {
        Ok(Some(certificate)) => Ok(certificate),
        Ok(None) => Err(ErrorPage::told(
            StatusCode::NOT_FOUND,
            on.partial,
            Some(on.chrome.clone()),
            "No certificate",
            "This connection does not prove itself with a certificate: its app uses a client secret, or it is Tenure's app.".to_owned(),
        )),
        Err(error) => Err(ErrorPage::failed(
            on.partial,
            Some(on.chrome.clone()),
            "read the connection's certificate",
            &error,
        )),
    }
}

async fn show(
    services: &Services,
    on: OnConnection,
    problem: Option<String>,
    status: StatusCode,
) -> Response {
    let certificate = match certificate_of(services, &on).await {
        Ok(certificate) => certificate,
        Err(refused) => return refused,
    };
    let c = &on.connection;
    let page = CertificatePage {
        csrf_token: on.chrome.csrf_token.clone(),
        chrome: Some(on.chrome),
        title: format!("Certificate of {}", c.display_name()),
        id: c.id.to_string(),
        name: c.display_name().to_owned(),
        section: "overview",
        client_id: c.client_id.as_str().to_owned(),
        linked: c.status == ConnectionStatus::Linked,
        subject: certificate.subject,
        thumbprint: certificate.thumbprint,
        expires: labels::when(certificate.not_after),
        problem,
    };
    answer(
        status,
        on.partial,
        &page.title,
        || page.render(),
        || page.as_content().render(),
    )
}
