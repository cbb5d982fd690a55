//! The activity page's last runs and dead letters, on `tenure serve`'s stores: work dead-lettered
//! because Microsoft refused the connection's secret is listed with its reason and a Retry;
//! once the secret is fixed, Retry queues the work again as it was, it is done, the letter is
//! gone, and the runs say what each applied and what needed an admin. A retry names only a
//! letter of the page's connection.

use std::time::Duration;

use secrecy::SecretString;
use tenure::console::console_routes;
use tenure::service::activity::{RetryError, dead_letters, retry_dead_letter, runs};
use tenure::service::provision::drain;
use tenure::store::connections::ConnectionId;
use tenure::store::secrets::{SecretKind, SecretName};
use tenure_test_support::admin::{SessionHeaders, operator_session};
use tenure_test_support::apigw::ApiEvent;

use super::helpers::{Env, SECRET, TestResult};

const VISIBILITY: Duration = Duration::from_millis(500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_is_retried_from_the_activity_page_once_its_cause_is_fixed() -> TestResult {
    let env = Env::local(VISIBILITY).await?;
    use_secret(&env, "not-the-secret-Lr2v").await?;
    env.services
        .queue
        .send(vec![env.hire("d-retry", "9301")?])
        .await?;
    assert_eq!(drain(&env.services, 10, Duration::from_secs(2)).await?, 1);
    assert!(env.user("9301").is_none());
    let letters = dead_letters(env.services.dead_letters.as_ref(), &env.connection).await?;
    assert_eq!(letters.len(), 1, "{letters:?}");

    let (services, session) = operator_session(env.services.clone()).await?;
    let router = console_routes(services);
    let page = format!("/console/connections/{}/activity", env.connection);
    let shown = session
        .on(ApiEvent::get("GET /console/{proxy+}", &page))
        .send(&router)
        .await?;
    assert_eq!(shown.status, 200, "{}", shown.body);
    let key = letters[0].id.as_str();
    assert!(
        shown.body.contains(&format!("value=\"{key}\"")),
        "a Retry for the letter: {}",
        shown.body
    );
    assert!(
        shown.body.contains("delivery d-retry, 1 worker"),
        "{}",
        shown.body
    );
    assert!(
        shown.body.contains("dead letter</strong>"),
        "the run names what needed an admin: {}",
        shown.body
    );

    let retry = |letter: &str| retry_event(&session, &page, letter);
    // A key that is not a dead letter of this connection queues nothing.
    for other in [
        "dead-letters/none.json",
        "connections/x/settings.json",
        "../etc/passwd",
    ] {
        let refused = retry(other).send(&router).await?;
        assert_eq!(refused.status, 404, "{other}: {}", refused.body);
        assert!(
            refused.body.contains("Nothing was queued"),
            "{}",
            refused.body
        );
    }
    let stranger = ConnectionId::parse("someone-else")?;
    assert!(matches!(
        retry_dead_letter(
            env.services.dead_letters.as_ref(),
            env.services.queue.as_ref(),
            &stranger,
            key
        )
        .await,
        Err(RetryError::NotFound { .. })
    ));
    assert_eq!(
        drain(&env.services, 10, Duration::from_millis(200)).await?,
        0,
        "nothing was queued"
    );

    // The cause fixed, the retry does the work.
    use_secret(&env, SECRET).await?;
    let retried = retry(key).send(&router).await?;
    assert_eq!(retried.status, 200, "{}", retried.body);
    assert!(
        retried
            .body
            .contains("Queued again: the work of delivery d-retry (1 worker)"),
        "{}",
        retried.body
    );
    assert!(
        !retried.body.contains(&format!("value=\"{key}\"")),
        "the letter is gone"
    );
    assert_eq!(drain(&env.services, 10, Duration::from_secs(2)).await?, 1);
    assert!(env.user("9301").is_some(), "the retried work was done");
    assert!(
        dead_letters(env.services.dead_letters.as_ref(), &env.connection)
            .await?
            .is_empty()
    );
    let again = retry(key).send(&router).await?;
    assert_eq!(
        again.status, 404,
        "a letter is retried once: {}",
        again.body
    );

    let summaries = runs(env.services.objects.as_ref(), &env.connection).await?;
    let run = summaries
        .iter()
        .find(|r| r.record.run == "d-retry")
        .ok_or_else(|| format!("no run d-retry: {summaries:?}"))?;
    assert!(
        run.changes >= 1,
        "the retried run applied the hire: {run:?}"
    );
    for answer in [&shown, &retried] {
        answer.assert_hides(&[SECRET, "not-the-secret-Lr2v"]);
    }
    Ok(())
}

/// Gives the connection's stored client secret the value `secret`.
async fn use_secret(env: &Env, secret: &str) -> TestResult {
    let name = SecretName::for_connection(&env.connection, SecretKind::ClientSecret);
    let (_, version) = env.services.secrets.get(&name).await?.ok_or("no secret")?;
    env.services
        .secrets
        .replace(&name, &SecretString::from(secret.to_owned()), &version)
        .await?;
    Ok(())
}

/// The activity page's Retry form for dead letter `letter`, posted with the session.
fn retry_event(session: &SessionHeaders, page: &str, letter: &str) -> ApiEvent {
    let letter: String = form_urlencoded::byte_serialize(letter.as_bytes()).collect();
    session.console_form(
        format!("{page}/dead-letters/retry"),
        &format!("letter={letter}"),
    )
}

/// The same on the AWS stores: the dead letter is on the SQS dead-letter queue (FIFO, on moto),
/// the page lists it, and Retry puts its work back on the SQS work queue and takes the letter
/// off the dead-letter queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_on_the_sqs_dead_letter_queue_is_retried_from_the_activity_page() -> TestResult
{
    use tenure::service::provision::handle_sqs;

    use super::helpers::{failures, sqs_event};
    const ARN: &str = "arn:aws:sqs:us-east-1:123456789012:tenure-work.fifo";

    let env = Env::aws().await?;
    use_secret(&env, "not-the-secret-Vb8k").await?;
    let item = env.hire("d-sqs-retry", "9311")?;
    let event = sqs_event(ARN, &[("m-1", &item.message_group(), &item.to_json()?)])?;
    assert!(
        failures(
            &handle_sqs(
                &env.services,
                event,
                tenure::service::provision::Deadline::none()
            )
            .await
        )
        .is_empty()
    );
    let letters = dead_letters(env.services.dead_letters.as_ref(), &env.connection).await?;
    assert_eq!(letters.len(), 1, "{letters:?}");
    let id = letters[0].id.clone();

    let (services, session) = operator_session(env.services.clone()).await?;
    let router = console_routes(services);
    let page = format!("/console/connections/{}/activity", env.connection);
    let shown = session
        .on(ApiEvent::get("GET /console/{proxy+}", &page))
        .send(&router)
        .await?;
    assert!(
        shown.body.contains(&format!("value=\"{id}\"")),
        "{}",
        shown.body
    );

    use_secret(&env, SECRET).await?;
    let retried = retry_event(&session, &page, &id).send(&router).await?;
    assert_eq!(retried.status, 200, "{}", retried.body);
    assert!(retried.body.contains("Queued again"), "{}", retried.body);
    assert!(
        dead_letters(env.services.dead_letters.as_ref(), &env.connection)
            .await?
            .is_empty(),
        "the letter is off the dead-letter queue"
    );
    let mut requeued = Vec::new();
    for _ in 0..5 {
        requeued.extend(
            env.services
                .queue
                .receive(10, Duration::from_secs(1))
                .await?,
        );
        if !requeued.is_empty() {
            break;
        }
    }
    let message = requeued.first().ok_or("nothing was queued again")?;
    let event = sqs_event(ARN, &[("m-2", &item.message_group(), &message.body)])?;
    assert!(
        failures(
            &handle_sqs(
                &env.services,
                event,
                tenure::service::provision::Deadline::none()
            )
            .await
        )
        .is_empty()
    );
    assert!(env.user("9311").is_some(), "the retried work was done");
    Ok(())
}
