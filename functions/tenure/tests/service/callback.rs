//! `oauth-callback` on the local stores with the emulated tenant: the admin sent by `consent`
//! to the tenant's sign-in comes back linked (refresh token kept, never shown); every bad
//! callback is a 400 page with the reason, escaped.

use std::path::PathBuf;

use jiff::Timestamp;
use secrecy::ExposeSecret;
use tenure::directory::Snapshot;
use tenure::microsoft::NationalCloud;
use tenure::service::http::{callback_routes, consent_routes};
use tenure::store::connections::{
    BaseUrl, ClientId, Connection, ConnectionId, ConnectionStatus, ConnectionType,
    EndpointOverrides, TenantId,
};
use tenure::store::secrets::{SecretKind, SecretName};
use tenure_emulator::{EmulatedTenant, RegisteredClient, TenantConfig};

use super::consent::{APP, APP_SECRET, REDIRECT, app};
use super::helpers::{Answer, ApiEvent, Error, Local, SessionHeaders, TestResult};

const CALLBACK: &str = "GET /oauth/callback";
const ADMIN: &str = "admin@contoso.onmicrosoft.com";

/// An emulated tenant where Tenure's app is registered and the admin consents at once.
async fn tenant() -> Result<EmulatedTenant, Error> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../samplesdata/directory.json");
    let config = TenantConfig::new(Snapshot::read(&path)?)
        .with_app(
            RegisteredClient::with_secret(APP, APP_SECRET)
                .redirect_uris(&[REDIRECT])
                .multi_tenant(),
        )
        .with_sample_roles()
        .with_auto_consent(ADMIN);
    Ok(EmulatedTenant::start(config).await?)
}

/// A connection through Tenure's app `contoso` to `t`, stored.
async fn linkable(t: &EmulatedTenant, local: &Local) -> Result<Connection, Error> {
    let mut connection = Connection::new(
        ConnectionId::parse("contoso")?,
        ConnectionType::TenureApp,
        NationalCloud::Global,
        TenantId::parse(t.tenant_id())?,
        ClientId::parse(APP)?,
        Timestamp::now(),
    );
    connection.endpoints = EndpointOverrides::all_at(&BaseUrl::parse(&t.uri())?);
    local.connections.put_new(&connection).await?;
    Ok(connection)
}

/// The deployment with Tenure's app, and an operator's session in it.
type Signed = (tenure::service::Services, SessionHeaders);

/// `consent` for `contoso` (`query` added) in the operator's session: the sign-in URL it
/// redirects to.
async fn consent_location(signed: &Signed, query: &str) -> Result<String, Error> {
    let (services, session) = signed;
    let answer = session
        .on(ApiEvent::get(
            "GET /connections/{id}/consent",
            "/connections/contoso/consent",
        ))
        .query(query)
        .send(&consent_routes(services.clone()))
        .await?;
    assert_eq!(answer.status, 302, "{}", answer.body);
    Ok(answer.header("location").ok_or("no Location")?.to_owned())
}

/// Follows a sign-in URL as the browser would: the query Microsoft sends back to Tenure.
async fn sign_in(url: &str) -> Result<String, Error> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let answer = client.get(url).send().await?;
    let location = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or("no redirect back")?;
    let query = location
        .strip_prefix(REDIRECT)
        .and_then(|rest| rest.strip_prefix('?'))
        .ok_or_else(|| format!("redirected elsewhere: {location}"))?;
    Ok(query.to_owned())
}

/// The value of `name` in `query`.
fn param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The callback in the operator's session.
async fn callback(signed: &Signed, query: &str) -> Result<Answer, Error> {
    let (services, session) = signed;
    session
        .on(ApiEvent::get(CALLBACK, "/oauth/callback"))
        .query(query)
        .send(&callback_routes(services.clone()))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_comes_back_linked_and_the_refresh_token_is_kept_unseen() -> TestResult {
    let t = tenant().await?;
    let local = Local::new()?;
    linkable(&t, &local).await?;
    let signed = local.signed_in(Some(app())).await?;

    let back = sign_in(&consent_location(&signed, "").await?).await?;
    let code = param(&back, "code").ok_or("no code")?;
    let page = callback(&signed, &back).await?;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert!(page.body.contains("Connection linked"), "{}", page.body);
    assert!(page.body.contains("contoso"), "{}", page.body);
    assert!(page.body.contains(t.tenant_id()), "{}", page.body);
    assert!(
        page.body.contains("/connections/contoso/consent?admin=1"),
        "{}",
        page.body
    );

    let id = ConnectionId::parse("contoso")?;
    let (refresh_token, _) = local
        .secrets
        .get(&SecretName::for_connection(&id, SecretKind::RefreshToken))
        .await?
        .ok_or("no refresh token kept")?;
    page.assert_hides(&[refresh_token.expose_secret(), &code, APP_SECRET]);
    let (record, _) = local.connections.get(&id).await?.ok_or("no record")?;
    assert_eq!(record.status, ConnectionStatus::Linked);

    // The tenant-wide consent next, through the same two functions.
    let consented = callback(
        &signed,
        &sign_in(&consent_location(&signed, "admin=1").await?).await?,
    )
    .await?;
    assert_eq!(consented.status, 200, "{}", consented.body);
    assert!(
        consented.body.contains("Consent granted"),
        "{}",
        consented.body
    );

    // The same callback again: the sign-in link worked once.
    let again = callback(&signed, &back).await?;
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(again.body.contains("already used"), "{}", again.body);
    again.assert_hides(&[refresh_token.expose_secret(), &code]);
    Ok(())
}

#[tokio::test]
async fn a_missing_or_unknown_state_is_a_400_page() -> TestResult {
    let local = Local::new()?;
    let signed = local.signed_in(Some(app())).await?;
    let missing = callback(&signed, "code=abc").await?;
    assert_eq!(missing.status, 400);
    assert!(missing.body.contains("without a state"), "{}", missing.body);
    missing.assert_hides(&["abc"]);

    let forged = callback(&signed, "code=the-code-xyz&state=contoso.forged").await?;
    assert_eq!(forged.status, 400);
    assert!(forged.body.contains("did not issue"), "{}", forged.body);
    forged.assert_hides(&["the-code-xyz"]);
    Ok(())
}

#[tokio::test]
async fn a_declined_consent_is_named_and_microsofts_words_are_escaped() -> TestResult {
    let t = tenant().await?;
    let local = Local::new()?;
    linkable(&t, &local).await?;
    let signed = local.signed_in(Some(app())).await?;
    let location = consent_location(&signed, "").await?;
    let state = param(&location, "state").ok_or("no state in the sign-in URL")?;
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("error", "access_denied")
        .append_pair(
            "error_description",
            "AADSTS65004: User declined to consent <script>alert(1)</script>",
        )
        .append_pair("state", &state)
        .finish();
    let page = callback(&signed, &query).await?;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("declined to consent"), "{}", page.body);
    assert!(page.body.contains("&lt;script&gt;"), "{}", page.body);
    assert!(!page.body.contains("<script>"), "{}", page.body);
    Ok(())
}

#[tokio::test]
async fn a_deployment_without_tenures_app_cannot_finish_a_sign_in() -> TestResult {
    let local = Local::new()?;
    let page = ApiEvent::get(CALLBACK, "/oauth/callback")
        .query("code=abc&state=contoso.x")
        .send(&callback_routes(local.services(None)?))
        .await?;
    assert_eq!(page.status, 503);
    assert!(
        page.body.contains("no Tenure app configured"),
        "{}",
        page.body
    );
    Ok(())
}
