//! Each Graph write, checked in the tenant's state, with Microsoft's request id returned.

use std::collections::BTreeMap;

use secrecy::SecretString;
use tenure::directory::DirectoryUser;
use tenure::microsoft::graph::NewUser;

use super::helpers::{ENTERPRISEPACK, Error, TestResult, count, spawn};

const OLIVIA: &str = "40000000-0000-4000-8000-000000001001";
const ENGINEERING: &str = "20000000-0000-4000-8000-000000000002";
const BOOK_CLUB: &str = "20000000-0000-4000-8000-00000000000c";

pub(crate) fn new_user(nickname: &str, employee_id: &str) -> NewUser {
    NewUser {
        user_principal_name: format!("{nickname}@contoso.com").into(),
        mail_nickname: nickname.into(),
        display_name: nickname.to_owned(),
        account_enabled: true,
        employee_id: Some(employee_id.to_owned()),
        attributes: BTreeMap::from([("usageLocation".to_owned(), "US".to_owned())]),
    }
}

pub(crate) fn password() -> SecretString {
    SecretString::from("Xy7!generated-Password".to_owned())
}

fn user(t: &super::helpers::TestTenant, id: &str) -> Result<DirectoryUser, Error> {
    t.tenant
        .state()
        .users
        .into_iter()
        .find(|u| u.id == id)
        .ok_or_else(|| format!("no user {id}").into())
}

#[tokio::test]
async fn a_user_is_created_with_a_password_and_a_request_id() -> TestResult {
    let t = spawn().await?;
    let created = t
        .graph
        .create_user(&new_user("new.hire", "7001"), &password())
        .await?;
    assert!(created.written.request_id.is_some());
    assert!(!created.written.already_done);
    let jane = user(&t, &created.id)?;
    assert_eq!(jane.employee_id.as_deref(), Some("7001"));
    assert_eq!(jane.usage_location.as_deref(), Some("US"));
    Ok(())
}

#[tokio::test]
async fn a_taken_upn_is_refused_not_adopted() -> TestResult {
    let t = spawn().await?;
    let error = t
        .graph
        .create_user(&new_user("olivia.bennett", "7002"), &password())
        .await
        .err()
        .ok_or("a taken UPN was created")?;
    assert!(error.is_conflict(), "{error}");
    assert_eq!(error.code(), Some("Request_BadRequest"));
    Ok(())
}

#[tokio::test]
async fn profile_sign_in_password_and_sessions_are_written() -> TestResult {
    let t = spawn().await?;
    let changes = BTreeMap::from([
        ("jobTitle".to_owned(), Some("Chair".to_owned())),
        ("mobilePhone".to_owned(), None),
    ]);
    let written = t.graph.update_user(OLIVIA, &changes).await?;
    assert!(written.request_id.is_some());
    t.graph.set_account_enabled(OLIVIA, false).await?;
    let olivia = user(&t, OLIVIA)?;
    assert_eq!(olivia.job_title.as_deref(), Some("Chair"));
    assert_eq!(olivia.mobile_phone, None);
    assert!(!olivia.account_enabled);
    t.graph.set_password(OLIVIA, &password()).await?;
    assert_eq!(t.tenant.handle().password_changes(OLIVIA), 1);
    t.graph.revoke_sign_in_sessions(OLIVIA).await?;
    assert_eq!(t.tenant.handle().sessions_revoked(OLIVIA), 1);
    Ok(())
}

#[tokio::test]
async fn manager_memberships_and_licenses_are_written() -> TestResult {
    let t = spawn().await?;
    let created = t
        .graph
        .create_user(&new_user("sam.new", "7003"), &password())
        .await?;
    t.graph.set_manager(&created.id, OLIVIA).await?;
    assert_eq!(
        user(&t, &created.id)?.manager.map(|m| m.id).as_deref(),
        Some(OLIVIA)
    );
    let added = t.graph.add_member(ENGINEERING, &created.id).await?;
    assert!(!added.already_done);
    let again = t.graph.add_member(ENGINEERING, &created.id).await?;
    assert!(again.already_done, "adding twice is already done");
    let members = t.graph.group_members(ENGINEERING).await?;
    assert!(members.contains(&created.id));
    t.graph.remove_member(ENGINEERING, &created.id).await?;
    let gone = t.graph.remove_member(ENGINEERING, &created.id).await?;
    assert!(gone.already_done);
    t.graph
        .assign_licenses(&created.id, &[ENTERPRISEPACK], &[])
        .await?;
    assert_eq!(user(&t, &created.id)?.assigned_licenses.len(), 1);
    t.graph
        .assign_licenses(&created.id, &[], &[ENTERPRISEPACK])
        .await?;
    assert!(user(&t, &created.id)?.assigned_licenses.is_empty());
    Ok(())
}

#[tokio::test]
async fn many_members_are_bound_twenty_per_request() -> TestResult {
    let t = spawn().await?;
    let mut ids = Vec::new();
    for n in 0..25 {
        let created = t
            .graph
            .create_user(
                &new_user(&format!("bulk{n}"), &format!("8{n:03}")),
                &password(),
            )
            .await?;
        ids.push(created.id);
    }
    t.tenant.clear_requests();
    let written = t.graph.add_members(BOOK_CLUB, &ids).await?;
    assert_eq!(written.len(), 2);
    assert_eq!(count(&t.tenant, "PATCH", "/v1.0/groups/"), 2);
    let members = t.graph.group_members(BOOK_CLUB).await?;
    assert!(ids.iter().all(|id| members.contains(id)));
    Ok(())
}
