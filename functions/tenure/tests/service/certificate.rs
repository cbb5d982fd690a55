//! A Customer Owned Application whose app proves itself with a certificate, made in the console
//! against the emulated tenant: a certificate Tenure makes is downloaded, uploaded to the app
//! (the emulated Certificates & secrets page) and proves the connection; a certificate and key
//! the administrator has are checked before anything is kept, each problem said next to its
//! file. The private key is never on a page or in the download.

use std::path::PathBuf;

use secrecy::ExposeSecret;
use tenure::console::console_routes;
use tenure::directory::Snapshot;
use tenure::microsoft::new_certificate;
use tenure::store::connections::{
    ConnectionId, ConnectionStatus, ConnectionType, CustomerCredential,
};
use tenure_emulator::{EmulatedTenant, TenantConfig};

use super::helpers::{Answer, ApiEvent, Error, Local, SessionHeaders, TestResult};

const APP: &str = "5b0e3c7a-8f61-4d2b-9a47-c1d2e3f4a5b6";
const APP_SECRET: &str = "configured-secret-of-the-app~Q7";
const ADMIN: &str = "admin@contoso.onmicrosoft.com";
const BOUNDARY: &str = "----tenure-test-boundary-7f3a";

/// An emulated tenant with the customer's app registered (with a client secret only).
async fn tenant() -> Result<EmulatedTenant, Error> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../samplesdata/directory.json");
    let config = TenantConfig::new(Snapshot::read(&path)?)
        .with_client_secret(APP, APP_SECRET)
        .with_sample_roles();
    Ok(EmulatedTenant::start(config).await?)
}

/// A `multipart/form-data` body: text fields, then files (field, file name, bytes).
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, file_name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/x-pem-file\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// Posts the create form with the emulated tenant's ids and `extra` fields and files.
async fn create(
    router: &axum::Router,
    session: &SessionHeaders,
    t: &EmulatedTenant,
    extra: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> Result<Answer, Error> {
    let uri = t.uri();
    let mut fields = vec![
        ("csrf_token", session.csrf_token.as_str()),
        ("cloud", "global"),
        ("client_id", APP),
        ("tenant_id", t.tenant_id()),
        ("endpoint", uri.as_str()),
    ];
    fields.extend_from_slice(extra);
    ApiEvent::post("POST /console/{proxy+}", "/console/connections/new")
        .header("cookie", &session.cookie)
        .header("content-type", &content_type())
        .body(&multipart(&fields, files))
        .send(router)
        .await
}

/// Uploads a certificate to the app on the emulated tenant's Certificates & secrets page, as
/// an administrator: the page it answers with.
async fn register(t: &EmulatedTenant, certificate: &str) -> Result<String, Error> {
    let answer = reqwest::Client::new()
        .post(format!(
            "{}/_emulator/admin/apps/{APP}/certificates",
            t.uri()
        ))
        .header("content-type", content_type())
        .body(multipart(
            &[("login", ADMIN)],
            &[("certificate", "tenure.pem", certificate.as_bytes())],
        ))
        .send()
        .await?;
    assert!(answer.status().is_success(), "{}", answer.status());
    Ok(answer.text().await?)
}

fn get(session: &SessionHeaders, path: &str) -> ApiEvent {
    session.on(ApiEvent::get("GET /console/{proxy+}", path))
}

#[tokio::test]
async fn a_certificate_tenure_makes_is_registered_on_the_app_and_proves_the_connection()
-> TestResult {
    let t = tenant().await?;
    let local = Local::new()?;
    let (services, session) = local.signed_in(None).await?;
    let router = console_routes(services.clone());

    let made = create(
        &router,
        &session,
        &t,
        &[("name", "Contoso cert"), ("credential", "generate")],
        &[],
    )
    .await?;
    assert_eq!(made.status, 303, "{}", made.body);
    let page = "/console/connections/contoso-cert/certificate";
    assert_eq!(made.header("location"), Some(page));
    let id = ConnectionId::parse("contoso-cert")?;
    let (kept, _) = services.connections.get(&id).await?.ok_or("not kept")?;
    assert_eq!(kept.status, ConnectionStatus::Pending, "not proved yet");
    assert_eq!(
        kept.app,
        ConnectionType::CustomerApp {
            credential: CustomerCredential::Certificate
        }
    );
    let (stored, _) = services
        .secrets
        .get(&kept.credential_secret())
        .await?
        .ok_or("no credential kept")?;
    let key_line = stored
        .expose_secret()
        .split("-----BEGIN PRIVATE KEY-----")
        .nth(1)
        .and_then(|key| key.lines().nth(1))
        .map(str::to_owned)
        .ok_or("no key kept")?;

    let shown = get(&session, page).send(&router).await?;
    assert_eq!(shown.status, 200, "{}", shown.body);
    let thumbprint = shown
        .body
        .split("<code id=\"thumbprint\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .ok_or("no thumbprint shown")?
        .to_owned();
    assert_eq!(thumbprint.len(), 40, "{thumbprint}");
    assert!(
        shown.body.contains("CN=Tenure Contoso cert"),
        "{}",
        shown.body
    );

    let file = get(&session, &format!("{page}/download"))
        .send(&router)
        .await?;
    assert_eq!(file.status, 200);
    assert_eq!(
        file.header("content-disposition"),
        Some("attachment; filename=\"tenure-contoso-cert.pem\"")
    );
    assert!(
        file.body.starts_with("-----BEGIN CERTIFICATE-----"),
        "{}",
        file.body
    );
    assert!(
        !file.body.contains("PRIVATE KEY"),
        "the key is never downloaded"
    );

    let early = session
        .console_form(format!("{page}/prove"), "")
        .send(&router)
        .await?;
    assert_eq!(early.status, 422, "{}", early.body);
    assert!(
        early.body.contains("does not accept this certificate"),
        "Microsoft's refusal as advice: {}",
        early.body
    );

    let listed = register(&t, &file.body).await?;
    assert!(
        listed.contains(&thumbprint),
        "the portal lists it: {listed}"
    );
    let proved = session
        .console_form(format!("{page}/prove"), "")
        .send(&router)
        .await?;
    assert_eq!(proved.status, 303, "{}", proved.body);
    assert_eq!(
        proved.header("location"),
        Some("/console/connections/contoso-cert")
    );
    let (linked, _) = services.connections.get(&id).await?.ok_or("gone")?;
    assert_eq!(linked.status, ConnectionStatus::Linked);

    let overview = get(&session, "/console/connections/contoso-cert")
        .send(&router)
        .await?;
    assert!(
        overview
            .body
            .contains("/console/connections/contoso-cert/certificate"),
        "the overview links the certificate: {}",
        overview.body
    );
    for answer in [&made, &shown, &file, &early, &proved, &overview] {
        answer.assert_hides(&[&key_line, "PRIVATE KEY"]);
    }
    Ok(())
}

/// A line from the middle of a key: what a page that showed the key would contain.
fn key_material(made: &tenure::microsoft::NewCertificate) -> String {
    let key = made.private_key.expose_secret();
    key.lines().nth(2).unwrap_or(key).to_owned()
}

#[tokio::test]
async fn a_certificate_the_admin_has_is_checked_before_anything_is_kept() -> TestResult {
    let t = tenant().await?;
    let local = Local::new()?;
    let (services, session) = local.signed_in(None).await?;
    let router = console_routes(services.clone());
    let now = jiff::Timestamp::now();
    let ours = new_certificate("Contoso ops", now)?;
    let other = new_certificate("Someone else", now)?;
    let testdata = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/microsoft/testdata");
    let expired = std::fs::read(testdata.join("expired-cert.pem"))?;
    let expired_key = std::fs::read(testdata.join("expired-key.pem"))?;
    let certificate = ours.certificate_pem.as_bytes();
    let wrong_key = other.private_key.expose_secret().as_bytes();
    let upload = [("name", "Contoso ops"), ("credential", "certificate")];

    for (files, field, said) in [
        (vec![], "certificate_file", "Choose the certificate"),
        (
            vec![("certificate_file", "c.pem", certificate)],
            "key_file",
            "holds no key",
        ),
        (
            vec![
                ("certificate_file", "c.pem", certificate),
                ("key_file", "k.pem", wrong_key),
            ],
            "key_file",
            "does not belong to the certificate",
        ),
        (
            vec![
                ("certificate_file", "c.pem", &expired[..]),
                ("key_file", "k.pem", &expired_key[..]),
            ],
            "certificate_file",
            "expired",
        ),
        (
            vec![
                ("certificate_file", "c.pem", b"not a certificate" as &[u8]),
                ("key_file", "k.pem", wrong_key),
            ],
            "certificate_file",
            "not a PEM X.509 certificate",
        ),
    ] {
        let refused = create(&router, &session, &t, &upload, &files).await?;
        assert_eq!(refused.status, 400, "{said}: {}", refused.body);
        let error = refused
            .body
            .split(&format!("id=\"{field}-error\">"))
            .nth(1)
            .and_then(|rest| rest.split("</p>").next())
            .ok_or_else(|| format!("no error next to {field}: {}", refused.body))?;
        assert!(error.contains(said), "{field}: {error}");
        refused.assert_hides(&[&key_material(&other), &key_material(&ours)]);
    }
    assert!(
        services.connections.list().await?.is_empty(),
        "nothing kept"
    );

    // One PEM file with the certificate and its key, registered on the app: proved at once.
    register(&t, &ours.certificate_pem).await?;
    let both = format!(
        "{}{}",
        ours.certificate_pem,
        ours.private_key.expose_secret()
    );
    let saved = create(
        &router,
        &session,
        &t,
        &upload,
        &[("certificate_file", "both.pem", both.as_bytes())],
    )
    .await?;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        saved.header("location"),
        Some("/console/connections/contoso-ops")
    );
    let (linked, _) = services
        .connections
        .get(&ConnectionId::parse("contoso-ops")?)
        .await?
        .ok_or("not kept")?;
    assert_eq!(linked.status, ConnectionStatus::Linked);
    Ok(())
}

#[tokio::test]
async fn the_emulated_portal_takes_certificates_only_from_an_administrator() -> TestResult {
    let t = tenant().await?;
    let made = new_certificate("Contoso", jiff::Timestamp::now())?;
    let upload = |login: &'static str, file: Vec<u8>| {
        reqwest::Client::new()
            .post(format!(
                "{}/_emulator/admin/apps/{APP}/certificates",
                t.uri()
            ))
            .header("content-type", content_type())
            .body(multipart(
                &[("login", login)],
                &[("certificate", "c.pem", &file)],
            ))
            .send()
    };
    let user = upload(
        "olivia.bennett@contoso.com",
        made.certificate_pem.clone().into_bytes(),
    )
    .await?;
    assert_eq!(user.status(), 400);
    assert!(user.text().await?.contains("AADSTS90093"));
    let junk = upload(ADMIN, b"-----BEGIN CERTIFICATE-----\nnope\n".to_vec()).await?;
    assert_eq!(junk.status(), 400);
    assert!(
        junk.text()
            .await?
            .contains("Failed to upload the certificate")
    );
    let page = reqwest::get(format!(
        "{}/_emulator/admin/apps/{APP}/certificates",
        t.uri()
    ))
    .await?
    .text()
    .await?;
    assert!(page.contains("No certificates have been added"), "{page}");
    Ok(())
}
