//! Delta queries: `/users/delta` with `manager@delta`, `/groups/delta` with `members@delta`
//! (changes through Graph and Exchange), rounds that stay right while the directory changes
//! between pages, and `410 syncStateNotFound` for tokens the tenant does not know.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tenure::directory::DirectoryUser;

use crate::helpers::{ENTERPRISEPACK, SEATTLE_DL, TestResult, sample, spawn};

const OLIVIA: &str = "40000000-0000-4000-8000-000000001001";
const MARCUS: &str = "40000000-0000-4000-8000-000000001002";
const AISHA: &str = "40000000-0000-4000-8000-000000001003";
const HENRIK: &str = "40000000-0000-4000-8000-000000001004";
const GRACE: &str = "40000000-0000-4000-8000-000000001005";
const ARCHIVE: &str = "30000000-0000-4000-8000-000000000002";
const ALL_STAFF: &str = "20000000-0000-4000-8000-000000000001";
const ENGINEERING: &str = "20000000-0000-4000-8000-000000000002";
const ALL_SEATTLE: &str = "20000000-0000-4000-8000-000000000009";

const USERS: &str = "/users/delta?$select=id,displayName,jobTitle,manager";
const GROUPS: &str =
    "/groups/delta?$select=displayName,mail,groupTypes,securityEnabled,mailEnabled,members";

fn reference(id: &str) -> Value {
    json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")})
}

fn item<'v>(items: &'v [Value], id: &str) -> Option<&'v Value> {
    items.iter().find(|i| i["id"] == id)
}

fn ids(items: &[Value]) -> HashSet<String> {
    items
        .iter()
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect()
}

/// `(id, removed)` of each entry of an `@delta` annotation.
fn references(value: &Value) -> Vec<(String, bool)> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            assert_eq!(r["@odata.type"], "#microsoft.graph.user");
            (
                r["id"].as_str().unwrap_or_default().to_owned(),
                r["@removed"]["reason"] == "deleted",
            )
        })
        .collect()
}

#[tokio::test]
async fn manager_changes_come_as_manager_delta() -> TestResult {
    let t = spawn().await?;
    let (first, link) = t.delta_round(USERS).await?;
    assert_eq!(first.len(), 39);
    let marcus = item(&first, MARCUS).ok_or("Marcus")?;
    assert_eq!(
        references(&marcus["manager@delta"]),
        [(OLIVIA.to_owned(), false)]
    );
    assert!(item(&first, OLIVIA).ok_or("Olivia")?["manager@delta"].is_null());

    let put = t
        .graph(
            Method::PUT,
            &format!("/users/{AISHA}/manager/$ref"),
            Some(reference(MARCUS)),
        )
        .await?;
    assert_eq!(put.status, StatusCode::NO_CONTENT);
    let delete = t
        .graph(
            Method::DELETE,
            &format!("/users/{HENRIK}/manager/$ref"),
            None,
        )
        .await?;
    assert_eq!(delete.status, StatusCode::NO_CONTENT);
    t.graph(
        Method::PATCH,
        &format!("/users/{GRACE}"),
        Some(json!({"jobTitle": "Head of Sales"})),
    )
    .await?;

    let (changes, _) = t.delta_round(&link).await?;
    assert_eq!(
        ids(&changes),
        [AISHA, HENRIK, GRACE].map(str::to_owned).into()
    );
    let aisha = item(&changes, AISHA).ok_or("Aisha")?;
    assert_eq!(
        references(&aisha["manager@delta"]),
        [(OLIVIA.to_owned(), true), (MARCUS.to_owned(), false)]
    );
    let henrik = item(&changes, HENRIK).ok_or("Henrik")?;
    assert_eq!(
        references(&henrik["manager@delta"]),
        [(OLIVIA.to_owned(), true)]
    );
    let grace = item(&changes, GRACE).ok_or("Grace")?;
    assert_eq!(grace["jobTitle"], "Head of Sales");
    assert!(
        grace["manager@delta"].is_null(),
        "an unchanged manager is not repeated"
    );
    Ok(())
}

#[tokio::test]
async fn every_kind_of_write_shows_up_in_the_next_users_delta() -> TestResult {
    let t = spawn().await?;
    let (_, link) = t.delta_round(USERS).await?;
    let created = t.create_user("delta.person", "4001").await?;
    let license = json!({"addLicenses": [{"skuId": ENTERPRISEPACK}], "removeLicenses": []});
    let assigned = t
        .graph(
            Method::POST,
            &format!("/users/{ARCHIVE}/assignLicense"),
            Some(license),
        )
        .await?;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.body);
    let deleted = t
        .graph(Method::DELETE, &format!("/users/{GRACE}"), None)
        .await?;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let (changes, next) = t.delta_round(&link).await?;
    let changed = ids(&changes);
    assert!(changed.contains(&created) && changed.contains(ARCHIVE));
    let grace = item(&changes, GRACE).ok_or("Grace")?;
    assert!(grace["@removed"].is_object(), "{grace}");
    let (unchanged, _) = t.delta_round(&next).await?;
    assert!(unchanged.is_empty(), "{unchanged:?}");
    Ok(())
}

#[tokio::test]
async fn a_round_loses_nobody_when_users_change_between_pages() -> TestResult {
    let t = spawn().await?;
    let first = t.get_paged("/users/delta?$select=id", 10).await?;
    let mut seen = ids(first.body["value"].as_array().ok_or("value")?);
    assert_eq!(seen.len(), 10);
    // Users already answered are deleted and changed: the users after them must not shift
    // out of the round.
    let mut answered = seen.iter();
    let gone = answered.next().ok_or("a user")?.clone();
    let renamed = answered.next().ok_or("another user")?.clone();
    t.graph(Method::DELETE, &format!("/users/{gone}"), None)
        .await?;
    t.graph(
        Method::PATCH,
        &format!("/users/{renamed}"),
        Some(json!({"displayName": "Renamed"})),
    )
    .await?;
    let mut next = first.body["@odata.nextLink"]
        .as_str()
        .ok_or("next")?
        .to_owned();
    loop {
        let page = t.get_paged(&next, 10).await?;
        seen.extend(ids(page.body["value"].as_array().ok_or("value")?));
        match page.body["@odata.nextLink"].as_str() {
            Some(link) => next = link.to_owned(),
            None => break,
        }
    }
    let everyone: HashSet<String> = t
        .tenant
        .state()
        .users
        .into_iter()
        .map(|u| u.id.to_string())
        .collect();
    assert!(
        everyone.is_subset(&seen),
        "missed {:?}",
        everyone.difference(&seen)
    );
    Ok(())
}

#[tokio::test]
async fn unknown_tokens_are_410_sync_state_not_found() -> TestResult {
    let t = spawn().await?;
    for path in [
        "/users/delta?$deltatoken=garbage",
        "/groups/delta?$deltatoken=garbage",
        "/users/delta?$skiptoken=garbage",
    ] {
        let answer = t.get(path).await?;
        assert_eq!(answer.status, StatusCode::GONE, "{path}");
        assert_eq!(answer.error_code(), "syncStateNotFound");
    }
    let (_, users_link) = t.delta_round(USERS).await?;
    let token = users_link
        .split("deltatoken=")
        .nth(1)
        .ok_or("a delta token")?;
    let foreign = t.get(&format!("/groups/delta?$deltatoken={token}")).await?;
    assert_eq!(
        foreign.status,
        StatusCode::GONE,
        "a users token is no groups token"
    );
    // A new directory is a new epoch: earlier links must start over.
    t.tenant.load(sample()?);
    let answer = t.get(&users_link).await?;
    assert_eq!(answer.status, StatusCode::GONE);
    let latest = t.get("/users/delta?$deltatoken=latest").await?;
    assert_eq!(latest.body["value"].as_array().map(Vec::len), Some(0));
    assert!(latest.body["@odata.deltaLink"].is_string());
    Ok(())
}

#[tokio::test]
async fn groups_delta_gives_every_group_with_its_members_then_only_changes() -> TestResult {
    let t = spawn().await?;
    let (first, link) = t.delta_round(GROUPS).await?;
    assert_eq!(first.len(), 12);
    let engineering = item(&first, ENGINEERING).ok_or("Engineering")?;
    assert_eq!(engineering["displayName"], "Engineering");
    assert_eq!(engineering["securityEnabled"], true);
    let members = references(&engineering["members@delta"]);
    assert_eq!(members.len(), 15);
    assert!(members.iter().all(|(_, removed)| !removed));

    let staff: Vec<String> = sample()?
        .groups
        .iter()
        .find(|g| g.id == ALL_STAFF)
        .map(|g| g.members.iter().map(ToString::to_string).collect())
        .ok_or("All Staff")?;
    let newcomer = sample()?
        .users
        .iter()
        .map(|u| u.id.to_string())
        .find(|id| !staff.contains(id))
        .ok_or("someone outside All Staff")?;
    let add = t
        .graph(
            Method::POST,
            &format!("/groups/{ALL_STAFF}/members/$ref"),
            Some(reference(&newcomer)),
        )
        .await?;
    assert_eq!(add.status, StatusCode::NO_CONTENT, "{}", add.body);
    let leaver = members.first().map(|(id, _)| id.clone()).ok_or("member")?;
    let remove = t
        .graph(
            Method::DELETE,
            &format!("/groups/{ENGINEERING}/members/{leaver}/$ref"),
            None,
        )
        .await?;
    assert_eq!(remove.status, StatusCode::NO_CONTENT);
    let dl_add = t
        .cmdlet(
            "Add-DistributionGroupMember",
            json!({"Identity": SEATTLE_DL, "Member": "henrik.sorensen@contoso.com"}),
        )
        .await?;
    assert_eq!(dl_add.status, StatusCode::OK, "{}", dl_add.body);

    let (changes, _) = t.delta_round(&link).await?;
    assert_eq!(
        ids(&changes),
        [ALL_STAFF, ENGINEERING, ALL_SEATTLE]
            .map(str::to_owned)
            .into()
    );
    let of = |id: &str| item(&changes, id).map(|g| references(&g["members@delta"]));
    assert_eq!(of(ALL_STAFF), Some(vec![(newcomer, false)]));
    assert_eq!(of(ENGINEERING), Some(vec![(leaver, true)]));
    assert_eq!(of(ALL_SEATTLE), Some(vec![(HENRIK.to_owned(), false)]));
    let seattle = item(&changes, ALL_SEATTLE).ok_or("All Seattle")?;
    assert_eq!(
        seattle["mail"], SEATTLE_DL,
        "properties come with the change"
    );
    Ok(())
}

#[tokio::test]
async fn exchange_removals_and_deleted_users_leave_groups_in_groups_delta() -> TestResult {
    let t = spawn().await?;
    let (first, link) = t.delta_round(GROUPS).await?;
    let seattle = references(&item(&first, ALL_SEATTLE).ok_or("All Seattle")?["members@delta"]);
    let (member, _) = seattle.first().ok_or("a Seattle member")?;
    let upn = t
        .tenant
        .state()
        .users
        .iter()
        .find(|u| &u.id == member)
        .map(|u| u.user_principal_name.clone())
        .ok_or("member's UPN")?;
    let removed = t
        .cmdlet(
            "Remove-DistributionGroupMember",
            json!({"Identity": SEATTLE_DL, "Member": upn, "Confirm": false}),
        )
        .await?;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    t.graph(Method::DELETE, &format!("/users/{MARCUS}"), None)
        .await?;
    let (changes, _) = t.delta_round(&link).await?;
    let seattle_changes =
        references(&item(&changes, ALL_SEATTLE).ok_or("Seattle")?["members@delta"]);
    assert!(seattle_changes.contains(&(member.clone(), true)));
    let marcus_groups = sample()?
        .groups
        .iter()
        .filter(|g| g.members.iter().any(|m| m == MARCUS))
        .count();
    assert!(marcus_groups > 0);
    let leaving: Vec<&Value> = changes
        .iter()
        .filter(|g| references(&g["members@delta"]).contains(&(MARCUS.to_owned(), true)))
        .collect();
    assert_eq!(leaving.len(), marcus_groups);
    Ok(())
}

#[tokio::test]
async fn a_large_groups_members_come_over_several_pages() -> TestResult {
    let t = spawn().await?;
    let mut snapshot = sample()?;
    let mut bulk = Vec::new();
    for n in 0..1_200 {
        let id = format!("50000000-0000-4000-8000-{n:012}");
        snapshot.users.push(DirectoryUser {
            id: id.clone().into(),
            user_principal_name: format!("bulk{n}@contoso.com").into(),
            account_enabled: true,
            ..DirectoryUser::default()
        });
        bulk.push(id);
    }
    let staff = snapshot
        .groups
        .iter_mut()
        .find(|g| g.id == ALL_STAFF)
        .ok_or("All Staff")?;
    staff
        .members
        .extend(bulk.iter().map(|id| id.as_str().into()));
    let expected: HashSet<String> = staff.members.iter().map(ToString::to_string).collect();
    t.tenant.load(snapshot);
    let (items, _) = t.delta_round(GROUPS).await?;
    let parts: Vec<&Value> = items.iter().filter(|g| g["id"] == ALL_STAFF).collect();
    assert!(
        parts.len() >= 3,
        "1,235 members come in parts of at most 500"
    );
    let members: HashSet<String> = parts
        .iter()
        .flat_map(|g| references(&g["members@delta"]))
        .map(|(id, _)| id)
        .collect();
    assert_eq!(members, expected);
    assert!(parts.iter().all(|g| g["displayName"] == "All Staff"));
    Ok(())
}
