//! Retries under injected 429s, 503s and dropped connections: every change lands once.

use tenure::microsoft::ApiError;
use tenure_emulator::Faults;

use super::helpers::{TestResult, spawn};
use super::writes::{new_user, password};

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
