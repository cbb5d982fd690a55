//! Fault injection: 503s, 429s, slow answers, dropped connections, failing inner batch
//! requests, the same on every run for a seed.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use tenure_emulator::Faults;

use crate::helpers::{TestResult, spawn, spawn_with};

#[tokio::test]
async fn every_request_can_be_made_to_fail_each_way() -> TestResult {
    let t = spawn().await?;
    let token = t.token(crate::helpers::GRAPH_SCOPE).await?;

    t.tenant.set_faults(Faults {
        unavailable: 1.0,
        ..Faults::default()
    });
    let answer = t
        .graph_with(&token, Method::GET, "/users?$top=1", None)
        .await?;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);

    t.tenant.set_faults(Faults {
        throttled: 1.0,
        ..Faults::default()
    });
    let answer = t
        .graph_with(&token, Method::GET, "/users?$top=1", None)
        .await?;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer.header("retry-after"), Some("1"));

    t.tenant.set_faults(Faults {
        dropped: 1.0,
        ..Faults::default()
    });
    let dropped = t
        .http
        .get(format!("{}/v1.0/users", t.tenant.uri()))
        .bearer_auth(&token)
        .send()
        .await;
    assert!(dropped.is_err(), "the connection closes without an answer");
    assert_eq!(t.tenant.requests().last().map(|r| r.status), Some(0));

    t.tenant.set_faults(Faults {
        slow: 1.0,
        slow_delay: Duration::from_millis(50),
        ..Faults::default()
    });
    let answer = t
        .graph_with(&token, Method::GET, "/users?$top=1", None)
        .await?;
    assert_eq!(answer.status, StatusCode::OK);

    t.tenant.set_faults(Faults::default());
    let answer = t
        .graph_with(&token, Method::GET, "/users?$top=1", None)
        .await?;
    assert_eq!(answer.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn inner_batch_requests_can_fail_while_the_batch_succeeds() -> TestResult {
    let t = spawn_with(|c| {
        c.with_faults(
            Faults {
                batch_inner_failures: 1.0,
                ..Faults::default()
            },
            7,
        )
    })
    .await?;
    let batch = json!({"requests": [{"id": "1", "method": "GET", "url": "/users?$top=1"}]});
    let answer = t.graph(Method::POST, "/$batch", Some(batch)).await?;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["responses"][0]["status"], 503);
    Ok(())
}

async fn statuses_for_seed(seed: u64) -> Result<Vec<u16>, Box<dyn std::error::Error>> {
    let t = spawn_with(|c| {
        c.with_faults(
            Faults {
                unavailable: 0.5,
                ..Faults::default()
            },
            seed,
        )
    })
    .await?;
    let token = t.token(crate::helpers::GRAPH_SCOPE).await?;
    let mut statuses = Vec::new();
    for _ in 0..24 {
        statuses.push(
            t.graph_with(&token, Method::GET, "/users?$top=1", None)
                .await?
                .status
                .as_u16(),
        );
    }
    Ok(statuses)
}

#[tokio::test]
async fn the_same_seed_gives_the_same_faults() -> TestResult {
    let first = statuses_for_seed(42).await?;
    let second = statuses_for_seed(42).await?;
    assert_eq!(first, second);
    assert!(first.contains(&503) && first.contains(&200), "{first:?}");
    Ok(())
}
