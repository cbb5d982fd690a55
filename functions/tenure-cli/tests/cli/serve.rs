//! `tenure serve`: signed HR webhooks provisioned against the tenant end to end (with `tenure
//! emulate` as its own process, or the in-process emulated tenant); bad deliveries refused with
//! nothing queued or changed; plugin uploads; secrets kept out of output and files; bad flags.

use std::io::{BufRead as _, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac as _};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tenure_emulator::Faults;

use crate::helpers::{files, samples, stderr};
use crate::tenant::{CLIENT, SECRET, Sandbox, stdout};

/// How long a test waits for provisioning to show in the tenant: generous, because the machine
/// may be busy. A wait with a deadline, not a claim about speed.
const DEADLINE: Duration = Duration::from_secs(60);
/// Between two looks at what is being waited for.
const POLL: Duration = Duration::from_millis(200);
/// The connection every test makes.
const CONNECTION: &str = "acme";

type Result<T = (), E = Box<dyn std::error::Error>> = std::result::Result<T, E>;

/// A `tenure` process killed when the test ends, however it ends. Its output is gathered as it
/// comes (so its pipes never fill), the first line of stdout kept apart.
struct Running {
    child: Child,
    first_line: String,
    output: Arc<Mutex<String>>,
}

impl Running {
    /// Starts `command` and waits for the first line of its stdout.
    fn start(mut command: Command) -> Running {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tenure starts");
        let output = Arc::new(Mutex::new(String::new()));
        let mut out = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let err = child.stderr.take().expect("stderr is piped");
        let mut first_line = String::new();
        let read = out.read_line(&mut first_line);
        gather(out, Arc::clone(&output));
        gather(err, Arc::clone(&output));
        let mut running = Running {
            child,
            first_line,
            output,
        };
        if read.is_err() || running.first_line.is_empty() {
            let _ = running.child.wait();
            panic!("tenure printed nothing and ended:\n{}", running.output());
        }
        let line = running.first_line.clone();
        running.append(&line);
        running
    }

    fn append(&self, text: &str) {
        self.output
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_str(text);
    }

    /// Everything it printed so far, stdout and stderr.
    fn output(&self) -> String {
        self.output
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Its output once it holds at least `lines` lines (waiting at most [`DEADLINE`]).
    fn wait_for_lines(&self, lines: usize) -> String {
        let start = Instant::now();
        loop {
            let output = self.output();
            if output.lines().count() >= lines {
                return output;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "waited {DEADLINE:?} for {lines} lines of output:\n{output}"
            );
            std::thread::sleep(POLL);
        }
    }

    /// The first `http://` address of its first line.
    fn url(&self) -> String {
        self.first_line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {:?}", self.first_line))
            .to_owned()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn gather(mut from: impl Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n @ 1..) = from.read(&mut chunk) {
            into.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    });
}

fn tenure(state: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tenure"));
    let cache = std::env::temp_dir().join(format!("tenure-cli-tests-{}", std::process::id()));
    command
        .env("TENURE_CACHE_DIR", cache)
        .env("RUST_LOG", "info,tenure=debug")
        .env_remove("TENURE_CLIENT_SECRET")
        .env_remove("TENURE_APP_CLIENT_ID")
        .env_remove("TENURE_APP_CLIENT_SECRET")
        .env_remove("TENURE_EMULATOR_CLIENT_SECRET")
        .args(args)
        .arg("--state-dir")
        .arg(state);
    command
}

/// Runs a command off the runtime (an in-process tenant keeps answering) and requires success.
async fn succeed(mut command: Command) -> Output {
    let output = tokio::task::spawn_blocking(move || command.output().expect("tenure runs"))
        .await
        .expect("joins");
    assert!(
        output.status.success(),
        "{:?} failed:\n{}\n{}",
        output.status,
        stdout(&output),
        stderr(&output)
    );
    output
}

/// A state folder with connection [`CONNECTION`] to a tenant, set up as an administrator does
/// before `tenure serve`: the customer's app, a webhook key, the sample mapping.
struct Connected {
    dir: tempfile::TempDir,
    /// The webhook key, as the HR system is given it.
    key: String,
    /// What the set-up commands printed.
    outputs: Vec<Output>,
}

impl Connected {
    async fn to(uri: &str, tenant_id: &str, client_secret: &str) -> Connected {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = dir.path().join("state");
        let mut connect = tenure(
            &state,
            &[
                "connect",
                "customer-app",
                "--id",
                CONNECTION,
                "--tenant",
                tenant_id,
                "--client-id",
                CLIENT,
                "--endpoint",
                uri,
                "--exchange-anchor",
                "admin@contoso.com",
                "--client-secret-env",
                "CUSTOMER_APP_SECRET",
            ],
        );
        connect.env("CUSTOMER_APP_SECRET", client_secret);
        let mut outputs = vec![succeed(connect).await];
        let key_file = dir.path().join("webhook.key");
        let mut webhook_key = tenure(
            &state,
            &["connect", "webhook-key", "--connection", CONNECTION],
        );
        webhook_key.arg("--key-file").arg(&key_file);
        outputs.push(succeed(webhook_key).await);
        let mut mapping = tenure(&state, &["connect", "mapping", "--connection", CONNECTION]);
        mapping.arg("--config").arg(samples().join("mapper.json"));
        outputs.push(succeed(mapping).await);
        let key = std::fs::read_to_string(&key_file).expect("the key file is written");
        Connected { dir, key, outputs }
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn key_file(&self) -> PathBuf {
        self.dir.path().join("webhook.key")
    }

    /// `tenure serve` on a free loopback port over this state, once it answers `/health`.
    async fn serve(&self) -> Served {
        let command = tenure(&self.state(), &["serve", "--listen", "127.0.0.1:0"]);
        let running = tokio::task::spawn_blocking(move || Running::start(command))
            .await
            .expect("joins");
        assert!(
            running
                .first_line
                .starts_with("Tenure is serving on http://127.0.0.1:"),
            "{}",
            running.first_line
        );
        let served = Served {
            url: running.url(),
            running,
            http: reqwest::Client::new(),
            key: self.key.clone(),
        };
        served
            .wait_for("tenure serve to answer /health", async || {
                let answer = served
                    .http
                    .get(format!("{}/health", served.url))
                    .send()
                    .await
                    .ok()?;
                (answer.status() == 200).then_some(())
            })
            .await;
        served
    }

    /// The audit records of the connection, each with the name of the file it is in (which
    /// starts with the id of the delivery that caused it).
    fn audit(&self) -> Vec<(String, Value)> {
        let folder = self.state().join("store/objects/audit").join(CONNECTION);
        let mut records = Vec::new();
        for file in files(&folder) {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let record = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {line}", file.display()));
                records.push((name.clone(), record));
            }
        }
        records
    }

    /// The audit records of one worker.
    fn audit_of(&self, employee_id: &str) -> Vec<(String, Value)> {
        self.audit()
            .into_iter()
            .filter(|(_, r)| r["employee_id"] == employee_id)
            .collect()
    }
}

/// A running `tenure serve` and an HR system's view of it.
struct Served {
    running: Running,
    url: String,
    http: reqwest::Client,
    key: String,
}

/// A delivery as an HR system sends it: the body and its signature headers.
#[derive(Clone)]
struct Signed {
    body: Vec<u8>,
    timestamp: String,
    signature: String,
}

impl Served {
    /// `body` signed with the connection's key, at `age` before now.
    fn sign(&self, body: &[u8], age: Duration) -> Signed {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .saturating_sub(age)
            .as_secs()
            .to_string();
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.as_bytes()).expect("any key size");
        mac.update(seconds.as_bytes());
        mac.update(b".");
        mac.update(body);
        Signed {
            body: body.to_vec(),
            timestamp: seconds,
            signature: format!("sha256={}", hex::encode(mac.finalize().into_bytes())),
        }
    }

    /// POSTs a delivery to a connection's webhook; the status and the JSON answer.
    async fn deliver_to(&self, connection: &str, delivery: &Signed) -> (u16, Value) {
        let answer = self
            .http
            .post(format!("{}/connections/{connection}/hr-events", self.url))
            .header("Content-Type", "application/json")
            .header("X-Tenure-Timestamp", &delivery.timestamp)
            .header("X-Tenure-Signature", &delivery.signature)
            .body(delivery.body.clone())
            .send()
            .await
            .expect("tenure serve answers");
        json_answer(answer).await
    }

    async fn deliver(&self, delivery: &Signed) -> (u16, Value) {
        self.deliver_to(CONNECTION, delivery).await
    }

    /// Delivers and requires 202 with a delivery id; returns the id.
    async fn accepted(&self, delivery: &Signed) -> String {
        let (status, answer) = self.deliver(delivery).await;
        assert_eq!(status, 202, "{answer}\n{}", self.running.output());
        answer["delivery_id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| panic!("no delivery_id in {answer}"))
            .to_owned()
    }

    /// Waits until `check` finds something, failing with the server's output at the deadline.
    async fn wait_for<T>(&self, what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            if let Some(found) = check().await {
                return found;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "waited {DEADLINE:?} for {what}; tenure serve printed:\n{}",
                self.running.output()
            );
            tokio::time::sleep(POLL).await;
        }
    }
}

async fn json_answer(answer: reqwest::Response) -> (u16, Value) {
    let status = answer.status().as_u16();
    let text = answer.text().await.expect("an answer body");
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the {status} answer is not JSON ({e}): {text}"));
    (status, value)
}

/// The tenant as an administrator sees it, through Graph with the app's credentials.
struct Graph {
    http: reqwest::Client,
    uri: String,
    token: String,
}

impl Graph {
    async fn sign_in(uri: &str, tenant_id: &str, client_secret: &str) -> Result<Graph> {
        let http = reqwest::Client::new();
        let token: Value = http
            .post(format!("{uri}/{tenant_id}/oauth2/v2.0/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT),
                ("client_secret", client_secret),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .send()
            .await?
            .json()
            .await?;
        let token = token["access_token"]
            .as_str()
            .ok_or_else(|| format!("no token: {token}"))?
            .to_owned();
        Ok(Graph {
            http,
            uri: uri.to_owned(),
            token,
        })
    }

    /// Every user, with the attributes the tests look at.
    async fn users(&self) -> Result<Vec<Value>> {
        let mut users = Vec::new();
        let mut next = Some(format!(
            "{}/v1.0/users?$select=id,employeeId,userPrincipalName,department,jobTitle,\
             accountEnabled&$top=999",
            self.uri
        ));
        while let Some(url) = next {
            let page: Value = self
                .http
                .get(&url)
                .bearer_auth(&self.token)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            users.extend(page["value"].as_array().cloned().unwrap_or_default());
            next = page["@odata.nextLink"].as_str().map(str::to_owned);
        }
        Ok(users)
    }

    /// The users with this employee id (one, or none; more would be a doubled worker).
    async fn users_with(&self, employee_id: &str) -> Result<Vec<Value>> {
        Ok(self
            .users()
            .await?
            .into_iter()
            .filter(|u| u["employeeId"] == employee_id)
            .collect())
    }
}

/// A generic delivery of one new hire in Engineering, hired in the past.
fn hire(employee_id: &str, first: &str, last: &str) -> Vec<u8> {
    events(json!([{
        "type": "upsert",
        "worker": {
            "employee_id": employee_id,
            "first_name": first,
            "last_name": last,
            "job_title": "Engineer",
            "department": "Engineering",
            "country": "GB",
            "manager_employee_id": "1002",
            "employment_status": "active",
            "employment_type": "employee",
            "hire_date": "2026-01-05",
            "time_zone": "Europe/London"
        }
    }]))
}

fn events(events: Value) -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({ "events": events })).expect("JSON")
}

/// Whether the audit records say this worker's account was created.
fn created(records: &[(String, Value)]) -> usize {
    records
        .iter()
        .filter(|(_, r)| r["action"] == "create_user")
        .count()
}

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
    let uri = sandbox.tenant.uri();
    let tenant_id = sandbox.tenant.tenant_id();
    let graph = Graph::sign_in(&uri, tenant_id, SECRET).await?;
    let connected = Connected::to(&uri, tenant_id, SECRET).await;
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
        ("unknown connection", "nobody", &elsewhere, 404, "nobody"),
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
    let uri = sandbox.tenant.uri();
    let tenant_id = sandbox.tenant.tenant_id();
    let graph = Graph::sign_in(&uri, tenant_id, SECRET).await?;
    let connected = Connected::to(&uri, tenant_id, SECRET).await;
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
    let connected = Connected::to(&sandbox.tenant.uri(), sandbox.tenant.tenant_id(), SECRET).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_is_uploaded_activated_and_listed_and_garbage_is_refused() -> Result {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let uri = sandbox.tenant.uri();
    let connected = Connected::to(&uri, sandbox.tenant.tenant_id(), SECRET).await;
    let served = connected.serve().await;
    let plugins = format!("{}/connections/{CONNECTION}/plugins", served.url);

    let upload = |body: Vec<u8>| {
        served
            .http
            .post(&plugins)
            .header("Content-Type", "application/wasm")
            .body(body)
            .send()
    };
    let (status, uploaded) =
        json_answer(upload(tenure::plugin::STANDARD_MAPPER.to_vec()).await?).await;
    assert_eq!(status, 201, "{uploaded}");
    let sha256 = hex::encode(Sha256::digest(tenure::plugin::STANDARD_MAPPER));
    assert_eq!(uploaded["sha256"], sha256.as_str());
    assert_eq!(uploaded["activated"], true);

    let (status, listed) = json_answer(served.http.get(&plugins).send().await?).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(
        listed["active"],
        json!({ "uploaded": { "sha256": sha256 } })
    );
    let versions = listed["versions"].as_array().ok_or("versions")?;
    assert_eq!(versions.len(), 1, "{listed}");
    assert_eq!(versions[0]["sha256"], sha256.as_str());
    assert_eq!(versions[0]["active"], true);

    for (what, body, words) in [
        (
            "not wasm",
            b"MZ this is not a component".to_vec(),
            "component",
        ),
        (
            "a component of another contract",
            plugin_artifacts::read(plugin_artifacts::WRONG_WORLD)?,
            "tenure:mapper/mapping@1",
        ),
    ] {
        let (status, refused) = json_answer(upload(body).await?).await;
        let error = refused["error"].as_str().unwrap_or_default();
        assert_eq!(status, 400, "{what}: {refused}");
        assert!(error.contains(words), "{what}: {error:?} lacks {words:?}");
    }
    let (_, listed) = json_answer(served.http.get(&plugins).send().await?).await;
    assert_eq!(
        listed["versions"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    assert_eq!(
        listed["active"],
        json!({ "uploaded": { "sha256": sha256 } })
    );

    // The uploaded plugin is the one provisioning runs.
    served
        .accepted(&served.sign(&hire("4001", "Plug", "In"), Duration::ZERO))
        .await;
    let graph = Graph::sign_in(&uri, sandbox.tenant.tenant_id(), SECRET).await?;
    let user = served
        .wait_for("the hire 4001 to have an account", async || {
            graph.users_with("4001").await.ok()?.into_iter().next()
        })
        .await;
    assert_eq!(user["userPrincipalName"], "plug.in@contoso.com");
    Ok(())
}

#[test]
fn bad_flags_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().expect("temp dir");
    let serve = |args: &[&str]| {
        let mut command = tenure(dir.path(), &["serve"]);
        command.args(args);
        command.output().expect("tenure runs")
    };

    let nonsense = serve(&["--listen", "nonsense"]);
    assert_eq!(nonsense.status.code(), Some(2), "{}", stderr(&nonsense));
    assert!(
        stderr(&nonsense).contains("'nonsense' for '--listen <ADDR:PORT>'"),
        "{}",
        stderr(&nonsense)
    );

    let no_url = serve(&["--public-url", "tenure.example.test"]);
    assert_eq!(no_url.status.code(), Some(1), "{}", stderr(&no_url));
    assert!(
        stderr(&no_url).contains("must be an http:// or https:// URL"),
        "{}",
        stderr(&no_url)
    );

    let often = serve(&["--sync-every", "5s"]);
    assert_eq!(often.status.code(), Some(2), "{}", stderr(&often));
    assert!(stderr(&often).contains("at least 1m"), "{}", stderr(&often));

    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = taken.local_addr().expect("bound").to_string();
    let busy = serve(&["--listen", &address]);
    assert_eq!(busy.status.code(), Some(1), "{}", stderr(&busy));
    assert!(
        stderr(&busy).contains(&format!("cannot listen on {address}")),
        "{}",
        stderr(&busy)
    );
}

#[test]
fn a_public_url_is_printed_once_slashed_beside_the_port_listened_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let served = Running::start(tenure(
        dir.path(),
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--public-url",
            "https://tenure.example.test/",
        ],
    ));
    let first = &served.first_line;
    assert!(
        first.starts_with(
            "Tenure is serving on https://tenure.example.test, listening on http://127.0.0.1:"
        ),
        "{first}"
    );
    let port = first
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_default();
    assert!(port.parse::<u16>().is_ok_and(|p| p != 0), "{first}");
    let routes = served
        .wait_for_lines(5)
        .lines()
        .skip(1)
        .take(4)
        .map(str::to_owned)
        .collect::<Vec<_>>();
    assert!(
        routes
            .iter()
            .all(|l| l.contains("https://tenure.example.test/") && !l.contains(".test//")),
        "{routes:?}"
    );
}

/// Without an HR export, a terminate event is filled from what an earlier delivery said of the
/// worker: the department and the groups it earns stay until the last day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminate_event_keeps_what_an_earlier_delivery_said() -> Result {
    let sandbox = Sandbox::start(Faults::default(), 1).await;
    let connected = Connected::to(&sandbox.tenant.uri(), sandbox.tenant.tenant_id(), SECRET).await;
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
