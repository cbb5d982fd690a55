//! What the `tenure serve` tests run: `tenure` processes, a connected state folder, a served
//! endpoint and signed deliveries, the tenant seen through Graph.

use std::io::{BufRead as _, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{files, samples, stderr, tenure_process};
use crate::tenant::{CLIENT, SECRET, Sandbox, stdout};

/// How long a test waits for provisioning to show in the tenant: generous, because the machine
/// may be busy. A wait with a deadline, not a claim about speed.
pub(crate) const DEADLINE: Duration = Duration::from_secs(60);
/// Between two looks at what is being waited for.
pub(crate) const POLL: Duration = Duration::from_millis(200);
/// The connection every test makes.
pub(crate) const CONNECTION: &str = "acme";

pub(crate) type Result<T = (), E = Box<dyn std::error::Error>> = std::result::Result<T, E>;

/// A `tenure` process killed when the test ends, however it ends. Its output is gathered as it
/// comes (so its pipes never fill), the first line of stdout kept apart.
pub(crate) struct Running {
    pub(crate) child: Child,
    pub(crate) first_line: String,
    pub(crate) output: Arc<Mutex<String>>,
}

impl Running {
    /// Starts `command` and waits for the first line of its stdout.
    pub(crate) fn start(mut command: Command) -> Running {
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

    pub(crate) fn append(&self, text: &str) {
        self.output
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_str(text);
    }

    /// Everything it printed so far, stdout and stderr.
    pub(crate) fn output(&self) -> String {
        self.output
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Its output once it holds at least `lines` lines (waiting at most [`DEADLINE`]).
    pub(crate) fn wait_for_lines(&self, lines: usize) -> String {
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
    pub(crate) fn url(&self) -> String {
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

pub(crate) fn gather(mut from: impl Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n @ 1..) = from.read(&mut chunk) {
            into.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    });
}

pub(crate) fn tenure(state: &Path, args: &[&str]) -> Command {
    let mut command = tenure_process();
    command
        .env("RUST_LOG", "info,tenure=debug")
        .args(args)
        .arg("--state-dir")
        .arg(state);
    command
}

/// Runs a command off the runtime (an in-process tenant keeps answering) and requires success.
pub(crate) async fn succeed(mut command: Command) -> Output {
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
pub(crate) struct Connected {
    pub(crate) dir: tempfile::TempDir,
    /// The webhook key, as the HR system is given it.
    pub(crate) key: String,
    /// What the set-up commands printed.
    pub(crate) outputs: Vec<Output>,
}

impl Connected {
    /// Connected to `sandbox`'s tenant with the customer's app and the sandbox's secret.
    pub(crate) async fn to_sandbox(sandbox: &Sandbox) -> Connected {
        Self::to(&sandbox.tenant.uri(), sandbox.tenant.tenant_id(), SECRET).await
    }

    pub(crate) async fn to(uri: &str, tenant_id: &str, client_secret: &str) -> Connected {
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

    pub(crate) fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub(crate) fn key_file(&self) -> PathBuf {
        self.dir.path().join("webhook.key")
    }

    /// `tenure serve` on a free loopback port over this state, once it answers `/health`.
    pub(crate) async fn serve(&self) -> Served {
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
        let url = running.url();
        self.served(running, url).await
    }

    /// A started `tenure serve` reached at `url`, once it answers `/health`.
    pub(crate) async fn served(&self, running: Running, url: String) -> Served {
        let served = Served {
            url,
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
    pub(crate) fn audit(&self) -> Vec<(String, Value)> {
        let folder = self.state().join("store/objects/audit").join(CONNECTION);
        let mut records = Vec::new();
        for file in files(&folder) {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // A hidden file is an object still being written (the store renames it into place).
            if name.starts_with('.') {
                continue;
            }
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
    pub(crate) fn audit_of(&self, employee_id: &str) -> Vec<(String, Value)> {
        self.audit()
            .into_iter()
            .filter(|(_, r)| r["employee_id"] == employee_id)
            .collect()
    }
}

/// A running `tenure serve` and an HR system's view of it.
pub(crate) struct Served {
    pub(crate) running: Running,
    pub(crate) url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) key: String,
}

/// A delivery as an HR system sends it: the body and its signature headers.
#[derive(Clone)]
pub(crate) struct Signed {
    pub(crate) body: Vec<u8>,
    pub(crate) timestamp: String,
    pub(crate) signature: String,
}

impl Served {
    /// `body` signed with the connection's key, at `age` before now.
    pub(crate) fn sign(&self, body: &[u8], age: Duration) -> Signed {
        let at = jiff::Timestamp::now() - jiff::SignedDuration::try_from(age).expect("a short age");
        let signed = tenure_test_support::webhook::sign(&self.key, body, at);
        Signed {
            body: body.to_vec(),
            timestamp: signed.timestamp,
            signature: signed.signature,
        }
    }

    /// POSTs a delivery to a connection's webhook; the status and the JSON answer.
    pub(crate) async fn deliver_to(&self, connection: &str, delivery: &Signed) -> (u16, Value) {
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

    pub(crate) async fn deliver(&self, delivery: &Signed) -> (u16, Value) {
        self.deliver_to(CONNECTION, delivery).await
    }

    /// Delivers and requires 202 with a delivery id; returns the id.
    pub(crate) async fn accepted(&self, delivery: &Signed) -> String {
        let (status, answer) = self.deliver(delivery).await;
        assert_eq!(status, 202, "{answer}\n{}", self.running.output());
        answer["delivery_id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| panic!("no delivery_id in {answer}"))
            .to_owned()
    }

    /// Waits until `check` finds something, failing with the server's output at the deadline.
    pub(crate) async fn wait_for<T>(
        &self,
        what: &str,
        mut check: impl AsyncFnMut() -> Option<T>,
    ) -> T {
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

pub(crate) async fn json_answer(answer: reqwest::Response) -> (u16, Value) {
    let status = answer.status().as_u16();
    let text = answer.text().await.expect("an answer body");
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the {status} answer is not JSON ({e}): {text}"));
    (status, value)
}

/// The tenant as an administrator sees it, through Graph with the app's credentials.
pub(crate) struct Graph {
    pub(crate) http: reqwest::Client,
    pub(crate) uri: String,
    pub(crate) token: String,
}

impl Graph {
    /// `sandbox`'s tenant seen with the customer's app and the sandbox's secret.
    pub(crate) async fn of(sandbox: &Sandbox) -> Result<Graph> {
        Self::sign_in(&sandbox.tenant.uri(), sandbox.tenant.tenant_id(), SECRET).await
    }

    pub(crate) async fn sign_in(uri: &str, tenant_id: &str, client_secret: &str) -> Result<Graph> {
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
    pub(crate) async fn users(&self) -> Result<Vec<Value>> {
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
    pub(crate) async fn users_with(&self, employee_id: &str) -> Result<Vec<Value>> {
        Ok(self
            .users()
            .await?
            .into_iter()
            .filter(|u| u["employeeId"] == employee_id)
            .collect())
    }
}

/// A generic delivery of one new hire in Engineering, hired in the past.
pub(crate) fn hire(employee_id: &str, first: &str, last: &str) -> Vec<u8> {
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

pub(crate) fn events(events: Value) -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({ "events": events })).expect("JSON")
}

/// Whether the audit records say this worker's account was created.
pub(crate) fn created(records: &[(String, Value)]) -> usize {
    records
        .iter()
        .filter(|(_, r)| r["action"] == "create_user")
        .count()
}
