//! Supervised approval through the console's forms and the HTTP API, tried as an attacker
//! would: the supervision form and the reject route take the session's CSRF token, refuse
//! another tenant's administrator (`404`, as a connection that does not exist) and a member
//! without a role (`403`), and an API token needs `plans:approve` to reject.

use axum::Router;
use tenure::console::console_routes;
use tenure::service::settings::{MappingSettings, Supervision};
use tenure::store::objects::Condition;

use super::helpers::{ADMIN, ApiEvent, Door, Error, MEMBER, TestResult, post};

/// The door's routes and the console's, as `tenure serve` merges them.
fn with_console(door: &Door) -> Router {
    door.router
        .clone()
        .merge(console_routes(door.services.clone()))
}

/// Gives `contoso` mapping settings (where its supervision is kept).
async fn mapped(door: &Door) -> TestResult {
    MappingSettings::standard(serde_json::json!({}))
        .save(
            door.services.objects.as_ref(),
            &door.connection,
            Condition::Absent,
        )
        .await?;
    Ok(())
}

async fn supervision(door: &Door) -> Result<Supervision, Error> {
    let (settings, _) =
        MappingSettings::load(door.services.objects.as_ref(), &door.connection).await?;
    Ok(settings.guard.supervision)
}

fn form(path: &str, body: &str) -> ApiEvent {
    post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_tenants_administrator_with_the_csrf_token_sets_the_supervision() -> TestResult {
    let door = Door::new().await?;
    mapped(&door).await?;
    let router = with_console(&door);
    let path = "/console/connections/contoso/approvals/supervision";

    let mut admin = door.signed_in(ADMIN).await?;
    let forged = admin
        .send(&router, form(path, "supervision=every_change"))
        .await?;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let csrf = admin.csrf_token(&door.router).await?;

    let mut elsewhere = door.signed_in_elsewhere(ADMIN).await?;
    let other_csrf = elsewhere.csrf_token(&door.router).await?;
    let foreign = elsewhere
        .send(
            &router,
            form(
                path,
                &format!("csrf_token={other_csrf}&supervision=every_change"),
            ),
        )
        .await?;
    assert_eq!(foreign.status, 404, "{}", foreign.body);

    let mut member = door.signed_in(MEMBER).await?;
    let member_csrf = member.csrf_token(&door.router).await?;
    let refused = member
        .send(
            &router,
            form(
                path,
                &format!("csrf_token={member_csrf}&supervision=every_change"),
            ),
        )
        .await?;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(supervision(&door).await?, Supervision::Automatic);

    // A mode that does not exist is said by the field; nothing changes.
    let wrong = admin
        .send(
            &router,
            form(path, &format!("csrf_token={csrf}&supervision=sometimes")),
        )
        .await?;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert!(
        wrong.body.contains("id=\"supervision-error\"")
            && wrong.body.contains("not a supervision mode"),
        "{}",
        wrong.body
    );
    assert_eq!(supervision(&door).await?, Supervision::Automatic);

    let saved = admin
        .send(
            &router,
            form(path, &format!("csrf_token={csrf}&supervision=leavers")),
        )
        .await?;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(
        saved.body.contains("Saved. Supervised for leavers"),
        "{}",
        saved.body
    );
    assert!(
        saved.body.contains("value=\"leavers\" checked"),
        "the form shows the mode now: {}",
        saved.body
    );
    assert_eq!(supervision(&door).await?, Supervision::Leavers);
    Ok(())
}
