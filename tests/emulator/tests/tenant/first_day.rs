//! First-day access and mail: Temporary Access Passes in Graph's shapes (one per user, not in
//! the US Government clouds, refused without the permission) that the sign-in page accepts
//! once, and `sendMail` into an outbox the tests read, refused without `Mail.Send`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tenure::microsoft::NationalCloud;
use tenure_emulator::Faults;

use crate::helpers::{CLIENT_ID, TestResult, TestTenant, spawn, spawn_with};
use crate::sign_in_client::{CALLBACK, Pkce, SCOPES, authorize_params, redirect_of, with_app};

const JANE: &str = "jane.doe@contoso.com";
const OLIVIA: &str = "olivia.bennett@contoso.com";
const TAP_PERMISSIONS: [&str; 2] = [
    "UserAuthenticationMethod.ReadWrite.All",
    "UserAuthMethod-TAP.ReadWrite.All",
];
const PASSES: &str = "/authentication/temporaryAccessPassMethods";

fn passes(user: &str) -> String {
    format!("/users/{user}{PASSES}")
}

async fn create_pass(
    t: &TestTenant,
    user: &str,
    body: Value,
) -> Result<crate::helpers::Answer, Box<dyn std::error::Error>> {
    t.graph(Method::POST, &passes(user), Some(body)).await
}

fn mail(to: &str) -> Value {
    json!({"message": {
        "subject": "Welcome",
        "body": {"contentType": "HTML", "content": "<p>Hello</p>"},
        "toRecipients": [{"emailAddress": {"address": to, "name": "Someone"}}],
    }, "saveToSentItems": false})
}

#[tokio::test]
async fn a_pass_is_created_in_graphs_shape_and_a_user_has_one_at_most() -> TestResult {
    let t = spawn().await?;
    let created = create_pass(
        &t,
        JANE,
        json!({"lifetimeInMinutes": 480, "isUsableOnce": true}),
    )
    .await?;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let body = &created.body;
    assert!(
        body["@odata.context"]
            .as_str()
            .is_some_and(|c| c.ends_with("/temporaryAccessPassMethods/$entity"))
    );
    assert_eq!(body["lifetimeInMinutes"], 480);
    assert_eq!(body["isUsableOnce"], true);
    assert_eq!(body["isUsable"], true);
    assert_eq!(body["methodUsabilityReason"], "EnabledByPolicy");
    let pass = body["temporaryAccessPass"].as_str().ok_or("no pass")?;
    assert!(pass.len() >= 8);
    let first_id = body["id"].as_str().ok_or("no id")?.to_owned();

    let listed = t.get(&passes(JANE)).await?;
    assert_eq!(listed.status, StatusCode::OK);
    let value = listed.body["value"].as_array().ok_or("no value")?;
    assert_eq!(value.len(), 1);
    assert!(
        value[0].get("temporaryAccessPass").is_none(),
        "the pass is shown once only"
    );

    let again = create_pass(&t, JANE, json!({})).await?;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(
        again.body["lifetimeInMinutes"], 60,
        "the policy's default lifetime"
    );
    let listed = t.get(&passes(JANE)).await?;
    let value = listed.body["value"].as_array().ok_or("no value")?;
    assert_eq!(value.len(), 1, "a new pass replaces the old one");
    assert_ne!(value[0]["id"].as_str(), Some(first_id.as_str()));

    let gone = t.get(&format!("{}/{first_id}", passes(JANE))).await?;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let id = value[0]["id"].as_str().ok_or("no id")?;
    let deleted = t
        .graph(Method::DELETE, &format!("{}/{id}", passes(JANE)), None)
        .await?;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let listed = t.get(&passes(JANE)).await?;
    assert_eq!(listed.body["value"], json!([]));
    Ok(())
}

#[tokio::test]
async fn bad_pass_requests_are_refused_as_graph_refuses_them() -> TestResult {
    let t = spawn().await?;
    for (body, status) in [
        (json!({"lifetimeInMinutes": 5}), StatusCode::BAD_REQUEST),
        (
            json!({"lifetimeInMinutes": 43_201}),
            StatusCode::BAD_REQUEST,
        ),
        (json!({"isUsableOnce": "yes"}), StatusCode::BAD_REQUEST),
        (
            json!({"temporaryAccessPass": "chosen"}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let answer = create_pass(&t, JANE, body.clone()).await?;
        assert_eq!(answer.status, status, "{body}: {}", answer.body);
    }
    let unknown = create_pass(&t, "nobody@contoso.com", json!({})).await?;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.error_code(), "Request_ResourceNotFound");
    Ok(())
}

#[tokio::test]
async fn passes_need_their_permission_and_a_cloud_that_offers_them() -> TestResult {
    let t = spawn().await?;
    // Either permission allows it: without both, refused.
    for permission in TAP_PERMISSIONS {
        t.tenant
            .handle()
            .set_permission(CLIENT_ID, permission, false);
    }
    let refused = create_pass(&t, JANE, json!({})).await?;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.error_code(), "accessDenied");
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.contains("temporaryAccessPass\""))
    );
    t.tenant
        .handle()
        .set_permission(CLIENT_ID, "UserAuthenticationMethod.ReadWrite.All", true);
    t.tenant
        .handle()
        .set_permission(CLIENT_ID, "UserAuthMethod-TAP.ReadWrite.All", true);
    assert_eq!(
        create_pass(&t, JANE, json!({})).await?.status,
        StatusCode::CREATED
    );

    for cloud in [NationalCloud::UsGovHigh, NationalCloud::UsGovDod] {
        let gov = spawn_with(|c| c.in_cloud(cloud)).await?;
        let token = gov.token(&cloud.graph_scope()).await?;
        let answer = gov
            .graph_with(&token, Method::POST, &passes(JANE), Some(json!({})))
            .await?;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{cloud}: {}",
            answer.body
        );
    }
    for cloud in [NationalCloud::Global, NationalCloud::China] {
        let other = spawn_with(|c| c.in_cloud(cloud)).await?;
        let token = other.token(&cloud.graph_scope()).await?;
        let answer = other
            .graph_with(&token, Method::POST, &passes(JANE), Some(json!({})))
            .await?;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "{cloud}: {}",
            answer.body
        );
    }
    Ok(())
}

/// Opens the sign-in page and posts it with a login and a password (or pass).
async fn sign_in_with(
    t: &TestTenant,
    login: &str,
    secret: &str,
) -> Result<reqwest::Response, Box<dyn std::error::Error>> {
    let pkce = Pkce::new();
    let html = t
        .page(&t.authorize_url(&authorize_params(CALLBACK, SCOPES, "s", &pkce)))
        .await?;
    assert!(
        html.contains("name=\"passwd\""),
        "the page asks for a password or pass"
    );
    let context = html
        .split("name=\"ctx\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or("no ctx on the page")?;
    let url = format!("{}/{}/login", t.tenant.uri(), t.tenant.tenant_id());
    Ok(TestTenant::browser()
        .post(url)
        .form(&[
            ("ctx", context),
            ("login", login),
            ("passwd", secret),
            ("consent", "accept"),
        ])
        .send()
        .await?)
}

#[tokio::test]
async fn the_sign_in_page_accepts_a_one_time_pass_once_and_the_password_always() -> TestResult {
    let t = spawn_with(with_app).await?;
    let created = create_pass(
        &t,
        JANE,
        json!({"isUsableOnce": true, "lifetimeInMinutes": 60}),
    )
    .await?;
    let pass = created.body["temporaryAccessPass"]
        .as_str()
        .ok_or("no pass")?
        .to_owned();

    let wrong = sign_in_with(&t, JANE, "not-the-pass").await?;
    assert_eq!(wrong.status(), StatusCode::OK);
    assert!(wrong.text().await?.contains("AADSTS50126"));

    let first = sign_in_with(&t, JANE, &pass).await?;
    assert_eq!(first.status(), StatusCode::FOUND);
    assert!(redirect_of(&first)?.get("code").is_some());

    let second = sign_in_with(&t, JANE, &pass).await?;
    assert_eq!(
        second.status(),
        StatusCode::OK,
        "a one-time pass works once"
    );
    assert!(second.text().await?.contains("AADSTS50126"));
    let listed = t.get(&passes(JANE)).await?;
    assert_eq!(
        listed.body["value"][0]["methodUsabilityReason"],
        "OneTimeUsed"
    );
    assert_eq!(listed.body["value"][0]["isUsable"], false);

    let password = "Fresh-Start-2026!";
    let patched = t
        .graph(Method::PATCH, &format!("/users/{JANE}"), Some(json!({"passwordProfile": {"password": password, "forceChangePasswordNextSignIn": true}})))
        .await?;
    assert_eq!(patched.status, StatusCode::NO_CONTENT);
    for _ in 0..2 {
        let signed_in = sign_in_with(&t, JANE, password).await?;
        assert_eq!(signed_in.status(), StatusCode::FOUND);
    }
    Ok(())
}

#[tokio::test]
async fn send_mail_lands_in_the_outbox_readable_in_process_and_over_http() -> TestResult {
    let t = spawn().await?;
    let sent = t
        .graph(
            Method::POST,
            &format!("/users/{OLIVIA}/sendMail"),
            Some(mail(JANE)),
        )
        .await?;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.body);
    assert_eq!(sent.body, Value::Null, "202 has no body");

    let outbox = t.tenant.handle().outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].from, OLIVIA);
    assert_eq!(outbox[0].to, vec![JANE.to_owned()]);
    assert_eq!(outbox[0].subject, "Welcome");
    assert_eq!(outbox[0].content_type, "HTML");
    assert_eq!(outbox[0].content, "<p>Hello</p>");

    let over_http: Value = t
        .http
        .get(format!("{}/_emulator/outbox", t.tenant.uri()))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(over_http["value"][0]["from"], OLIVIA);
    assert_eq!(over_http["value"][0]["subject"], "Welcome");
    Ok(())
}

#[tokio::test]
async fn send_mail_is_refused_without_mail_send_a_mailbox_or_recipients() -> TestResult {
    let t = spawn().await?;
    t.tenant
        .handle()
        .set_permission(CLIENT_ID, "Mail.Send", false);
    let refused = t
        .graph(
            Method::POST,
            &format!("/users/{OLIVIA}/sendMail"),
            Some(mail(JANE)),
        )
        .await?;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.error_code(), "ErrorAccessDenied");
    t.tenant
        .handle()
        .set_permission(CLIENT_ID, "Mail.Send", true);

    let no_mailbox = t
        .graph(
            Method::POST,
            "/users/admin@contoso.onmicrosoft.com/sendMail",
            Some(mail(JANE)),
        )
        .await?;
    assert_eq!(no_mailbox.status, StatusCode::NOT_FOUND);
    assert_eq!(no_mailbox.error_code(), "MailboxNotEnabledForRESTAPI");

    let nobody = t
        .graph(
            Method::POST,
            "/users/nobody@contoso.com/sendMail",
            Some(mail(JANE)),
        )
        .await?;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    assert_eq!(nobody.error_code(), "ErrorInvalidUser");

    let no_recipients = json!({"message": {"subject": "x", "toRecipients": []}});
    let answer = t
        .graph(
            Method::POST,
            &format!("/users/{OLIVIA}/sendMail"),
            Some(no_recipients),
        )
        .await?;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.error_code(), "ErrorInvalidRecipients");
    assert!(t.tenant.handle().outbox().is_empty());
    Ok(())
}

#[tokio::test]
async fn send_mail_alone_can_be_made_to_fail() -> TestResult {
    let t = spawn_with(|c| {
        c.with_faults(
            Faults {
                send_mail_failures: 1.0,
                ..Faults::default()
            },
            7,
        )
    })
    .await?;
    let failed = t
        .graph(
            Method::POST,
            &format!("/users/{OLIVIA}/sendMail"),
            Some(mail(JANE)),
        )
        .await?;
    assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE);
    let other = t.get(&format!("/users/{JANE}")).await?;
    assert_eq!(
        other.status,
        StatusCode::OK,
        "other requests are not affected"
    );
    assert!(t.tenant.handle().outbox().is_empty());
    Ok(())
}
