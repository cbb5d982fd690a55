//! Supervised mode: a connection's settings say which plans wait for a person although the
//! guard would let them through (every plan with a leaver, or every plan), and the same rule
//! holds them wherever they are judged: a whole delivery or export before it is queued, and
//! each provision run, whatever came before it.

use tenure::service::guard::{
    self, ApprovalStatus, EVERY_CHANGE_NEEDS_APPROVAL, Judgment, LEAVERS_NEED_APPROVAL, Origin,
    judge_whole,
};
use tenure::service::provision::provision;
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
