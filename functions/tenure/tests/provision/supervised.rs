//! Supervised mode: a connection's settings say which plans wait for a person although the
//! guard would let them through (every plan with a leaver, or every plan), and the same rule
//! holds them wherever they are judged: a whole delivery or export before it is queued, and
//! each provision run, whatever came before it.

use tenure::plan::Op;
use tenure::service::guard::{
    self, ApprovalError, ApprovalStatus, EVERY_CHANGE_NEEDS_APPROVAL, Judgment,
    LEAVERS_NEED_APPROVAL, Origin, judge_whole,
};
use tenure::service::provision::{directory_cache_key, provision};
use tenure::service::schedule::schedule;
use tenure::service::settings::{MappingSettings, SettingsError, Supervision, settings_key};
use tenure::store::objects::Condition;

use super::guard::{enabled, leavers, queued, warmed};
use super::helpers::{Env, TestResult};

async fn supervise(env: &Env, mode: Supervision) -> TestResult {
    MappingSettings::set_supervision(env.services.objects.as_ref(), &env.connection, mode).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervised_for_leavers_a_run_with_a_leaver_waits_and_joiners_do_not() -> TestResult {
    let env = warmed().await?;
    supervise(&env, Supervision::Leavers).await?;

    // A hire goes through as ever.
    let report = provision(&env.services, &[env.hire("d-join", "9303")?]).await?;
    assert!(report.held.is_none(), "{report:?}");
    assert!(env.user("9303").is_some(), "the joiner was created");

    // One leaver, far below the guard's share: held all the same, and why is said.
    let leaver = enabled(&env)
        .into_iter()
        .find(|id| !id.starts_with("93"))
        .ok_or("nobody enabled")?;
    let items = leavers(&env, "d-leave", std::slice::from_ref(&leaver))?;
    let report = provision(&env.services, &items).await?;
    let held = report.held.clone().ok_or("the leaver was not held")?;
    assert!(report.applied.is_none(), "nothing applied: {report:?}");
    assert!(enabled(&env).contains(&leaver), "still enabled");
    let approval = guard::approvals::get(env.services.objects.as_ref(), &env.connection, &held)
        .await?
        .ok_or("no approval")?;
    assert_eq!(approval.reason, LEAVERS_NEED_APPROVAL);
    assert_eq!(approval.origin, Origin::Provision);
    assert_eq!(approval.effect.disables, 1, "{:?}", approval.effect);

    // Approved, it is applied, once.
    let approved = guard::approve(&env.services, &env.connection, &held, "admin-a").await?;
    assert!(approved.released);
    let released = queued(&env).await?;
    let report = provision(&env.services, &released).await?;
    assert!(report.held.is_none(), "approved work passes: {report:?}");
    assert!(!enabled(&env).contains(&leaver), "the leaver is disabled");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervised_for_every_change_a_single_hire_is_held_as_a_whole_and_by_the_run() -> TestResult
{
    let env = warmed().await?;
    let hire = vec![env.hire("d-one", "9304")?];
    // Automatic: one hire is under the guard's notice.
    assert_eq!(
        judge_whole(&env.services, &env.connection, &hire).await?,
        Judgment::Pass
    );
    supervise(&env, Supervision::EveryChange).await?;
    match judge_whole(&env.services, &env.connection, &hire).await? {
        Judgment::Hold { reason, .. } => assert_eq!(reason, EVERY_CHANGE_NEEDS_APPROVAL),
        other => panic!("not held: {other:?}"),
    }
    // Work that reached the queue anyway (queued before the mode changed) is held by its run.
    let report = provision(&env.services, &hire).await?;
    assert!(report.held.is_some(), "{report:?}");
    assert!(env.user("9304").is_none(), "nobody was created");

    // The scheduled export (the sample company against the tenant) is held whole, nothing queued.
    let event = serde_json::json!({ "connection_id": env.connection.as_str() });
    let scheduled = schedule(&env.services, event).await?;
    let held = scheduled.held.ok_or("the export was not held")?;
    assert_eq!(scheduled.messages, 0);
    assert!(queued(&env).await?.is_empty(), "nothing queued");
    assert!(
        held.reason.starts_with(EVERY_CHANGE_NEEDS_APPROVAL),
        "{}",
        held.reason
    );
    let approvals = guard::list(env.services.objects.as_ref(), &env.connection).await?;
    assert!(
        approvals
            .iter()
            .all(|a| a.status == ApprovalStatus::Pending)
    );

    // Back to automatic: the hire passes again.
    supervise(&env, Supervision::Automatic).await?;
    assert_eq!(
        judge_whole(&env.services, &env.connection, &hire).await?,
        Judgment::Pass
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_written_before_supervision_read_as_automatic_and_a_bad_mode_is_named()
-> TestResult {
    let env = warmed().await?;
    let objects = env.services.objects.as_ref();
    let key = settings_key(&env.connection);
    let (bytes, _) = objects.get(&key).await?.ok_or("no settings")?;
    let mut json: serde_json::Value = serde_json::from_slice(&bytes)?;
    json["guard"]
        .as_object_mut()
        .ok_or("no guard")?
        .remove("supervision");
    objects
        .put(&key, serde_json::to_vec(&json)?, Condition::Always)
        .await?;
    let (settings, _) = MappingSettings::load(objects, &env.connection).await?;
    assert_eq!(settings.guard.supervision, Supervision::Automatic);

    json["guard"]["supervision"] = "sometimes".into();
    objects
        .put(&key, serde_json::to_vec(&json)?, Condition::Always)
        .await?;
    let error = MappingSettings::load(objects, &env.connection)
        .await
        .err()
        .ok_or("a bad mode was read")?;
    assert!(error.to_string().contains("guard.supervision"), "{error}");

    // A connection without settings has nothing to supervise: said, nothing written.
    let other = tenure::store::connections::ConnectionId::parse("no-settings")?;
    let refused = MappingSettings::set_supervision(objects, &other, Supervision::Leavers).await;
    assert!(
        matches!(refused, Err(SettingsError::Missing(_))),
        "{refused:?}"
    );
    assert!(objects.get(&settings_key(&other)).await?.is_none());
    assert_eq!(
        Supervision::parse("every-change")?,
        Supervision::EveryChange
    );
    assert!(Supervision::parse("sometimes").is_err());
    Ok(())
}

/// Sets the account of `employee_id` in the emulated tenant enabled or not (an administrator
/// acting by hand), then lets one run (a hire) read the tenant again, so the directory Tenure
/// keeps is the tenant's.
async fn set_enabled_by_hand(
    env: &Env,
    employee_id: &str,
    enabled: bool,
    hire: &str,
) -> TestResult {
    let mut snapshot = env.tenant.state();
    let user = snapshot
        .users
        .iter_mut()
        .find(|u| u.employee_id.as_deref() == Some(employee_id))
        .ok_or("no such account")?;
    user.account_enabled = enabled;
    env.tenant.load(snapshot);
    env.services
        .objects
        .delete(&directory_cache_key(&env.connection)?)
        .await?;
    let report = provision(&env.services, &[env.hire(&format!("d-{hire}"), hire)?]).await?;
    assert!(report.held.is_none(), "{report:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_applies_only_the_plan_its_approver_saw() -> TestResult {
    let env = warmed().await?;
    supervise(&env, Supervision::Leavers).await?;
    let leaver = enabled(&env)
        .into_iter()
        .find(|id| !id.starts_with("93"))
        .ok_or("nobody enabled")?;
    let items = leavers(&env, "d-leave", std::slice::from_ref(&leaver))?;
    let held = provision(&env.services, &items)
        .await?
        .held
        .ok_or("not held")?;
    let objects = env.services.objects.as_ref();
    let approval = guard::approvals::get(objects, &env.connection, &held)
        .await?
        .ok_or("no approval")?;
    let shown = guard::review(&env.services, &env.connection, &approval)
        .await?
        .ok_or("no plan to show")?;
    assert!(
        shown
            .plan
            .workers
            .iter()
            .any(|w| w.actions.iter().any(|a| a.op == Op::DisableUser)),
        "the plan shown disables the leaver"
    );

    // Meanwhile an administrator disabled the account by hand: the plan is not the one shown.
    set_enabled_by_hand(&env, &leaver, false, "9305").await?;
    let refused = guard::approve_reviewed(
        &env.services,
        &env.connection,
        &held,
        "admin-a",
        &shown.digest,
    )
    .await;
    let Err(ApprovalError::PlanChanged {
        now, differences, ..
    }) = refused
    else {
        return Err(format!("approved a plan that changed: {refused:?}").into());
    };
    assert!(
        differences
            .iter()
            .any(|l| l.starts_with(&format!("- {leaver} ")) && l.contains("disable sign-in")),
        "{differences:?}"
    );
    assert_ne!(now, shown.digest);
    assert!(queued(&env).await?.is_empty(), "nothing released");
    let still = guard::approvals::get(objects, &env.connection, &held)
        .await?
        .ok_or("gone")?;
    assert_eq!(still.status, ApprovalStatus::Pending);

    // The plan as it is now, approved, is released with its digest.
    let approved =
        guard::approve_reviewed(&env.services, &env.connection, &held, "admin-a", &now).await?;
    assert!(approved.released);
    assert!(
        matches!(&approved.approval.status, ApprovalStatus::Approved { plan: Some(d), .. } if *d == now)
    );
    let released = queued(&env).await?;

    // And it changes again before provisioning runs (the account enabled again): provisioning
    // does not apply what nobody approved; the leaver waits for a new approval.
    set_enabled_by_hand(&env, &leaver, true, "9306").await?;
    let report = provision(&env.services, &released).await?;
    let again = report
        .held
        .clone()
        .ok_or("applied a plan nobody approved")?;
    assert_ne!(again, held);
    assert!(enabled(&env).contains(&leaver), "nothing applied");
    let pending = guard::approvals::get(objects, &env.connection, &again)
        .await?
        .ok_or("no new approval")?;
    assert_eq!(pending.status, ApprovalStatus::Pending);
    assert_eq!(pending.reason, LEAVERS_NEED_APPROVAL);
    Ok(())
}

#[test]
fn a_plans_digest_is_what_it_does_not_when_or_in_which_order() {
    use tenure::plan::{Action, Change, WorkerPlan};
    let worker = |id: &str, reason: &str, ops: Vec<Op>| WorkerPlan {
        employee_id: id.into(),
        display_name: id.into(),
        change: Change::Leaver,
        user_id: None,
        user_principal_name: None,
        actions: ops
            .into_iter()
            .map(|op| Action {
                op,
                reason: reason.into(),
            })
            .collect(),
        notes: Vec::new(),
    };
    let a = worker("1", "r", vec![Op::DisableUser, Op::RevokeSessions]);
    let b = worker("2", "r", vec![Op::DisableUser]);
    let idle = worker("3", "r", vec![]);
    let digest = guard::plan_digest([&a, &b]);
    assert_eq!(guard::plan_digest([&b, &idle, &a]), digest);
    assert_eq!(
        guard::plan_digest([
            &worker(
                "1",
                "other words",
                vec![Op::DisableUser, Op::RevokeSessions]
            ),
            &b
        ]),
        digest
    );
    assert_ne!(
        guard::plan_digest([
            &worker("1", "r", vec![Op::RevokeSessions, Op::DisableUser]),
            &b
        ]),
        digest,
        "the order of a worker's actions matters"
    );
    assert_ne!(guard::plan_digest([&a]), digest);
    let lines = guard::differences(
        &[a.clone(), b.clone()],
        &[worker("1", "r", vec![Op::DisableUser])],
    );
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("- 1 1: revoke"), "{lines:?}");
    assert!(
        lines[1].starts_with("- 2 2: no longer in the plan"),
        "{lines:?}"
    );
}
