//! `drain`: `tenure serve`'s consumer over the in-process queue and local stores.

use std::time::Duration;

use tenure::service::provision::drain;
use tenure_emulator::Faults;

use super::helpers::{Env, SECRET, TestResult};

const VISIBILITY: Duration = Duration::from_millis(500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_provisions_deletes_dead_letters_and_retries() -> TestResult {
    let env = Env::local(VISIBILITY).await?;
    let good = env.hire("d-serve", "9201")?;
    let mut stray = env.hire("d-stray", "9202")?;
    stray.connection_id = tenure::store::connections::ConnectionId::parse("nobody-here")?;
    env.services.queue.send(vec![good, stray]).await?;

    let done = drain(&env.services, 10, Duration::from_secs(2)).await?;
    assert_eq!(done, 2, "the hire is done and the stray dead-lettered");
    assert!(env.user("9201").is_some());
    let letters: Vec<_> = env
        .all_objects()
        .await?
        .into_iter()
        .filter(|(key, _)| key.as_str().starts_with("dead-letters/"))
        .collect();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(
        letters[0].1.contains("there is no connection nobody-here"),
        "{}",
        letters[0].1
    );
    // Deleted: nothing comes back after the visibility timeout.
    assert!(
        env.services
            .queue
            .receive(10, VISIBILITY * 2)
            .await?
            .is_empty()
    );

    // A tenant failing beyond retries: the message stays and comes back later.
    env.tenant.set_faults(Faults {
        unavailable: 1.0,
        ..Faults::default()
    });
    env.services
        .queue
        .send(vec![env.hire("d-later", "9203")?])
        .await?;
    assert_eq!(drain(&env.services, 10, Duration::from_secs(2)).await?, 0);
    env.tenant.set_faults(Faults::default());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut done = 0;
    while done == 0 && tokio::time::Instant::now() < deadline {
        done = drain(&env.services, 10, Duration::from_secs(1)).await?;
    }
    assert_eq!(done, 1, "the message came back and was done");
    assert!(env.user("9203").is_some());
    for (key, text) in env.all_objects().await? {
        assert!(!text.contains(SECRET), "{key} holds the client secret");
    }
    Ok(())
}
