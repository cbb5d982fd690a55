//! Exchange management roles: a caller (an app by client id, a user by UPN) without the role
//! for a cmdlet gets Exchange's `401 Unauthorized` "User is not allowed to call …".

use reqwest::StatusCode;
use serde_json::json;
use tenure_emulator::ExchangeRole;

use crate::helpers::{CLIENT_ID, SEATTLE_DL, TestResult, spawn, spawn_with};

#[tokio::test]
async fn an_app_without_an_exchange_role_is_not_allowed_any_cmdlet() -> TestResult {
    let t = spawn_with(|c| c.without_exchange_role(CLIENT_ID)).await?;
    let answer = t.cmdlet("Get-Mailbox", json!({})).await?;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.error_code(), "Unauthorized");
    assert_eq!(
        answer.error_message(),
        "User is not allowed to call Get-Mailbox"
    );
    assert_eq!(
        answer.body["error"]["innererror"]["type"],
        "Microsoft.Exchange.Admin.OData.Core.ODataServiceException"
    );
    assert!(
        answer.header("www-authenticate").is_none(),
        "the token itself was fine"
    );
    t.tenant
        .handle()
        .set_exchange_role(CLIENT_ID, ExchangeRole::Assigned);
    assert_eq!(
        t.cmdlet("Get-Mailbox", json!({})).await?.status,
        StatusCode::OK
    );
    Ok(())
}

#[tokio::test]
async fn a_role_group_without_a_cmdlet_refuses_only_that_cmdlet() -> TestResult {
    let t = spawn().await?;
    t.tenant.handle().set_exchange_role(
        CLIENT_ID,
        ExchangeRole::Without(vec!["Add-DistributionGroupMember".to_owned()]),
    );
    let read = t
        .cmdlet(
            "Get-DistributionGroupMember",
            json!({"Identity": SEATTLE_DL}),
        )
        .await?;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    let write = t
        .cmdlet(
            "Add-DistributionGroupMember",
            json!({"Identity": SEATTLE_DL, "Member": "admin@contoso.onmicrosoft.com"}),
        )
        .await?;
    assert_eq!(write.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        write.error_message(),
        "User is not allowed to call Add-DistributionGroupMember"
    );
    Ok(())
}

#[tokio::test]
async fn a_signed_in_user_without_a_role_is_refused_by_upn() -> TestResult {
    use crate::sign_in_client::{ADMIN, with_app};
    let t = spawn_with(|c| {
        with_app(c)
            .with_auto_consent(ADMIN)
            .without_exchange_role(ADMIN)
    })
    .await?;
    let tokens = t.delegated_tokens().await?;
    let refresh_token = tokens.body["refresh_token"].as_str().ok_or("no refresh")?;
    let exchange = t
        .refresh(refresh_token, Some(crate::helpers::EXCHANGE_SCOPE))
        .await?;
    let token = exchange.body["access_token"].as_str().ok_or("no token")?;
    let url = format!(
        "{}/adminapi/beta/{}/InvokeCommand",
        t.tenant.uri(),
        t.tenant.tenant_id()
    );
    let response = t
        .http
        .post(url)
        .bearer_auth(token)
        .header("X-AnchorMailbox", format!("UPN:{ADMIN}"))
        .json(&json!({"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {}}}))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = response.json().await?;
    assert_eq!(
        body["error"]["message"],
        "User is not allowed to call Get-Mailbox"
    );
    Ok(())
}
