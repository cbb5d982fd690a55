//! `consent` on the local stores: a redirect to Microsoft's sign-in (PKCE, `state`) or to the
//! admin consent; every reason not to, with its status.

use jiff::Timestamp;
use secrecy::SecretString;
use tenure::connect::TenureApp;
use tenure::microsoft::{ClientCredential, NationalCloud};
use tenure::service::http::consent_routes;
use tenure::store::connections::{
    ClientId, Connection, ConnectionId, ConnectionType, CustomerCredential, TenantId,
};

use super::helpers::{ApiEvent, Error, Local, TestResult};

const ROUTE: &str = "GET /connections/{id}/consent";
pub(crate) const APP: &str = "77777777-8888-9999-aaaa-bbbbbbbbbbbb";
pub(crate) const APP_SECRET: &str = "tenure-app-secret~Lk3";
pub(crate) const REDIRECT: &str = "https://tenure.example.com/oauth/callback";
const TENANT: &str = "11111111-2222-3333-4444-555555555555";

pub(crate) fn app() -> TenureApp {
    TenureApp {
        client_id: APP.to_owned(),
        credential: ClientCredential::Secret(SecretString::from(APP_SECRET.to_owned())),
        redirect_uri: REDIRECT.to_owned(),
    }
}

async fn stored(local: &Local, id: &str, app: ConnectionType) -> Result<Connection, Error> {
    let connection = Connection::new(
        ConnectionId::parse(id)?,
        app,
        NationalCloud::Global,
        TenantId::parse(TENANT)?,
        ClientId::parse(APP)?,
        Timestamp::now(),
    );
    local.connections.put_new(&connection).await?;
    Ok(connection)
}

#[tokio::test]
async fn consent_redirects_to_microsofts_sign_in_with_pkce_and_state() -> TestResult {
    let local = Local::new()?;
    stored(&local, "contoso", ConnectionType::TenureApp).await?;
    let (services, session) = local.signed_in(Some(app())).await?;
    let router = consent_routes(services);

    let answer = session
        .on(ApiEvent::get(ROUTE, "/connections/contoso/consent"))
        .send(&router)
        .await?;
    assert_eq!(answer.status, 302, "{}", answer.body);
    let location = answer.header("location").ok_or("no Location")?;
    assert!(
        location.starts_with(&format!(
            "https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/authorize?"
        )),
        "{location}"
    );
    for part in [
        "response_type=code",
        &format!("client_id={APP}"),
        "code_challenge_method=S256",
        "code_challenge=",
        "state=contoso.",
        "offline_access",
    ] {
        assert!(location.contains(part), "{part} not in {location}");
    }
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    answer.assert_hides(&[APP_SECRET]);

    let admin = session
        .on(ApiEvent::get(ROUTE, "/connections/contoso/consent"))
        .query("admin=1")
        .send(&router)
        .await?;
    assert_eq!(admin.status, 302, "{}", admin.body);
    let location = admin.header("location").ok_or("no Location")?;
    assert!(
        location.starts_with(&format!(
            "https://login.microsoftonline.com/{TENANT}/v2.0/adminconsent?"
        )),
        "{location}"
    );
    assert!(location.contains("state=contoso."), "{location}");
    admin.assert_hides(&[APP_SECRET]);
    Ok(())
}

#[tokio::test]
async fn an_unknown_connection_is_404_and_a_customer_app_is_400() -> TestResult {
    let local = Local::new()?;
    stored(
        &local,
        "own-app",
        ConnectionType::CustomerApp {
            credential: CustomerCredential::ClientSecret,
        },
    )
    .await?;
    let (services, session) = local.signed_in(Some(app())).await?;
    let router = consent_routes(services);

    let unknown = session
        .on(ApiEvent::get(ROUTE, "/connections/nobody/consent"))
        .send(&router)
        .await?;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.error()?, "no connection nobody");

    let invalid = session
        .on(ApiEvent::get(ROUTE, "/connections/NO_SUCH/consent"))
        .send(&router)
        .await?;
    assert_eq!(invalid.status, 404);
    assert_eq!(invalid.error()?, "no connection NO_SUCH");

    let customer = session
        .on(ApiEvent::get(ROUTE, "/connections/own-app/consent"))
        .send(&router)
        .await?;
    assert_eq!(customer.status, 400);
    assert!(
        customer.error()?.contains("does not use Tenure's app"),
        "{}",
        customer.body
    );
    Ok(())
}

#[tokio::test]
async fn a_deployment_without_tenures_app_says_so() -> TestResult {
    let local = Local::new()?;
    stored(&local, "contoso", ConnectionType::TenureApp).await?;
    let (services, session) = local.signed_in(None).await?;
    let answer = session
        .on(ApiEvent::get(ROUTE, "/connections/contoso/consent"))
        .send(&consent_routes(services))
        .await?;
    assert_eq!(answer.status, 503);
    assert!(
        answer.error()?.contains("no Tenure app configured"),
        "{}",
        answer.body
    );
    Ok(())
}
