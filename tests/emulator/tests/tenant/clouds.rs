//! National clouds: a tenant "in" each cloud issues tokens for its own Graph and Exchange
//! hosts, by every flow, and refuses another cloud's (`AADSTS500011`).

use reqwest::{Method, StatusCode};
use serde_json::json;
use tenure::microsoft::NationalCloud;

use crate::helpers::{CLIENT_ID, SECRET, TestResult, TestTenant, spawn_with};
use crate::sign_in_client::{ADMIN, CALLBACK, Pkce, authorize_params, with_app};

async fn in_cloud(cloud: NationalCloud) -> Result<TestTenant, Box<dyn std::error::Error>> {
    spawn_with(|c| with_app(c.in_cloud(cloud)).with_auto_consent(ADMIN)).await
}

/// Get-Mailbox with a token, straight to InvokeCommand.
async fn get_mailbox(
    t: &TestTenant,
    token: &str,
) -> Result<StatusCode, Box<dyn std::error::Error>> {
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
    Ok(response.status())
}

#[tokio::test]
async fn every_cloud_signs_in_refreshes_and_reaches_graph_and_exchange_on_its_own_hosts()
-> TestResult {
    for cloud in NationalCloud::ALL {
        let t = in_cloud(cloud).await?;
        let hosts = cloud.hosts();
        let scope = format!(
            "https://{}/User.ReadWrite.All https://{}/Group.ReadWrite.All offline_access",
            hosts.graph, hosts.graph
        );
        let pkce = Pkce::new();
        let redirect = t
            .redirected(&t.authorize_url(&authorize_params(CALLBACK, &scope, "c", &pkce)))
            .await?;
        let code = redirect.get("code").ok_or("no code")?;
        let tokens = t.redeem(code, &pkce.verifier, &[]).await?;
        assert_eq!(tokens.status, StatusCode::OK, "{cloud}: {}", tokens.body);
        let access = tokens.body["access_token"].as_str().ok_or("no token")?;
        let me = t.graph_with(access, Method::GET, "/me", None).await?;
        assert_eq!(me.status, StatusCode::OK, "{cloud}");
        let refresh_token = tokens.body["refresh_token"].as_str().ok_or("no refresh")?;
        let exchange = t
            .refresh(refresh_token, Some(&cloud.exchange_scope()))
            .await?;
        assert_eq!(
            exchange.status,
            StatusCode::OK,
            "{cloud}: {}",
            exchange.body
        );
        let exchange_token = exchange.body["access_token"].as_str().ok_or("no token")?;
        assert_eq!(
            get_mailbox(&t, exchange_token).await?,
            StatusCode::OK,
            "{cloud}"
        );

        let app_only = t
            .token_request(&[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT_ID),
                ("client_secret", SECRET),
                ("scope", &cloud.graph_scope()),
            ])
            .await?;
        assert_eq!(
            app_only.status,
            StatusCode::OK,
            "{cloud}: {}",
            app_only.body
        );
    }
    Ok(())
}

#[tokio::test]
async fn another_clouds_resource_is_not_found_in_the_tenant() -> TestResult {
    for cloud in NationalCloud::ALL {
        let t = in_cloud(cloud).await?;
        for other in NationalCloud::ALL
            .into_iter()
            .filter(|o| o.hosts().graph != cloud.hosts().graph)
        {
            let answer = t
                .token_request(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", CLIENT_ID),
                    ("client_secret", SECRET),
                    ("scope", &other.graph_scope()),
                ])
                .await?;
            assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{cloud} ← {other}");
            assert_eq!(answer.body["error"], "invalid_resource");
            assert_eq!(answer.body["error_codes"], json!([500011]));
            let description = answer.body["error_description"]
                .as_str()
                .unwrap_or_default();
            let resource = other.graph_scope().replace("/.default", "");
            assert!(
                description.starts_with(&format!("AADSTS500011: The resource principal named {resource} was not found in the tenant")),
                "{description}"
            );
            assert_eq!(
                answer.body["error_uri"],
                format!("https://{}/error?code=500011", cloud.hosts().login)
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_token_of_one_cloud_does_not_open_graph_for_another_clouds_audience() -> TestResult {
    let t = in_cloud(NationalCloud::UsGovHigh).await?;
    let answer = t
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
            ("scope", "https://graph.microsoft.us/.default"),
        ])
        .await?;
    let token = answer.body["access_token"].as_str().ok_or("no token")?;
    let users = t
        .graph_with(token, Method::GET, "/users?$top=1", None)
        .await?;
    assert_eq!(users.status, StatusCode::OK);
    let exchange = t.graph_with(token, Method::GET, "/me", None).await?;
    assert_eq!(exchange.status, StatusCode::BAD_REQUEST, "app-only: no /me");
    Ok(())
}
