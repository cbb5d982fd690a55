//! Directory reads: users with their manager, groups with members, licenses, paging, the delta
//! link, and a whole snapshot read back equal to what the tenant was loaded with.

use tenure::directory::{DirectoryUser, Snapshot};
use tenure::microsoft::{ReadOptions, read_directory};

use super::helpers::{TestResult, count, sample, sorted, spawn};

fn sorted_users(mut users: Vec<DirectoryUser>) -> Vec<DirectoryUser> {
    users.sort_by(|a, b| a.id.cmp(&b.id));
    users
}

/// The sample as read without the tenant and full-access holders (see the ignored test).
fn comparable(snapshot: Snapshot) -> Snapshot {
    let mut snapshot = sorted(snapshot);
    snapshot.tenant = Default::default();
    for mailbox in &mut snapshot.mailboxes {
        mailbox.full_access.clear();
    }
    snapshot
}

#[tokio::test]
async fn users_are_listed_with_the_snapshots_properties_and_managers() -> TestResult {
    let t = spawn().await?;
    let users = t.graph.list_users().await?;
    assert_eq!(sorted_users(users), sorted_users(sample()?.users));
    Ok(())
}

#[tokio::test]
async fn a_directory_read_gives_back_the_loaded_snapshot() -> TestResult {
    let t = spawn().await?;
    let options = ReadOptions {
        tenant: false,
        full_access: false,
    };
    let read = read_directory(&t.graph, Some(&t.exchange), options).await?;
    assert_eq!(comparable(read), comparable(sample()?));
    Ok(())
}

#[tokio::test]
async fn a_full_directory_read_includes_the_tenant_and_full_access() -> TestResult {
    let t = spawn().await?;
    let read = read_directory(&t.graph, Some(&t.exchange), ReadOptions::default()).await?;
    let expected = sample()?;
    assert_eq!(read.tenant, expected.tenant);
    let holders = |s: &tenure::directory::Snapshot| {
        let mut all: Vec<(String, Vec<String>)> = s
            .mailboxes
            .iter()
            .map(|m| {
                (
                    m.external_directory_object_id.to_string(),
                    m.full_access.clone(),
                )
            })
            .collect();
        all.sort();
        all
    };
    assert_eq!(holders(&read), holders(&expected));
    assert!(
        expected.mailboxes.iter().any(|m| !m.full_access.is_empty()),
        "the sample has full-access holders to find"
    );
    Ok(())
}

#[tokio::test]
async fn large_listings_follow_next_links() -> TestResult {
    let t = spawn().await?;
    let mut snapshot = sample()?;
    for n in 0..1_500 {
        snapshot.users.push(DirectoryUser {
            id: format!("50000000-0000-4000-8000-{n:012}").into(),
            user_principal_name: format!("bulk{n}@contoso.com").into(),
            employee_id: Some(format!("9{n:05}")),
            account_enabled: true,
            display_name: Some(format!("Bulk {n}")),
            mail_nickname: Some(format!("bulk{n}").into()),
            ..DirectoryUser::default()
        });
    }
    t.tenant.load(snapshot.clone());
    t.tenant.clear_requests();
    let users = t.graph.list_users().await?;
    assert_eq!(users.len(), snapshot.users.len());
    assert!(count(&t.tenant, "GET", "/v1.0/users") >= 2, "paged");
    Ok(())
}

#[tokio::test]
async fn the_delta_link_returns_only_what_changed() -> TestResult {
    let t = spawn().await?;
    let first = t.graph.users_delta(None).await?;
    assert_eq!(first.changed.len(), sample()?.users.len());
    let unchanged = t.graph.users_delta(Some(&first.delta_link)).await?;
    assert!(unchanged.changed.is_empty() && unchanged.removed.is_empty());
    let olivia = "40000000-0000-4000-8000-000000001001";
    let changes = [("jobTitle".to_owned(), Some("Chair".to_owned()))].into();
    t.graph.update_user(olivia, &changes).await?;
    let changed = t.graph.users_delta(Some(&unchanged.delta_link)).await?;
    assert_eq!(changed.changed.len(), 1);
    assert_eq!(changed.changed[0].id, olivia);
    assert_eq!(changed.changed[0].job_title.as_deref(), Some("Chair"));
    Ok(())
}

#[tokio::test]
async fn users_are_found_by_upn_and_by_employee_id() -> TestResult {
    let t = spawn().await?;
    let olivia = t
        .graph
        .find_user("olivia.bennett@contoso.com")
        .await?
        .ok_or("Olivia not found")?;
    assert_eq!(olivia.employee_id.as_deref(), Some("1001"));
    assert!(t.graph.find_user("nobody@contoso.com").await?.is_none());
    let found = t.graph.users_by_employee_id(&["1001", "1002"]).await?;
    assert_eq!(found.len(), 2);
    Ok(())
}
