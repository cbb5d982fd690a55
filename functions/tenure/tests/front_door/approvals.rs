//! Held changes over HTTP: listed with `plans:read`, approved with `plans:approve` (refused
//! with `plans:read`), and by a signed-in administrator with the session's CSRF token; the
//! approver is kept on the approval and in the audit trail.

use tenure::service::guard;

use super::api_tokens::{bearer, token};
use super::helpers::{ADMIN, Door, TestResult, get, post};

async fn held(door: &Door) -> Result<String, super::helpers::Error> {
    let approval = guard::hold(
        &door.services,
        &door.connection,
        crate::support::forty_disables_held(),
    )
    .await?;
    Ok(approval.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plans_approve_token_approves_once_and_a_plans_read_token_only_lists() -> TestResult {
    let door = Door::new().await?;
    let id = held(&door).await?;
    let mut admin = door.signed_in(ADMIN).await?;
    let (reader, _) = token(&door.router, &mut admin, "contoso", &["plans:read"]).await?;
    let (approver, approver_id) =
        token(&door.router, &mut admin, "contoso", &["plans:approve"]).await?;
    let approve = format!("/connections/contoso/approvals/{id}/approve");

    let listed = bearer(get("/connections/contoso/approvals"), &reader)
        .send(&door.router)
        .await?;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let approvals = listed.json()?["approvals"].clone();
    assert_eq!(approvals[0]["id"], id.as_str());
    assert_eq!(approvals[0]["status"]["state"], "pending");
    assert!(
        approvals[0].get("items").is_none(),
        "HR records are answered"
    );

    let refused = bearer(post(&approve), &reader).send(&door.router).await?;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.error()?.contains("plans:approve"),
        "{}",
        refused.body
    );
    let still = guard::list(door.services.objects.as_ref(), &door.connection).await?;
    assert_eq!(still[0].status, guard::ApprovalStatus::Pending);
    // An approving token does not list (plans:read does).
    let answer = bearer(get("/connections/contoso/approvals"), &approver)
        .send(&door.router)
        .await?;
    assert_eq!(answer.status, 403, "{}", answer.body);

    let approved = bearer(post(&approve), &approver).send(&door.router).await?;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let json = approved.json()?;
    assert_eq!(json["released"], true);
    assert_eq!(json["status"]["state"], "approved");
    let by = format!("api-token:{approver_id}");
    assert_eq!(json["status"]["by"], by.as_str());
    let again = bearer(post(&approve), &approver).send(&door.router).await?;
    assert_eq!(again.json()?["released"], false, "{}", again.body);

    let mut audited = false;
    for key in door.services.objects.list("audit/contoso/").await? {
        let (bytes, _) = door.services.objects.get(&key).await?.ok_or("gone")?;
        let text = String::from_utf8(bytes)?;
        audited |= text.contains(&approver_id) && text.contains(&format!("{id}/approve"));
    }
    assert!(audited, "the approval is not in the audit trail");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_in_administrator_approves_with_the_csrf_token() -> TestResult {
    let door = Door::new().await?;
    let id = held(&door).await?;
    let mut admin = door.signed_in(ADMIN).await?;
    let approve = format!("/connections/contoso/approvals/{id}/approve");
    let forged = admin.send(&door.router, post(&approve)).await?;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let csrf = admin.csrf_token(&door.router).await?;
    let approved = admin
        .send(&door.router, post(&approve).header("x-csrf-token", &csrf))
        .await?;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let by = approved.json()?["status"]["by"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(by.starts_with("user:"), "{by}");
    let missing = admin
        .send(
            &door.router,
            post("/connections/contoso/approvals/20261204T000000Z-000000000000/approve")
                .header("x-csrf-token", &csrf),
        )
        .await?;
    assert_eq!(missing.status, 404, "{}", missing.body);
    Ok(())
}
