//! The one authorization layer: nobody anonymous, nobody from another tenant (who cannot even
//! tell that a connection exists), nobody without an administrator role or a manager's place,
//! and no state-changing request without the session's CSRF token from this deployment's own
//! origin.

use tenure::auth::Operators;

use crate::support::ApiEvent;

use super::helpers::{ADMIN, Door, MEMBER, OTHER_TENANT, TestResult, get, post, user_id};

const WASM: &[u8] = b"\0asm\x01\0\0\0";
/// An upload id of the form Tenure issues.
const UPLOAD: &str = "0b5e7c4e-2f9a-4d7e-9d53-3b6f0b0c1a2d";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_plugin_upload_list_activate_and_upload_urls_answer_401() -> TestResult {
    let door = Door::new().await?;
    for id in ["contoso", "no-such-connection"] {
        let plugins = format!("/connections/{id}/plugins");
        let requests = [
            post(&plugins)
                .header("content-type", "application/wasm")
                .body(WASM)
                .base64(),
            get(&plugins),
            post(&format!("{plugins}/{}/activate", "ab".repeat(32))),
            post(&format!("{plugins}/uploads"))
                .header("content-type", "application/json")
                .body(b"{\"bytes\": 8}"),
            post(&format!("{plugins}/uploads/{UPLOAD}")),
            ApiEvent::new("PUT", "$default", format!("{plugins}/uploads/{UPLOAD}"))
                .domain(tenure_test_support::admin::DOMAIN)
                .header("content-type", "application/wasm")
                .body(WASM)
                .base64(),
        ];
        for request in requests {
            let answer = request.send(&door.router).await?;
            assert_eq!(answer.status, 401, "{}", answer.body);
            // The same answer whether the connection exists or not.
            assert_eq!(
                answer.error()?,
                "sign in first: this route is for signed-in administrators (GET /signin)"
            );
        }
    }
    for stored in ["plugins/", "plugin-uploads/"] {
        assert!(
            door.services.objects.list(stored).await?.is_empty(),
            "an anonymous upload was stored under {stored}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_without_a_session_is_sent_to_sign_in_and_back() -> TestResult {
    let door = Door::new().await?;
    let answer = get("/connections/contoso/consent")
        .header("accept", "text/html,application/xhtml+xml")
        .send(&door.router)
        .await?;
    assert_eq!(answer.status, 302, "{}", answer.body);
    assert_eq!(
        answer.header("location"),
        Some("/signin?next=%2Fconnections%2Fcontoso%2Fconsent")
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_of_another_tenant_sees_no_connection_at_all() -> TestResult {
    let door = Door::new().await?;
    let mut stranger = door.signed_in_elsewhere(ADMIN).await?;
    let theirs = stranger
        .send(&door.router, get("/connections/contoso/plugins"))
        .await?;
    let missing = stranger
        .send(&door.router, get("/connections/nowhere/plugins"))
        .await?;
    assert_eq!(
        (theirs.status, missing.status),
        (404, 404),
        "{}",
        theirs.body
    );
    assert_eq!(
        theirs.error()?.replace("contoso", "X"),
        missing.error()?.replace("nowhere", "X"),
        "a connection of another tenant is told apart from a missing one"
    );
    let consent = stranger
        .send(&door.router, get("/connections/contoso/consent"))
        .await?;
    assert_eq!(consent.status, 404, "{}", consent.body);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_of_the_right_tenant_without_a_role_is_forbidden() -> TestResult {
    let door = Door::new().await?;
    let mut member = door.signed_in(MEMBER).await?;
    for path in [
        "/connections/contoso/plugins",
        "/connections/contoso/consent",
    ] {
        let answer = member.send(&door.router, get(path)).await?;
        assert_eq!(answer.status, 403, "{path}: {}", answer.body);
        assert!(answer.error()?.contains("Global"), "{}", answer.body);
    }
    let token = member.csrf_token(&door.router).await?;
    let upload = member
        .send(
            &door.router,
            post("/connections/contoso/plugins")
                .header("x-csrf-token", &token)
                .header("content-type", "application/wasm")
                .body(WASM)
                .base64(),
        )
        .await?;
    assert_eq!(upload.status, 403, "{}", upload.body);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_managers_and_operators_may_manage_the_connection() -> TestResult {
    let door = Door::new().await?;
    let mut admin = door.signed_in(ADMIN).await?;
    let listed = admin
        .send(&door.router, get("/connections/contoso/plugins"))
        .await?;
    assert_eq!(listed.status, 200, "{}", listed.body);

    door.add_manager(MEMBER).await?;
    let mut manager = door.signed_in(MEMBER).await?;
    let listed = manager
        .send(&door.router, get("/connections/contoso/plugins"))
        .await?;
    assert_eq!(listed.status, 200, "{}", listed.body);

    // An operator of the deployment, whose account lives in another tenant.
    let operator_id = user_id(&door.other, ADMIN)?;
    let operators = Operators::parse(&format!("{OTHER_TENANT}/{operator_id}"))?;
    let door = Door::with_operators(operators).await?;
    let mut operator = door.signed_in_elsewhere(ADMIN).await?;
    let listed = operator
        .send(&door.router, get("/connections/contoso/plugins"))
        .await?;
    assert_eq!(listed.status, 200, "{}", listed.body);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_without_the_sessions_csrf_token_or_from_another_site_is_forbidden() -> TestResult {
    let door = Door::new().await?;
    let mut admin = door.signed_in(ADMIN).await?;
    let token = admin.csrf_token(&door.router).await?;
    let activate = format!("/connections/contoso/plugins/{}/activate", "ab".repeat(32));

    let without = admin.send(&door.router, post(&activate)).await?;
    assert_eq!(without.status, 403, "{}", without.body);

    let wrong = admin
        .send(
            &door.router,
            post(&activate).header("x-csrf-token", "not-the-token"),
        )
        .await?;
    assert_eq!(wrong.status, 403, "{}", wrong.body);

    let mut other = door.signed_in(ADMIN).await?;
    let others_token = other.csrf_token(&door.router).await?;
    let borrowed = admin
        .send(
            &door.router,
            post(&activate).header("x-csrf-token", &others_token),
        )
        .await?;
    assert_eq!(
        borrowed.status, 403,
        "another session's token: {}",
        borrowed.body
    );

    let form_without = admin
        .send(&door.router, post(&activate).form("csrf_token=guess"))
        .await?;
    assert_eq!(form_without.status, 403, "{}", form_without.body);

    let cross_site = admin
        .send(
            &door.router,
            post(&activate)
                .header("x-csrf-token", &token)
                .header("origin", "https://evil.example"),
        )
        .await?;
    assert_eq!(cross_site.status, 403, "{}", cross_site.body);
    assert!(
        cross_site.error()?.contains("another site"),
        "{}",
        cross_site.body
    );

    // With the token from this deployment's own origin the layer lets it through: the
    // version does not exist.
    let own = admin
        .send(
            &door.router,
            post(&activate)
                .header("x-csrf-token", &token)
                .header("origin", "https://tenure.example.com"),
        )
        .await?;
    assert_eq!(own.status, 404, "{}", own.body);
    let form = admin
        .send(
            &door.router,
            post(&activate).form(&format!("csrf_token={token}")),
        )
        .await?;
    assert_eq!(form.status, 404, "{}", form.body);
    Ok(())
}
