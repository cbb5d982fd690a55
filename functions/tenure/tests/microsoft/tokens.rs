//! Client-credentials tokens: cached per scope, Microsoft's errors mapped by name.

use secrecy::{ExposeSecret, SecretString};
use tenure::microsoft::{ClientCredential, Endpoints, NationalCloud, TokenError, TokenSource};

use super::helpers::{CLIENT_ID, SECRET, TestResult, spawn, token_source};

#[tokio::test]
async fn a_token_is_fetched_once_and_cached_per_scope() -> TestResult {
    let t = spawn().await?;
    let scope = NationalCloud::Global.graph_scope();
    let first = t.tokens.token(&scope).await?;
    let second = t.tokens.token(&scope).await?;
    assert_eq!(first.expose_secret(), second.expose_secret());
    let exchange = t
        .tokens
        .token(&NationalCloud::Global.exchange_scope())
        .await?;
    assert_ne!(first.expose_secret(), exchange.expose_secret());
    Ok(())
}

#[tokio::test]
async fn a_wrong_secret_is_invalid_client() -> TestResult {
    let t = spawn().await?;
    let tokens = token_source(&t.tenant, t.tenant.tenant_id(), CLIENT_ID, "wrong")?;
    let error = tokens
        .token(&NationalCloud::Global.graph_scope())
        .await
        .err()
        .ok_or("a wrong secret gave a token")?;
    assert!(
        matches!(error, TokenError::InvalidClient { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("client secret"));
    Ok(())
}

#[tokio::test]
async fn an_unknown_tenant_and_an_unknown_app_are_named() -> TestResult {
    let t = spawn().await?;
    let scope = NationalCloud::Global.graph_scope();
    let tokens = token_source(
        &t.tenant,
        "00000000-0000-0000-0000-00000000dead",
        CLIENT_ID,
        SECRET,
    )?;
    let error = tokens.token(&scope).await.err().ok_or("unknown tenant")?;
    assert!(
        matches!(error, TokenError::UnknownTenant { .. }),
        "{error:?}"
    );
    let tokens = token_source(
        &t.tenant,
        t.tenant.tenant_id(),
        "99999999-2222-3333-4444-555555555555",
        SECRET,
    )?;
    let error = tokens.token(&scope).await.err().ok_or("unknown app")?;
    assert!(matches!(error, TokenError::AppNotFound { .. }), "{error:?}");
    Ok(())
}

#[tokio::test]
async fn an_unreachable_login_endpoint_is_transient() -> TestResult {
    // Port 9 (discard) on loopback: nothing listens there.
    let endpoints = Endpoints::all_at(NationalCloud::Global, "http://127.0.0.1:9");
    let tokens = TokenSource::new(
        &endpoints,
        "contoso.com",
        CLIENT_ID,
        ClientCredential::Secret(SecretString::from(SECRET.to_owned())),
    )?;
    let error = tokens
        .token(&NationalCloud::Global.graph_scope())
        .await
        .err()
        .ok_or("nothing listening gave a token")?;
    assert!(error.is_transient(), "{error:?}");
    Ok(())
}
