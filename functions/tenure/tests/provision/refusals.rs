//! What provisioning leaves for a person: a plan the guard refuses, a credential Microsoft
//! refuses.

use secrecy::SecretString;
use tenure::hr::read_csv;
use tenure::queue::WorkItem;
use tenure::service::provision::{Deadline, handle_sqs, refused_key};
use tenure::service::settings::MappingSettings;
use tenure::store::connections::ConnectionStatus;
use tenure::store::objects::Condition;
use tenure::store::secrets::{SecretKind, SecretName};

use super::helpers::{Env, SECRET, TestResult, failures, sqs_event};

const ARN: &str = "arn:aws:sqs:us-east-1:123456789012:tenure-work.fifo";

/// HR says the CEO (employee 1001 of the sample tenant, enabled there) has left.
fn ceo_leaves(env: &Env, delivery: &str) -> Result<WorkItem, super::helpers::Error> {
    let csv = "employee_id,first_name,last_name,job_title,department,country,employment_status,employment_type,hire_date,termination_date,time_zone\n\
               1001,Olivia,Bennett,Chief Executive Officer,Executive,US,terminated,employee,2015-03-02,2026-01-02,America/Los_Angeles\n";
    let batch = read_csv(csv.as_bytes(), "webhook".into())?;
    assert!(batch.quarantined.is_empty(), "{:?}", batch.quarantined);
    let mut items = WorkItem::split(&env.connection, delivery, batch.workers)?;
    Ok(items.remove(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_the_guard_refuses_is_kept_for_a_person_and_not_retried() -> TestResult {
    let env = Env::aws().await?;
    // A guard that lets no one be disabled.
    let (mut settings, version) =
        MappingSettings::load(env.services.objects.as_ref(), &env.connection).await?;
    settings.guard.max_share = 0.0;
    settings.guard.min_users = 0;
    settings
        .save(
            env.services.objects.as_ref(),
            &env.connection,
            Condition::Matches(version),
        )
        .await?;

    let item = ceo_leaves(&env, "d-guard")?;
    let event = sqs_event(ARN, &[("m-guard", &item.message_group(), &item.to_json()?)])?;
    let response = handle_sqs(&env.services, event, Deadline::none()).await;
    assert!(
        failures(&response).is_empty(),
        "a refusal is not retried: {response:?}"
    );
    assert!(
        env.dead_letters().await?.is_empty(),
        "a refusal is not poison"
    );
    assert!(
        env.user("1001").is_some_and(|u| u.account_enabled),
        "the guard let the CEO be disabled"
    );
    let key = refused_key(&env.connection, "d-guard")?;
    let (bytes, _) = env
        .services
        .objects
        .get(&key)
        .await?
        .ok_or("the refused plan was not kept")?;
    let text = String::from_utf8(bytes)?;
    assert!(text.contains("1001") || text.contains("Olivia"), "{text}");
    let audit = env.all_objects().await?;
    assert!(
        !audit.iter().any(|(k, _)| k.as_str().starts_with("audit/")),
        "nothing was applied, so nothing is audited"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_credential_fails_the_connection_and_dead_letters_the_work() -> TestResult {
    let env = Env::aws().await?;
    let name = SecretName::for_connection(&env.connection, SecretKind::ClientSecret);
    let wrong = "not-the-secret-Pq7x";
    let (_, version) = env.services.secrets.get(&name).await?.ok_or("no secret")?;
    env.services
        .secrets
        .replace(&name, &SecretString::from(wrong), &version)
        .await?;

    let item = env.hire("d-cred", "9106")?;
    let event = sqs_event(ARN, &[("m-cred", &item.message_group(), &item.to_json()?)])?;
    let response = handle_sqs(&env.services, event, Deadline::none()).await;
    assert!(
        failures(&response).is_empty(),
        "a refused secret will not pass by itself: {response:?}"
    );
    let letters = env.dead_letters().await?;
    assert_eq!(letters.len(), 1, "{letters:?}");
    let reason = &letters[0].1;
    assert!(
        reason.contains("secret"),
        "the reason names the secret: {reason}"
    );
    assert!(env.user("9106").is_none());
    let status = env.connection().await?.status;
    assert!(
        matches!(&status, ConnectionStatus::Failed { reason } if reason.contains("secret")),
        "{status:?}"
    );
    for text in [reason.as_str(), &letters[0].0, &format!("{status:?}")] {
        assert!(
            !text.contains(wrong) && !text.contains(SECRET),
            "a secret shows: {text}"
        );
    }
    Ok(())
}
