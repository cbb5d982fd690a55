//! Throttling: `429` with `Retry-After` for Graph, `Rate-Limit-*` for Exchange, once over budget.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestResult, spawn_with};

fn tight() -> tenure_emulator::RateLimits {
    tenure_emulator::RateLimits {
        window: Duration::from_secs(3600),
        resource_units: 5,
        write_window: Duration::from_secs(3600),
        writes: 1,
        exchange_window: Duration::from_secs(3600),
        exchange_requests: 1,
    }
}

#[tokio::test]
async fn graph_answers_429_with_retry_after_once_the_units_are_spent() -> TestResult {
    let t = spawn_with(|c| c.with_limits(tight())).await?;
    let path = "/users/40000000-0000-4000-8000-000000001001";
    assert_eq!(t.get(path).await?.status, StatusCode::OK);
    assert_eq!(t.get(path).await?.status, StatusCode::OK);
    let third = t.get(path).await?;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(third.error_code(), "TooManyRequests");
    let retry: u64 = third
        .header("retry-after")
        .ok_or("no Retry-After")?
        .parse()?;
    assert!(retry >= 1);
    Ok(())
}

#[tokio::test]
async fn writes_have_their_own_budget_and_inner_batch_requests_count() -> TestResult {
    let t = spawn_with(|c| c.with_limits(tight())).await?;
    let patch = json!({"jobTitle": "a"});
    let batch = json!({"requests": [
        {"id": "1", "method": "PATCH", "url": "/users/40000000-0000-4000-8000-000000001001", "headers": {"Content-Type": "application/json"}, "body": patch},
        {"id": "2", "method": "PATCH", "url": "/users/40000000-0000-4000-8000-000000001002", "headers": {"Content-Type": "application/json"}, "body": patch},
    ]});
    let answer = t.graph(Method::POST, "/$batch", Some(batch)).await?;
    assert_eq!(answer.status, StatusCode::OK);
    let statuses: Vec<u64> = answer.body["responses"]
        .as_array()
        .map(|r| r.iter().filter_map(|x| x["status"].as_u64()).collect())
        .unwrap_or_default();
    assert_eq!(statuses, [204, 429]);
    let throttled = answer.body["responses"][1]["headers"]["retry-after"].as_str();
    assert!(throttled.is_some(), "{}", answer.body);
    Ok(())
}

#[tokio::test]
async fn exchange_answers_429_with_rate_limit_headers() -> TestResult {
    let t = spawn_with(|c| c.with_limits(tight())).await?;
    let first = t.cmdlet("Get-Mailbox", json!({})).await?;
    assert_eq!(first.status, StatusCode::OK);
    let second = t.cmdlet("Get-Mailbox", json!({})).await?;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(second.header("rate-limit-remaining"), Some("0"));
    assert!(second.header("rate-limit-reset").is_some());
    Ok(())
}
