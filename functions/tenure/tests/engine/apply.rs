//! The applier against a directory in memory: outcomes, audit, no double creates, deferrals.

use tenure::apply::{ApplyOptions, InMemoryDirectory, Outcome, apply};
use tenure::plan::Op;

use super::helpers::{plan_samples, sample_directory};

#[tokio::test]
async fn the_sample_plan_applies_completely_and_audits_every_change() {
    let before = sample_directory();
    let plan = plan_samples(&before);
    let directory = InMemoryDirectory::new(before);
    let (report, audit) = apply(&plan, &directory, ApplyOptions::default()).await;
    assert!(
        report.is_complete(),
        "{:#?}",
        report
            .outcomes
            .iter()
            .filter(|o| o.outcome != Outcome::Applied)
            .collect::<Vec<_>>()
    );
    assert_eq!(report.outcomes.len(), plan.summary.actions);
    assert_eq!(
        audit.len(),
        plan.summary.actions,
        "one record per applied change"
    );
    let jose = audit
        .iter()
        .find(|r| r.employee_id == "1050" && r.action == "create_user")
        .expect("audited");
    assert_eq!(jose.after["userPrincipalName"], "jose.muller@contoso.com");
    assert!(jose.reason.starts_with("new hire"));
    let text = serde_json::to_string(&audit)
        .expect("serialises")
        .to_lowercase();
    assert!(!text.contains("\"password\""), "no password in the audit");

    // The new report of a new manager points at the manager's new account.
    let after = directory.snapshot();
    let id_of = |employee: &str| {
        after
            .users
            .iter()
            .find(|u| u.employee_id.as_deref() == Some(employee))
            .map(|u| u.id.clone())
    };
    let priya = after
        .users
        .iter()
        .find(|u| u.employee_id.as_deref() == Some("1055"))
        .expect("created");
    assert_eq!(priya.manager.as_ref().map(|m| m.id.clone()), id_of("1054"));

    // Mailboxes of new accounts appear with their licenses; one more round settles them.
    let second = plan_samples(&after);
    let (report, _) = apply(&second, &directory, ApplyOptions::default()).await;
    assert!(report.is_complete());
    let third = plan_samples(&directory.snapshot());
    assert!(
        third.is_empty(),
        "{:#?}",
        third
            .workers
            .iter()
            .filter(|w| !w.actions.is_empty())
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_create_cut_off_halfway_is_finished_not_repeated() {
    let before = sample_directory();
    let plan = plan_samples(&before);
    // An earlier run created José and then died.
    let mut interrupted = before.clone();
    let create = plan
        .workers
        .iter()
        .find(|w| w.employee_id == "1050")
        .map(|w| w.actions[0].op.clone())
        .expect("a create");
    interrupted
        .create_user("1050", &create, "earlier-run-id".into())
        .expect("created");
    let directory = InMemoryDirectory::new(interrupted);
    let (report, audit) = apply(&plan, &directory, ApplyOptions::default()).await;
    assert!(report.is_complete());
    let after = directory.snapshot();
    let joses: Vec<&str> = after
        .users
        .iter()
        .filter(|u| u.employee_id.as_deref() == Some("1050"))
        .map(|u| u.id.as_str())
        .collect();
    assert_eq!(joses, ["earlier-run-id"], "still one account");
    assert!(
        !audit
            .iter()
            .any(|r| r.employee_id == "1050" && r.action == "create_user"),
        "nothing new was created"
    );
    assert!(audit.iter().any(|r| r.employee_id == "1050"
        && r.action == "assign_license"
        && r.user_id.as_deref() == Some("earlier-run-id")));
}

#[tokio::test]
async fn a_missing_mailbox_defers_the_mailbox_and_keeps_the_license() {
    let before = sample_directory();
    let plan = plan_samples(&before);
    let sam_id = before
        .users
        .iter()
        .find(|u| u.employee_id.as_deref() == Some("1040"))
        .map(|u| u.id.clone())
        .expect("sam");
    // Exchange has not got Sam's mailbox (yet, or any more).
    let mut without = before.clone();
    without
        .mailboxes
        .retain(|m| m.external_directory_object_id != sam_id);
    let directory = InMemoryDirectory::new(without);
    let (report, _) = apply(&plan, &directory, ApplyOptions::default()).await;
    let sam: Vec<(&str, &Outcome)> = report
        .outcomes
        .iter()
        .filter(|o| o.employee_id == "1040")
        .map(|o| (o.kind.as_str(), &o.outcome))
        .collect();
    let outcome_of = |kind: &str| {
        sam.iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, o)| (*o).clone())
    };
    assert_eq!(outcome_of("disable_user"), Some(Outcome::Applied));
    assert_eq!(outcome_of("remove_group_member"), Some(Outcome::Applied));
    assert!(
        matches!(
            outcome_of("convert_to_shared_mailbox"),
            Some(Outcome::Deferred { .. })
        ),
        "{sam:?}"
    );
    assert!(
        matches!(outcome_of("remove_license"), Some(Outcome::Deferred { reason }) if reason.contains("until the mailbox has been converted")),
        "{sam:?}"
    );
    let after = directory.snapshot();
    let sam = after.users.iter().find(|u| u.id == sam_id).expect("sam");
    assert!(!sam.account_enabled);
    assert_eq!(sam.assigned_licenses.len(), 1, "the license stays for now");
}

#[tokio::test]
async fn a_create_the_directory_refuses_skips_the_rest_of_that_worker_only() {
    let before = sample_directory();
    let mut plan = plan_samples(&before);
    // Make José's UPN one that is taken: the directory refuses the create.
    for worker in &mut plan.workers {
        if worker.employee_id == "1050"
            && let Op::CreateUser {
                user_principal_name,
                ..
            } = &mut worker.actions[0].op
        {
            *user_principal_name = "olivia.bennett@contoso.com".into();
        }
    }
    let directory = InMemoryDirectory::new(before);
    let (report, _) = apply(&plan, &directory, ApplyOptions::default()).await;
    let jose: Vec<&Outcome> = report
        .outcomes
        .iter()
        .filter(|o| o.employee_id == "1050")
        .map(|o| &o.outcome)
        .collect();
    assert!(
        matches!(jose[0], Outcome::Failed { error } if error.contains("already exists")),
        "{jose:?}"
    );
    assert!(
        jose[1..]
            .iter()
            .all(|o| matches!(o, Outcome::Skipped { .. })),
        "{jose:?}"
    );
    let others_failed = report
        .outcomes
        .iter()
        .filter(|o| o.employee_id != "1050")
        .any(|o| o.outcome != Outcome::Applied);
    assert!(!others_failed, "everyone else is applied");
}
