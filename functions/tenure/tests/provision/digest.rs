//! One admins' digest per run, however many messages and invocations the run was split over:
//! each message's share is recorded under the run, the invocation that settles the last one
//! sends the digest (once, however often a message is retried), and a message given up on is
//! in it, as is a connection that must be linked again.

use std::time::Duration;

use tenure::connect::set_status;
use tenure::queue::WorkItem;
use tenure::service::guard::{Approval, Hold, Origin};
use tenure::service::provision::{RUN_RECORDS_DAYS, handle_sqs, provision};
use tenure::service::settings::GuardSettings;
use tenure::store::connections::ConnectionStatus;

use super::helpers::{Env, Error, TestResult, failures, sqs_event};
use super::notifications::{ADMIN, configure, delivery, duplicate_henrik, mails_to};

const ARN: &str = "arn:aws:sqs:us-east-1:123456789012:tenure-work.fifo";

/// Quarantined (1004: two accounts carry the id), to review (9601: an account without an
/// employee id has the worker's work address), and plain workers to fill the lanes.
const ROWS: [&str; 4] = [
    "1004,Henrik,Sørensen,,,henrik.1004@example.net,Chief Financial Officer,Finance,Corporate,CC-400,Berlin,DE,1001,active,,employee,2018-02-01,,Europe/Berlin,+1 206 555 1004,",
    "9601,Ida,Archive,,,ida.9601@example.net,Archivist,Engineering,Products,CC-200,Seattle,US,1001,active,,employee,2020-01-06,,America/Los_Angeles,,it-archive@contoso.com",
    "9611,Noor,Hire,,,noor.9611@example.net,Analyst,Engineering,Products,CC-200,Seattle,US,1001,active,,employee,2020-01-06,,America/Los_Angeles,,",
    "9612,Omar,Hire,,,omar.9612@example.net,Analyst,Engineering,Products,CC-200,Seattle,US,1001,active,,employee,2020-01-06,,America/Los_Angeles,,",
];

/// A run of several messages, with digest lines about 1004 and 9601.
async fn split_run(env: &Env, delivery_id: &str) -> Result<Vec<WorkItem>, Error> {
    configure(env, GuardSettings::default()).await?;
    duplicate_henrik(env);
    let items = delivery(env, delivery_id, &ROWS)?;
    assert!(
        items.len() >= 2,
        "the run is split over several messages: {}",
        items.len()
    );
    Ok(items)
}

/// One invocation of the provision function for one message.
async fn invoke(env: &Env, id: &str, item: &WorkItem) -> TestResult {
    let body = item.to_json()?;
    let event = sqs_event(ARN, &[(id, &item.message_group(), &body)])?;
    let response = handle_sqs(
        &env.services,
        event,
        tenure::service::provision::Deadline::none(),
    )
    .await;
    assert!(failures(&response).is_empty(), "{response:?}");
    Ok(())
}

#[tokio::test]
async fn a_run_split_over_messages_sends_one_digest_with_every_messages_items() -> TestResult {
    let env = Env::local(Duration::from_secs(1)).await?;
    let items = split_run(&env, "scheduled-split").await?;
    let (last, before) = items.split_last().ok_or("no message")?;
    for (n, item) in before.iter().enumerate() {
        invoke(&env, &format!("m-{n}"), item).await?;
        assert!(
            mails_to(&env, ADMIN).is_empty(),
            "no digest before the run's last message"
        );
    }
    // A message handled twice (SQS is at-least-once) does not complete the run either.
    invoke(&env, "m-0-again", &before[0]).await?;
    assert!(mails_to(&env, ADMIN).is_empty());

    invoke(&env, "m-last", last).await?;
    let digests = mails_to(&env, ADMIN);
    assert_eq!(digests.len(), 1, "one digest per run: {digests:?}");
    let content = &digests[0].content;
    for wanted in ["quarantined", "1004", "match to review", "9601"] {
        assert!(content.contains(wanted), "{wanted} missing: {content}");
    }
    assert_eq!(
        content.matches("quarantined").count(),
        1,
        "each line once: {content}"
    );
    assert_eq!(
        content.matches("match to review").count(),
        1,
        "each line once: {content}"
    );

    // Every message retried after the digest went out: no second digest.
    for (n, item) in items.iter().enumerate() {
        invoke(&env, &format!("m-retry-{n}"), item).await?;
    }
    assert_eq!(mails_to(&env, ADMIN).len(), 1, "still one digest");
    Ok(())
}

#[tokio::test]
async fn a_run_whose_messages_arrive_together_sends_its_digest_at_once() -> TestResult {
    let env = Env::local(Duration::from_secs(1)).await?;
    let items = split_run(&env, "scheduled-together").await?;
    provision(&env.services, &items).await?;
    let digests = mails_to(&env, ADMIN);
    assert_eq!(digests.len(), 1, "{digests:?}");
    assert!(digests[0].content.contains("1004") && digests[0].content.contains("9601"));
    Ok(())
}

#[tokio::test]
async fn a_message_given_up_on_and_a_connection_to_link_again_are_in_the_runs_digest() -> TestResult
{
    let env = Env::local(Duration::from_secs(1)).await?;
    let items = split_run(&env, "scheduled-dead").await?;
    let (last, before) = items.split_last().ok_or("no message")?;
    for (n, item) in before.iter().enumerate() {
        invoke(&env, &format!("m-{n}"), item).await?;
    }
    // Microsoft refused the refresh token meanwhile: the last message can never be handled.
    let reason =
        "Microsoft no longer accepts the refresh token (AADSTS70008): link the tenant again";
    set_status(
        env.services.connections.as_ref(),
        &env.connection,
        ConnectionStatus::NeedsRelink {
            reason: reason.into(),
        },
        jiff::Timestamp::now(),
    )
    .await?;
    invoke(&env, "m-last", last).await?;

    let letters = tenure::service::activity::dead_letters(
        env.services.dead_letters.as_ref(),
        &env.connection,
    )
    .await?;
    assert_eq!(letters.len(), 1, "the last message was given up on");
    let digests = mails_to(&env, ADMIN);
    assert_eq!(digests.len(), 1, "{digests:?}");
    let content = &digests[0].content;
    for wanted in [
        "needs re-link",
        "AADSTS70008",
        "dead letter",
        "scheduled-dead",
    ] {
        assert!(content.contains(wanted), "{wanted} missing: {content}");
    }
    Ok(())
}

#[tokio::test]
async fn a_pass_delivered_in_a_split_run_is_in_no_digest_record_or_other_mail() -> TestResult {
    let (logs, _guard) = super::first_day::Logs::capture();
    let env = Env::local(Duration::from_secs(1)).await?;
    let mut config = crate::support::samples::mapper_config()?;
    config["notifications"] = serde_json::json!({
        "sender": super::notifications::SENDER,
        "admins": [ADMIN],
        "first_day_access": {"lifetime_minutes": 480, "usable_once": true, "usable_from": "00:00"},
    });
    let (_, version) = tenure::service::settings::MappingSettings::load(
        env.services.objects.as_ref(),
        &env.connection,
    )
    .await?;
    tenure::service::settings::MappingSettings::standard(config)
        .save(
            env.services.objects.as_ref(),
            &env.connection,
            tenure::store::objects::Condition::Matches(version),
        )
        .await?;
    duplicate_henrik(&env);
    let today = jiff::Timestamp::now()
        .in_tz("America/Los_Angeles")?
        .date()
        .to_string();
    let starter = format!(
        "9650,Robin,Starter,,,robin.9650@example.net,Analyst,Engineering,Products,CC-200,Seattle,US,1001,active,,employee,{today},,America/Los_Angeles,,"
    );
    let mut rows = ROWS.to_vec();
    rows.push(&starter);
    let items = delivery(&env, "d-leak", &rows)?;
    for (n, item) in items.iter().enumerate() {
        invoke(&env, &format!("m-{n}"), item).await?;
    }
    let outbox = env.tenant.handle().outbox();
    let first_day = outbox
        .iter()
        .find(|m| m.subject == "Robin Starter starts today: how they sign in")
        .ok_or_else(|| format!("no first-day mail: {outbox:#?}"))?;
    let pass = first_day
        .content
        .split("<code>")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .ok_or("no pass in the mail")?
        .to_owned();
    assert!(pass.len() >= 8);
    let digests = mails_to(&env, ADMIN);
    assert_eq!(digests.len(), 1, "{outbox:#?}");
    for mail in outbox.iter().filter(|m| m.subject != first_day.subject) {
        assert!(!mail.content.contains(&pass), "in another mail: {mail:?}");
    }
    let objects = env.all_objects().await?;
    assert!(
        objects
            .iter()
            .any(|(key, _)| key.as_str().contains("/runs/")),
        "the run's digest records are there to search"
    );
    super::first_day::only_in_its_mail(&env, &pass, &logs).await
}

#[tokio::test]
async fn a_digest_refused_for_want_of_mail_send_is_reported_with_what_to_do() -> TestResult {
    let env = Env::local(Duration::from_secs(1)).await?;
    configure(&env, GuardSettings::default()).await?;
    duplicate_henrik(&env);
    env.tenant
        .handle()
        .set_permission(super::helpers::CLIENT, "Mail.Send", false);
    let items = delivery(&env, "d-refused", &ROWS)?;
    let report = provision(&env.services, &items).await?;
    assert_eq!(report.mail.sent, 0);
    let failure = report.mail.failed.join("\n");
    assert!(
        failure.contains("digest mail to it-ops@contoso.com") && failure.contains("consent again"),
        "{failure}"
    );
    Ok(())
}

#[tokio::test]
async fn a_message_that_fails_and_comes_back_is_in_the_runs_digest_without_holding_it_up()
-> TestResult {
    // Exchange allows one call an hour: the connection's proof spends it, so the run's read of
    // the mailboxes is throttled (a failure that may pass); Graph, and so sendMail, is not.
    let mut env = Env::local_in(
        Duration::from_secs(1),
        tenure::microsoft::NationalCloud::Global,
        |c| {
            c.with_limits(tenure_emulator::RateLimits {
                exchange_window: Duration::from_secs(3600),
                exchange_requests: 1,
                ..tenure_emulator::RateLimits::default()
            })
        },
    )
    .await?;
    env.services.provision.retry = tenure::microsoft::RetryPolicy {
        max_retries: 1,
        max_retry_after: Duration::from_millis(10),
        ..tenure::microsoft::RetryPolicy::quick()
    };
    configure(&env, GuardSettings::default()).await?;
    let item = env.hire("d-retry", "9660")?;
    let body = item.to_json()?;
    let event = sqs_event(ARN, &[("m-retry", &item.message_group(), &body)])?;
    let response = handle_sqs(
        &env.services,
        event.clone(),
        tenure::service::provision::Deadline::none(),
    )
    .await;
    assert_eq!(failures(&response), ["m-retry"], "the message comes back");
    let digests = mails_to(&env, ADMIN);
    assert_eq!(digests.len(), 1, "the run is settled: {digests:?}");
    let content = &digests[0].content;
    assert!(
        content.contains("failed, retried") && content.contains("d-retry"),
        "{content}"
    );

    // It comes back (and fails again): the run's digest went out already, none more.
    let response = handle_sqs(
        &env.services,
        event,
        tenure::service::provision::Deadline::none(),
    )
    .await;
    assert_eq!(failures(&response), ["m-retry"]);
    assert_eq!(mails_to(&env, ADMIN).len(), 1, "one digest per run");
    Ok(())
}

#[tokio::test]
async fn a_runs_digest_records_are_removed_by_the_scheduled_sync_after_fourteen_days() -> TestResult
{
    let mut env = Env::local(Duration::from_secs(1)).await?;
    let start: jiff::Timestamp = "2026-12-03T18:00:00Z".parse()?;
    env.services.clock = tenure::clock::Clock::manual(start);
    let items = split_run(&env, "d-old").await?;
    provision(&env.services, &items).await?;
    let runs = |env: &Env| {
        let objects = env.services.objects.clone();
        let prefix = format!("connections/{}/runs/", env.connection);
        async move { objects.list(&prefix).await }
    };
    assert!(!runs(&env).await?.is_empty(), "the run's records");
    env.services.clock = tenure::clock::Clock::manual(
        start.checked_add(jiff::SignedDuration::from_hours(24 * RUN_RECORDS_DAYS - 1))?,
    );
    reconcile(&env).await?;
    assert!(!runs(&env).await?.is_empty(), "kept for 14 days");
    env.services.clock = tenure::clock::Clock::manual(
        start.checked_add(jiff::SignedDuration::from_hours(24 * RUN_RECORDS_DAYS + 1))?,
    );
    reconcile(&env).await?;
    let left = runs(&env).await?;
    assert!(left.is_empty(), "removed after 14 days: {left:?}");
    Ok(())
}

/// The day's scheduled sync (it queues; nothing is provisioned here).
async fn reconcile(env: &Env) -> TestResult {
    tenure::service::schedule::schedule(
        &env.services,
        serde_json::json!({"connection_id": env.connection.as_str()}),
    )
    .await?;
    Ok(())
}

/// Holds "terminate everyone" from `delivery_id` as `origin` would.
async fn hold_everyone(env: &Env, origin: Origin, delivery_id: &str) -> Result<Approval, Error> {
    let hold = Hold {
        origin,
        deliveries: vec![delivery_id.into()],
        reason: "it would disable 40 of 46 managed users".into(),
        effect: tenure::guard::Effect::default(),
        items: delivery(env, delivery_id, &[])?,
    };
    Ok(tenure::service::guard::hold(&env.services, &env.connection, hold).await?)
}

#[tokio::test]
async fn a_delivery_held_as_a_whole_is_named_in_the_next_runs_digest_once() -> TestResult {
    let env = Env::local(Duration::from_secs(1)).await?;
    configure(&env, GuardSettings::default()).await?;
    // The webhook held a "terminate everyone" delivery: nothing of it was queued.
    let held = hold_everyone(&env, Origin::Webhook, "d-everyone").await?;
    provision(&env.services, &delivery(&env, "d-quiet", &[])?).await?;
    let digests = mails_to(&env, ADMIN);
    assert_eq!(digests.len(), 1, "the next run tells the admins");
    let content = &digests[0].content;
    for wanted in [
        "held for approval",
        "a webhook delivery held as a whole",
        "it would disable 40 of 46 managed users",
        held.id.as_str(),
    ] {
        assert!(content.contains(wanted), "{wanted} missing: {content}");
    }
    provision(&env.services, &delivery(&env, "d-quiet-again", &[])?).await?;
    assert_eq!(mails_to(&env, ADMIN).len(), 1, "named once");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_export_on_a_quiet_connection_is_mailed_by_the_run_its_notice_brings() -> TestResult
{
    let env = Env::local(Duration::from_secs(1)).await?;
    configure(&env, GuardSettings::default()).await?;
    // The scheduled sync held the whole export; no webhook traffic follows.
    let held = hold_everyone(&env, Origin::Schedule, "scheduled-20261204T020000.000Z").await?;
    // What the hold queued is one message without workers; provisioning it tells the admins.
    let done = tenure::service::provision::drain(&env.services, 10, Duration::from_secs(1)).await?;
    assert_eq!(done, 1, "the hold's notice");
    let digests = mails_to(&env, ADMIN);
    assert_eq!(
        digests.len(),
        1,
        "the admins are told without waiting for other traffic"
    );
    assert!(
        digests[0].content.contains(held.id.as_str()),
        "{}",
        digests[0].content
    );
    Ok(())
}
