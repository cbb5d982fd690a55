//! The planner, fed desired states directly: minimal actions, order, identities, quarantine.

use std::sync::Arc;

use proptest::prelude::*;
use tenure::desired::{DesiredState, GroupKind, Managed, Phase};
use tenure::directory::{Mailbox, MailboxType, Snapshot};
use tenure::guard::GuardPolicy;
use tenure::hr::SourcedWorker;
use tenure::plan::{Change, Op, Plan, PlanError, PlanInput, build_plan};
use tenure::today::Today;

use super::helpers::{E3, active, csv, group, leaver, tenant, user};

fn managed() -> Managed {
    Managed {
        groups: vec![
            group(GroupKind::Security, "Engineering"),
            group(GroupKind::Security, "Sales"),
            group(GroupKind::Distribution, "Everyone"),
        ],
        licenses: vec!["ENTERPRISEPACK".into()],
    }
}

fn workers(rows: &[(&str, &str)]) -> Vec<SourcedWorker> {
    let mut text = String::from("employee_id,manager_employee_id,employment_status\n");
    for (id, manager) in rows {
        text.push_str(&format!("{id},{manager},active\n"));
    }
    csv(&text).workers
}

fn plan(
    workers: &[SourcedWorker],
    desired: Vec<Result<DesiredState, String>>,
    directory: &Snapshot,
) -> Result<Plan, PlanError> {
    build_plan(PlanInput {
        today: Today::parse("2026-12-01").expect("date"),
        workers,
        desired,
        quarantined: vec![],
        managed: &managed(),
        directory,
        matching: &tenure::correlate::MatchingConfig::default(),
        first_day: None,
    })
}

fn kinds(plan: &Plan, employee_id: &str) -> Vec<&'static str> {
    plan.workers
        .iter()
        .find(|w| w.employee_id == employee_id)
        .map(|w| w.actions.iter().map(|a| a.op.kind()).collect())
        .unwrap_or_default()
}

fn with_everything(mut state: DesiredState) -> DesiredState {
    if let Some(account) = state.account.as_mut() {
        account.groups = vec![
            group(GroupKind::Security, "Engineering"),
            group(GroupKind::Distribution, "Everyone"),
        ];
        account.licenses = vec!["ENTERPRISEPACK".into()];
    }
    state
}

#[test]
fn a_joiner_gets_an_account_license_and_memberships_with_reasons() -> Result<(), PlanError> {
    let ws = workers(&[("1001", "")]);
    let p = plan(
        &ws,
        vec![Ok(with_everything(active("ann.lee", "Ann Lee")))],
        &tenant(),
    )?;
    assert_eq!(p.workers[0].change, Change::Joiner);
    assert_eq!(
        kinds(&p, "1001"),
        [
            "create_user",
            "assign_license",
            "add_group_member",
            "add_distribution_list_member"
        ]
    );
    assert_eq!(
        p.workers[0].user_principal_name.as_deref(),
        Some("ann.lee@contoso.com")
    );
    assert!(p.workers[0].actions.iter().all(|a| !a.reason.is_empty()));
    assert_eq!(p.summary.joiners, 1);
    assert_eq!(p.summary.actions, 4);
    Ok(())
}

#[test]
fn two_people_with_one_name_never_collide_and_the_file_order_does_not_matter()
-> Result<(), PlanError> {
    let mut directory = tenant();
    directory
        .users
        .push(user("u-old", "0999", "jane.doe@contoso.com"));
    for order in [["1002", "1001"], ["1001", "1002"]] {
        let ws = workers(&[(order[0], ""), (order[1], "")]);
        let mut desired = Vec::new();
        for _ in 0..2 {
            let mut state = active("jane.doe", "Jane Doe");
            if let Some(a) = state.account.as_mut() {
                a.identities.push(tenure::desired::Identity {
                    user_principal_name: "jane.doe3@contoso.com".into(),
                    mail_nickname: "jane.doe3".into(),
                });
            }
            desired.push(Ok(state));
        }
        let p = plan(&ws, desired, &directory)?;
        let upn = |id: &str| {
            p.workers
                .iter()
                .find(|w| w.employee_id == id)
                .and_then(|w| w.user_principal_name.clone())
        };
        assert_eq!(upn("1001").as_deref(), Some("jane.doe2@contoso.com"));
        assert_eq!(upn("1002").as_deref(), Some("jane.doe3@contoso.com"));
    }
    Ok(())
}

#[test]
fn a_name_taken_in_another_case_is_taken_and_a_name_microsoft_refuses_is_quarantined()
-> Result<(), PlanError> {
    let mut directory = tenant();
    let mut holder = user("u-old", "0999", "Jane.Doe@Contoso.com");
    holder.mail_nickname = Some("JDoe".into());
    directory.users.push(holder);
    let ws = workers(&[("1001", ""), ("1002", ""), ("1003", "")]);
    let mut nickname_taken = active("jdoe", "J Doe");
    if let Some(a) = nickname_taken.account.as_mut() {
        a.identities[0].user_principal_name = "j.doe@contoso.com".into();
    }
    let mut spaced = active("j doe", "J Doe");
    if let Some(a) = spaced.account.as_mut() {
        a.identities.truncate(1);
    }
    let p = plan(
        &ws,
        vec![
            Ok(active("JANE.DOE", "Jane Doe")),
            Ok(nickname_taken),
            Ok(spaced),
        ],
        &directory,
    )?;
    let upn = |id: &str| {
        p.workers
            .iter()
            .find(|w| w.employee_id == id)
            .and_then(|w| w.user_principal_name.as_deref().map(str::to_owned))
    };
    assert_eq!(upn("1001").as_deref(), Some("JANE.DOE2@contoso.com"));
    assert_eq!(upn("1002").as_deref(), Some("jdoe2@contoso.com"));
    assert_eq!(upn("1003"), None);
    let reasons: Vec<&str> = p.quarantined.iter().map(|q| q.reason.as_str()).collect();
    assert_eq!(reasons.len(), 1, "{reasons:#?}");
    assert!(
        reasons[0].contains("\"j doe@contoso.com\" contains ' ', which Microsoft does not accept"),
        "{reasons:#?}"
    );
    Ok(())
}

#[test]
fn a_new_manager_is_created_before_its_report_is_pointed_at_it() -> Result<(), PlanError> {
    let ws = workers(&[("2002", "2001"), ("2001", "")]);
    let mut report = active("rep", "Report");
    if let Some(a) = report.account.as_mut() {
        a.manager_employee_id = Some("2001".into());
    }
    let p = plan(&ws, vec![Ok(report), Ok(active("boss", "Boss"))], &tenant())?;
    let order: Vec<&str> = p.workers.iter().map(|w| w.employee_id.as_str()).collect();
    assert_eq!(order, ["2001", "2002"]);
    let set = p.workers[1].actions.iter().find_map(|a| match &a.op {
        Op::SetManager {
            manager_employee_id,
            manager_user_id,
        } => Some((manager_employee_id.clone(), manager_user_id.clone())),
        _ => None,
    });
    assert_eq!(set, Some(("2001".to_owned(), None)));
    Ok(())
}

#[test]
fn a_mover_changes_only_managed_groups_and_licenses() -> Result<(), PlanError> {
    let mut directory = tenant();
    let mut u = user("u1", "1001", "ann@contoso.com");
    u.display_name = Some("Ann".into());
    u.assigned_licenses
        .push(tenure::directory::AssignedLicense {
            sku_id: "other-sku".into(),
            disabled_plans: vec![],
        });
    directory.users.push(u);
    for g in &mut directory.groups {
        if ["g-sales", "g-club"].contains(&g.id.as_str()) {
            g.members.push("u1".into());
        }
    }
    let mut state = active("ann", "Ann");
    if let Some(a) = state.account.as_mut() {
        a.groups = vec![group(GroupKind::Security, "Engineering")];
    }
    let ws = workers(&[("1001", "")]);
    let p = plan(&ws, vec![Ok(state)], &directory)?;
    assert_eq!(p.workers[0].change, Change::Mover);
    let groups: Vec<(&str, &str)> = p.workers[0]
        .actions
        .iter()
        .filter_map(|a| match &a.op {
            Op::AddGroupMember { group, .. } => Some(("add", group.as_str())),
            Op::RemoveGroupMember { group, .. } => Some(("remove", group.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(groups, [("add", "Engineering"), ("remove", "Sales")]);
    assert!(
        !kinds(&p, "1001").contains(&"remove_license"),
        "an unmanaged license stays"
    );
    Ok(())
}

fn leaver_directory() -> Snapshot {
    let mut directory = tenant();
    let mut boss = user("u-boss", "1000", "boss@contoso.com");
    boss.display_name = Some("Boss".into());
    let mut u = user("u1", "1001", "ann@contoso.com");
    u.display_name = Some("Ann".into());
    u.manager = Some(tenure::directory::ObjectRef {
        id: "u-boss".into(),
    });
    u.assigned_licenses
        .push(tenure::directory::AssignedLicense {
            sku_id: E3.into(),
            disabled_plans: vec![],
        });
    directory.users.extend([boss, u]);
    for g in &mut directory.groups {
        g.members.push("u1".into());
    }
    directory.mailboxes.push(Mailbox {
        external_directory_object_id: "u1".into(),
        user_principal_name: "ann@contoso.com".into(),
        recipient_type_details: MailboxType::UserMailbox,
        hidden_from_address_lists_enabled: false,
        full_access: vec![],
    });
    directory
}

#[test]
fn a_leaver_is_locked_out_first_and_loses_its_license_last_and_only_once()
-> Result<(), crate::support::Error> {
    let mut directory = leaver_directory();
    let ws = workers(&[("1001", "1000"), ("1000", "")]);
    let mut gone = leaver("Ann");
    if let Some(a) = gone.account.as_mut() {
        a.manager_employee_id = Some("1000".into());
        a.groups.clear();
        a.licenses.clear();
    }
    let mut boss = active("boss", "Boss");
    if let Some(a) = boss.account.as_mut() {
        a.mailbox = None;
    }
    let desired = || vec![Ok(gone.clone()), Ok(boss.clone())];
    let p = plan(&ws, desired(), &directory)?;
    assert_eq!(p.summary.leavers, 1);
    assert_eq!(
        kinds(&p, "1001"),
        [
            "disable_user",
            "revoke_sessions",
            "reset_password",
            "convert_to_shared_mailbox",
            "grant_mailbox_access",
            "hide_from_address_list",
            "remove_group_member",
            "remove_group_member",
            "remove_distribution_list_member",
            "remove_license"
        ]
    );
    let grant = p
        .workers
        .iter()
        .flat_map(|w| &w.actions)
        .find_map(|a| match &a.op {
            Op::GrantMailboxAccess { trustee } => Some(trustee.clone()),
            _ => None,
        });
    assert_eq!(grant.as_deref(), Some("boss@contoso.com"));
    assert!(
        directory
            .groups
            .iter()
            .any(|g| g.id == "g-club" && g.members.iter().any(|m| m == "u1")),
        "Book Club is no rule's"
    );
    directory.apply_plan(&p, &mut |_| unreachable!("nothing is created"))?;
    let again = plan(&ws, desired(), &directory)?;
    assert!(again.is_empty(), "{:#?}", again.workers);
    assert!(
        directory
            .groups
            .iter()
            .any(|g| g.id == "g-club" && g.members.iter().any(|m| m == "u1"))
    );
    Ok(())
}

#[test]
fn a_rehire_brings_back_the_same_account_and_mailbox() -> Result<(), PlanError> {
    let mut directory = leaver_directory();
    directory.users[1].account_enabled = false;
    directory.mailboxes[0].recipient_type_details = MailboxType::SharedMailbox;
    directory.mailboxes[0].hidden_from_address_lists_enabled = true;
    let ws = workers(&[("1001", "")]);
    let p = plan(&ws, vec![Ok(active("ann", "Ann"))], &directory)?;
    assert_eq!(p.workers[0].change, Change::Rehire);
    assert_eq!(p.workers[0].user_id.as_deref(), Some("u1"));
    let k = kinds(&p, "1001");
    assert!(
        k.starts_with(&[
            "enable_user",
            "convert_to_user_mailbox",
            "hide_from_address_list"
        ]),
        "{k:?}"
    );
    assert!(!k.contains(&"create_user"));
    Ok(())
}

#[test]
fn plugin_refusals_and_unusable_answers_are_quarantined_and_the_rest_go_on() -> Result<(), PlanError>
{
    let mut directory = tenant();
    directory.users.push(user("a", "1004", "x@contoso.com"));
    directory.users.push(user("b", "1004", "y@contoso.com"));
    let ws = workers(&[
        ("1001", ""),
        ("1002", ""),
        ("1003", ""),
        ("1004", ""),
        ("1005", ""),
        ("1006", ""),
    ]);
    let mut ungrouped = active("c", "C");
    if let Some(a) = ungrouped.account.as_mut() {
        a.groups = vec![group(GroupKind::Security, "Book Club")];
    }
    let mut foreign = active("d", "D");
    if let Some(a) = foreign.account.as_mut() {
        a.identities[0].user_principal_name = "d@fabrikam.com".into();
        a.identities.truncate(1);
    }
    let mut no_location = with_everything(active("e", "E"));
    if let Some(a) = no_location.account.as_mut() {
        a.attributes.clear();
    }
    let p = plan(
        &ws,
        vec![
            Err("surname: the worker has no last name".into()),
            Ok(active("fine", "Fine")),
            Ok(ungrouped),
            Ok(active("dup", "Dup")),
            Ok(foreign),
            Ok(no_location),
        ],
        &directory,
    )?;
    assert_eq!(p.workers.len(), 1);
    assert_eq!(p.workers[0].employee_id, "1002");
    let reasons: Vec<&str> = p.quarantined.iter().map(|q| q.reason.as_str()).collect();
    assert_eq!(reasons.len(), 5, "{reasons:#?}");
    assert!(reasons[0].contains("refused this worker: surname: the worker has no last name"));
    assert!(reasons[1].contains("\"Book Club\" is not among the groups the configuration manages"));
    assert!(
        reasons[2]
            .contains("employeeId 1004 is on 2 directory users (x@contoso.com, y@contoso.com)")
    );
    assert!(
        reasons[3].contains(
            "fabrikam.com is not a verified domain of the tenant (verified: contoso.com)"
        )
    );
    assert!(reasons[4].contains("licenses need a usage location"));
    Ok(())
}

#[test]
fn groups_and_licenses_the_tenant_lacks_are_all_named_at_once() {
    let ws = workers(&[("1001", "")]);
    let error = build_plan(PlanInput {
        today: Today::parse("2026-12-01").expect("date"),
        workers: &ws,
        desired: vec![Ok(active("a", "A"))],
        quarantined: vec![],
        managed: &Managed {
            groups: vec![
                group(GroupKind::Security, "Nope"),
                group(GroupKind::Distribution, "Engineering"),
            ],
            licenses: vec!["E5".into()],
        },
        directory: &tenant(),
        matching: &tenure::correlate::MatchingConfig::default(),
        first_day: None,
    })
    .expect_err("missing groups");
    let message = error.to_string();
    assert!(
        message.contains("no security group named \"Nope\""),
        "{message}"
    );
    assert!(
        message.contains("\"Engineering\" is a security group, not a distribution list"),
        "{message}"
    );
    assert!(
        message
            .contains("license \"E5\" is not one of the tenant's subscribed SKUs (ENTERPRISEPACK)"),
        "{message}"
    );
}

#[test]
fn the_guard_refuses_mass_disables_unless_allowed() -> Result<(), PlanError> {
    let mut directory = tenant();
    let mut rows = Vec::new();
    let mut desired = Vec::new();
    for i in 0..20 {
        let id = format!("{}", 1000 + i);
        directory
            .users
            .push(user(&format!("u{i}"), &id, &format!("p{i}@contoso.com")));
        rows.push(id);
        desired.push(Ok(if i < 7 {
            leaver(&format!("p{i}"))
        } else {
            active(&format!("p{i}"), &format!("p{i}"))
        }));
    }
    let pairs: Vec<(&str, &str)> = rows.iter().map(|r| (r.as_str(), "")).collect();
    let p = plan(&workers(&pairs), desired, &directory)?;
    let refused = GuardPolicy::default().judge(&p, 20);
    assert!(!refused.allowed);
    assert_eq!(refused.stripped_users, 7);
    assert!(
        refused
            .message
            .as_deref()
            .is_some_and(|m| m.contains("7 of 20 managed users"))
    );
    let allowed = GuardPolicy {
        allow: true,
        ..GuardPolicy::default()
    }
    .judge(&p, 20);
    assert!(allowed.allowed);
    let lenient = GuardPolicy {
        max_share: 0.5,
        ..GuardPolicy::default()
    }
    .judge(&p, 20);
    assert!(lenient.allowed && lenient.message.is_none());
    let small = GuardPolicy {
        min_users: 7,
        ..GuardPolicy::default()
    }
    .judge(&p, 20);
    assert!(small.allowed, "at most min_users never trips");
    Ok(())
}

#[test]
fn guard_shares_parse_as_fractions_or_percentages() {
    assert_eq!(GuardPolicy::parse_share("10%"), Ok(0.1));
    assert_eq!(GuardPolicy::parse_share("0.25"), Ok(0.25));
    assert!(GuardPolicy::parse_share("150%").is_err());
    assert!(GuardPolicy::parse_share("lots").is_err());
}

fn arbitrary_state() -> impl Strategy<Value = DesiredState> {
    (
        prop_oneof![
            Just(Phase::Active),
            Just(Phase::OnLeave),
            Just(Phase::Terminated),
            Just(Phase::PreHire)
        ],
        any::<bool>(),
        proptest::sample::subsequence(vec![0usize, 1, 2], 0..=3),
        any::<bool>(),
        any::<bool>(),
        prop::option::of("[A-Z][a-z]{0,6}"),
    )
        .prop_map(|(phase, enabled, groups, license, shared, title)| {
            let mut state = if phase == Phase::Terminated {
                leaver("W")
            } else {
                active("w", "W")
            };
            state.phase = phase;
            if let Some(a) = state.account.as_mut() {
                a.enabled = enabled;
                let all = managed().groups;
                a.groups = groups.into_iter().map(|i| all[i].clone()).collect();
                a.licenses = if license {
                    vec!["ENTERPRISEPACK".into()]
                } else {
                    vec![]
                };
                if let Some(m) = a.mailbox.as_mut() {
                    m.shared = shared;
                }
                a.attributes.push((
                    tenure::directory::UserAttribute::JobTitle,
                    title.map(Into::into),
                ));
            }
            state
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Whatever the directory holds and whatever the plugin wants, applying the plan reaches the
    /// desired state: planning again gives nothing to do.
    #[test]
    fn applying_a_plan_converges(states in proptest::collection::vec(arbitrary_state(), 1..6), existing in proptest::collection::vec(any::<bool>(), 6)) {
        let mut directory = tenant();
        let mut rows = Vec::new();
        for (i, _) in states.iter().enumerate() {
            let id = format!("{}", 3000 + i);
            if existing[i] {
                let mut u = user(&format!("u{i}"), &id, &format!("w{i}@contoso.com"));
                u.account_enabled = i % 2 == 0;
                directory.users.push(u);
                directory.mailboxes.push(Mailbox {
                    external_directory_object_id: format!("u{i}").into(),
                    user_principal_name: format!("w{i}@contoso.com").into(),
                    recipient_type_details: if i % 3 == 0 { MailboxType::SharedMailbox } else { MailboxType::UserMailbox },
                    hidden_from_address_lists_enabled: i % 2 == 1,
                    full_access: vec![],
                });
                if i % 2 == 1 { directory.groups[0].members.push(format!("u{i}").into()); }
            }
            rows.push(id);
        }
        let pairs: Vec<(&str, &str)> = rows.iter().map(|r| (r.as_str(), "")).collect();
        let ws = workers(&pairs);
        let first = plan(&ws, states.iter().cloned().map(Ok).collect(), &directory).expect("plans");
        let mut n = 0;
        directory.apply_plan(&first, &mut |_| { n += 1; format!("new{n}") }).expect("applies");
        // A new account's mailbox appears with its license; plan twice so the mailbox settles.
        let second = plan(&ws, states.iter().cloned().map(Ok).collect(), &directory).expect("plans");
        directory.apply_plan(&second, &mut |_| unreachable!("created once")).expect("applies");
        let third = plan(&ws, states.iter().cloned().map(Ok).collect(), &directory).expect("plans");
        prop_assert!(third.is_empty(), "{:#?}", third.workers);
        let created_again = second.workers.iter().flat_map(|w| &w.actions).any(|a| a.op.kind() == "create_user");
        prop_assert!(!created_again);
    }
}

#[test]
fn quarantined_sources_print_as_file_and_line() {
    let batch = super::helpers::csv("employee_id,employment_status\n1,fired\n");
    let json = serde_json::to_value(&batch.quarantined).expect("serialises");
    assert_eq!(json[0]["source"], "hr.csv:2");
    let back: Vec<tenure::hr::Quarantined> = serde_json::from_value(json).expect("reads back");
    assert_eq!(back[0].source.file, Arc::from("hr.csv"));
}

#[test]
fn a_large_plan_keeps_its_workers_and_warnings_in_file_order() -> Result<(), PlanError> {
    // Enough workers to be admitted and reconciled on two threads (where the machine has two
    // cores). Every 1,000th answer is a refusal naming its worker: each must be quarantined
    // with its own reason, in either half.
    let count = 5_000;
    let refused = |i: usize| i % 1_000 == 999;
    let ids: Vec<String> = (0..count).map(|i| format!("E{i:05}")).collect();
    let rows: Vec<(&str, &str)> = ids.iter().map(|id| (id.as_str(), "")).collect();
    let mut directory = tenant();
    directory.users = ids
        .iter()
        .map(|id| user(&format!("u-{id}"), id, &format!("{id}@contoso.com")))
        .collect();
    let desired = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let mut state = active(id, id);
            if let Some(account) = state.account.as_mut() {
                // No mailbox and none coming: the distribution list is left out with a warning.
                account
                    .groups
                    .push(group(GroupKind::Distribution, "Everyone"));
                if i % 2 == 0 {
                    account
                        .groups
                        .push(group(GroupKind::Security, "Engineering"));
                }
            }
            if refused(i) {
                return Err(format!("no answer for {id}"));
            }
            Ok(state)
        })
        .collect();

    let plan = plan(&workers(&rows), desired, &directory)?;

    let kept: Vec<(usize, &str)> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| !refused(*i))
        .map(|(i, id)| (i, id.as_str()))
        .collect();
    let planned: Vec<&str> = plan
        .workers
        .iter()
        .map(|w| w.employee_id.as_str())
        .collect();
    assert_eq!(planned, kept.iter().map(|(_, id)| *id).collect::<Vec<_>>());
    for ((i, _), worker) in kept.iter().zip(&plan.workers) {
        let kinds: Vec<&str> = worker.actions.iter().map(|a| a.op.kind()).collect();
        let expected: &[&str] = if i % 2 == 0 {
            &["add_group_member"]
        } else {
            &[]
        };
        assert_eq!(kinds, expected, "{}", worker.employee_id);
    }
    let quarantined: Vec<(Option<&str>, &str)> = plan
        .quarantined
        .iter()
        .map(|q| (q.employee_id.as_deref(), q.reason.as_str()))
        .collect();
    let reasons: Vec<String> = (0..count)
        .filter(|i| refused(*i))
        .map(|i| {
            format!(
                "the mapping plugin refused this worker: no answer for {}",
                ids[i]
            )
        })
        .collect();
    let expected: Vec<(Option<&str>, &str)> = (0..count)
        .filter(|i| refused(*i))
        .zip(&reasons)
        .map(|(i, reason)| (Some(ids[i].as_str()), reason.as_str()))
        .collect();
    assert_eq!(quarantined, expected);
    assert_eq!(plan.warnings.len(), 1);
    let warned: Vec<&str> = plan.warnings[0]
        .employee_ids
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(warned, kept.iter().map(|(_, id)| *id).collect::<Vec<_>>());
    Ok(())
}

#[test]
#[should_panic(expected = "the index of another directory")]
fn a_plan_refuses_the_index_of_another_directory() {
    let directory = tenant();
    let other = tenant();
    let index = tenure::directory::DirectoryIndex::new(&other);
    let _ = tenure::plan::build_plan_indexed(
        PlanInput {
            today: Today::parse("2026-12-01").expect("date"),
            workers: &[],
            desired: Vec::new(),
            quarantined: Vec::new(),
            managed: &Managed::default(),
            directory: &directory,
            matching: &tenure::correlate::MatchingConfig::default(),
            first_day: None,
        },
        &index,
    );
}
