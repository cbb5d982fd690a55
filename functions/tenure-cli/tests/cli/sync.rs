//! `tenure sync` against the emulated tenant: the sample company brought to its end state, a
//! second sync empty, faults and a killed run that change nothing of the outcome.

use std::time::Duration;

use tenure::directory::{MailboxType, Snapshot};
use tenure_emulator::Faults;

use crate::helpers::{samples, stderr};
use crate::tenant::{
    SECRET, Sandbox, assert_same_tenant, audit_records, comparable, duplicates,
    reference_end_state, reference_end_state_on, stdout,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_samples_reach_their_end_state_and_a_second_sync_changes_nothing() {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let first = sandbox.sync(&[]).await;
    let out = stdout(&first);
    assert!(first.status.success(), "{out}\n{}", stderr(&first));
    assert!(
        out.contains("joiners 8, pre-hires 2, movers 4, leave 2, leavers 3, rehires 1"),
        "{out}"
    );
    assert!(
        out.contains("Applied 106 of 106 actions; deferred 0, failed 0, skipped 0."),
        "{out}"
    );

    let state = sandbox.tenant.state();
    assert_same_tenant(&state, &reference_end_state());
    assert!(duplicates(&state).is_empty());
    // A few of the cases by name, as an administrator would check them.
    let user = |id: &str| {
        state
            .users
            .iter()
            .find(|u| u.employee_id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("{id} has an account"))
    };
    let mailbox = |id: &str| {
        let user_id = &user(id).id;
        state
            .mailboxes
            .iter()
            .find(|m| &m.external_directory_object_id == user_id)
            .unwrap_or_else(|| panic!("{id} has a mailbox"))
    };
    let priya = user("1055");
    assert!(priya.account_enabled, "a joiner signs in on day one");
    assert!(priya.manager.is_some(), "with a manager");
    assert_eq!(priya.assigned_licenses.len(), 1);
    let diego = user("1045");
    assert!(diego.account_enabled, "a rehire is back");
    assert_eq!(
        mailbox("1045").recipient_type_details,
        MailboxType::UserMailbox
    );
    let leaver_ids: Vec<String> = audit_records(&sandbox.audit())
        .iter()
        .filter(|r| r["action"] == "convert_to_shared_mailbox")
        .map(|r| r["employee_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(!leaver_ids.is_empty(), "leavers' mailboxes were converted");
    for id in &leaver_ids {
        assert!(!user(id).account_enabled);
        assert!(
            user(id).assigned_licenses.is_empty(),
            "{id} keeps no license"
        );
        assert_eq!(
            mailbox(id).recipient_type_details,
            MailboxType::SharedMailbox
        );
        assert!(mailbox(id).hidden_from_address_lists_enabled);
        assert_eq!(mailbox(id).full_access.len(), 1, "the manager can read it");
    }

    let audit = audit_records(&sandbox.audit());
    assert_eq!(audit.len(), 106, "one audit record per change");
    assert!(
        audit
            .iter()
            .all(|r| r["request_id"].is_string() && r["reason"].is_string()),
        "every record names Microsoft's request id and the reason"
    );

    sandbox.tenant.clear_requests();
    let second = sandbox.sync(&[]).await;
    assert!(second.status.success());
    assert!(
        stdout(&second).contains("Nothing to apply"),
        "{}",
        stdout(&second)
    );
    assert!(
        stdout(&second).contains("(changes since the last sync)"),
        "the second sync reads only what changed: {}",
        stdout(&second)
    );
    let requests = sandbox.tenant.requests();
    let count = |keep: &dyn Fn(&tenure_emulator::RecordedRequest) -> bool| {
        requests.iter().filter(|r| keep(r)).count()
    };
    let graph_reads = count(&|r| r.method == "GET" && r.path.starts_with("/v1.0/"));
    let graph_writes = count(&|r| r.method != "GET" && r.path.starts_with("/v1.0/"));
    let exchange = count(&|r| r.path.contains("/adminapi/"));
    assert_eq!(
        (graph_reads, graph_writes),
        (2, 0),
        "users delta and groups delta only: {requests:#?}"
    );
    // One Get-Mailbox for what changed, and the full-access holders of only the mailboxes the
    // first sync itself changed moments ago (a full read asks for every mailbox's).
    let touched: std::collections::BTreeSet<String> = audit_records(&sandbox.audit())
        .iter()
        .filter(|r| {
            [
                "create_user",
                "assign_license",
                "grant_mailbox_access",
                "hide_from_address_list",
            ]
            .iter()
            .chain(&["convert_to_shared_mailbox", "convert_to_user_mailbox"])
            .any(|k| r["action"] == *k)
        })
        .filter_map(|r| r["employee_id"].as_str().map(str::to_owned))
        .collect();
    assert!(
        exchange <= 1 + touched.len() && exchange < state.mailboxes.len(),
        "{exchange} Exchange calls for {} touched mailboxes",
        touched.len()
    );
    assert_eq!(
        audit_records(&sandbox.audit()).len(),
        106,
        "nothing more to audit"
    );
    assert_eq!(
        sandbox.tenant.state(),
        state,
        "the second sync wrote nothing"
    );

    for output in [&first, &second] {
        for text in [stdout(output), stderr(output)] {
            assert!(!text.contains(SECRET), "the client secret is never printed");
            assert!(!text.contains("passwordProfile"));
        }
    }
    let trail = std::fs::read_to_string(sandbox.audit()).expect("audit");
    assert!(!trail.contains(SECRET) && !trail.contains("\"password\":"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_fifth_of_requests_failing_the_end_state_is_the_same_and_nobody_is_doubled() {
    let faults = Faults {
        dropped: 0.07,
        unavailable: 0.07,
        throttled: 0.06,
        ..Faults::default()
    };
    let sandbox = Sandbox::start(faults, 20).await;
    let runs = sandbox.sync_until_done(6).await;
    let state = sandbox.tenant.state();
    assert!(duplicates(&state).is_empty(), "{:?}", duplicates(&state));
    assert_same_tenant(&state, &reference_end_state());
    let requests = sandbox.tenant.requests();
    let failed = requests
        .iter()
        .filter(|r| matches!(r.status, 0 | 429 | 503))
        .count();
    assert!(
        failed * 10 >= requests.len(),
        "faults were injected: {failed} of {} requests",
        requests.len()
    );
    for run in &runs {
        assert!(!stdout(run).contains(SECRET) && !stderr(run).contains(SECRET));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_halfway_is_finished_by_the_next() {
    // Every answer is slow, one worker at a time: the run is still going when it is killed.
    let slow = Faults {
        slow: 1.0,
        slow_delay: Duration::from_millis(20),
        ..Faults::default()
    };
    let sandbox = Sandbox::start(slow, 3).await;
    let mut child = sandbox
        .command(&["--concurrency", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("tenure starts");
    let audit = sandbox.audit();
    let killed = tokio::task::spawn_blocking(move || {
        // Wait for progress (not for time): some changes are in the audit trail.
        while audit_records(&audit).len() < 20 {
            if child.try_wait().expect("waits").is_some() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let running = child.try_wait().expect("waits").is_none();
        child.kill().expect("kills");
        child.wait().expect("reaped");
        running
    })
    .await
    .expect("joins");
    assert!(killed, "the first run was cut off before it finished");
    let halfway = sandbox.tenant.state();
    assert_ne!(comparable(&halfway), comparable(&reference_end_state()));

    sandbox.tenant.set_faults(Faults::default());
    sandbox.sync_until_done(3).await;
    let state = sandbox.tenant.state();
    assert!(duplicates(&state).is_empty(), "{:?}", duplicates(&state));
    assert_same_tenant(&state, &reference_end_state());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailbox_not_there_yet_is_deferred_and_done_by_the_next_sync() {
    let sandbox =
        Sandbox::configured(|config| config.with_mailbox_delay(Duration::from_millis(300))).await;
    let first = sandbox.sync(&[]).await;
    let out = stdout(&first);
    assert!(
        first.status.success(),
        "deferred is not failed: {out}\n{}",
        stderr(&first)
    );
    assert!(
        out.contains("Deferred (the next sync picks these up):"),
        "{out}"
    );
    assert!(
        out.contains("add_distribution_list_member: Exchange has no mailbox for"),
        "{out}"
    );
    // Wait for Exchange (not for a time): every licensed user has a mailbox.
    loop {
        let state = sandbox.tenant.state();
        let licensed = state
            .users
            .iter()
            .filter(|u| !u.assigned_licenses.is_empty());
        if licensed.clone().all(|u| {
            state
                .mailboxes
                .iter()
                .any(|m| m.external_directory_object_id == u.id)
        }) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sandbox.sync_until_done(3).await;
    assert_same_tenant(&sandbox.tenant.state(), &reference_end_state());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_and_a_refused_plan_change_nothing() {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let before = sandbox.tenant.state();
    let dry = sandbox.sync(&["--dry-run"]).await;
    assert!(dry.status.success());
    assert!(stdout(&dry).contains("actions 106"));
    assert!(stdout(&dry).contains("Dry run: nothing was applied."));
    let everyone_leaves = crate::guard::everyone_leaves(sandbox.dir.path());
    let mut command = sandbox.command_for(&everyone_leaves, &[]);
    let refused = tokio::task::spawn_blocking(move || command.output().expect("runs"))
        .await
        .expect("joins");
    assert_eq!(refused.status.code(), Some(3), "{}", stdout(&refused));
    assert!(stdout(&refused).contains("the guard refused the plan"));
    assert_eq!(sandbox.tenant.state(), before);
    assert!(!sandbox.audit().exists() || audit_records(&sandbox.audit()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_missing_secret_is_a_clear_error_that_never_shows_the_secret() {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let before = sandbox.tenant.state();
    let mut wrong = sandbox.command(&[]);
    wrong.env("TENURE_CLIENT_SECRET", "not-the-secret-Kx93");
    let output = tokio::task::spawn_blocking(move || wrong.output().expect("runs"))
        .await
        .expect("joins");
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("invalid_client"), "{err}");
    assert!(
        !err.contains("not-the-secret-Kx93") && !err.contains(SECRET),
        "{err}"
    );

    let mut missing = sandbox.command(&[]);
    missing.env_remove("TENURE_CLIENT_SECRET");
    let output = tokio::task::spawn_blocking(move || missing.output().expect("runs"))
        .await
        .expect("joins");
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("set TENURE_CLIENT_SECRET to the client secret"));
    assert_eq!(sandbox.tenant.state(), before);
    let _: Snapshot = Snapshot::read(&samples().join("directory.json")).expect("untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_termination_is_carried_out_when_the_last_day_ends_where_the_worker_is() {
    // 20:00 UTC on 30 November: already 1 December in Tokyo, still the 30th in Seattle.
    let instant = "2026-11-30T20:00:00Z";
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let mut command = sandbox.command_on(&samples().join("company.csv"), instant, &[]);
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs"))
        .await
        .expect("joins");
    assert!(output.status.success(), "{}", stderr(&output));
    let state = sandbox.tenant.state();
    let enabled = |id: &str| {
        state
            .users
            .iter()
            .find(|u| u.employee_id.as_deref() == Some(id))
            .map(|u| u.account_enabled)
    };
    assert_eq!(enabled("1046"), Some(false), "Tokyo: the last day is over");
    assert_eq!(enabled("1040"), Some(true), "Seattle: still at work");
    assert_same_tenant(&state, &reference_end_state_on(instant));
}
