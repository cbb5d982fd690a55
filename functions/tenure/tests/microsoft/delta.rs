//! The incremental directory read: a full read through the delta endpoints, changes made
//! through Graph and Exchange, then a refresh that must equal a fresh full read; an unchanged
//! tenant refreshed for two Graph reads and one Exchange call; links Graph no longer knows.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};
use tenure::directory::MailboxType;
use tenure::microsoft::graph::NewUser;
use tenure::microsoft::{
    DeltaState, NationalCloud, ReadOptions, read_directory, read_directory_with_delta,
    refresh_directory,
};

use super::helpers::{ENTERPRISEPACK, Error, TestResult, TestTenant, sample, sorted, spawn};

const OLIVIA: &str = "40000000-0000-4000-8000-000000001001";
const MARCUS: &str = "40000000-0000-4000-8000-000000001002";
const AISHA: &str = "40000000-0000-4000-8000-000000001003";
const HENRIK: &str = "40000000-0000-4000-8000-000000001004";
const DANIEL: &str = "40000000-0000-4000-8000-000000001006";
const DANIEL_UPN: &str = "daniel.park@contoso.com";
const ALL_STAFF: &str = "20000000-0000-4000-8000-000000000001";
const ENGINEERING: &str = "20000000-0000-4000-8000-000000000002";
const SEATTLE: &str = "all-seattle@contoso.com";

/// Reads of each kind in the request log: Graph `GET`s and Exchange calls, and everything else.
fn reads(t: &TestTenant) -> (usize, usize, usize) {
    let requests = t.tenant.requests();
    let graph = requests
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/v1.0/"))
        .count();
    let exchange = requests
        .iter()
        .filter(|r| r.path.starts_with("/adminapi/"))
        .count();
    (graph, exchange, requests.len() - graph - exchange)
}

/// `DELETE /users/{id}`, which the clients have no call for.
async fn delete_user(t: &TestTenant, id: &str) -> TestResult {
    let token: SecretString = t.tokens.token(&NationalCloud::Global.graph_scope()).await?;
    let answer = reqwest::Client::new()
        .delete(format!("{}/v1.0/users/{id}", t.tenant.uri()))
        .bearer_auth(token.expose_secret())
        .send()
        .await?;
    assert_eq!(answer.status(), reqwest::StatusCode::NO_CONTENT);
    Ok(())
}

/// A change of every kind a sync must see, through Graph and Exchange.
async fn change_everything(t: &TestTenant) -> Result<String, Error> {
    let new_user = NewUser {
        user_principal_name: "rosa.delta@contoso.com".into(),
        mail_nickname: "rosa.delta".into(),
        display_name: "Rosa Delta".into(),
        account_enabled: true,
        employee_id: Some("8001".into()),
        attributes: [("usageLocation".to_owned(), "US".to_owned())].into(),
    };
    let password = SecretString::from("Xy7!pass-word".to_owned());
    let rosa = t.graph.create_user(&new_user, &password).await?.id;
    t.graph.set_manager(&rosa, MARCUS).await?;
    t.graph
        .assign_licenses(&rosa, &[ENTERPRISEPACK], &[])
        .await?;
    let changes: BTreeMap<String, Option<String>> = [
        ("jobTitle".to_owned(), Some("Chair".to_owned())),
        (
            "userPrincipalName".to_owned(),
            Some("olivia.b@contoso.com".to_owned()),
        ),
    ]
    .into();
    t.graph.update_user(OLIVIA, &changes).await?;
    t.graph.set_manager(AISHA, MARCUS).await?;
    t.graph.add_member(ALL_STAFF, &rosa).await?;
    t.graph.remove_member(ENGINEERING, AISHA).await?;
    t.exchange
        .add_group_member(SEATTLE, "rosa.delta@contoso.com")
        .await?;
    let seattle = t.exchange.group_members(SEATTLE).await?;
    let leaver = seattle
        .iter()
        .find(|id| *id != &rosa)
        .ok_or("a Seattle member")?;
    t.exchange.remove_group_member(SEATTLE, leaver).await?;
    t.exchange
        .set_mailbox_type(DANIEL_UPN, MailboxType::SharedMailbox)
        .await?;
    t.exchange
        .set_hidden_from_address_lists(DANIEL_UPN, true)
        .await?;
    // Full-access holders are read for shared mailboxes (and disabled accounts') only.
    t.exchange
        .add_full_access(DANIEL_UPN, "aisha.khan@contoso.com")
        .await?;
    // Henrik manages five people and belongs to groups: all of that goes with him.
    delete_user(t, HENRIK).await?;
    Ok(rosa)
}

#[tokio::test]
async fn the_full_read_through_delta_equals_the_plain_full_read() -> TestResult {
    let t = spawn().await?;
    let (through_delta, state) =
        read_directory_with_delta(&t.graph, Some(&t.exchange), ReadOptions::default()).await?;
    let plain = read_directory(&t.graph, Some(&t.exchange), ReadOptions::default()).await?;
    assert_eq!(sorted(through_delta.clone()), sorted(plain));
    assert_eq!(sorted(through_delta), sorted(sample()?));
    assert!(state.full_access && state.mailboxes.is_some());
    let stored: DeltaState = serde_json::from_str(&serde_json::to_string(&state)?)?;
    assert_eq!(stored, state, "the state survives being stored");
    Ok(())
}

#[tokio::test]
async fn a_refresh_after_changes_equals_a_fresh_full_read() -> TestResult {
    let t = spawn().await?;
    let (cached, state) =
        read_directory_with_delta(&t.graph, Some(&t.exchange), ReadOptions::default()).await?;
    let rosa = change_everything(&t).await?;

    let (refreshed, state) = refresh_directory(&t.graph, Some(&t.exchange), cached, &state).await?;
    let fresh = read_directory(&t.graph, Some(&t.exchange), ReadOptions::default()).await?;
    assert_eq!(sorted(refreshed.clone()), sorted(fresh));

    // The changes are really there (the comparison alone would pass if nothing had changed).
    let user = |id: &str| refreshed.users.iter().find(|u| u.id == id);
    assert!(user(HENRIK).is_none());
    let rosa_user = user(&rosa).ok_or("Rosa")?;
    assert_eq!(
        rosa_user.manager.as_ref().map(|m| m.id.as_str()),
        Some(MARCUS)
    );
    assert_eq!(
        user(AISHA)
            .and_then(|u| u.manager.as_ref())
            .map(|m| m.id.as_str()),
        Some(MARCUS)
    );
    let mailbox = |id: &str| {
        refreshed
            .mailboxes
            .iter()
            .find(|m| m.external_directory_object_id == id)
    };
    let daniel = mailbox(DANIEL).ok_or("Daniel's mailbox")?;
    assert_eq!(daniel.recipient_type_details, MailboxType::SharedMailbox);
    assert!(daniel.hidden_from_address_lists_enabled);
    assert_eq!(daniel.full_access, ["aisha.khan@contoso.com"]);
    assert!(mailbox(&rosa).is_some(), "the new user's mailbox");
    let olivia = mailbox(OLIVIA).ok_or("Olivia's mailbox")?;
    assert_eq!(olivia.user_principal_name, "olivia.b@contoso.com");

    // Nothing more changed: a second refresh gives the same and costs three reads.
    t.tenant.clear_requests();
    let (again, _) =
        refresh_directory(&t.graph, Some(&t.exchange), refreshed.clone(), &state).await?;
    assert_eq!(again, refreshed);
    assert_eq!(reads(&t), (2, 1, 0));
    Ok(())
}

#[tokio::test]
async fn an_unchanged_tenant_costs_two_graph_reads_and_one_exchange_call() -> TestResult {
    let t = spawn().await?;
    let (cached, state) =
        read_directory_with_delta(&t.graph, Some(&t.exchange), ReadOptions::default()).await?;
    t.tenant.clear_requests();
    let (refreshed, next) =
        refresh_directory(&t.graph, Some(&t.exchange), cached.clone(), &state).await?;
    assert_eq!(refreshed, cached);
    assert_eq!(reads(&t), (2, 1, 0));
    assert_eq!(next.full_access, state.full_access);
    Ok(())
}

#[tokio::test]
async fn links_graph_no_longer_knows_ask_for_a_full_read() -> TestResult {
    let t = spawn().await?;
    let (cached, state) =
        read_directory_with_delta(&t.graph, Some(&t.exchange), ReadOptions::default()).await?;
    let garbage = format!("{}/v1.0/users/delta?$deltatoken=garbage", t.tenant.uri());
    let broken_users = DeltaState {
        users_link: garbage,
        ..state.clone()
    };
    let error = refresh_directory(&t.graph, Some(&t.exchange), cached.clone(), &broken_users)
        .await
        .err()
        .ok_or("a garbage users link was accepted")?;
    assert!(error.is_resync_required(), "{error}");
    let broken_groups = DeltaState {
        groups_link: format!("{}/v1.0/groups/delta?$deltatoken=garbage", t.tenant.uri()),
        ..state.clone()
    };
    let error = refresh_directory(&t.graph, Some(&t.exchange), cached.clone(), &broken_groups)
        .await
        .err()
        .ok_or("a garbage groups link was accepted")?;
    assert!(error.is_resync_required(), "{error}");

    // After a tenant migration every link is stale; the full read starts over.
    t.tenant.load(sample()?);
    let error = refresh_directory(&t.graph, Some(&t.exchange), cached, &state)
        .await
        .err()
        .ok_or("a stale link was accepted")?;
    assert!(error.is_resync_required(), "{error}");
    let (_, fresh) =
        read_directory_with_delta(&t.graph, Some(&t.exchange), ReadOptions::default()).await?;
    assert_ne!(fresh.users_link, state.users_link);
    Ok(())
}
