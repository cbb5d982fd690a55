//! Refresh tokens: a new one with every refresh while the old ones keep working, another
//! resource of the same cloud, and each refusal (revoked, expired, garbage, disabled user).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{EXCHANGE_SCOPE, TestResult};
use crate::sign_in_client::{ADMIN, APP, accepting};

fn refresh_token_of(answer: &crate::helpers::Answer) -> Result<String, Box<dyn std::error::Error>> {
    Ok(answer.body["refresh_token"]
        .as_str()
        .ok_or_else(|| format!("no refresh token: {}", answer.body))?
        .to_owned())
}

#[tokio::test]
async fn every_refresh_rotates_and_older_tokens_stay_valid() -> TestResult {
    let t = accepting().await?;
    let first = refresh_token_of(&t.delegated_tokens().await?)?;
    let second_answer = t.refresh(&first, None).await?;
    assert_eq!(
        second_answer.status,
        StatusCode::OK,
        "{}",
        second_answer.body
    );
    let second = refresh_token_of(&second_answer)?;
    assert_ne!(first, second);
    let third = refresh_token_of(&t.refresh(&second, None).await?)?;
    assert_ne!(third, second);
    let again = t.refresh(&first, None).await?;
    assert_eq!(again.status, StatusCode::OK, "the oldest still works");
    let token = again.body["access_token"].as_str().ok_or("no token")?;
    let me = t.graph_with(token, Method::GET, "/me", None).await?;
    assert_eq!(me.body["userPrincipalName"], ADMIN);
    let issued = t.tenant.handle().refresh_tokens();
    assert_eq!(issued.len(), 4);
    assert!(
        issued
            .iter()
            .all(|r| r.client_id == APP && !r.revoked && !r.expired)
    );
    Ok(())
}

#[tokio::test]
async fn a_refresh_may_ask_for_exchange_of_the_same_cloud() -> TestResult {
    let t = accepting().await?;
    let refresh_token = refresh_token_of(&t.delegated_tokens().await?)?;
    let exchange = t.refresh(&refresh_token, Some(EXCHANGE_SCOPE)).await?;
    assert_eq!(exchange.status, StatusCode::OK, "{}", exchange.body);
    assert_eq!(
        exchange.body["scope"],
        "https://outlook.office365.com/.default"
    );
    let token = exchange.body["access_token"].as_str().ok_or("no token")?;
    let on_graph = t.graph_with(token, Method::GET, "/me", None).await?;
    assert_eq!(
        on_graph.status,
        StatusCode::UNAUTHORIZED,
        "an Exchange token is not for Graph"
    );
    let foreign = t
        .refresh(
            &refresh_token,
            Some("https://outlook.office365.us/.default"),
        )
        .await?;
    assert_eq!(foreign.body["error"], "invalid_resource");
    assert_eq!(foreign.body["error_codes"], json!([500011]));
    let not_granted = t
        .refresh(
            &refresh_token,
            Some("https://graph.microsoft.com/Mail.Send"),
        )
        .await?;
    assert_eq!(not_granted.body["error"], "invalid_grant");
    assert_eq!(not_granted.body["error_codes"], json!([65001]));
    assert_eq!(not_granted.body["suberror"], "consent_required");
    Ok(())
}

#[tokio::test]
async fn revoked_refresh_tokens_are_50173() -> TestResult {
    let t = accepting().await?;
    let first = refresh_token_of(&t.delegated_tokens().await?)?;
    let second = refresh_token_of(&t.refresh(&first, None).await?)?;
    assert_eq!(t.tenant.handle().revoke_user_sessions(ADMIN), 2);
    for token in [&first, &second] {
        let answer = t.refresh(token, None).await?;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.body["error"], "invalid_grant");
        assert_eq!(answer.body["error_codes"], json!([50173]));
        let description = answer.body["error_description"]
            .as_str()
            .unwrap_or_default();
        assert!(description.contains("TokensValidFrom"), "{description}");
        assert!(
            !description.contains(token.as_str()),
            "the token is never echoed"
        );
    }
    // A sign-in after the revocation gives tokens that work.
    let fresh = refresh_token_of(&t.delegated_tokens().await?)?;
    assert_eq!(t.refresh(&fresh, None).await?.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn graph_revoke_sign_in_sessions_revokes_the_users_refresh_tokens() -> TestResult {
    let t = accepting().await?;
    let refresh_token = refresh_token_of(&t.delegated_tokens().await?)?;
    let admin = t.get(&format!("/users/{ADMIN}")).await?;
    let id = admin.body["id"].as_str().ok_or("no id")?;
    let revoked = t
        .graph(
            Method::POST,
            &format!("/users/{id}/revokeSignInSessions"),
            None,
        )
        .await?;
    assert_eq!(revoked.status, StatusCode::OK);
    let answer = t.refresh(&refresh_token, None).await?;
    assert_eq!(answer.body["error_codes"], json!([50173]));
    Ok(())
}

#[tokio::test]
async fn garbage_expired_and_disabled_are_refused() -> TestResult {
    let t = accepting().await?;
    let refresh_token = refresh_token_of(&t.delegated_tokens().await?)?;
    let garbage = t.refresh("0.AXYZ-not-a-token", None).await?;
    assert_eq!(garbage.body["error"], "invalid_grant");
    assert_eq!(garbage.body["error_codes"], json!([9002313]));
    let admin = t.get(&format!("/users/{ADMIN}")).await?;
    let id = admin.body["id"].as_str().ok_or("no id")?.to_owned();
    let disabled = t
        .graph(
            Method::PATCH,
            &format!("/users/{id}"),
            Some(json!({"accountEnabled": false})),
        )
        .await?;
    assert_eq!(disabled.status, StatusCode::NO_CONTENT, "{}", disabled.body);
    let answer = t.refresh(&refresh_token, None).await?;
    assert_eq!(answer.body["error_codes"], json!([50057]));
    t.tenant.handle().expire_refresh_tokens();
    let answer = t.refresh(&refresh_token, None).await?;
    assert_eq!(answer.body["error_codes"], json!([700082]));
    assert!(t.tenant.handle().refresh_tokens().iter().all(|r| r.expired));
    Ok(())
}

#[tokio::test]
async fn an_apps_sessions_can_be_revoked_and_another_app_cannot_use_its_tokens() -> TestResult {
    let t = crate::helpers::spawn_with(|c| {
        crate::sign_in_client::with_app(c)
            .with_auto_consent(ADMIN)
            .with_client_secret("other-app", "other-secret")
    })
    .await?;
    let refresh_token = refresh_token_of(&t.delegated_tokens().await?)?;
    let stolen = t
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", "other-app"),
            ("client_secret", "other-secret"),
            ("refresh_token", &refresh_token),
        ])
        .await?;
    assert_eq!(stolen.body["error_codes"], json!([70000]));
    assert_eq!(t.tenant.handle().revoke_app_sessions(APP), 1);
    assert_eq!(
        t.refresh(&refresh_token, None).await?.body["error_codes"],
        json!([50173])
    );
    Ok(())
}
