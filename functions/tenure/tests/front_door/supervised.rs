//! Supervised approval through the console's forms and the HTTP API, tried as an attacker
//! would: the supervision form and the reject route take the session's CSRF token, refuse
//! another tenant's administrator (`404`, as a connection that does not exist) and a member
//! without a role (`403`), and an API token needs `plans:approve` to reject.

use axum::Router;
use tenure::console::console_routes;
use tenure::service::guard;
use tenure::service::settings::{MappingSettings, Supervision};
use tenure::store::objects::Condition;

use super::api_tokens::{bearer, token};
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
    post(path).form(body)
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

/// Holds the leaving of one worker (with its HR record, so that approving it would queue
/// work); the approval's id.
async fn held_leaver(door: &Door) -> Result<String, Error> {
    let csv = "employee_id,first_name,last_name,job_title,department,country,employment_status,employment_type,hire_date,termination_date,time_zone\n\
               1001,Olivia,Bennett,Chief Executive Officer,Executive,US,terminated,employee,2015-03-02,2026-11-30,America/Los_Angeles\n";
    let batch = tenure::hr::read_csv(csv.as_bytes(), "webhook".into())?;
    let items = tenure::queue::WorkItem::split(&door.connection, "d-reject", batch.workers)?;
    let hold = guard::Hold {
        items,
        ..crate::support::forty_disables_held()
    };
    Ok(guard::hold(&door.services, &door.connection, hold)
        .await?
        .id)
}

/// Workers queued now (a hold's notice, which has none, is left out).
async fn queued_workers(door: &Door) -> Result<usize, Error> {
    let mut workers = 0;
    for received in door
        .services
        .queue
        .receive(10, std::time::Duration::ZERO)
        .await?
    {
        workers += received.item?.workers.len();
    }
    Ok(workers)
}

/// The access records of `contoso`, as text.
async fn audit_trail(door: &Door) -> Result<String, Error> {
    let mut text = String::new();
    for key in door.services.objects.list("audit/contoso/").await? {
        let (bytes, _) = door.services.objects.get(&key).await?.ok_or("gone")?;
        text.push_str(&String::from_utf8(bytes)?);
    }
    Ok(text)
}

fn json_note(path: &str, note: &str) -> ApiEvent {
    post(path)
        .header("content-type", "application/json")
        .body(serde_json::json!({ "note": note }).to_string().as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_needs_plans_approve_and_a_note_is_never_applied_and_never_approved()
-> TestResult {
    let door = Door::new().await?;
    let id = held_leaver(&door).await?;
    let mut admin = door.signed_in(ADMIN).await?;
    let (reader, _) = token(&door.router, &mut admin, "contoso", &["plans:read"]).await?;
    let (approver, approver_id) =
        token(&door.router, &mut admin, "contoso", &["plans:approve"]).await?;
    let reject = format!("/connections/contoso/approvals/{id}/reject");
    let approve = format!("/connections/contoso/approvals/{id}/approve");
    let note = "Olivia is not leaving: HR terminated the wrong record (ticket HR-4411)";

    let refused = bearer(json_note(&reject, note), &reader)
        .send(&door.router)
        .await?;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.error()?.contains("plans:approve"),
        "{}",
        refused.body
    );
    // A session without the CSRF token is refused too.
    let forged = admin.send(&door.router, json_note(&reject, note)).await?;
    assert_eq!(forged.status, 403, "{}", forged.body);
    // Another tenant's administrator does not find it.
    let mut elsewhere = door.signed_in_elsewhere(ADMIN).await?;
    let other_csrf = elsewhere.csrf_token(&door.router).await?;
    let foreign = elsewhere
        .send(
            &door.router,
            json_note(&reject, note).header("x-csrf-token", &other_csrf),
        )
        .await?;
    assert_eq!(foreign.status, 404, "{}", foreign.body);
    for blank in ["", "   \n "] {
        let empty = bearer(json_note(&reject, blank), &approver)
            .send(&door.router)
            .await?;
        assert_eq!(empty.status, 400, "{}", empty.body);
        assert!(empty.error()?.contains("write a note"), "{}", empty.body);
    }
    let no_body = bearer(post(&reject), &approver).send(&door.router).await?;
    assert_eq!(no_body.status, 400, "{}", no_body.body);
    assert!(no_body.error()?.contains("\"note\""), "{}", no_body.body);
    let pending = guard::list(door.services.objects.as_ref(), &door.connection).await?;
    assert_eq!(pending[0].status, guard::ApprovalStatus::Pending);

    let rejected = bearer(json_note(&reject, note), &approver)
        .send(&door.router)
        .await?;
    assert_eq!(rejected.status, 200, "{}", rejected.body);
    let json = rejected.json()?;
    assert_eq!(json["status"]["state"], "rejected");
    assert_eq!(json["status"]["note"], note);
    let by = format!("api-token:{approver_id}");
    assert_eq!(json["status"]["by"], by.as_str());

    // Never approved afterwards, by anyone; nothing of it is ever queued.
    let late = bearer(post(&approve), &approver).send(&door.router).await?;
    assert_eq!(late.status, 409, "{}", late.body);
    assert!(late.error()?.contains("was rejected"), "{}", late.body);
    let csrf = admin.csrf_token(&door.router).await?;
    let late = admin
        .send(&door.router, post(&approve).header("x-csrf-token", &csrf))
        .await?;
    assert_eq!(late.status, 409, "{}", late.body);
    assert_eq!(queued_workers(&door).await?, 0, "nothing queued");
    let stored = guard::list(door.services.objects.as_ref(), &door.connection).await?;
    assert!(
        matches!(&stored[0].status, guard::ApprovalStatus::Rejected { note: n, .. } if n == note)
    );

    // Who rejected and why are in the audit trail.
    let trail = audit_trail(&door).await?;
    assert!(
        trail.contains(&approver_id) && trail.contains(&format!("{id}/reject")),
        "{trail}"
    );
    assert!(trail.contains("rejected: Olivia is not leaving"), "{trail}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consoles_reject_form_says_a_missing_note_by_the_field_and_keeps_the_note() -> TestResult
{
    let door = Door::new().await?;
    let id = held_leaver(&door).await?;
    let router = with_console(&door);
    let path = format!("/console/connections/contoso/approvals/{id}/reject");
    let mut admin = door.signed_in(ADMIN).await?;
    let forged = admin.send(&router, form(&path, "note=no+token")).await?;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let csrf = admin.csrf_token(&door.router).await?;

    let empty = admin
        .send(&router, form(&path, &format!("csrf_token={csrf}&note=++")))
        .await?;
    assert_eq!(empty.status, 400, "{}", empty.body);
    assert!(
        empty.body.contains(&format!("id=\"note-{id}-error\""))
            && empty.body.contains("write a note"),
        "{}",
        empty.body
    );
    assert!(empty.body.contains("aria-invalid=\"true\""));

    let rejected = admin
        .send(
            &router,
            form(
                &path,
                &format!("csrf_token={csrf}&note=Wrong+record+%3Cb%3E+HR-4411"),
            ),
        )
        .await?;
    assert_eq!(rejected.status, 200, "{}", rejected.body);
    assert!(
        rejected.body.contains("will never be applied"),
        "{}",
        rejected.body
    );
    assert!(
        rejected.body.contains("Rejected</span> on "),
        "{}",
        rejected.body
    );
    assert!(
        rejected.body.contains("Wrong record &#60;b&#62; HR-4411")
            || rejected.body.contains("Wrong record &lt;b&gt; HR-4411"),
        "the note, escaped: {}",
        rejected.body
    );
    assert!(
        !rejected.body.contains(&format!("{id}/approve\"")),
        "no approve button on a rejected change"
    );
    let approve = format!("/console/connections/contoso/approvals/{id}/approve");
    let late = admin
        .send(
            &router,
            form(&approve, &format!("csrf_token={csrf}&plan_digest=none")),
        )
        .await?;
    assert_eq!(late.status, 409, "{}", late.body);
    assert!(late.body.contains("was rejected"), "{}", late.body);
    assert_eq!(queued_workers(&door).await?, 0, "nothing queued");
    let trail = audit_trail(&door).await?;
    assert!(
        trail.contains("rejected: Wrong record <b> HR-4411"),
        "{trail}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_naming_a_plan_that_is_not_the_plan_now_approves_nothing() -> TestResult {
    let door = Door::new().await?;
    let id = held_leaver(&door).await?;
    let mut admin = door.signed_in(ADMIN).await?;
    let (reader, _) = token(&door.router, &mut admin, "contoso", &["plans:read"]).await?;
    let (approver, _) = token(&door.router, &mut admin, "contoso", &["plans:approve"]).await?;
    // Nothing to plan against yet (no mapping): the plan is `none`.
    let listed = bearer(
        super::helpers::get("/connections/contoso/approvals"),
        &reader,
    )
    .send(&door.router)
    .await?;
    assert_eq!(listed.json()?["approvals"][0]["plan_digest"], "none");

    let approve = format!("/connections/contoso/approvals/{id}/approve");
    let stale = "ab".repeat(32);
    let refused = bearer(
        post(&approve)
            .header("content-type", "application/json")
            .body(
                serde_json::json!({ "plan_digest": stale })
                    .to_string()
                    .as_bytes(),
            ),
        &approver,
    )
    .send(&door.router)
    .await?;
    assert_eq!(refused.status, 409, "{}", refused.body);
    let json = refused.json()?;
    assert_eq!(json["plan_digest"], "none");
    assert!(
        json["differences"][0]
            .as_str()
            .unwrap_or_default()
            .contains("not one Tenure showed")
    );
    assert_eq!(queued_workers(&door).await?, 0, "nothing released");

    // The console says so on the page, with what differs; the plan now approves.
    let router = with_console(&door);
    let csrf = admin.csrf_token(&door.router).await?;
    let path = format!("/console/connections/contoso/approvals/{id}/approve");
    let missing = admin
        .send(&router, form(&path, &format!("csrf_token={csrf}")))
        .await?;
    assert_eq!(missing.status, 400, "{}", missing.body);
    let page = admin
        .send(
            &router,
            form(&path, &format!("csrf_token={csrf}&plan_digest={stale}")),
        )
        .await?;
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(
        page.body.contains("What changed since you looked")
            && page.body.contains("Approve this plan and provision"),
        "{}",
        page.body
    );
    assert_eq!(queued_workers(&door).await?, 0, "nothing released");
    let approved = admin
        .send(
            &router,
            form(&path, &format!("csrf_token={csrf}&plan_digest=none")),
        )
        .await?;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(queued_workers(&door).await?, 1, "released once");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_now_takes_the_csrf_token_and_only_the_tenants_administrator() -> TestResult {
    let door = Door::new().await?;
    let router = with_console(&door);
    let path = "/console/connections/contoso/hr/sync";
    let mut admin = door.signed_in(ADMIN).await?;
    let forged = admin.send(&router, form(path, "")).await?;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let mut elsewhere = door.signed_in_elsewhere(ADMIN).await?;
    let other_csrf = elsewhere.csrf_token(&door.router).await?;
    let foreign = elsewhere
        .send(&router, form(path, &format!("csrf_token={other_csrf}")))
        .await?;
    assert_eq!(foreign.status, 404, "{}", foreign.body);
    // Nothing to reconcile yet: said, nothing queued.
    let csrf = admin.csrf_token(&door.router).await?;
    let answer = admin
        .send(&router, form(path, &format!("csrf_token={csrf}")))
        .await?;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(
        answer
            .body
            .contains("Nothing was synced: connection contoso has no HR export"),
        "{}",
        answer.body
    );
    assert_eq!(queued_workers(&door).await?, 0);
    Ok(())
}
