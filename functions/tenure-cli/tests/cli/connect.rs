//! `tenure connect`: a customer's own app connected, listed and synced by its id; a wrong secret
//! fails the connection with advice, and no secret ever shows in output or records.

use tenure_emulator::Faults;

use crate::helpers::{files, run, samples, stderr};
use crate::tenant::{SECRET, Sandbox, TODAY, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_app_is_connected_listed_and_synced_by_its_id() {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let uri = sandbox.tenant.uri();
    let mut connect = sandbox.tenure(&sandbox.connect_args("contoso", &uri));
    connect.env("CUSTOMER_APP_SECRET", SECRET);
    let connected = run(connect).await;
    assert!(connected.status.success(), "{}", stderr(&connected));
    assert!(
        stdout(&connected).contains("Connection contoso is linked"),
        "{}",
        stdout(&connected)
    );
    assert!(stdout(&connected).contains("Exchange Online checked"));

    let listed = run(sandbox.tenure(&["connect", "list"])).await;
    assert!(stdout(&listed).contains("contoso\t"), "{}", stdout(&listed));
    assert!(stdout(&listed).contains("customer app (client secret)\tlinked"));

    let s = samples();
    let mut sync = sandbox.tenure(&["sync", "--connection", "contoso", "--today", TODAY]);
    sync.arg("--hr")
        .arg(s.join("company.csv"))
        .arg("--config")
        .arg(s.join("mapper.json"));
    let synced = run(sync).await;
    assert!(
        synced.status.success(),
        "{}\n{}",
        stdout(&synced),
        stderr(&synced)
    );
    assert!(
        stdout(&synced).contains("Applied 106 of 106 actions"),
        "{}",
        stdout(&synced)
    );

    // The secret is in the secret store only: not in any output, record, cache or audit line.
    for output in [&connected, &listed, &synced] {
        assert!(!stdout(output).contains(SECRET) && !stderr(output).contains(SECRET));
    }
    let state = sandbox.dir.path().join("state");
    let mut kept = 0;
    for file in files(&state) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        if file.to_string_lossy().contains("/store/secrets/") {
            kept += usize::from(text.contains(SECRET));
        } else {
            assert!(
                !text.contains(SECRET),
                "{} holds the secret",
                file.display()
            );
        }
    }
    assert_eq!(kept, 1, "the secret store holds it, once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_fails_the_connection_and_says_what_to_do() {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let uri = sandbox.tenant.uri();
    let wrong = "wrong-secret-for-the-app~88";
    let mut connect = sandbox.tenure(&sandbox.connect_args("contoso", &uri));
    connect.env("CUSTOMER_APP_SECRET", wrong);
    let failed = run(connect).await;
    assert_eq!(failed.status.code(), Some(1));
    let err = stderr(&failed);
    assert!(
        err.contains("the client secret is wrong or expired"),
        "{err}"
    );
    assert!(!err.contains(wrong) && !stdout(&failed).contains(wrong));
    let listed = run(sandbox.tenure(&["connect", "list"])).await;
    assert!(stdout(&listed).contains("failed: "), "{}", stdout(&listed));
    assert!(!stdout(&listed).contains(wrong));

    let s = samples();
    let mut sync = sandbox.tenure(&["sync", "--connection", "nobody"]);
    sync.arg("--hr")
        .arg(s.join("company.csv"))
        .arg("--config")
        .arg(s.join("mapper.json"));
    let unknown = run(sync).await;
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("no connection nobody (known: contoso)"),
        "{}",
        stderr(&unknown)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_the_plugin_refuses_is_not_stored_and_the_error_names_the_field() {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let uri = sandbox.tenant.uri();
    let mut connect = sandbox.tenure(&sandbox.connect_args("contoso", &uri));
    connect.env("CUSTOMER_APP_SECRET", SECRET);
    let connected = run(connect).await;
    assert!(connected.status.success(), "{}", stderr(&connected));
    let stored = sandbox
        .dir
        .path()
        .join("state/store/objects/connections/contoso/mapping.json");

    let json = |path: &std::path::Path| -> serde_json::Value {
        let text = std::fs::read_to_string(path).expect("a readable file");
        serde_json::from_str(&text).expect("JSON")
    };
    let mut config = json(&samples().join("mapper.json"));
    config["colour"] = "blue".into();
    let refused_file = sandbox.dir.path().join("refused.json");
    std::fs::write(&refused_file, config.to_string()).expect("written");
    let not_json = sandbox.dir.path().join("not-json.json");
    std::fs::write(&not_json, "{\"upn_domain\": ").expect("written");
    for (file, says) in [
        (
            &refused_file,
            "the plugin refused the configuration: colour: unknown field",
        ),
        (
            &not_json,
            "is not a JSON object: EOF while parsing a value at line 1 column 15",
        ),
    ] {
        let mut mapping = sandbox.tenure(&["connect", "mapping", "--connection", "contoso"]);
        mapping.arg("--config").arg(file);
        let out = run(mapping).await;
        assert!(!out.status.success());
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
        assert!(!stored.exists(), "nothing is stored");
    }

    let mut mapping = sandbox.tenure(&["connect", "mapping", "--connection", "contoso"]);
    mapping.arg("--config").arg(samples().join("mapper.json"));
    mapping.args(["--max-disable-share", "5%"]);
    let out = run(mapping).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Mapping of connection contoso stored (the standard mapper)."));
    let kept = json(&stored);
    assert_eq!(kept["guard"]["max_share"], 0.05);
    assert_eq!(kept["config"]["upn_domain"], "contoso.com");
}

/// A connection made from a name gets the name's slug as its id and is listed with its name; a
/// reserved word of the console's routes is refused as an id, and nothing is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_is_named_and_its_id_is_never_a_reserved_word() {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let uri = sandbox.tenant.uri();
    let mut args = sandbox.connect_args("new", &uri);
    let mut reserved = sandbox.tenure(&args);
    reserved.env("CUSTOMER_APP_SECRET", SECRET);
    let refused = run(reserved).await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused)
            .contains("invalid connection id \"new\": it is a word the console's routes use"),
        "{}",
        stderr(&refused)
    );
    let listed = run(sandbox.tenure(&["connect", "list"])).await;
    assert!(
        stdout(&listed).contains("No connections yet"),
        "{}",
        stdout(&listed)
    );

    args.splice(2..4, ["--name", "Contoso Zürich"]);
    let mut named = sandbox.tenure(&args);
    named.env("CUSTOMER_APP_SECRET", SECRET);
    let connected = run(named).await;
    assert!(connected.status.success(), "{}", stderr(&connected));
    let listed = run(sandbox.tenure(&["connect", "list"])).await;
    assert!(
        stdout(&listed).contains("contoso-zurich\tContoso Zürich\t"),
        "{}",
        stdout(&listed)
    );
}

/// `tenure connect exchange`: on only once Get-Mailbox answers through the anchor (the same
/// engine function as the console's form), then off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_is_turned_on_once_proved_and_off_again() {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let uri = sandbox.tenant.uri();
    let mut args = sandbox.connect_args("contoso", &uri);
    let anchor = args
        .iter()
        .position(|a| *a == "--exchange-anchor")
        .unwrap_or(0);
    args.drain(anchor..anchor + 2);
    let mut connect = sandbox.tenure(&args);
    connect.env("CUSTOMER_APP_SECRET", SECRET);
    assert!(run(connect).await.status.success());
    let bad = run(sandbox.tenure(&[
        "connect",
        "exchange",
        "--connection",
        "contoso",
        "--anchor",
        "not a upn",
    ]))
    .await;
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("--anchor"), "{}", stderr(&bad));
    let on = run(sandbox.tenure(&[
        "connect",
        "exchange",
        "--connection",
        "contoso",
        "--anchor",
        "admin@contoso.com",
    ]))
    .await;
    assert!(on.status.success(), "{}", stderr(&on));
    assert!(
        stdout(&on).contains(
            "Exchange Online is on for contoso: Get-Mailbox answered through admin@contoso.com."
        ),
        "{}",
        stdout(&on)
    );
    let off = run(sandbox.tenure(&[
        "connect",
        "exchange",
        "--connection",
        "contoso",
        "--disable",
    ]))
    .await;
    assert!(
        stdout(&off).contains("Exchange Online is off for contoso."),
        "{}",
        stdout(&off)
    );
}
