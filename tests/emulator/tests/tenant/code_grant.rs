//! Redeeming an authorization code: a delegated token that Graph accepts as the user, and
//! each way a redemption is refused (verifier, reuse, expiry, redirect URI, credential).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestResult, spawn_with};
use crate::sign_in_client::{ADMIN, APP, APP_SECRET, CALLBACK, Pkce, accepting, with_app};

#[tokio::test]
async fn a_code_becomes_a_delegated_token_that_graph_accepts_as_the_user() -> TestResult {
    let t = accepting().await?;
    let answer = t.delegated_tokens().await?;
    assert_eq!(answer.body["token_type"], "Bearer");
    assert_eq!(
        answer.body["scope"],
        "User.ReadWrite.All Group.ReadWrite.All Directory.AccessAsUser.All"
    );
    assert!(answer.body["refresh_token"].is_string());
    assert_eq!(answer.header("cache-control"), Some("no-store, no-cache"));
    let token = answer.body["access_token"].as_str().ok_or("no token")?;
    let me = t.graph_with(token, Method::GET, "/me", None).await?;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["userPrincipalName"], ADMIN);
    let users = t
        .graph_with(token, Method::GET, "/users?$top=2", None)
        .await?;
    assert_eq!(users.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn without_offline_access_there_is_no_refresh_token() -> TestResult {
    let t = accepting().await?;
    let pkce = Pkce::new();
    let params = crate::sign_in_client::authorize_params(
        CALLBACK,
        "https://graph.microsoft.com/User.Read",
        "s",
        &pkce,
    );
    let redirect = t.redirected(&t.authorize_url(&params)).await?;
    let code = redirect.get("code").ok_or("no code")?;
    let answer = t.redeem(code, &pkce.verifier, &[]).await?;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.body.get("refresh_token").is_none());
    assert_eq!(answer.body["scope"], "User.Read");
    Ok(())
}

#[tokio::test]
async fn a_wrong_or_missing_verifier_is_invalid_grant() -> TestResult {
    let t = accepting().await?;
    let (code, _) = t.code().await?;
    let wrong = t.redeem(&code, &Pkce::new().verifier, &[]).await?;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.body["error"], "invalid_grant");
    assert_eq!(wrong.body["error_codes"], json!([501481]));
    let (code, _) = t.code().await?;
    let missing = t
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("client_id", APP),
            ("client_secret", APP_SECRET),
            ("code", &code),
            ("redirect_uri", CALLBACK),
        ])
        .await?;
    assert_eq!(missing.body["error_codes"], json!([50148]));
    Ok(())
}

#[tokio::test]
async fn a_code_works_once() -> TestResult {
    let t = accepting().await?;
    let (code, pkce) = t.code().await?;
    let first = t.redeem(&code, &pkce.verifier, &[]).await?;
    assert_eq!(first.status, StatusCode::OK);
    let second = t.redeem(&code, &pkce.verifier, &[]).await?;
    assert_eq!(second.body["error"], "invalid_grant");
    assert_eq!(second.body["error_codes"], json!([54005]));
    let description = second.body["error_description"]
        .as_str()
        .unwrap_or_default();
    assert!(description.starts_with("AADSTS54005: OAuth2 Authorization code was already redeemed"));
    assert!(!description.contains(&code), "the code is never echoed");
    Ok(())
}

#[tokio::test]
async fn an_expired_code_is_70008() -> TestResult {
    let t = accepting().await?;
    let (code, pkce) = t.code().await?;
    t.tenant.handle().expire_codes();
    let answer = t.redeem(&code, &pkce.verifier, &[]).await?;
    assert_eq!(answer.body["error"], "invalid_grant");
    assert_eq!(answer.body["error_codes"], json!([70008]));

    let short = spawn_with(|c| {
        with_app(c)
            .with_auto_consent(ADMIN)
            .with_code_lifetime(std::time::Duration::ZERO)
    })
    .await?;
    let (code, pkce) = short.code().await?;
    let answer = short.redeem(&code, &pkce.verifier, &[]).await?;
    assert_eq!(answer.body["error_codes"], json!([70008]));
    Ok(())
}

#[tokio::test]
async fn the_redirect_uri_must_be_the_one_the_code_was_asked_with() -> TestResult {
    let t = accepting().await?;
    let (code, pkce) = t.code().await?;
    let answer = t
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("client_id", APP),
            ("client_secret", APP_SECRET),
            ("code", &code),
            ("redirect_uri", "http://localhost/cb"),
            ("code_verifier", &pkce.verifier),
        ])
        .await?;
    assert_eq!(answer.body["error"], "invalid_grant");
    assert_eq!(answer.body["error_codes"], json!([500112]));
    Ok(())
}

#[tokio::test]
async fn a_confidential_app_must_prove_itself_and_garbage_codes_are_malformed() -> TestResult {
    let t = accepting().await?;
    let (code, pkce) = t.code().await?;
    let no_secret = t
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("client_id", APP),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", &pkce.verifier),
        ])
        .await?;
    assert_eq!(no_secret.status, StatusCode::UNAUTHORIZED);
    assert_eq!(no_secret.body["error"], "invalid_client");
    assert_eq!(no_secret.body["error_codes"], json!([7000218]));
    let wrong_secret = t
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("client_id", APP),
            ("client_secret", "nope"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", &pkce.verifier),
        ])
        .await?;
    assert_eq!(wrong_secret.body["error_codes"], json!([7000215]));
    let garbage = t.redeem("not-a-code", &pkce.verifier, &[]).await?;
    assert_eq!(garbage.body["error"], "invalid_grant");
    assert_eq!(garbage.body["error_codes"], json!([9002313]));
    // The secret in Basic authentication works as well as in the form.
    let basic = t
        .http
        .post(t.token_url())
        .basic_auth(APP, Some(APP_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", pkce.verifier.as_str()),
        ])
        .send()
        .await?;
    assert_eq!(basic.status(), StatusCode::OK);
    Ok(())
}
