//! Groups: list, read, members, membership changes, and the refusal for Exchange-only groups.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestResult, spawn};

const ENGINEERING: &str = "20000000-0000-4000-8000-000000000002";
const ALL_SEATTLE: &str = "20000000-0000-4000-8000-000000000009";
const OLIVIA: &str = "40000000-0000-4000-8000-000000001001";
const MARCUS: &str = "40000000-0000-4000-8000-000000001002";

fn reference(id: &str) -> serde_json::Value {
    json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")})
}

#[tokio::test]
async fn groups_list_filter_and_read() -> TestResult {
    let t = spawn().await?;
    let all = t.get("/groups?$select=id,displayName&$top=5").await?;
    assert_eq!(all.body["value"].as_array().map(Vec::len), Some(5));
    assert!(all.body["@odata.nextLink"].is_string());
    let by_name = t
        .get("/groups?$filter=displayName eq 'Engineering'")
        .await?;
    assert_eq!(by_name.body["value"][0]["id"], ENGINEERING);
    let by_mail = t
        .get("/groups?$filter=mail eq 'all-seattle@contoso.com'")
        .await?;
    assert_eq!(by_mail.body["value"][0]["id"], ALL_SEATTLE);
    assert_eq!(by_mail.body["value"][0]["mailEnabled"], true);
    let one = t.get(&format!("/groups/{ENGINEERING}")).await?;
    assert_eq!(one.body["displayName"], "Engineering");
    Ok(())
}

#[tokio::test]
async fn members_are_listed_in_pages() -> TestResult {
    let t = spawn().await?;
    let first = t
        .get(&format!("/groups/{ENGINEERING}/members?$select=id&$top=10"))
        .await?;
    assert_eq!(first.body["value"].as_array().map(Vec::len), Some(10));
    assert_eq!(
        first.body["value"][0]["@odata.type"],
        "#microsoft.graph.user"
    );
    let next = first.body["@odata.nextLink"].as_str().ok_or("next")?;
    let second = t.get(next).await?;
    assert_eq!(second.body["value"].as_array().map(Vec::len), Some(5));
    Ok(())
}

#[tokio::test]
async fn adding_twice_is_400_and_removing_a_non_member_is_404() -> TestResult {
    let t = spawn().await?;
    let path = format!("/groups/{ENGINEERING}/members/$ref");
    let add = t
        .graph(Method::POST, &path, Some(reference(OLIVIA)))
        .await?;
    assert_eq!(add.status, StatusCode::NO_CONTENT);
    let twice = t
        .graph(Method::POST, &path, Some(reference(OLIVIA)))
        .await?;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        twice.error_message(),
        "One or more added object references already exist for the following modified properties: 'members'."
    );
    let remove = t
        .graph(
            Method::DELETE,
            &format!("/groups/{ENGINEERING}/members/{OLIVIA}/$ref"),
            None,
        )
        .await?;
    assert_eq!(remove.status, StatusCode::NO_CONTENT);
    let again = t
        .graph(
            Method::DELETE,
            &format!("/groups/{ENGINEERING}/members/{OLIVIA}/$ref"),
            None,
        )
        .await?;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn members_odata_bind_takes_up_to_20() -> TestResult {
    let t = spawn().await?;
    let mut ids = Vec::new();
    for n in 0..21 {
        ids.push(
            t.create_user(&format!("bulk{n}"), &format!("6{n:03}"))
                .await?,
        );
    }
    let binds = |ids: &[String]| json!({"members@odata.bind": ids.iter().map(|id| format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")).collect::<Vec<_>>()});
    let path = format!("/groups/{ENGINEERING}");
    let too_many = t.graph(Method::PATCH, &path, Some(binds(&ids))).await?;
    assert_eq!(too_many.status, StatusCode::BAD_REQUEST);
    let twenty = t
        .graph(Method::PATCH, &path, Some(binds(&ids[..20])))
        .await?;
    assert_eq!(twenty.status, StatusCode::NO_CONTENT);
    let state = t.tenant.state();
    let group = state
        .groups
        .iter()
        .find(|g| g.id == ENGINEERING)
        .ok_or("group")?;
    assert_eq!(group.members.len(), 35);
    Ok(())
}

#[tokio::test]
async fn distribution_lists_are_visible_but_not_changeable_in_graph() -> TestResult {
    let t = spawn().await?;
    let members = t
        .get(&format!("/groups/{ALL_SEATTLE}/members?$select=id"))
        .await?;
    assert_eq!(members.status, StatusCode::OK);
    let refused = [
        t.graph(Method::POST, &format!("/groups/{ALL_SEATTLE}/members/$ref"), Some(reference(MARCUS))).await?,
        t.graph(Method::DELETE, &format!("/groups/{ALL_SEATTLE}/members/{OLIVIA}/$ref"), None).await?,
        t.graph(Method::PATCH, &format!("/groups/{ALL_SEATTLE}"), Some(json!({"members@odata.bind": [format!("https://graph.microsoft.com/v1.0/directoryObjects/{MARCUS}")]}))).await?,
    ];
    for answer in refused {
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.error_code(), "Request_BadRequest");
        assert_eq!(
            answer.error_message(),
            "Cannot Update a mail-enabled security groups and or distribution list."
        );
    }
    Ok(())
}
