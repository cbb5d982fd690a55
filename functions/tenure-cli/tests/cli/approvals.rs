//! `tenure approvals list | approve`: a change the guard held is listed with its reason,
//! approved once (its work provisioned by the command), and a second approval does nothing.

use std::process::Command;

use tenure::hr::read_csv;
use tenure::plugin::{PluginHost, SandboxLimits};
use tenure::queue::WorkItem;
use tenure::service::Services;
use tenure::service::guard::{Hold, Origin, hold};
use tenure::store::DataDir;
use tenure::store::connections::ConnectionId;
use tenure_emulator::Faults;

use crate::helpers::{run, samples, stderr};
use crate::tenant::{SECRET, Sandbox, stdout};

/// `tenure <args>` in the sandbox, run by the operator `ops-anna`.
fn tenure(sandbox: &Sandbox, args: &[&str]) -> Command {
    let mut command = sandbox.tenure(args);
    command.env("USER", "ops-anna");
    command
}

/// Connects the sample tenant as `contoso` with the sample mapper.
async fn connected(sandbox: &Sandbox) {
    let uri = sandbox.tenant.uri();
    let mut connect = tenure(sandbox, &sandbox.connect_args("contoso", &uri));
    connect.env("CUSTOMER_APP_SECRET", SECRET);
    let out = run(connect).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let mut mapping = tenure(sandbox, &["connect", "mapping", "--connection", "contoso"]);
    mapping.arg("--config").arg(samples().join("mapper.json"));
    let out = run(mapping).await;
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Holds "the CEO (1001) has left" for approval, as the guard would; the approval's id.
async fn held_ceo_leaving(sandbox: &Sandbox) -> String {
    let data = DataDir::open(sandbox.dir.path().join("state").join("store")).expect("store");
    let host = PluginHost::new(SandboxLimits::default(), None).expect("plugin host");
    let services = Services::local(&data, host).expect("services");
    let csv = "employee_id,first_name,last_name,job_title,department,country,employment_status,employment_type,hire_date,termination_date,time_zone\n\
               1001,Olivia,Bennett,Chief Executive Officer,Executive,US,terminated,employee,2015-03-02,2026-11-30,America/Los_Angeles\n";
    let batch = read_csv(csv.as_bytes(), "webhook".into()).expect("a record");
    let connection = ConnectionId::parse("contoso").expect("an id");
    let items = WorkItem::split(&connection, "d-cli", batch.workers).expect("items");
    let hold_it = Hold {
        origin: Origin::Webhook,
        deliveries: vec!["d-cli".to_owned()],
        reason: "refused: the change disables 40 of 37 managed users (test)".to_owned(),
        effect: Default::default(),
        items,
    };
    hold(&services, &connection, hold_it)
        .await
        .expect("held")
        .id
}

fn ceo_enabled(sandbox: &Sandbox) -> bool {
    sandbox
        .tenant
        .state()
        .users
        .iter()
        .any(|u| u.employee_id.as_deref() == Some("1001") && u.account_enabled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_change_is_listed_approved_once_and_provisioned() {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    connected(&sandbox).await;
    let id = held_ceo_leaving(&sandbox).await;

    let listed = run(tenure(
        &sandbox,
        &["approvals", "list", "--connection", "contoso"],
    ))
    .await;
    assert!(listed.status.success(), "{}", stderr(&listed));
    let text = stdout(&listed);
    assert!(text.contains(&id) && text.contains("pending"), "{text}");
    assert!(text.contains("disables 40 of 37"), "{text}");
    assert!(ceo_enabled(&sandbox));

    let approve = [
        "approvals",
        "approve",
        id.as_str(),
        "--connection",
        "contoso",
    ];
    let approved = run(tenure(&sandbox, &approve)).await;
    assert!(
        approved.status.success(),
        "{}\n{}",
        stdout(&approved),
        stderr(&approved)
    );
    assert!(
        stdout(&approved).contains("Approved"),
        "{}",
        stdout(&approved)
    );
    assert!(
        !ceo_enabled(&sandbox),
        "the approved change was provisioned"
    );

    let again = run(tenure(&sandbox, &approve)).await;
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("already approved"),
        "{}",
        stdout(&again)
    );
    let listed = run(tenure(
        &sandbox,
        &["approvals", "list", "--connection", "contoso"],
    ))
    .await;
    assert!(stdout(&listed).contains("approved"), "{}", stdout(&listed));
    assert!(
        stdout(&listed).contains("cli:ops-anna"),
        "{}",
        stdout(&listed)
    );

    let unknown = run(tenure(
        &sandbox,
        &[
            "approvals",
            "approve",
            "20990101T000000Z-0",
            "--connection",
            "contoso",
        ],
    ))
    .await;
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("has no approval 20990101T000000Z-0"),
        "{}",
        stderr(&unknown)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervise_sets_which_changes_wait_and_list_says_it() {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let uri = sandbox.tenant.uri();
    let mut connect = tenure(&sandbox, &sandbox.connect_args("contoso", &uri));
    connect.env("CUSTOMER_APP_SECRET", SECRET);
    assert!(run(connect).await.status.success());
    let supervise = |mode: &'static str| {
        tenure(
            &sandbox,
            &["approvals", "supervise", mode, "--connection", "contoso"],
        )
    };
    // Without a mapping there is nothing to supervise: said, with what to do.
    let early = run(supervise("leavers")).await;
    assert_eq!(early.status.code(), Some(1));
    assert!(
        stderr(&early).contains("no mapping settings yet"),
        "{}",
        stderr(&early)
    );

    connected(&sandbox).await;
    let wrong = run(supervise("sometimes")).await;
    assert_eq!(wrong.status.code(), Some(2), "{}", stderr(&wrong));
    assert!(
        stderr(&wrong).contains("not a supervision mode"),
        "{}",
        stderr(&wrong)
    );
    let set = run(supervise("every-change")).await;
    assert!(set.status.success(), "{}", stderr(&set));
    assert!(
        stdout(&set).contains("Supervised for every change"),
        "{}",
        stdout(&set)
    );
    let listed = run(tenure(
        &sandbox,
        &["approvals", "list", "--connection", "contoso"],
    ))
    .await;
    assert!(
        stdout(&listed).contains("Supervision: Supervised for every change"),
        "{}",
        stdout(&listed)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_change_is_never_provisioned_and_cannot_be_approved() {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    connected(&sandbox).await;
    let id = held_ceo_leaving(&sandbox).await;
    let reject = |note: &str| {
        let mut command = tenure(
            &sandbox,
            &[
                "approvals",
                "reject",
                id.as_str(),
                "--connection",
                "contoso",
            ],
        );
        command.arg("--note").arg(note);
        command
    };
    let blank = run(reject("  ")).await;
    assert_eq!(blank.status.code(), Some(1));
    assert!(
        stderr(&blank).contains("write a note"),
        "{}",
        stderr(&blank)
    );

    let rejected = run(reject("the CEO is staying; HR fixed the record")).await;
    assert!(rejected.status.success(), "{}", stderr(&rejected));
    assert!(
        stdout(&rejected).contains("will never be applied"),
        "{}",
        stdout(&rejected)
    );
    let approve = run(tenure(
        &sandbox,
        &[
            "approvals",
            "approve",
            id.as_str(),
            "--connection",
            "contoso",
        ],
    ))
    .await;
    assert_eq!(approve.status.code(), Some(1));
    assert!(
        stderr(&approve).contains("was rejected by cli:ops-anna"),
        "{}",
        stderr(&approve)
    );
    assert!(ceo_enabled(&sandbox), "never applied");
    let listed = run(tenure(
        &sandbox,
        &["approvals", "list", "--connection", "contoso"],
    ))
    .await;
    assert!(
        stdout(&listed).contains("rejected") && stdout(&listed).contains("HR fixed the record"),
        "{}",
        stdout(&listed)
    );
}
