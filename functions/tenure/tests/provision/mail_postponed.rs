//! Notices Microsoft asks to wait for past the run's stop time: the run ends within its
//! deadline with its work done, the notices are neither failed nor sent but kept, and the
//! connection's next runs send each of them once. So is the digest of a run given up on.

use std::time::Duration;

use tenure::connect::set_status;
use tenure::service::provision::{Deadline, handle_sqs, provision, provision_until};
use tenure::service::settings::GuardSettings;
use tenure::store::connections::ConnectionStatus;
use tenure_emulator::Faults;

use super::helpers::{Env, SECRET, TestResult, failures, sqs_event};
use super::notifications::{ADMIN, configure, delivery, duplicate_henrik, mails_to};
use super::retry_after::{ARN, a_minute_away};

const MARCUS: &str = "marcus.lindqvist@contoso.com";
/// Daniel Park leaves; Marcus Lindqvist, his manager, is told.
const DANIEL_LEAVES: &str = "1006,Daniel,Park,,,daniel.1006@example.net,Engineering Manager,Engineering,Products,CC-200,Seattle,US,1002,terminated,,employee,2019-04-01,2020-01-31,America/Los_Angeles,+1 206 555 1006,";
/// Quarantined (two accounts carry 1004): the admins' digest names it.
const HENRIK: &str = "1004,Henrik,Sørensen,,,henrik.1004@example.net,Chief Financial Officer,Finance,Corporate,CC-400,Berlin,DE,1001,active,,employee,2018-02-01,,Europe/Berlin,+1 206 555 1004,";

/// Every `sendMail` answered `429` with a `Retry-After` of an hour.
fn mail_closed() -> Faults {
    Faults {
        send_mail_retry_after: Some(Duration::from_secs(3_600)),
        ..Faults::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_asked_to_wait_past_the_stop_time_are_kept_and_sent_once() -> TestResult {
    let env = Env::local(Duration::from_secs(1)).await?;
    configure(&env, GuardSettings::default()).await?;
    duplicate_henrik(&env);
    env.tenant.set_faults(mail_closed());
    let items = delivery(&env, "d-leaver", &[DANIEL_LEAVES, HENRIK])?;

    // The guard breaks a hang; it is not a timing assertion.
    let run = provision_until(&env.services, &items, a_minute_away());
    let report = tokio::time::timeout(Duration::from_secs(300), run).await??;

    assert!(env.user("1006").is_some_and(|u| !u.account_enabled));
    assert!(report.continuations.is_empty(), "the work is done");
    assert_eq!(report.mail.sent, 0);
    assert!(report.mail.failed.is_empty(), "{:?}", report.mail.failed);
    let mut postponed: Vec<Vec<String>> =
        report.mail.postponed.iter().map(|n| n.to.clone()).collect();
    postponed.sort();
    assert_eq!(postponed, [vec![ADMIN.to_owned()], vec![MARCUS.to_owned()]]);
    assert!(env.tenant.handle().outbox().is_empty(), "nothing was sent");
    for (key, text) in env.all_objects().await? {
        assert!(!text.contains(SECRET), "{key}");
    }

    // Still refused: the next run keeps them (sends nothing, fails nothing, loses nothing).
    let still = provision_until(
        &env.services,
        &delivery(&env, "d-still", &[])?,
        a_minute_away(),
    )
    .await?;
    assert_eq!(still.mail.sent, 0);
    assert!(still.mail.failed.is_empty(), "{:?}", still.mail.failed);

    // Microsoft takes mail again: the next runs (two of the connection at once, as two lanes
    // run) send each kept notice, and only once between them.
    env.tenant.set_faults(Faults::default());
    let (quiet, other) = (
        delivery(&env, "d-quiet", &[])?,
        delivery(&env, "d-other", &[])?,
    );
    let (next, beside) = futures::join!(
        provision(&env.services, &quiet),
        provision(&env.services, &other)
    );
    let (next, beside) = (next?, beside?);
    assert_eq!(next.mail.sent + beside.mail.sent, 2, "{next:?} {beside:?}");
    let to_marcus = mails_to(&env, MARCUS);
    assert_eq!(to_marcus.len(), 1, "{to_marcus:?}");
    assert!(to_marcus[0].subject.contains("Daniel Park"));
    let digests = mails_to(&env, ADMIN);
    assert_eq!(digests.len(), 1, "{digests:?}");
    assert!(
        digests[0].content.contains("1004"),
        "{}",
        digests[0].content
    );

    let again = provision_until(
        &env.services,
        &delivery(&env, "d-again", &[])?,
        Deadline::none(),
    )
    .await?;
    assert_eq!(again.mail.sent, 0, "{:?}", again.mail);
    assert_eq!(env.tenant.handle().outbox().len(), 2, "a notice sent twice");
    Ok(())
}

/// A message given up on (the connection must be linked again) while Microsoft asks mail to
/// wait: dead-lettered as before, its run's digest kept; once linked again, the next run mails
/// the digest naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_digest_of_a_run_given_up_on_is_kept_while_mail_must_wait() -> TestResult {
    let env = Env::local(Duration::from_secs(1)).await?;
    configure(&env, GuardSettings::default()).await?;
    let relink = |reason: &str| ConnectionStatus::NeedsRelink {
        reason: reason.into(),
    };
    let now = jiff::Timestamp::now;
    let connections = env.services.connections.as_ref();
    set_status(connections, &env.connection, relink("AADSTS70008"), now()).await?;
    env.tenant.set_faults(mail_closed());
    let item = env.hire("d-given-up", "9670")?;
    let body = item.to_json()?;
    let event = sqs_event(ARN, &[("m-given-up", &item.message_group(), &body)])?;

    let run = handle_sqs(&env.services, event, a_minute_away());
    let response = tokio::time::timeout(Duration::from_secs(300), run).await?;

    assert!(
        failures(&response).is_empty(),
        "dead-lettered: {response:?}"
    );
    let letters = tenure::service::activity::dead_letters(
        env.services.dead_letters.as_ref(),
        &env.connection,
    )
    .await?;
    assert_eq!(letters.len(), 1);
    assert!(mails_to(&env, ADMIN).is_empty());

    set_status(
        connections,
        &env.connection,
        ConnectionStatus::Linked,
        now(),
    )
    .await?;
    env.tenant.set_faults(Faults::default());
    let next = provision(&env.services, &delivery(&env, "d-after", &[])?).await?;
    assert_eq!(next.mail.sent, 1, "{:?}", next.mail);
    let digests = mails_to(&env, ADMIN);
    assert_eq!(digests.len(), 1, "{digests:?}");
    let content = &digests[0].content;
    assert!(
        content.contains("dead letter") && content.contains("d-given-up"),
        "{content}"
    );
    Ok(())
}

/// A notice kept longer than a run's records (the connection had no way to mail meanwhile) is
/// stale: the run that finds it reports it failed and drops it rather than mail it weeks late.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_kept_for_weeks_is_reported_and_dropped_not_sent() -> TestResult {
    let mut env = Env::local(Duration::from_secs(1)).await?;
    configure(&env, GuardSettings::default()).await?;
    env.tenant.set_faults(mail_closed());
    let items = delivery(&env, "d-leaver", &[DANIEL_LEAVES])?;
    let report = provision_until(&env.services, &items, a_minute_away()).await?;
    assert_eq!(report.mail.postponed.len(), 1, "{:?}", report.mail);

    env.tenant.set_faults(Faults::default());
    let later = jiff::Timestamp::now().checked_add(jiff::SignedDuration::from_hours(
        24 * tenure::service::provision::RUN_RECORDS_DAYS + 1,
    ))?;
    env.services.clock = tenure::clock::Clock::manual(later);
    let next = provision(&env.services, &delivery(&env, "d-later", &[])?).await?;

    assert_eq!(next.mail.sent, 0, "{:?}", next.mail);
    assert_eq!(next.mail.failed.len(), 1, "{:?}", next.mail);
    assert!(
        next.mail.failed[0].contains(MARCUS) && next.mail.failed[0].contains("dropped"),
        "{}",
        next.mail.failed[0]
    );
    assert!(env.tenant.handle().outbox().is_empty(), "sent weeks late");
    let again = provision(&env.services, &delivery(&env, "d-again", &[])?).await?;
    assert!(
        again.mail.failed.is_empty(),
        "reported once: {:?}",
        again.mail
    );
    Ok(())
}
