//! The Lambda binaries themselves, run against cargo-lambda's Lambda Runtime API emulator
//! (`cargo lambda watch --only-lambda-apis`), with S3, SQS and Secrets Manager in moto and the
//! emulated tenant in this process: a signed HR webhook goes through `hr-webhook` onto the SQS
//! queue, and its messages through `provision` into the tenant; `consent` and `oauth-callback`
//! link a tenant with the redirect URI of the domain they were reached on (`redirect_uri`); `console`
//! serves its pages to a signed-in operator only (`console`); a
//! deployment that does not allow custom endpoints refuses a connection to the emulated tenant
//! (`custom_endpoints`); a batch too large for one invocation completes over several through
//! continuations, under a short function timeout and a slow tenant (`deadline`).

mod console;
mod custom_endpoints;
mod deadline;
mod redirect_uri;
mod stack;

use serde_json::Value;

use stack::{Stack, TestResult, hire};

fn users_with(stack: &Stack, employee_id: &str) -> usize {
    stack
        .tenant
        .state()
        .users
        .iter()
        .filter(|u| u.employee_id.as_deref() == Some(employee_id))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_webhook_reaches_the_tenant_through_the_lambda_binaries() -> TestResult {
    let stack = Stack::start().await?;
    let body = hire("9001", "Grace");
    let event = stack.signed_webhook_event(&body, jiff::Timestamp::now());

    let answer = stack.invoke("hr-webhook", &event).await?;
    assert_eq!(answer["statusCode"], 202, "{answer}");
    let accepted: Value = serde_json::from_str(answer["body"].as_str().unwrap_or_default())?;
    assert_eq!(accepted["workers"], 1, "{accepted}");

    let writes_before = stack.graph_writes();
    let (failures, done) = stack.provision_queued().await?;
    assert!(failures.is_empty(), "failed messages: {failures:?}");
    assert!(done >= 1);
    assert_eq!(users_with(&stack, "9001"), 1);
    assert!(stack.graph_writes() > writes_before);

    // The same delivery again (a retry of HR's sender): refused as a replay, nothing queued.
    let again = stack.invoke("hr-webhook", &event).await?;
    assert_eq!(again["statusCode"], 401, "{again}");
    assert_eq!(stack.queued().await?, 0);

    // The same change delivered again, freshly signed (HR sent it twice): queued and
    // provisioned, and the tenant is not changed a second time.
    let resent = stack.signed_webhook_event(&body, jiff::Timestamp::now());
    let answer = stack.invoke("hr-webhook", &resent).await?;
    assert_eq!(answer["statusCode"], 202, "{answer}");
    let writes_before = stack.graph_writes();
    let (failures, done) = stack.provision_queued().await?;
    assert!(failures.is_empty() && done >= 1, "{failures:?}");
    assert_eq!(
        stack.graph_writes(),
        writes_before,
        "a duplicate delivery wrote to Graph"
    );
    assert_eq!(users_with(&stack, "9001"), 1);
    stack.assert_no_secret_anywhere().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_webhooks_are_refused_by_the_binary_and_nothing_is_queued() -> TestResult {
    let stack = Stack::start().await?;
    let body = hire("9002", "Alan");
    let now = jiff::Timestamp::now();

    let mut tampered = stack.signed_webhook_event(&body, now);
    tampered["body"] = Value::String(String::from_utf8(hire("9002", "Mallory"))?);
    let stale = stack.signed_webhook_event(&body, now - jiff::SignedDuration::from_mins(30));
    let malformed_body = br#"{"events":[{"type":"upsert","worker":{"employee_id":7}}]}"#;
    let malformed = stack.signed_webhook_event(malformed_body, now);
    let oversized_body = vec![b' '; 1024 * 1024 + 1];
    let oversized = stack.signed_webhook_event(&oversized_body, now);

    for (event, status) in [
        (tampered, 401),
        (stale, 401),
        (malformed, 400),
        (oversized, 413),
    ] {
        let answer = stack.invoke("hr-webhook", &event).await?;
        assert_eq!(answer["statusCode"], status, "{answer}");
        let error: Value = serde_json::from_str(answer["body"].as_str().unwrap_or_default())?;
        assert!(
            error["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{error}"
        );
    }
    assert_eq!(stack.queued().await?, 0);
    stack.assert_no_secret_in_output()?;
    Ok(())
}
