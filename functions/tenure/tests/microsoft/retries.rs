//! Retries under injected 429s, 503s and dropped connections: every change lands once. A
//! `Retry-After` is waited out, unless the client was told to give up waiting after an instant
//! the wait outlives.

use std::time::{Duration, Instant};

use tenure::microsoft::ApiError;
use tenure::microsoft::graph::UserWrite;
use tenure_emulator::{Faults, RateLimits};

use super::helpers::{TestResult, spawn};
use super::writes::{new_user, password};

/// `writes` Graph writes and `writes` Exchange calls per `window`, windows starting now.
fn budget(writes: u32, window: Duration) -> RateLimits {
    RateLimits {
        writes,
        write_window: window,
        exchange_requests: writes,
        exchange_window: window,
        ..RateLimits::default()
    }
}

fn faults() -> Faults {
    Faults {
        dropped: 0.15,
        unavailable: 0.15,
        throttled: 0.05,
        ..Faults::default()
    }
}

#[tokio::test]
async fn creates_under_faults_land_exactly_once() -> TestResult {
    let t = spawn().await?;
    t.tenant.set_faults(faults());
    for n in 0..12 {
        let user = new_user(&format!("faulty{n}"), &format!("6{n:03}"));
        t.graph.create_user(&user, &password()).await?;
    }
    let users = t.graph.list_users().await?;
    t.tenant.set_faults(Faults::default());
    let state = t.tenant.state();
    for n in 0..12 {
        let upn = format!("faulty{n}@contoso.com");
        let copies = state
            .users
            .iter()
            .filter(|u| u.user_principal_name == upn)
            .count();
        assert_eq!(copies, 1, "{upn}");
    }
    assert_eq!(users.len(), state.users.len());
    let failures = t
        .tenant
        .requests()
        .iter()
        .filter(|r| r.status == 0 || r.status >= 429)
        .count();
    assert!(failures > 0, "faults were injected");
    Ok(())
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_adopted_not_repeated() -> TestResult {
    let t = spawn().await?;
    let user = new_user("lost.answer", "6100");
    let first = t.graph.create_user(&user, &password()).await?;
    // The same create again is what a retry after a lost answer sends.
    let again = t.graph.create_user(&user, &password()).await?;
    assert!(again.written.already_done);
    assert_eq!(again.id, first.id);
    let copies = t
        .tenant
        .state()
        .users
        .iter()
        .filter(|u| u.user_principal_name == "lost.answer@contoso.com")
        .count();
    assert_eq!(copies, 1);
    Ok(())
}

#[tokio::test]
async fn throttling_that_never_ends_is_reported_as_such() -> TestResult {
    let t = spawn().await?;
    t.tenant.set_faults(Faults {
        throttled: 1.0,
        ..Faults::default()
    });
    let error = t
        .graph
        .find_user("olivia.bennett@contoso.com")
        .await
        .err()
        .ok_or("a throttled read succeeded")?;
    assert!(matches!(error, ApiError::Throttled { .. }), "{error:?}");
    Ok(())
}

#[tokio::test]
async fn exchange_reads_survive_faults() -> TestResult {
    let t = spawn().await?;
    t.tenant.set_faults(Faults {
        dropped: 0.2,
        unavailable: 0.2,
        ..Faults::default()
    });
    let mailboxes = t.exchange.list_mailboxes().await?;
    assert_eq!(mailboxes.len(), super::helpers::sample()?.mailboxes.len());
    Ok(())
}

#[tokio::test]
async fn without_an_instant_to_give_up_at_a_retry_after_is_waited_out() -> TestResult {
    let t = spawn().await?;
    t.tenant.set_limits(budget(1, Duration::from_secs(2)));
    t.graph
        .create_user(&new_user("waits.first", "6200"), &password())
        .await?;
    // The window is spent: Graph asks to wait (1 or 2 s), and the client does.
    let second = t
        .graph
        .create_user(&new_user("waits.second", "6201"), &password())
        .await?;
    assert!(!second.written.already_done);
    let requests = t.tenant.requests();
    assert!(
        requests.iter().any(|r| r.status == 429),
        "the second create was throttled first"
    );
    let state = t.tenant.state();
    for upn in ["waits.first@contoso.com", "waits.second@contoso.com"] {
        assert!(
            state.users.iter().any(|u| u.user_principal_name == upn),
            "{upn}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_client_told_to_give_up_does_not_wait_past_that_instant() -> TestResult {
    let t = spawn().await?;
    // The window closes for an hour after one write (and one Exchange call).
    t.tenant.set_limits(budget(1, Duration::from_secs(3_600)));
    let stop = Instant::now() + Duration::from_secs(60);
    let graph = t.graph.clone().give_up_waiting_after(stop);
    let first = graph
        .create_user(&new_user("in.time", "6300"), &password())
        .await?;

    // A create: given up, not carried out.
    let error = graph
        .create_user(&new_user("out.of.time", "6301"), &password())
        .await
        .err()
        .ok_or("a create past the window succeeded")?;
    assert!(
        matches!(&error, ApiError::OutOfTime { wait, .. } if *wait > Duration::from_secs(60)),
        "{error:?}"
    );
    let state = t.tenant.state();
    assert!(
        !state
            .users
            .iter()
            .any(|u| u.user_principal_name == "out.of.time@contoso.com")
    );

    // A user's writes in one `$batch`: each given up, none carried out.
    let writes = [
        UserWrite::Update([("jobTitle".to_owned(), Some("Engineer".to_owned()))].into()),
        UserWrite::Enabled(false),
    ];
    let results = graph.write_user_chain(&first.id, &writes).await;
    assert_eq!(results.len(), 2);
    for result in &results {
        assert!(matches!(result, Err(e) if e.is_out_of_time()), "{result:?}");
    }
    let user = t
        .tenant
        .state()
        .users
        .into_iter()
        .find(|u| u.id == first.id)
        .ok_or("the first user is gone")?;
    assert!(user.account_enabled, "a write given up was carried out");

    // Exchange (`Rate-Limit-Reset`) alike.
    let exchange = t.exchange.clone().give_up_waiting_after(stop);
    exchange
        .set_hidden_from_address_lists("olivia.bennett@contoso.com", true)
        .await?;
    let error = exchange
        .set_hidden_from_address_lists("olivia.bennett@contoso.com", false)
        .await
        .err()
        .ok_or("an Exchange call past the window succeeded")?;
    assert!(error.is_out_of_time(), "{error:?}");

    Ok(())
}
