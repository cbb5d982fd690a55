//! `handle_sqs`: SQS batches as Lambda delivers them.

use tenure::service::provision::{Deadline, handle_sqs, provision};
use tenure_emulator::Faults;

use super::helpers::{Env, SECRET, TestResult, failures, sqs_event};

const ARN: &str = "arn:aws:sqs:us-east-1:123456789012:tenure-work.fifo";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_hire_is_created_once_even_when_delivered_twice() -> TestResult {
    let env = Env::aws().await?;
    let item = env.hire("d-hire", "9101")?;
    let body = item.to_json()?;
    let group = item.message_group();
    let event = sqs_event(ARN, &[("m-1", &group, &body)])?;

    let response = handle_sqs(&env.services, event.clone(), Deadline::none()).await;
    assert!(failures(&response).is_empty(), "{response:?}");
    let user = env.user("9101").ok_or("the hire was not created")?;
    assert!(
        user.user_principal_name.starts_with("quinn.harlow9101@"),
        "{}",
        user.user_principal_name
    );

    // The same message again (SQS is at-least-once): nothing left to do.
    let before = env.tenant.state();
    let response = handle_sqs(&env.services, event, Deadline::none()).await;
    assert!(failures(&response).is_empty(), "{response:?}");
    assert_eq!(
        env.tenant.state(),
        before,
        "the second delivery changed the directory"
    );
    let again = provision(&env.services, &[item]).await?;
    assert_eq!(again.planned, 0, "a third run still plans actions");

    // The audit trail holds the run's changes; no object holds the client secret.
    let objects = env.all_objects().await?;
    let audit: Vec<_> = objects
        .iter()
        .filter(|(key, _)| {
            key.as_str()
                .starts_with(&format!("audit/{}/", env.connection))
        })
        .collect();
    assert_eq!(audit.len(), 1, "one run applied changes: {audit:?}");
    assert!(audit[0].0.as_str().contains("/d-hire-"), "{}", audit[0].0);
    assert!(audit[0].1.lines().count() >= 1 && audit[0].1.contains("9101"));
    assert!(
        objects.iter().any(|(key, _)| key.as_str()
            == format!("connections/{}/directory-cache.json", env.connection))
    );
    for (key, text) in &objects {
        assert!(!text.contains(SECRET), "{key} holds the client secret");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_messages_go_to_the_dead_letter_queue_with_their_reason() -> TestResult {
    let env = Env::aws().await?;
    let good = env.hire("d-good", "9102")?;
    let mut unknown = env.hire("d-stray", "9103")?;
    unknown.connection_id = tenure::store::connections::ConnectionId::parse("nobody-here")?;
    let newer = good
        .to_json()?
        .replacen("\"version\":1", "\"version\":9", 1);
    let event = sqs_event(
        ARN,
        &[
            ("m-junk", "g", "this is not JSON"),
            ("m-future", "g", &newer),
            ("m-unknown", &unknown.message_group(), &unknown.to_json()?),
            ("m-good", &good.message_group(), &good.to_json()?),
        ],
    )?;
    let response = handle_sqs(&env.services, event, Deadline::none()).await;
    assert!(
        failures(&response).is_empty(),
        "poison is not retried: {response:?}"
    );
    assert!(
        env.user("9102").is_some(),
        "the good message was provisioned"
    );

    let letters = env.dead_letters().await?;
    assert_eq!(letters.len(), 3, "{letters:?}");
    let reason_of = |body: &str| {
        letters
            .iter()
            .find(|(b, _)| b == body)
            .map(|(_, r)| r.clone())
            .unwrap_or_default()
    };
    assert!(
        reason_of("this is not JSON").contains("not a work item"),
        "{letters:?}"
    );
    assert!(reason_of(&newer).contains("version 9"), "{letters:?}");
    assert!(
        reason_of(&unknown.to_json()?).contains("there is no connection nobody-here"),
        "{letters:?}"
    );
    for (body, reason) in &letters {
        assert!(!body.contains(SECRET) && !reason.contains(SECRET));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_failing_beyond_retries_sends_only_its_message_back() -> TestResult {
    let env = Env::aws().await?;
    let item = env.hire("d-503", "9104")?;
    env.tenant.set_faults(Faults {
        unavailable: 1.0,
        ..Faults::default()
    });
    let event = sqs_event(
        ARN,
        &[
            ("m-poison", "g", "{\"version\":1}"),
            ("m-503", &item.message_group(), &item.to_json()?),
        ],
    )?;
    let response = handle_sqs(&env.services, event.clone(), Deadline::none()).await;
    assert_eq!(failures(&response), vec!["m-503".to_owned()]);
    assert!(env.user("9104").is_none());
    assert_eq!(
        env.dead_letters().await?.len(),
        1,
        "only the poison is dead-lettered"
    );

    // Microsoft is back: the message that came back is done.
    env.tenant.set_faults(Faults::default());
    let retry = sqs_event(ARN, &[("m-503", &item.message_group(), &item.to_json()?)])?;
    let response = handle_sqs(&env.services, retry, Deadline::none()).await;
    assert!(failures(&response).is_empty(), "{response:?}");
    assert!(env.user("9104").is_some());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_needing_relink_is_dead_lettered_with_the_reason() -> TestResult {
    let env = Env::aws().await?;
    let mut connection = env.connection().await?;
    let (_, version) = env
        .services
        .connections
        .get(&env.connection)
        .await?
        .ok_or("no connection")?;
    connection.status = tenure::store::connections::ConnectionStatus::NeedsRelink {
        reason: "the refresh token was revoked".into(),
    };
    env.services
        .connections
        .replace(&connection, &version)
        .await?;
    let item = env.hire("d-relink", "9105")?;
    let response = handle_sqs(
        &env.services,
        sqs_event(
            ARN,
            &[("m-relink", &item.message_group(), &item.to_json()?)],
        )?,
        Deadline::none(),
    )
    .await;
    assert!(failures(&response).is_empty());
    let letters = env.dead_letters().await?;
    assert_eq!(letters.len(), 1);
    assert!(
        letters[0].1.contains("needs re-linking") && letters[0].1.contains("revoked"),
        "{letters:?}"
    );
    Ok(())
}
