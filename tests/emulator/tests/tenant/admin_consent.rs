//! `/v2.0/adminconsent` and what consent changes: a multi-tenant app exists in the tenant only
//! once consented, and an app without granted permissions is refused by Graph.

use reqwest::{Method, StatusCode};
use serde_json::json;
use tenure_emulator::{RegisteredClient, SignIn};

use crate::helpers::{GRAPH_SCOPE, TestResult, spawn_with};
use crate::sign_in_client::{APP, APP_SECRET, CALLBACK, accepting, with_app};

fn consent_params<'a>(redirect_uri: &'a str, state: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", APP),
        ("scope", GRAPH_SCOPE),
        ("redirect_uri", redirect_uri),
        ("state", state),
    ]
}

async fn app_token(
    t: &crate::helpers::TestTenant,
) -> Result<crate::helpers::Answer, Box<dyn std::error::Error>> {
    t.token_request(&[
        ("grant_type", "client_credentials"),
        ("client_id", APP),
        ("client_secret", APP_SECRET),
        ("scope", GRAPH_SCOPE),
    ])
    .await
}

#[tokio::test]
async fn an_approved_consent_redirects_with_admin_consent_true_and_the_tenant() -> TestResult {
    let t = accepting().await?;
    let before = app_token(&t).await?;
    assert_eq!(before.body["error"], "unauthorized_client");
    assert_eq!(before.body["error_codes"], json!([700016]));
    let redirect = t
        .redirected(&t.admin_consent_url(&consent_params(CALLBACK, "c-1")))
        .await?;
    assert_eq!(
        redirect.names(),
        ["admin_consent", "tenant", "scope", "state"]
    );
    assert_eq!(redirect.get("admin_consent"), Some("True"));
    assert_eq!(redirect.get("tenant"), Some(t.tenant.tenant_id()));
    assert_eq!(redirect.get("scope"), Some(GRAPH_SCOPE));
    assert_eq!(redirect.get("state"), Some("c-1"));
    assert!(t.tenant.handle().consented(APP));
    let after = app_token(&t).await?;
    assert_eq!(after.status, StatusCode::OK, "{}", after.body);
    let token = after.body["access_token"].as_str().ok_or("no token")?;
    let users = t
        .graph_with(token, Method::GET, "/users?$top=1", None)
        .await?;
    assert_eq!(users.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn a_declined_consent_is_access_denied_65004() -> TestResult {
    let t = spawn_with(|c| with_app(c).with_auto_decline()).await?;
    let redirect = t
        .redirected(&t.admin_consent_url(&consent_params(CALLBACK, "c-2")))
        .await?;
    assert_eq!(
        redirect.names(),
        [
            "error",
            "error_description",
            "error_uri",
            "admin_consent",
            "state"
        ]
    );
    assert_eq!(redirect.get("error"), Some("access_denied"));
    assert!(redirect.get("error_description").is_some_and(|d| {
        d.starts_with("AADSTS65004: User declined to consent to access the app.")
    }));
    assert_eq!(redirect.get("admin_consent"), Some("True"));
    assert!(redirect.get("tenant").is_none());
    assert!(!t.tenant.handle().consented(APP));
    Ok(())
}

#[tokio::test]
async fn an_unknown_app_or_redirect_uri_is_an_error_page() -> TestResult {
    let t = accepting().await?;
    let html = t
        .page(&t.admin_consent_url(&consent_params(
            "https://tenure.example.com/connections/callback/",
            "s",
        )))
        .await?;
    assert!(html.contains("AADSTS50011"));
    let mut params = consent_params(CALLBACK, "s");
    params[0] = ("client_id", "not-an-app");
    let html = t.page(&t.admin_consent_url(&params)).await?;
    assert!(html.contains("AADSTS700016"));
    Ok(())
}

#[tokio::test]
async fn the_admin_consent_page_asks_for_the_organization() -> TestResult {
    let t = accepting().await?;
    t.tenant.handle().set_sign_in(SignIn::Interactive);
    let html = t
        .page(&t.admin_consent_url(&consent_params(CALLBACK, "s")))
        .await?;
    assert!(html.contains("Accept for your organization"));
    assert!(html.contains(GRAPH_SCOPE));
    Ok(())
}

#[tokio::test]
async fn graph_refuses_an_app_whose_permissions_are_not_granted() -> TestResult {
    let t = spawn_with(|c| {
        c.with_app(
            RegisteredClient::with_secret("no-grants", "s3cret").without_granted_permissions(),
        )
    })
    .await?;
    let answer = t
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", "no-grants"),
            ("client_secret", "s3cret"),
            ("scope", GRAPH_SCOPE),
        ])
        .await?;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "the token is issued, without roles"
    );
    let token = answer.body["access_token"]
        .as_str()
        .ok_or("no token")?
        .to_owned();
    let refused = t.graph_with(&token, Method::GET, "/users", None).await?;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.error_code(), "Authorization_RequestDenied");
    assert_eq!(
        refused.error_message(),
        "Insufficient privileges to complete the operation."
    );
    t.tenant.handle().set_permissions_granted("no-grants", true);
    let allowed = t
        .graph_with(&token, Method::GET, "/users?$top=1", None)
        .await?;
    assert_eq!(allowed.status, StatusCode::OK);
    let me = t.graph_with(&token, Method::GET, "/me", None).await?;
    assert_eq!(
        me.status,
        StatusCode::BAD_REQUEST,
        "an app-only token has no /me"
    );
    Ok(())
}
