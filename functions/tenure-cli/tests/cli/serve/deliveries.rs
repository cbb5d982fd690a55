//! Signed HR deliveries through `tenure serve`: provisioned once end to end (with `tenure emulate`
//! as its own process), refused with nothing queued, leavers, partial terminate events.

use std::process::Command;
use std::time::Duration;

use serde_json::json;
use tenure_emulator::Faults;

use super::harness::*;
use crate::helpers::{files, samples, stderr};
use crate::tenant::{CLIENT, Sandbox, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_tenure_emulate_a_signed_hire_is_provisioned_once_and_no_secret_leaks() -> Result {
    // The promised pair: `tenure emulate` and `tenure serve`, each its own process.
    let client_secret = "serve-e2e-client-secret-Hq71";
    let mut emulate = Command::new(env!("CARGO_BIN_EXE_tenure"));
    emulate
        .args(["emulate", "--port", "0", "--client-id", CLIENT, "--state"])
        .arg(samples().join("directory.json"))
        .env("TENURE_EMULATOR_CLIENT_SECRET", client_secret);
    let emulated = tokio::task::spawn_blocking(move || Running::start(emulate)).await?;
    let uri = emulated.url();
    let tenant_id = emulated
        .first_line
        .split_whitespace()
        .nth(2)
        .ok_or("no tenant id")?
        .to_owned();
    let graph = Graph::sign_in(&uri, &tenant_id, client_secret).await?;

    let connected = Connected::to(&uri, &tenant_id, client_secret).await;
    let served = connected.serve().await;

    let ada = hire("2001", "Ada", "Lovelace");
    // Signed a minute ago, so that signing the same body again now gives another signature.
    let first = served.sign(&ada, Duration::from_secs(60));
    let first_delivery = served.accepted(&first).await;
    let user = served
        .wait_for("the hire 2001 to have an account", async || {
            graph.users_with("2001").await.ok()?.into_iter().next()
        })
        .await;
    assert_eq!(user["userPrincipalName"], "ada.lovelace@contoso.com");
    assert_eq!(user["department"], "Engineering");
    assert_eq!(user["jobTitle"], "Engineer");
    assert_eq!(user["accountEnabled"], true);

    // The very same delivery again is a replay; the same content signed afresh is a new one.
    let (status, answer) = served.deliver(&first).await;
    assert_eq!(status, 401, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("replay")),
        "{answer}"
    );
    let again = served.sign(&ada, Duration::ZERO);
    let second_delivery = served.accepted(&again).await;
    assert_ne!(first_delivery, second_delivery);

    // A marker hire after it: the queue is first in, first out, so once the marker is
    // provisioned and audited, the repeated delivery was provisioned before it.
    served
        .accepted(&served.sign(&hire("2002", "Grace", "Hopper"), Duration::ZERO))
        .await;
    served
        .wait_for("the marker hire 2002 to be audited", async || {
            (created(&connected.audit_of("2002")) == 1).then_some(())
        })
        .await;

    assert_eq!(
        graph.users_with("2001").await?.len(),
        1,
        "Ada is not doubled"
    );
    let ada_records = connected.audit_of("2001");
    assert_eq!(created(&ada_records), 1, "{ada_records:?}");
    for (file, record) in &ada_records {
        assert!(
            file.starts_with(&first_delivery),
            "the repeated delivery changed Ada again: {file}: {record}"
        );
    }

    let log = served.running.output();
    assert!(
        !log.contains('\u{1b}'),
        "no colour codes in a piped log:\n{log}"
    );
    // Secrets: the client secret and the webhook key are in the secret store and the key file
    // only, never in any output or other file.
    let mut printed = vec![served.running.output()];
    for output in &connected.outputs {
        printed.push(stdout(output));
        printed.push(stderr(output));
    }
    for secret in [client_secret, connected.key.as_str()] {
        for text in &printed {
            assert!(!text.contains(secret), "a secret was printed:\n{text}");
        }
    }
    let secrets_folder = connected.state().join("store/secrets");
    let mut kept = 0;
    for file in files(connected.dir.path()) {
        let bytes = std::fs::read(&file)?;
        let text = String::from_utf8_lossy(&bytes);
        for secret in [client_secret, connected.key.as_str()] {
            if file.starts_with(&secrets_folder) {
                kept += usize::from(text.contains(secret));
            } else if file != connected.key_file() {
                assert!(!text.contains(secret), "{} holds a secret", file.display());
            }
        }
    }
    assert_eq!(kept, 2, "the secret store holds each secret once");
    drop(served);
    drop(emulated);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_deliveries_are_refused_with_a_reason_and_nothing_is_queued() -> Result {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let graph = Graph::of(&sandbox).await?;
    let connected = Connected::to_sandbox(&sandbox).await;
    let served = connected.serve().await;
    let users_before = graph.users().await?.len();

    let mut tampered = served.sign(&hire("3001", "Eve", "Mallory"), Duration::ZERO);
    let at = tampered
        .body
        .iter()
        .position(|&b| b == b'E')
        .ok_or("an E in the body")?;
    tampered.body[at] = b'F';
    let stale = served.sign(&hire("3002", "Old", "News"), Duration::from_secs(30 * 60));
    let mut unsigned = served.sign(&hire("3003", "No", "Signature"), Duration::ZERO);
    unsigned.signature = "sha256=".to_owned() + &"0".repeat(64);
    let malformed = served.sign(
        &events(json!([{
            "type": "upsert",
            "worker": { "employee_id": "3004", "first_name": "Bad", "last_name": "Date",
                        "employment_status": "active", "hire_date": "soon" }
        }])),
        Duration::ZERO,
    );
    let mut huge = hire("3005", "Too", "Big");
    let closing = huge.pop().ok_or("a body")?;
    huge.resize((1 << 20) + 1, b' ');
    huge.push(closing);
    let huge = served.sign(&huge, Duration::ZERO);
    let mut enormous = hire("3007", "Far", "Too Big");
    let closing = enormous.pop().ok_or("a body")?;
    enormous.resize(3 << 20, b' ');
    enormous.push(closing);
    let enormous = served.sign(&enormous, Duration::ZERO);
    let elsewhere = served.sign(&hire("3006", "Wrong", "Door"), Duration::ZERO);

    let cases: [(&str, &str, &Signed, u16, &str); 7] = [
        ("tampered body", CONNECTION, &tampered, 401, "signature"),
        ("stale timestamp", CONNECTION, &stale, 401, "replay window"),
        ("wrong signature", CONNECTION, &unsigned, 401, "signature"),
        (
            "malformed payload",
            CONNECTION,
            &malformed,
            400,
            "$.events[0].worker: hire_date",
        ),
        ("body over 1 MiB", CONNECTION, &huge, 413, "limit"),
        // Refused before it is all read: the next request must still find a usable
        // connection (the client keeps connections alive).
        ("body over 2 MiB", CONNECTION, &enormous, 413, "limit"),
        (
            "unknown connection",
            "nobody",
            &elsewhere,
            401,
            "signature does not match",
        ),
    ];
    for (case, connection, delivery, expected, words) in cases {
        let (status, answer) = served.deliver_to(connection, delivery).await;
        let error = answer["error"].as_str().unwrap_or_default();
        assert_eq!(status, expected, "{case}: {answer}");
        assert!(error.contains(words), "{case}: {error:?} lacks {words:?}");
    }

    // Nothing was queued: a good delivery after them is provisioned, and it alone.
    let marker = served
        .accepted(&served.sign(&hire("3009", "Mark", "Er"), Duration::ZERO))
        .await;
    served
        .wait_for("the marker hire 3009 to be audited", async || {
            (created(&connected.audit_of("3009")) == 1).then_some(())
        })
        .await;
    let users = graph.users().await?;
    assert_eq!(users.len(), users_before + 1, "only the marker was added");
    for refused in ["3001", "3002", "3003", "3004", "3005", "3006", "3007"] {
        assert!(
            !users.iter().any(|u| u["employeeId"] == refused),
            "{refused} was provisioned"
        );
    }
    for (file, record) in connected.audit() {
        assert!(file.starts_with(&marker), "{file}: {record}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminated_worker_is_disabled_and_no_one_else_changes() -> Result {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let graph = Graph::of(&sandbox).await?;
    let connected = Connected::to_sandbox(&sandbox).await;
    let served = connected.serve().await;
    let before = graph.users().await?;
    let sam = graph.users_with("1040").await?;
    assert_eq!(
        sam.first().map(|u| &u["accountEnabled"]),
        Some(&json!(true))
    );

    let leaver = events(json!([{
        "type": "terminate",
        "worker": {
            "employee_id": "1040",
            "first_name": "Sam",
            "last_name": "Taylor",
            "termination_date": "2026-11-01"
        }
    }]));
    let delivery = served.accepted(&served.sign(&leaver, Duration::ZERO)).await;
    // The audit is written when the run ends, so once it is there the run has done everything.
    let records = served
        .wait_for("the leaver 1040 to be audited", async || {
            Some(connected.audit_of("1040")).filter(|r| !r.is_empty())
        })
        .await;
    let actions: Vec<&str> = records
        .iter()
        .filter_map(|(_, r)| r["action"].as_str())
        .collect();
    assert!(actions.contains(&"disable_user"), "{actions:?}");
    assert!(records.iter().all(|(file, _)| file.starts_with(&delivery)));
    let sam = graph.users_with("1040").await?;
    assert_eq!(sam.len(), 1);
    assert_eq!(sam[0]["accountEnabled"], false, "the leaver is disabled");

    let after = graph.users().await?;
    assert_eq!(after.len(), before.len(), "no account was made or deleted");
    for user in &before {
        if user["employeeId"] == "1040" {
            continue;
        }
        let now = after.iter().find(|u| u["id"] == user["id"]);
        assert_eq!(now, Some(user), "only the leaver changes");
    }
    // Every write the tenant saw concerns the leaver (its groups' removals name the leaver too).
    let others: Vec<&str> = before
        .iter()
        .filter(|u| u["employeeId"] != "1040")
        .filter_map(|u| u["id"].as_str())
        .collect();
    for request in sandbox.tenant.requests() {
        if request.method != "GET" && !request.path.contains("/oauth2/") {
            assert!(
                !others.iter().any(|id| request.path.contains(id)),
                "a write to someone else: {request:?}"
            );
        }
    }
    Ok(())
}

/// A terminate event carries only what the leaving changes; the rest of Kofi's record comes
/// from the connection's HR export, so a last day far ahead changes nothing yet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminate_event_for_a_later_day_changes_nothing_yet() -> Result {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let connected = Connected::to_sandbox(&sandbox).await;
    let mut export = tenure(
        &connected.state(),
        &["connect", "hr-export", "--connection", CONNECTION],
    );
    export.arg("--file").arg(samples().join("company.csv"));
    succeed(export).await;
    let served = connected.serve().await;
    // The generic sample's terminate event: the employee id, the names, the last day.
    let leaver = events(json!([{
        "type": "terminate",
        "worker": {
            "employee_id": "1042",
            "first_name": "Kofi",
            "last_name": "Mensah",
            "termination_date": "2099-12-31"
        }
    }]));
    served.accepted(&served.sign(&leaver, Duration::ZERO)).await;
    served
        .accepted(&served.sign(&hire("5001", "After", "Leaver"), Duration::ZERO))
        .await;
    served
        .wait_for("the marker hire 5001 to be audited", async || {
            (created(&connected.audit_of("5001")) == 1).then_some(())
        })
        .await;
    let changed = connected.audit_of("1042");
    assert!(changed.is_empty(), "Kofi works until 2099: {changed:#?}");
    Ok(())
}

/// Without an HR export, a terminate event is filled from what an earlier delivery said of the
/// worker: the department and the groups it earns stay until the last day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminate_event_keeps_what_an_earlier_delivery_said() -> Result {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let connected = Connected::to_sandbox(&sandbox).await;
    let served = connected.serve().await;
    served
        .accepted(&served.sign(&hire("5101", "Leaving", "Later"), Duration::ZERO))
        .await;
    served
        .wait_for("the hire 5101 to be audited", async || {
            (created(&connected.audit_of("5101")) == 1).then_some(())
        })
        .await;
    let before = connected.audit_of("5101").len();
    let leaver = events(json!([{
        "type": "terminate",
        "worker": { "employee_id": "5101", "termination_date": "2099-12-31" }
    }]));
    served.accepted(&served.sign(&leaver, Duration::ZERO)).await;
    served
        .accepted(&served.sign(&hire("5102", "After", "Leaver"), Duration::ZERO))
        .await;
    served
        .wait_for("the marker hire 5102 to be audited", async || {
            (created(&connected.audit_of("5102")) == 1).then_some(())
        })
        .await;
    let after = connected.audit_of("5101");
    assert_eq!(after.len(), before, "5101 works until 2099: {after:#?}");
    Ok(())
}
