//! One worker's desired state in each phase, under the README's example configuration.

use super::*;
use crate::config::tests::EXAMPLE;
use crate::fields::tests::worker;
use crate::types::{EmploymentStatus, GroupKind, GroupRef, Identity};

/// Monday 10 March 2025, in the worker's time zone.
const TODAY: Date = date(2025, 3, 10);

const fn date(year: i16, month: u8, day: u8) -> Date {
    Date { year, month, day }
}

fn example() -> Result<Config, MappingError> {
    Config::parse(EXAMPLE, &["contoso.com".to_owned()])
}

/// José Müller, a US engineer hired last year, reporting to 1001.
fn jose() -> Worker {
    let mut jose = worker("1042");
    jose.first_name = Some("José".into());
    jose.last_name = Some("Müller".into());
    jose.job_title = Some("Engineer".into());
    jose.department = Some("Engineering".into());
    jose.country = Some("US".into());
    jose.location = Some("Seattle".into());
    jose.employment_type = Some("Employee".into());
    jose.manager_employee_id = Some("1001".into());
    jose.hire_date = Some(date(2024, 6, 3));
    jose
}

fn account(state: &DesiredState) -> Result<&Account, String> {
    state
        .account
        .as_ref()
        .ok_or_else(|| format!("no account in phase {:?}", state.phase))
}

fn map_jose(change: impl FnOnce(&mut Worker)) -> Result<DesiredState, String> {
    let mut person = jose();
    change(&mut person);
    map(&example().map_err(|e| e.message)?, &person, TODAY, false).map_err(|e| e.message)
}

fn group(kind: GroupKind, name: &str) -> GroupRef {
    GroupRef {
        kind,
        name: name.into(),
    }
}

fn user_mailbox() -> Option<Mailbox> {
    Some(Mailbox {
        shared: false,
        hidden_from_address_lists: false,
        full_access: vec![],
    })
}

fn attribute<'a>(account: &'a Account, name: &str) -> Option<&'a str> {
    account
        .attributes
        .iter()
        .find(|a| a.name == name)
        .and_then(|a| a.value.as_deref())
}

#[test]
fn an_active_worker_gets_the_whole_account() -> Result<(), String> {
    let state = map_jose(|_| {})?;
    assert_eq!(state.phase, Phase::Active);
    let account = account(&state)?;
    assert!(account.enabled);
    assert_eq!(
        account.identities[0],
        Identity {
            user_principal_name: "jose.muller@contoso.com".into(),
            mail_nickname: "jose.muller".into()
        }
    );
    assert_eq!(
        account.identities.len(),
        9,
        "jose.muller, then jose.muller2 to jose.muller9"
    );
    assert_eq!(account.display_name, "José Müller");
    assert_eq!(account.manager_employee_id.as_deref(), Some("1001"));
    assert_eq!(attribute(account, "companyName"), Some("Contoso"));
    assert_eq!(attribute(account, "usageLocation"), Some("US"));
    assert_eq!(
        attribute(account, "employeeHireDate"),
        Some("2024-06-03T00:00:00Z")
    );
    assert_eq!(
        attribute(account, "mobilePhone"),
        None,
        "no mobile phone in HR clears it"
    );
    assert!(account.attributes.iter().any(|a| a.name == "mobilePhone"));
    assert_eq!(
        account.groups,
        [
            group(GroupKind::Security, "All Staff"),
            group(GroupKind::Distribution, "all@contoso.com"),
            group(GroupKind::Security, "Engineering"),
            group(GroupKind::Microsoft365, "Eng Team"),
            group(GroupKind::MailEnabledSecurity, "eng-sec@contoso.com"),
        ]
    );
    assert_eq!(account.licenses, ["ENTERPRISEPACK"]);
    assert_eq!(account.mailbox, user_mailbox());
    assert_eq!(
        account.on_disable,
        OnDisable {
            revoke_sessions: false,
            scramble_password: false
        }
    );
    Ok(())
}

#[test]
fn rules_follow_the_worker() -> Result<(), String> {
    let state = map_jose(|j| {
        j.department = Some("Sales".into());
        j.employment_type = Some("Contractor".into());
    })?;
    let account = account(&state)?;
    assert_eq!(account.groups.len(), 2);
    assert_eq!(account.licenses, ["ENTERPRISEPACK", "SPE_F1"]);
    Ok(())
}

#[test]
fn a_pre_hire_account_exists_disabled_with_everything_else() -> Result<(), String> {
    let state = map_jose(|j| j.hire_date = Some(date(2025, 3, 17)))?;
    assert_eq!(state.phase, Phase::PreHire);
    let account = account(&state)?;
    assert!(!account.enabled);
    assert_eq!(account.groups.len(), 5);
    assert_eq!(account.licenses, ["ENTERPRISEPACK"]);
    assert_eq!(account.mailbox, user_mailbox());
    Ok(())
}

#[test]
fn too_early_there_is_no_account() -> Result<(), String> {
    let state = map_jose(|j| j.hire_date = Some(date(2025, 3, 18)))?;
    assert_eq!(
        state,
        DesiredState {
            phase: Phase::NotYet,
            account: None
        }
    );
    Ok(())
}

#[test]
fn too_early_needs_no_names() -> Result<(), String> {
    let state = map_jose(|j| {
        j.hire_date = Some(date(2025, 6, 1));
        j.first_name = None;
    })?;
    assert_eq!(state.phase, Phase::NotYet);
    Ok(())
}

#[test]
fn leave_follows_the_policy_of_its_type() -> Result<(), String> {
    let medical = map_jose(|j| {
        j.employment_status = EmploymentStatus::Leave;
        j.leave_type = Some("Medical".into());
    })?;
    assert_eq!(medical.phase, Phase::OnLeave);
    assert!(account(&medical)?.enabled);

    let suspension = map_jose(|j| {
        j.employment_status = EmploymentStatus::Leave;
        j.leave_type = Some("SUSPENSION".into());
    })?;
    let account_suspended = account(&suspension)?;
    assert!(!account_suspended.enabled);
    assert_eq!(
        account_suspended.on_disable,
        OnDisable {
            revoke_sessions: true,
            scramble_password: false
        }
    );
    assert_eq!(
        account_suspended.groups.len(),
        5,
        "leave keeps everything else"
    );
    assert_eq!(account_suspended.mailbox, user_mailbox());

    let sabbatical = map_jose(|j| {
        j.employment_status = EmploymentStatus::Leave;
        j.leave_type = Some("Sabbatical".into());
    })?;
    assert!(
        account(&sabbatical)?.enabled,
        "unlisted types follow disable_by_default"
    );
    Ok(())
}

#[test]
fn leave_without_a_type_follows_the_default() -> Result<(), MappingError> {
    let config = Config::parse(
        r#"{"upn_domain": "contoso.com", "leave": {"disable_by_default": true}}"#,
        &[],
    )?;
    let mut away = jose();
    away.employment_status = EmploymentStatus::Leave;
    let state = map(&config, &away, TODAY, false)?;
    assert_eq!(state.account.map(|a| a.enabled), Some(false));
    Ok(())
}

#[test]
fn a_leaver_is_handled_by_the_leaver_policy() -> Result<(), String> {
    let state = map_jose(|j| {
        j.employment_status = EmploymentStatus::Terminated;
        j.termination_date = Some(date(2025, 3, 9));
    })?;
    assert_eq!(state.phase, Phase::Terminated);
    let account = account(&state)?;
    assert!(!account.enabled);
    assert!(account.groups.is_empty());
    assert!(account.licenses.is_empty());
    assert_eq!(
        account.on_disable,
        OnDisable {
            revoke_sessions: true,
            scramble_password: true
        }
    );
    assert_eq!(
        account.mailbox,
        Some(Mailbox {
            shared: true,
            hidden_from_address_lists: true,
            full_access: vec![
                Principal::Manager,
                Principal::User("it-archive@contoso.com".into()),
                Principal::Employee("1001".into()),
            ],
        })
    );
    assert_eq!(account.identities[0].mail_nickname, "jose.muller");
    assert_eq!(account.display_name, "José Müller");
    Ok(())
}

#[test]
fn the_last_day_is_worked_and_the_day_after_is_not() -> Result<(), String> {
    let last_day = map_jose(|j| {
        j.employment_status = EmploymentStatus::Terminated;
        j.termination_date = Some(TODAY);
    })?;
    assert_eq!(last_day.phase, Phase::Active);
    assert!(account(&last_day)?.enabled);
    let day_after = map_jose(|j| {
        j.employment_status = EmploymentStatus::Terminated;
        j.termination_date = Some(date(2025, 3, 9));
    })?;
    assert_eq!(day_after.phase, Phase::Terminated);
    Ok(())
}

#[test]
fn a_leaver_without_a_manager_gives_no_one_access_as_manager() -> Result<(), String> {
    let state = map_jose(|j| {
        j.employment_status = EmploymentStatus::Terminated;
        j.manager_employee_id = None;
    })?;
    let full_access = account(&state)?
        .mailbox
        .as_ref()
        .map(|m| m.full_access.clone())
        .unwrap_or_default();
    assert_eq!(
        full_access,
        [
            Principal::User("it-archive@contoso.com".into()),
            Principal::Employee("1001".into())
        ]
    );
    Ok(())
}

#[test]
fn a_lenient_leaver_policy_keeps_what_it_does_not_remove() -> Result<(), MappingError> {
    let config = Config::parse(
        r#"{"upn_domain": "contoso.com",
            "rules": [{"security_groups": ["Alumni"], "licenses": ["EXCHANGESTANDARD"]}],
            "leaver": {"disable": false, "remove_groups": false, "remove_licenses": false,
                       "convert_mailbox_to_shared": false, "hide_from_address_list": false,
                       "revoke_sessions": false, "scramble_password": false}}"#,
        &[],
    )?;
    let mut gone = jose();
    gone.employment_status = EmploymentStatus::Terminated;
    let state = map(&config, &gone, TODAY, false)?;
    assert_eq!(state.phase, Phase::Terminated);
    let account = state
        .account
        .ok_or_else(|| MappingError::whole("no account"))?;
    assert!(account.enabled);
    assert_eq!(account.groups, [group(GroupKind::Security, "Alumni")]);
    assert_eq!(account.licenses, ["EXCHANGESTANDARD"]);
    assert_eq!(account.mailbox, user_mailbox());
    assert_eq!(
        account.on_disable,
        OnDisable {
            revoke_sessions: false,
            scramble_password: false
        }
    );
    Ok(())
}

#[test]
fn a_rehire_is_active_again_with_the_same_identities() -> Result<(), String> {
    // Terminated last year, rehired today: the HR record has a new hire date and no termination.
    let state = map_jose(|j| {
        j.hire_date = Some(TODAY);
        j.termination_date = None;
        j.employment_status = EmploymentStatus::Active;
    })?;
    assert_eq!(state.phase, Phase::Active);
    let account = account(&state)?;
    assert!(account.enabled);
    assert_eq!(account.licenses, ["ENTERPRISEPACK"]);
    assert_eq!(
        account.mailbox,
        user_mailbox(),
        "a shared leaver mailbox becomes a user mailbox again"
    );
    assert_eq!(account.identities[0].mail_nickname, "jose.muller");
    Ok(())
}

#[test]
fn a_worker_without_names_is_refused() -> Result<(), MappingError> {
    let mut nameless = jose();
    nameless.first_name = None;
    nameless.last_name = None;
    let error = map(&example()?, &nameless, TODAY, false).err();
    assert_eq!(
        error,
        Some(MappingError::at(
            "identity_patterns",
            "no identity candidate could be made for worker 1042: first name and last name are missing"
        ))
    );
    Ok(())
}

#[test]
fn a_display_name_falls_back_and_is_refused_when_nothing_fits() -> Result<(), MappingError> {
    let config = Config::parse(
        r#"{"upn_domain": "contoso.com", "identity_patterns": ["{employee_id}"],
            "display_name": ["{first} {last}", "{last}"]}"#,
        &[],
    )?;
    let mut person = jose();
    person.first_name = None;
    assert_eq!(
        map(&config, &person, TODAY, false)?
            .account
            .map(|a| a.display_name)
            .as_deref(),
        Some("Müller")
    );
    person.last_name = None;
    assert_eq!(
        map(&config, &person, TODAY, false).err(),
        Some(MappingError::at(
            "display_name",
            "no display name could be made for worker 1042: first name and last name are missing"
        ))
    );
    Ok(())
}

#[test]
fn a_country_that_is_no_usage_location_is_refused() -> Result<(), String> {
    let error = map_jose(|j| j.country = Some("USA".into()))
        .err()
        .unwrap_or_default();
    assert_eq!(
        error,
        "usageLocation must be a two-letter country code such as US, but worker 1042 gives \"USA\""
    );
    Ok(())
}

#[test]
fn a_worker_with_an_account_needs_no_identity_candidates() -> Result<(), MappingError> {
    let config = example()?;
    let state = map(&config, &jose(), TODAY, true)?;
    let account = state
        .account
        .ok_or_else(|| MappingError::at("account", "missing"))?;
    assert!(account.identities.is_empty());
    assert_eq!(account.display_name, "José Müller");
    Ok(())
}
