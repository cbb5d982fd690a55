//! A Lambda deployment allows only its connections' national cloud hosts unless told otherwise
//! (`TENURE_ALLOW_CUSTOM_ENDPOINTS`): `provision` as deployed by default refuses the
//! connection to the emulated tenant (on `http://127.0.0.1`) and sends it nothing, not even a
//! token request.

use tenure_lambda::ALLOW_CUSTOM_ENDPOINTS;

use crate::stack::{Stack, TestResult, hire};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_provision_refuses_a_connection_whose_endpoints_are_not_its_clouds() -> TestResult
{
    let mut stack = Stack::without_functions().await?;
    for (name, binary, allow) in [
        ("hr-webhook", env!("CARGO_BIN_EXE_hr-webhook"), "true"),
        // Unset, as in the template's default.
        ("provision", env!("CARGO_BIN_EXE_provision"), ""),
    ] {
        let process =
            stack.spawn_with(name, binary, "debug", &[(ALLOW_CUSTOM_ENDPOINTS, allow)])?;
        stack.processes.push(process);
    }
    let event = stack.signed_webhook_event(&hire("9101", "Foreign"), jiff::Timestamp::now());
    let answer = stack.invoke("hr-webhook", &event).await?;
    assert_eq!(answer["statusCode"], 202, "{answer}");

    let requests_before = stack.tenant.requests().len();
    let (failures, done) = stack.provision_queued().await?;
    // Refused for good: dead-lettered with the reason, not retried.
    assert!(failures.is_empty(), "{failures:?}");
    assert!(done >= 1);
    let dead = stack.dead_letter_reasons().await?;
    assert!(
        dead.iter()
            .any(|reason| reason.contains("is refused by this deployment")
                && reason.contains("is not https://login.microsoftonline.com")),
        "{dead:?}"
    );
    assert_eq!(
        stack.tenant.requests().len(),
        requests_before,
        "the tenant was sent a request"
    );
    stack.assert_no_secret_anywhere().await?;
    Ok(())
}
