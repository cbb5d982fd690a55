//! `$batch`: packing by 20, dependencies, per-request answers, inner 429s sent again.

use serde_json::json;
use tenure::microsoft::graph::BatchRequest;
use tenure_emulator::Faults;

use super::helpers::{TestResult, count, spawn};

const OLIVIA: &str = "40000000-0000-4000-8000-000000001001";

fn patch(id: &str, user: &str, title: &str, depends_on: &[&str]) -> BatchRequest {
    BatchRequest {
        id: id.to_owned(),
        method: "PATCH".to_owned(),
        url: format!("/users/{user}"),
        body: Some(json!({"jobTitle": title})),
        depends_on: depends_on.iter().map(|d| (*d).to_owned()).collect(),
    }
}

#[tokio::test]
async fn requests_are_packed_by_twenty_and_answered_in_order() -> TestResult {
    let t = spawn().await?;
    let requests: Vec<BatchRequest> = (0..45)
        .map(|n| patch(&n.to_string(), OLIVIA, &format!("Title {n}"), &[]))
        .collect();
    t.tenant.clear_requests();
    let answers = t.graph.batch(&requests).await?;
    assert_eq!(count(&t.tenant, "POST", "/v1.0/$batch"), 3);
    assert_eq!(answers.len(), 45);
    for (request, answer) in requests.iter().zip(&answers) {
        assert_eq!(request.id, answer.id);
        assert!(answer.is_success(), "{answer:?}");
    }
    Ok(())
}

#[tokio::test]
async fn a_failed_dependency_gives_424() -> TestResult {
    let t = spawn().await?;
    let requests = vec![
        patch("1", "00000000-0000-0000-0000-000000000000", "x", &[]),
        patch("2", OLIVIA, "after a failure", &["1"]),
        patch("3", OLIVIA, "independent", &[]),
    ];
    let answers = t.graph.batch(&requests).await?;
    assert_eq!(answers[0].status, 404);
    assert!(
        answers[0]
            .error("PATCH /users/{id}")
            .is_some_and(|e| e.is_not_found())
    );
    assert_eq!(answers[1].status, 424);
    assert!(answers[2].is_success());
    Ok(())
}

#[tokio::test]
async fn a_dependency_in_an_earlier_call_is_honoured() -> TestResult {
    let t = spawn().await?;
    let mut requests: Vec<BatchRequest> = (0..20)
        .map(|n| patch(&n.to_string(), OLIVIA, "t", &[]))
        .collect();
    requests[0] = patch("0", "00000000-0000-0000-0000-000000000000", "x", &[]);
    requests.push(patch("late", OLIVIA, "needs 0", &["0"]));
    let answers = t.graph.batch(&requests).await?;
    assert_eq!(answers[20].status, 424);
    Ok(())
}

#[tokio::test]
async fn inner_throttling_is_retried() -> TestResult {
    let t = spawn().await?;
    t.tenant.set_faults(Faults {
        batch_inner_failures: 0.5,
        ..Faults::default()
    });
    let requests: Vec<BatchRequest> = (0..20)
        .map(|n| patch(&n.to_string(), OLIVIA, &format!("T{n}"), &[]))
        .collect();
    let answers = t.graph.batch(&requests).await?;
    assert!(answers.iter().all(|a| a.is_success()), "{answers:?}");
    Ok(())
}
