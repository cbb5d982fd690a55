//! A provision run killed mid-way (its Lambda timeout, a crash) loses no audit record: the
//! retry of its message records what the killed attempt applied and did not get to write, and
//! every change in the tenant has a record.

use std::collections::BTreeMap;
use std::time::Duration;

use tenure::apply::AuditRecord;
use tenure::queue::WorkItem;
use tenure::service::provision::provision;
use tenure_emulator::Faults;

use super::helpers::{Env, Error, TestResult, new_hire};

const HIRES: usize = 12;

async fn intents(env: &Env) -> Result<usize, Error> {
    let prefix = format!("connections/{}/in-flight/", env.connection);
    Ok(env.services.objects.list(&prefix).await?.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_mid_way_loses_no_record_of_what_reached_the_tenant() -> TestResult {
    let env = Env::local(Duration::from_secs(30)).await?;
    let ids: Vec<String> = (0..HIRES).map(|n| format!("97{n:02}")).collect();
    let workers = ids
        .iter()
        .map(|id| new_hire(id))
        .collect::<Result<Vec<_>, _>>()?;
    // The run's messages (one per lane).
    let items: Vec<WorkItem> = WorkItem::split(&env.connection, "d-killed", workers)?;

    // A slow tenant, and the run dropped as soon as the first account exists: killed with some
    // of its changes in the tenant and most not yet made.
    env.tenant.set_faults(Faults {
        slow: 1.0,
        slow_delay: Duration::from_millis(150),
        ..Faults::default()
    });
    let first_account = async {
        while !ids.iter().any(|id| env.user(id).is_some()) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::select! {
        finished = provision(&env.services, &items) => {
            return Err(format!("the run was to be killed, but it ended: {finished:?}").into());
        }
        () = first_account => {}
    }
    assert_eq!(intents(&env).await?, 1, "the killed run's intent stays");
    let created_then: Vec<&String> = ids.iter().filter(|id| env.user(id).is_some()).collect();
    assert!(!created_then.is_empty() && created_then.len() < HIRES);

    // The message comes back; its retry records what the killed attempt left and finishes.
    env.tenant.set_faults(Faults::default());
    provision(&env.services, &items).await?;
    assert_eq!(
        intents(&env).await?,
        0,
        "recovered and ended: no intent left"
    );

    let records = env.audit_records().await?;
    let mut creates: BTreeMap<&str, Vec<&AuditRecord>> = BTreeMap::new();
    for (_, record) in &records {
        if record.action == "create_user" {
            creates
                .entry(record.employee_id.as_str())
                .or_default()
                .push(record);
        }
    }
    for id in &ids {
        let user = env.user(id).ok_or(format!("{id} has no account"))?;
        let found = creates
            .get(id.as_str())
            .ok_or(format!("no record of creating {id}"))?;
        assert!(!found.is_empty(), "{id}");
        assert!(
            found
                .iter()
                .all(|r| r.after["userPrincipalName"] == user.user_principal_name.as_str()),
            "{found:?}"
        );
    }
    // Each account made once and recorded once: the ones the killed run made as applied or,
    // when their record had not been written yet, as interrupted; the others by the retry.
    let accounts = env
        .tenant
        .state()
        .users
        .iter()
        .filter(|u| u.employee_id.as_ref().is_some_and(|e| ids.contains(e)))
        .count();
    assert_eq!(accounts, HIRES);
    for (id, found) in &creates {
        assert_eq!(found.len(), 1, "{id}: {found:?}");
        if found[0].interrupted {
            assert!(
                created_then.iter().any(|c| c.as_str() == *id),
                "{id} was made by the retry"
            );
        }
    }
    // A retry with nothing left to recover writes nothing more.
    let before = records.len();
    provision(&env.services, &items).await?;
    assert_eq!(env.audit_records().await?.len(), before);
    Ok(())
}
