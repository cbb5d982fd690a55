//! `tenure sync` sends the notices the service sends, from the same engine code: first-day
//! access to a new worker's manager, each leaver's manager told, and one digest to the admins;
//! the pass only ever in the one mail meant for it.

use std::path::{Path, PathBuf};

use tenure_emulator::{Faults, SentMail};

use crate::helpers::{run, samples, stderr};
use crate::tenant::{Sandbox, TODAY, stdout};

const SENDER: &str = "laura.fischer@contoso.com";
const ADMIN: &str = "it-ops@contoso.com";

/// The sample configuration with mail from [`SENDER`], first-day access on and the digest to
/// [`ADMIN`], written into the sandbox.
fn notifying_config(sandbox: &Sandbox) -> PathBuf {
    let text = std::fs::read_to_string(samples().join("mapper.json")).expect("sample config");
    let mut config: serde_json::Value = serde_json::from_str(&text).expect("sample config is JSON");
    config["notifications"] = serde_json::json!({
        "sender": SENDER,
        "admins": [ADMIN],
        "first_day_access": {"lifetime_minutes": 480, "usable_once": true, "usable_from": "00:00"},
    });
    let path = sandbox.dir.path().join("notifying.json");
    std::fs::write(&path, config.to_string()).expect("config written");
    path
}

/// The pass between `<code>` and `</code>` of a first-day mail.
fn pass_of(mail: &SentMail) -> String {
    let after = mail
        .content
        .split("<code>")
        .nth(1)
        .expect("a <code> in the mail");
    after.split("</code>").next().unwrap_or_default().to_owned()
}

/// Every file's text under `dir`.
fn texts_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push((path, String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_mails_first_day_access_leavers_managers_and_one_digest() {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let config = notifying_config(&sandbox);
    let hr = samples().join("company.csv");
    let output = run(sandbox.command_configured(&hr, TODAY, &config, &[])).await;
    let (out, err) = (stdout(&output), stderr(&output));
    assert!(output.status.success(), "{out}\n{err}");
    assert!(out.contains("Notices:"), "{out}");

    let state = sandbox.tenant.state();
    let address_of = |employee_id: &str| {
        let user = state
            .users
            .iter()
            .find(|u| u.employee_id.as_deref() == Some(employee_id))
            .unwrap_or_else(|| panic!("{employee_id} has an account"));
        user.mail
            .as_deref()
            .unwrap_or(&user.user_principal_name)
            .to_owned()
    };
    let outbox = sandbox.tenant.handle().outbox();
    // Jane Doe (1051, New York) starts on the sync's day; her manager is 1003.
    let manager = address_of("1003");
    let first_day: Vec<&SentMail> = outbox
        .iter()
        .filter(|m| {
            m.to.contains(&manager) && m.subject == "Jane Doe starts today: how they sign in"
        })
        .collect();
    assert_eq!(first_day.len(), 1, "{outbox:#?}");
    assert_eq!(first_day[0].from, SENDER);
    let pass = pass_of(first_day[0]);
    assert!(pass.len() >= 8, "a pass in the mail: {pass:?}");

    let digests: Vec<&SentMail> = outbox.iter().filter(|m| m.to == [ADMIN]).collect();
    assert_eq!(digests.len(), 1, "one digest for the sync: {outbox:#?}");
    assert!(
        digests[0].subject.contains("need you"),
        "{}",
        digests[0].subject
    );
    assert!(
        outbox.iter().any(|m| m.subject.contains("has left")),
        "a leaver's manager is told: {outbox:#?}"
    );

    // The pass is in its one mail and nowhere else: not printed, audited, kept or mailed again.
    for text in [&out, &err] {
        assert!(!text.contains(&pass), "printed: {text}");
    }
    for mail in outbox.iter().filter(|m| !std::ptr::eq(*m, first_day[0])) {
        assert!(!mail.content.contains(&pass), "in another mail: {mail:?}");
    }
    for (path, text) in texts_under(sandbox.dir.path()) {
        assert!(!text.contains(&pass), "kept in {}", path.display());
    }

    // The same day again: nothing to do, no second pass, and no digest without news.
    let again = run(sandbox.command_configured(&hr, TODAY, &config, &[])).await;
    assert!(again.status.success(), "{}", stderr(&again));
    let starts = |mails: &[SentMail]| {
        mails
            .iter()
            .filter(|m| m.subject.contains("starts today"))
            .count()
    };
    let outbox_again = sandbox.tenant.handle().outbox();
    assert_eq!(starts(&outbox_again), starts(&outbox), "one pass per start");
    assert_eq!(
        outbox_again.iter().filter(|m| m.to == [ADMIN]).count(),
        outbox.iter().filter(|m| m.to == [ADMIN]).count() + 1,
        "the second sync's digest: the quarantined records still need an admin"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_the_guard_refuses_tells_the_admins_in_its_digest() {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let config = notifying_config(&sandbox);
    let hr = crate::guard::everyone_leaves(sandbox.dir.path());
    let output = run(sandbox.command_configured(&hr, TODAY, &config, &[])).await;
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let outbox = sandbox.tenant.handle().outbox();
    let digests: Vec<&SentMail> = outbox.iter().filter(|m| m.to == [ADMIN]).collect();
    assert_eq!(digests.len(), 1, "{outbox:#?}");
    assert!(
        digests[0].content.contains("held for approval")
            && digests[0].content.contains("--allow-mass-changes"),
        "{}",
        digests[0].content
    );
    assert!(
        !outbox.iter().any(|m| m.subject.contains("starts today")),
        "nothing was applied, so no pass went out"
    );
}
