//! The guard's rolling budget on every object store: draws made at once never grant more than
//! the limit together (compare-and-swap on the ledger), and the window rolls.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use tenure::guard::Effect;
use tenure::service::guard::{Request, budget_key, draw};
use tenure::store::objects::ObjectStore;

use super::helpers::{TestResult, for_each_object_store, unique_id};

for_each_object_store!(
    runs_drawing_at_once_never_overdraw_the_budget,
    the_budget_rolls_and_a_user_is_drawn_for_once,
);

const LIMIT: usize = 5;

fn leaver(employee_id: String) -> Request {
    Request {
        employee_id,
        effect: Effect {
            users: 1,
            disables: 1,
            license_removals: 1,
            group_removals: 0,
        },
    }
}

async fn runs_drawing_at_once_never_overdraw_the_budget(store: Arc<dyn ObjectStore>) -> TestResult {
    let connection = unique_id();
    let now: Timestamp = "2027-01-04T09:00:00Z".parse()?;
    // Eight runs (the lanes of several Lambda instances) of three leavers each, all at once.
    let runs = (0..8).map(|run| {
        let store = Arc::clone(&store);
        let connection = connection.clone();
        tokio::spawn(async move {
            let requests: Vec<Request> = (0..3).map(|i| leaver(format!("{run}-{i}"))).collect();
            draw(
                store.as_ref(),
                &connection,
                &format!("d-{run}"),
                now,
                LIMIT,
                &requests,
            )
            .await
        })
    });
    let mut granted = 0;
    for run in futures::future::join_all(runs).await {
        granted += run??.granted.iter().filter(|g| **g).count();
    }
    assert_eq!(granted, LIMIT, "exactly the budget is granted, never more");
    // The ledger agrees: a ninth run gets nothing.
    let late = draw(
        store.as_ref(),
        &connection,
        "d-late",
        now,
        LIMIT,
        &[leaver("x".into())],
    )
    .await?;
    assert_eq!(late.granted, vec![false]);
    assert!(store.get(&budget_key(&connection)).await?.is_some());
    Ok(())
}

async fn the_budget_rolls_and_a_user_is_drawn_for_once(store: Arc<dyn ObjectStore>) -> TestResult {
    let connection = unique_id();
    let start: Timestamp = "2027-01-04T09:00:00Z".parse()?;
    let first: Vec<Request> = (0..5).map(|i| leaver(format!("a{i}"))).collect();
    let grant = draw(store.as_ref(), &connection, "d-1", start, LIMIT, &first).await?;
    assert_eq!(grant.granted, vec![true; 5]);
    // The same users again (a retried run) cost nothing more; a new one does not fit.
    let mut again = first.clone();
    again.push(leaver("b0".into()));
    let later = start + SignedDuration::from_hours(23);
    let grant = draw(store.as_ref(), &connection, "d-2", later, LIMIT, &again).await?;
    assert_eq!(grant.granted, [vec![true; 5], vec![false]].concat());
    // 24 hours after the first draw, it no longer counts.
    let next_day = start + SignedDuration::from_hours(24);
    let grant = draw(
        store.as_ref(),
        &connection,
        "d-3",
        next_day,
        LIMIT,
        &[leaver("b0".into())],
    )
    .await?;
    assert_eq!(grant.granted, vec![true]);
    // A group-only removal counts in its own kind.
    let group_only = Request {
        employee_id: "g0".into(),
        effect: Effect {
            users: 1,
            disables: 0,
            license_removals: 0,
            group_removals: 1,
        },
    };
    let grant = draw(
        store.as_ref(),
        &connection,
        "d-4",
        next_day,
        0,
        &[group_only],
    )
    .await?;
    assert_eq!(
        grant.granted,
        vec![false],
        "a group removal draws from the budget"
    );
    Ok(())
}
