//! Reading the directory: `$filter` on employeeId, `$select`, `$top` and paging, delta.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestResult, spawn};

fn ids(body: &Value) -> Vec<String> {
    body["value"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|u| u["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn employee_id_filters_eq_in_and_starts_with() -> TestResult {
    let t = spawn().await?;
    let eq = t
        .get("/users?$filter=employeeId eq '1002'&$select=id,employeeId")
        .await?;
    assert_eq!(eq.status, StatusCode::OK);
    assert_eq!(ids(&eq.body), ["40000000-0000-4000-8000-000000001002"]);
    let within = t
        .get("/users?$filter=employeeId in ('1001','1003','nobody')&$select=id")
        .await?;
    assert_eq!(within.body["value"].as_array().map(Vec::len), Some(2));
    let starts = t
        .get("/users?$filter=startsWith(employeeId,'101')&$select=employeeId")
        .await?;
    let found: Vec<&str> = starts.body["value"]
        .as_array()
        .map(|v| v.iter().filter_map(|u| u["employeeId"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(found.len(), 10);
    assert!(found.iter().all(|e| e.starts_with("101")));
    let unsupported = t.get("/users?$filter=jobTitle eq 'x'").await?;
    assert_eq!(unsupported.status, StatusCode::BAD_REQUEST);
    let unknown_select = t.get("/users?$select=shoeSize").await?;
    assert_eq!(unknown_select.status, StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn lists_page_with_next_links_until_every_user_is_seen() -> TestResult {
    let t = spawn().await?;
    let mut url = "/users?$top=10&$select=id".to_owned();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = t.get(&url).await?;
        assert_eq!(page.status, StatusCode::OK);
        seen.extend(ids(&page.body));
        pages += 1;
        match page.body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 4);
    assert_eq!(seen.len(), 39);
    let too_big = t.get("/users?$top=1000").await?;
    assert_eq!(too_big.status, StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn delta_pages_then_returns_only_what_changed_and_what_was_removed() -> TestResult {
    let t = spawn().await?;
    let mut url = "/users/delta?$select=id,employeeId,accountEnabled".to_owned();
    let mut seen = 0;
    let delta_link = loop {
        let page = t.get(&url).await?;
        assert_eq!(page.status, StatusCode::OK);
        seen += ids(&page.body).len();
        if let Some(next) = page.body["@odata.nextLink"].as_str() {
            url = next.to_owned();
        } else {
            break page.body["@odata.deltaLink"]
                .as_str()
                .ok_or("no delta link")?
                .to_owned();
        }
    };
    assert_eq!(seen, 39);

    let unchanged = t.get(&delta_link).await?;
    assert_eq!(ids(&unchanged.body).len(), 0);
    let next_link = unchanged.body["@odata.deltaLink"]
        .as_str()
        .ok_or("delta link")?
        .to_owned();

    let created = t.create_user("delta.person", "4001").await?;
    let patch = serde_json::json!({"jobTitle": "Analyst"});
    t.graph(
        reqwest::Method::PATCH,
        "/users/40000000-0000-4000-8000-000000001003",
        Some(patch),
    )
    .await?;
    t.graph(
        reqwest::Method::DELETE,
        "/users/40000000-0000-4000-8000-000000001004",
        None,
    )
    .await?;
    let changes = t.get(&next_link).await?;
    let values = changes.body["value"].as_array().ok_or("value")?;
    // The deleted user's reports lost their manager: they changed too; nobody else did.
    assert!(values.len() < 10, "{}", changes.body);
    assert!(
        values
            .iter()
            .all(|v| v["id"] != "40000000-0000-4000-8000-000000001001")
    );
    assert!(values.iter().any(|v| v["id"] == created.as_str()));
    assert!(
        values
            .iter()
            .any(|v| v["id"] == "40000000-0000-4000-8000-000000001003")
    );
    let removed = values
        .iter()
        .find(|v| v["id"] == "40000000-0000-4000-8000-000000001004")
        .ok_or("removed user")?;
    assert!(removed["@removed"].is_object());
    Ok(())
}
