//! `/authorize`: the app and its redirect URI are checked before anything goes back to it;
//! errors after that go back to it with `state`; PKCE `S256` is required; the sign-in page,
//! auto-accept, auto-decline and `prompt=none`.

use reqwest::StatusCode;
use tenure_emulator::SignIn;

use crate::helpers::{TestResult, TestTenant, spawn_with};
use crate::sign_in_client::{
    ADMIN, APP, CALLBACK, Pkce, SCOPES, accepting, authorize_params, redirect_of, with_app,
};

#[tokio::test]
async fn an_accepted_sign_in_redirects_with_a_code_and_the_state() -> TestResult {
    let t = accepting().await?;
    let redirect = t.sign_in(&Pkce::new(), "opaque state/with?chars").await?;
    assert!(redirect.location.starts_with(&format!("{CALLBACK}?code=")));
    assert_eq!(redirect.names(), ["code", "state"]);
    assert_eq!(redirect.get("state"), Some("opaque state/with?chars"));
    assert!(t.tenant.handle().consented(APP));
    Ok(())
}

#[tokio::test]
async fn a_redirect_uri_differing_by_one_character_gets_an_error_page_never_a_redirect()
-> TestResult {
    let t = accepting().await?;
    let pkce = Pkce::new();
    for wrong in [
        "https://tenure.example.com/connections/callback/",
        "https://tenure.example.com/connections/Callback",
        "https://tenure.example.com:8443/connections/callback",
        "http://tenure.example.com/connections/callback",
        "http://127.0.0.1:8401/cb",
    ] {
        let html = t
            .page(&t.authorize_url(&authorize_params(wrong, SCOPES, "s", &pkce)))
            .await?;
        assert!(
            html.contains("AADSTS50011: The redirect URI"),
            "{wrong}: {html}"
        );
        assert!(html.contains("Sorry, but we’re having trouble signing you in."));
    }
    assert!(!t.tenant.handle().consented(APP));
    Ok(())
}

#[tokio::test]
async fn only_the_port_of_a_localhost_redirect_uri_is_ignored() -> TestResult {
    let t = accepting().await?;
    let pkce = Pkce::new();
    let url = t.authorize_url(&authorize_params(
        "http://localhost:53117/cb",
        SCOPES,
        "s",
        &pkce,
    ));
    let redirect = t.redirected(&url).await?;
    assert!(
        redirect
            .location
            .starts_with("http://localhost:53117/cb?code=")
    );
    Ok(())
}

#[tokio::test]
async fn an_unknown_app_or_a_missing_redirect_uri_is_an_error_page() -> TestResult {
    let t = accepting().await?;
    let pkce = Pkce::new();
    let mut params = authorize_params(CALLBACK, SCOPES, "s", &pkce);
    params[0] = ("client_id", "00000000-1111-2222-3333-444444444444");
    let html = t.page(&t.authorize_url(&params)).await?;
    assert!(html.contains("AADSTS700016: Application with identifier"));
    let mut params = authorize_params(CALLBACK, SCOPES, "s", &pkce);
    params.remove(2);
    let html = t.page(&t.authorize_url(&params)).await?;
    assert!(html.contains("AADSTS900971: No reply address provided."));
    Ok(())
}

#[tokio::test]
async fn missing_or_plain_pkce_goes_back_as_invalid_request() -> TestResult {
    let t = accepting().await?;
    let pkce = Pkce::new();
    let without: Vec<_> = authorize_params(CALLBACK, SCOPES, "st", &pkce)
        .into_iter()
        .filter(|(k, _)| !k.starts_with("code_challenge"))
        .collect();
    let redirect = t.redirected(&t.authorize_url(&without)).await?;
    assert_eq!(redirect.get("error"), Some("invalid_request"));
    assert!(
        redirect
            .get("error_description")
            .is_some_and(|d| d.starts_with("AADSTS900144: ") && d.contains("'code_challenge'"))
    );
    assert_eq!(redirect.get("state"), Some("st"));
    let mut plain = authorize_params(CALLBACK, SCOPES, "st", &pkce);
    plain[7] = ("code_challenge_method", "plain");
    let redirect = t.redirected(&t.authorize_url(&plain)).await?;
    assert_eq!(redirect.get("error"), Some("invalid_request"));
    assert_eq!(
        redirect.names(),
        ["error", "error_description", "error_uri", "state"]
    );
    Ok(())
}

#[tokio::test]
async fn bad_scopes_go_back_with_microsofts_codes() -> TestResult {
    let t = accepting().await?;
    let pkce = Pkce::new();
    let cases = [
        (
            "https://graph.microsoft.us/User.Read offline_access",
            "invalid_resource",
            "AADSTS500011: The resource principal named https://graph.microsoft.us was not found",
        ),
        (
            "https://graph.microsoft.com/Not.A.Permission",
            "invalid_client",
            "AADSTS650053: ",
        ),
        (
            "https://graph.microsoft.com/ openid",
            "invalid_scope",
            "AADSTS70011: ",
        ),
    ];
    for (scope, error, start) in cases {
        let url = t.authorize_url(&authorize_params(CALLBACK, scope, "s", &pkce));
        let redirect = t.redirected(&url).await?;
        assert_eq!(redirect.get("error"), Some(error), "{scope}");
        assert!(
            redirect
                .get("error_description")
                .is_some_and(|d| d.starts_with(start)),
            "{scope}: {:?}",
            redirect.get("error_description")
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_declined_consent_goes_back_as_consent_required_65004() -> TestResult {
    let t = spawn_with(|c| with_app(c).with_auto_decline()).await?;
    let redirect = t.sign_in(&Pkce::new(), "xyz").await?;
    assert_eq!(redirect.get("error"), Some("consent_required"));
    let description = redirect.get("error_description").unwrap_or_default();
    assert!(
        description
            .starts_with("AADSTS65004: User declined to consent to access the app.\r\nTrace ID: ")
    );
    assert_eq!(
        redirect.get("error_uri"),
        Some("https://login.microsoftonline.com/error?code=65004")
    );
    assert_eq!(redirect.get("state"), Some("xyz"));
    assert!(redirect.get("code").is_none());
    assert!(!t.tenant.handle().consented(APP));
    Ok(())
}

#[tokio::test]
async fn fragment_mode_puts_the_answer_in_the_fragment() -> TestResult {
    let t = accepting().await?;
    let pkce = Pkce::new();
    let mut params = authorize_params(CALLBACK, SCOPES, "f", &pkce);
    params[3] = ("response_mode", "fragment");
    let redirect = t.redirected(&t.authorize_url(&params)).await?;
    assert!(redirect.location.starts_with(&format!("{CALLBACK}#code=")));
    Ok(())
}

#[tokio::test]
async fn prompt_none_needs_a_consented_app_and_a_signed_in_user() -> TestResult {
    let t = accepting().await?;
    let pkce = Pkce::new();
    let mut params = authorize_params(CALLBACK, SCOPES, "n", &pkce);
    params.push(("prompt", "none"));
    let redirect = t.redirected(&t.authorize_url(&params)).await?;
    assert_eq!(redirect.get("error"), Some("consent_required"));
    assert!(
        redirect
            .get("error_description")
            .is_some_and(|d| d.starts_with("AADSTS65001: "))
    );
    t.tenant.handle().set_consented(APP, true);
    let redirect = t.redirected(&t.authorize_url(&params)).await?;
    assert!(redirect.get("code").is_some());
    t.tenant.handle().set_sign_in(SignIn::Interactive);
    let redirect = t.redirected(&t.authorize_url(&params)).await?;
    assert_eq!(redirect.get("error"), Some("login_required"));
    Ok(())
}

/// Posts the sign-in form of a page.
async fn submit(
    t: &TestTenant,
    html: &str,
    login: &str,
    button: &str,
) -> Result<reqwest::Response, Box<dyn std::error::Error>> {
    let context = html
        .split("name=\"ctx\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or("no ctx on the page")?;
    let url = format!("{}/{}/login", t.tenant.uri(), t.tenant.tenant_id());
    let response = TestTenant::browser()
        .post(url)
        .form(&[("ctx", context), ("login", login), ("consent", button)])
        .send()
        .await?;
    Ok(response)
}

#[tokio::test]
async fn the_sign_in_page_lists_the_permissions_and_its_form_answers() -> TestResult {
    let t = spawn_with(with_app).await?;
    let pkce = Pkce::new();
    let url = t.authorize_url(&authorize_params(CALLBACK, SCOPES, "p<&>", &pkce));
    let html = t.page(&url).await?;
    for permission in [
        "User.ReadWrite.All",
        "Group.ReadWrite.All",
        "Directory.AccessAsUser.All",
        "offline_access",
    ] {
        assert!(
            html.contains(&format!("<li class=\"permission\">{permission}</li>")),
            "{html}"
        );
    }
    assert!(html.contains(APP));

    let unknown = submit(&t, &html, "nobody@contoso.com", "accept").await?;
    assert_eq!(unknown.status(), StatusCode::OK);
    let again = unknown.text().await?;
    assert!(again.contains("AADSTS50034: The user account nobody@contoso.com does not exist"));

    let accepted = submit(&t, &again, ADMIN, "accept").await?;
    assert_eq!(accepted.status(), StatusCode::FOUND);
    let redirect = redirect_of(&accepted)?;
    assert!(redirect.get("code").is_some());
    assert_eq!(redirect.get("state"), Some("p<&>"));
    let replayed = submit(&t, &again, ADMIN, "accept").await?;
    assert!(replayed.text().await?.contains("AADSTS50089"));

    let html = t.page(&url).await?;
    let cancelled = submit(&t, &html, "", "cancel").await?;
    let redirect = redirect_of(&cancelled)?;
    assert_eq!(redirect.get("error"), Some("consent_required"));
    Ok(())
}
