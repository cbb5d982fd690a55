//! Dates without an export: a connection fed only by webhooks is reconciled each day from its
//! workers' last known records (the scheduled sync), so a termination, the end of a leave and a
//! pre-hire window opening happen on their day — not before — with the clock set by the test.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tenure::clock::Clock;
use tenure::queue::WorkItem;
use tenure::service::provision::{drain, provision};
use tenure::service::schedule::schedule;

use super::helpers::{Env, TestResult, worker_row, worker_row_with};

/// Thursday 3 December 2026, 10:00 in Los Angeles.
const THURSDAY: &str = "2026-12-03T18:00:00Z";

const DANA: &str = "9701";
const LEO: &str = "9702";

/// Dana's last day is Monday the 7th, so the termination is carried out on Tuesday the 8th.
fn dana(status: &str, last_day: &str) -> String {
    format!(
        "{DANA},Dana,Lastday,,,dana.{DANA}@example.net,Analyst,Engineering,Products,CC-200,Seattle,US,,{status},,employee,2020-01-06,{last_day},America/Los_Angeles,"
    )
}

/// Leo is on medical leave (which disables the account) until Monday the 7th, when he is back.
/// Ria starts on Sunday the 13th: with the sample's seven pre-hire days her account is made,
/// disabled, on Sunday the 6th.
const RIA: &str = "9703,Ria,Future,,,ria.9703@example.net,Analyst,Engineering,Products,CC-200,Seattle,US,,active,,employee,2026-12-13,,America/Los_Angeles,";

const LEO_ON_LEAVE: &str = "9702,Leo,Leave,,,leo.9702@example.net,Analyst,Engineering,Products,CC-200,Seattle,US,,leave,medical,employee,2020-01-06,,America/Los_Angeles,";

async fn webhook(
    env: &Env,
    delivery: &str,
    row: &str,
    header_extra: Option<(&str, &str)>,
) -> TestResult {
    let worker = match header_extra {
        None => worker_row(row)?,
        Some((column, value)) => worker_row_with(row, column, value)?,
    };
    let items = WorkItem::split(&env.connection, delivery, vec![worker])?;
    provision(&env.services, &items).await?;
    Ok(())
}

/// The day's scheduled sync, then every queued message provisioned.
async fn daily_reconcile(env: &Env) -> TestResult {
    let scheduled = schedule(
        &env.services,
        serde_json::json!({"connection_id": env.connection.as_str()}),
    )
    .await?;
    assert!(
        scheduled.export.as_str().ends_with("/hr/known"),
        "{scheduled:?}"
    );
    let mut done = 0;
    while done < scheduled.messages {
        let n = drain(&env.services, 10, Duration::from_millis(200)).await?;
        assert!(n > 0, "queued work was not provisioned");
        done += n;
    }
    Ok(())
}

fn enabled(env: &Env, id: &str) -> bool {
    env.user(id).is_some_and(|u| u.account_enabled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_only_connection_acts_on_a_last_day_and_a_leaves_end_on_their_day() -> TestResult
{
    let mut env = Env::local(Duration::from_millis(500)).await?;
    env.services.clock = Clock::manual(THURSDAY.parse::<Timestamp>()?);

    // Thursday: both hired earlier; HR sends Dana's last day and Leo's leave.
    webhook(&env, "d-dana", &dana("active", ""), None).await?;
    webhook(
        &env,
        "d-leo",
        LEO_ON_LEAVE,
        Some(("leave_end_date", "2026-12-07")),
    )
    .await?;
    webhook(
        &env,
        "d-dana-leaves",
        &dana("terminated", "2026-12-07"),
        None,
    )
    .await?;
    assert!(enabled(&env, DANA), "not before her last day has ended");
    assert!(!enabled(&env, LEO), "medical leave disables");
    webhook(&env, "d-ria", RIA, None).await?;
    assert!(env.user("9703").is_none(), "too early for an account");

    let mut days = Vec::new();
    for day in [
        "Thu 3", "Fri 4", "Sat 5", "Sun 6", "Mon 7", "Tue 8", "Wed 9",
    ] {
        daily_reconcile(&env).await?;
        days.push((
            day,
            enabled(&env, DANA),
            enabled(&env, LEO),
            env.user("9703").map(|u| u.account_enabled),
        ));
        env.services.clock.advance(SignedDuration::from_hours(24));
    }
    assert_eq!(
        days,
        vec![
            ("Thu 3", true, false, None),
            ("Fri 4", true, false, None),
            ("Sat 5", true, false, None),
            ("Sun 6", true, false, Some(false)),
            ("Mon 7", true, true, Some(false)),
            ("Tue 8", false, true, Some(false)),
            ("Wed 9", false, true, Some(false)),
        ],
        "(day, Dana enabled, Leo enabled, Ria's account) after each day's reconcile"
    );
    Ok(())
}
