//! `$batch`: up to 20 requests, `dependsOn`, `424` after a failed dependency.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestResult, new_user, spawn};

fn response<'b>(body: &'b Value, id: &str) -> Option<&'b Value> {
    body["responses"].as_array()?.iter().find(|r| r["id"] == id)
}

#[tokio::test]
async fn a_batch_runs_its_requests_with_dependencies() -> TestResult {
    let t = spawn().await?;
    let batch = json!({"requests": [
        {"id": "1", "method": "POST", "url": "/users", "headers": {"Content-Type": "application/json"}, "body": new_user("batch.one", "7001")},
        {"id": "2", "method": "GET", "url": "/users?$filter=employeeId eq '7001'&$select=id", "dependsOn": ["1"]},
        {"id": "3", "method": "POST", "url": "/users", "headers": {"Content-Type": "application/json"}, "body": new_user("batch.one", "7002"), "dependsOn": ["2"]},
        {"id": "4", "method": "PATCH", "url": "/users/batch.one@contoso.com", "headers": {"Content-Type": "application/json"}, "body": {"jobTitle": "x"}, "dependsOn": ["3"]},
    ]});
    let answer = t.graph(Method::POST, "/$batch", Some(batch)).await?;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(response(&answer.body, "1").ok_or("1")?["status"], 201);
    let listed = response(&answer.body, "2").ok_or("2")?;
    assert_eq!(listed["status"], 200);
    assert_eq!(listed["body"]["value"].as_array().map(Vec::len), Some(1));
    let duplicate = response(&answer.body, "3").ok_or("3")?;
    assert_eq!(duplicate["status"], 400);
    assert_eq!(duplicate["body"]["error"]["code"], "Request_BadRequest");
    assert_eq!(response(&answer.body, "4").ok_or("4")?["status"], 424);
    let inner = t.tenant.requests().iter().filter(|r| r.in_batch).count();
    assert_eq!(inner, 4);
    Ok(())
}

#[tokio::test]
async fn more_than_20_requests_fail_the_whole_batch() -> TestResult {
    let t = spawn().await?;
    let requests: Vec<Value> = (0..21)
        .map(|n| json!({"id": n.to_string(), "method": "GET", "url": "/users?$top=1"}))
        .collect();
    let answer = t
        .graph(
            Method::POST,
            "/$batch",
            Some(json!({ "requests": requests })),
        )
        .await?;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(t.tenant.requests().iter().all(|r| !r.in_batch));
    Ok(())
}

#[tokio::test]
async fn a_body_without_content_type_fails_the_batch() -> TestResult {
    let t = spawn().await?;
    let batch = json!({"requests": [{"id": "1", "method": "POST", "url": "/users", "body": new_user("x", "1")}]});
    let answer = t.graph(Method::POST, "/$batch", Some(batch)).await?;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    Ok(())
}
