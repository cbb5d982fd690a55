//! Everything the end-to-end test (and `benches/cold_start.rs`) runs: moto (S3, SQS, Secrets
//! Manager), the emulated tenant, cargo-lambda's Runtime API emulator and the `hr-webhook` and
//! `provision` binaries under it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{Message, QueueAttributeName};
use secrecy::SecretString;
use serde_json::{Value, json};
use tenure::service::settings::MappingSettings;
use tenure::store::connections::{
    ConnectionId, ConnectionStore, ConnectionType, CustomerCredential, S3ConnectionStore,
};
use tenure::store::objects::{Condition, S3ObjectStore};
use tenure::store::secrets::{SecretKind, SecretName, SecretStore, SecretsManagerStore};
use tenure_emulator::EmulatedTenant;
use tenure_test_support::apigw::ApiEvent;
use tenure_test_support::aws::{QueueKind, moto_config, new_bucket, new_queue, s3_client};
use tenure_test_support::{moto, samples, tenant, webhook};

pub(crate) use tenure_test_support::{Error, TestResult};

/// The app registered in the emulated tenant, and its secret (never to be seen in output).
const CLIENT: &str = "tenure-lambda-tests";
const CLIENT_SECRET: &str = "lambda-e2e-secret-Kx41";
/// The connection's webhook key (never to be seen in output).
const WEBHOOK_KEY: &str = "whsec-lambda-e2e-Vn2p8";

/// The operator (tenant id, object id) the administrator signs in as.
pub(crate) const OPERATOR: (&str, &str) = (
    "0b7c1e2d-0000-4000-8000-00000000a11c",
    "0b7c1e2d-0000-4000-8000-0000000000ff",
);

/// A session of [`OPERATOR`] sealed with the deployment's session key in Secrets Manager.
pub(crate) async fn operator_cookie(config: &aws_config::SdkConfig) -> Result<String, Error> {
    use tenure::auth::{Identity, Session, SessionCookies};
    let keys = tenure::store::KeyRing::new(std::sync::Arc::new(SecretsManagerStore::new(config)));
    let session = Session::new(
        Identity {
            tenant_id: OPERATOR.0.to_owned(),
            object_id: OPERATOR.1.to_owned(),
            username: "operator@tenure.test".to_owned(),
            name: "Operator".to_owned(),
            roles: Vec::new(),
        },
        jiff::Timestamp::now(),
    );
    let sealed = SessionCookies::new(true)
        .seal_session(&keys, &session)
        .await?;
    Ok(sealed.split(';').next().unwrap_or_default().to_owned())
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A child process killed when dropped.
pub(crate) struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) struct Stack {
    pub(crate) tenant: EmulatedTenant,
    pub(crate) connection: ConnectionId,
    pub(crate) bucket: String,
    pub(crate) queue_url: String,
    pub(crate) dead_letter_url: String,
    pub(crate) moto_endpoint: String,
    sqs: aws_sdk_sqs::Client,
    s3: aws_sdk_s3::Client,
    runtime_port: u16,
    logs: tempfile::TempDir,
    http: reqwest::Client,
    pub(crate) processes: Vec<Process>,
}

fn free_port() -> Result<u16, Error> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_for_port(port: u16, within: Duration) -> Result<(), Error> {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if start.elapsed() > within {
            return Err(format!("nothing listens on 127.0.0.1:{port} after {within:?}").into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

impl Stack {
    /// moto with a fresh bucket and queues, the emulated tenant, a connection to it (secrets
    /// and mapping stored) and the Runtime API emulator, with no function started yet.
    pub(crate) async fn without_functions() -> Result<Stack, Error> {
        Self::with_timeout(None).await
    }

    /// [`Self::without_functions`], the emulator answering an invocation that took longer than
    /// `timeout` with 408 (Lambda's function timeout), when given.
    pub(crate) async fn with_timeout(timeout: Option<Duration>) -> Result<Stack, Error> {
        let config = moto_config().await?;
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let connection = ConnectionId::parse(&format!("e2e-{}", &unique[..12]))?;

        // The bucket and the FIFO work queue with its dead-letter queue, as the template makes.
        let s3 = s3_client(&config);
        let bucket = new_bucket(&config, "tenure-e2e").await?;
        let sqs = aws_sdk_sqs::Client::new(&config);
        let dead_letter_url = new_queue(&config, "tenure-e2e-dlq", QueueKind::Fifo, None).await?;
        let queue_url = new_queue(&config, "tenure-e2e", QueueKind::Fifo, None).await?;

        // The tenant, and the connection to it with its secrets and mapping.
        let tenant = tenant::start_sample(|c| c.with_client_secret(CLIENT, CLIENT_SECRET)).await?;
        let kind = ConnectionType::CustomerApp {
            credential: CustomerCredential::ClientSecret,
        };
        let record = tenant::connection_to(&tenant, &connection, kind, CLIENT)?;
        S3ConnectionStore::new(&config, &bucket, "connections/")
            .put_new(&record)
            .await?;
        let secrets = SecretsManagerStore::new(&config);
        for (kind, value) in [
            (SecretKind::ClientSecret, CLIENT_SECRET),
            (SecretKind::WebhookKey, WEBHOOK_KEY),
        ] {
            secrets
                .put_new(
                    &SecretName::for_connection(&connection, kind),
                    &SecretString::from(value.to_owned()),
                )
                .await?;
        }
        MappingSettings::standard(samples::mapper_config()?)
            .save(
                &S3ObjectStore::new(&config, &bucket, ""),
                &connection,
                Condition::Absent,
            )
            .await?;

        // cargo-lambda's Runtime API emulator; the functions are started under it on demand.
        let runtime_port = free_port()?;
        let logs = tempfile::tempdir()?;
        let emulator_log = std::fs::File::create(logs.path().join("cargo-lambda.log"))?;
        let timeout: Vec<String> = timeout
            .map(|t| vec!["--timeout".to_owned(), t.as_secs().to_string()])
            .unwrap_or_default();
        let emulator = Process(
            Command::new(repo().join(".venv/bin/cargo-lambda"))
                .args([
                    "lambda",
                    "watch",
                    "--only-lambda-apis",
                    "-A",
                    "127.0.0.1",
                    "-P",
                ])
                .arg(runtime_port.to_string())
                .args(timeout)
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .stdout(emulator_log.try_clone()?)
                .stderr(emulator_log)
                .spawn()
                .map_err(|e| {
                    format!("cannot start .venv/bin/cargo-lambda (run scripts/setup): {e}")
                })?,
        );
        wait_for_port(runtime_port, Duration::from_secs(60))?;
        Ok(Stack {
            tenant,
            connection,
            bucket,
            queue_url,
            dead_letter_url,
            moto_endpoint: moto::shared()?.endpoint().to_owned(),
            sqs,
            s3,
            runtime_port,
            logs,
            http: reqwest::Client::new(),
            processes: vec![emulator],
        })
    }

    /// [`Self::without_functions`], with `hr-webhook` and `provision` running under the emulator.
    pub(crate) async fn start() -> Result<Stack, Error> {
        let mut stack = Self::without_functions().await?;
        for (name, binary) in [
            ("hr-webhook", env!("CARGO_BIN_EXE_hr-webhook")),
            ("provision", env!("CARGO_BIN_EXE_provision")),
        ] {
            let process = stack.spawn(name, binary, "debug")?;
            stack.processes.push(process);
        }
        Ok(stack)
    }

    /// Starts `binary` as the function `name` under the emulator, with the environment the SAM
    /// template gives it (pointed at moto), logging at `rust_log` to `<name>.log`.
    pub(crate) fn spawn(&self, name: &str, binary: &str, rust_log: &str) -> Result<Process, Error> {
        self.spawn_with(name, binary, rust_log, &[])
    }

    /// [`Self::spawn`] with these variables too (Tenure's app, a public URL; an empty value
    /// unsets a variable, as the functions read it).
    pub(crate) fn spawn_with(
        &self,
        name: &str,
        binary: &str,
        rust_log: &str,
        more: &[(&str, &str)],
    ) -> Result<Process, Error> {
        let log = std::fs::File::create(self.logs.path().join(format!("{name}.log")))?;
        Ok(Process(
            Command::new(binary)
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env(
                    "AWS_LAMBDA_RUNTIME_API",
                    format!("http://127.0.0.1:{}/.rt/{name}", self.runtime_port),
                )
                .env("AWS_LAMBDA_FUNCTION_NAME", name)
                .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
                .env("AWS_ENDPOINT_URL", &self.moto_endpoint)
                .env("AWS_REGION", moto::REGION)
                .env("AWS_ACCESS_KEY_ID", moto::ACCESS_KEY_ID)
                .env("AWS_SECRET_ACCESS_KEY", moto::SECRET_ACCESS_KEY)
                .env("TENURE_BUCKET", &self.bucket)
                .env("TENURE_QUEUE_URL", &self.queue_url)
                .env("TENURE_DEAD_LETTER_QUEUE_URL", &self.dead_letter_url)
                .env("RUST_LOG", rust_log)
                // The emulated tenant is on http://127.0.0.1: a test deployment allows it.
                .env("TENURE_ALLOW_CUSTOM_ENDPOINTS", "true")
                .envs(more.iter().copied())
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()?,
        ))
    }

    /// Invokes a function through the emulator, as Lambda's Invoke API does.
    pub(crate) async fn invoke(&self, function: &str, event: &Value) -> Result<Value, Error> {
        let url = format!(
            "http://127.0.0.1:{}/2015-03-31/functions/{function}/invocations",
            self.runtime_port
        );
        let response = self.http.post(url).json(event).send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            return Err(format!("invoking {function} answered {status}: {text}").into());
        }
        Ok(serde_json::from_str(&text)?)
    }

    /// The API Gateway HTTP API (payload 2.0) event of a webhook delivery signed at `at`.
    pub(crate) fn signed_webhook_event(&self, body: &[u8], at: jiff::Timestamp) -> Value {
        let signature = webhook::sign(WEBHOOK_KEY, body, at);
        let path = format!("/connections/{}/hr-events", self.connection);
        let mut event = ApiEvent::post("POST /connections/{id}/hr-events", path)
            .path_parameter("id", self.connection.as_str())
            .header("content-type", "application/json");
        for (name, value) in signature.headers() {
            event = event.header(name, value);
        }
        event.body(body).json()
    }

    /// Messages waiting on the work queue.
    pub(crate) async fn queued(&self) -> Result<usize, Error> {
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await?;
        Ok(out
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0))
    }

    /// Hands what is on the queue to `provision` as Lambda's SQS event source does, deleting
    /// what it did not report as failed; returns the failed message ids and how many were done.
    pub(crate) async fn provision_queued(&self) -> Result<(Vec<String>, usize), Error> {
        let mut failed = Vec::new();
        let mut done = 0;
        loop {
            let Some((event, messages)) = self.receive_event().await? else {
                return Ok((failed, done));
            };
            let answer = self.invoke("provision", &event).await?;
            let failures: Vec<String> = answer["batchItemFailures"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_owned))
                .collect();
            for m in messages {
                let id = m.message_id().unwrap_or_default();
                if failures.iter().any(|f| f == id) {
                    continue;
                }
                done += 1;
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await?;
            }
            if !failures.is_empty() {
                failed.extend(failures);
                return Ok((failed, done));
            }
        }
    }

    /// Up to ten messages from the queue (left on it, invisible for a while) and the SQS event
    /// Lambda's event source would hand `provision` for them; `None` when the queue is empty.
    pub(crate) async fn receive_event(&self) -> Result<Option<(Value, Vec<Message>)>, Error> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await?;
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(None);
        }
        let queue_name = self.queue_url.rsplit('/').next().unwrap_or_default();
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                let attributes: serde_json::Map<String, Value> = m
                    .attributes()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.as_str().to_owned(), Value::String(v.clone())))
                    .collect();
                json!({
                    "messageId": m.message_id(),
                    "receiptHandle": m.receipt_handle(),
                    "body": m.body(),
                    "attributes": attributes,
                    "messageAttributes": {},
                    "md5OfBody": m.md5_of_body(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": format!("arn:aws:sqs:{}:123456789012:{queue_name}", moto::REGION),
                    "awsRegion": moto::REGION
                })
            })
            .collect();
        Ok(Some((json!({ "Records": records }), messages)))
    }

    /// The last `lines` lines a function logged (for a failure's message).
    pub(crate) fn log_tail(&self, name: &str, lines: usize) -> String {
        let text = std::fs::read_to_string(self.logs.path().join(format!("{name}.log")))
            .unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Deletes received messages from the work queue.
    pub(crate) async fn delete_all(&self, messages: &[Message]) -> TestResult {
        for m in messages {
            self.sqs
                .delete_message()
                .queue_url(&self.queue_url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await?;
        }
        Ok(())
    }

    /// Every object under `prefix`, as text (all pages of the listing).
    pub(crate) async fn objects_under(&self, prefix: &str) -> Result<Vec<(String, String)>, Error> {
        let mut keys = Vec::new();
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            keys.extend(
                page?
                    .contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
        }
        let mut objects = Vec::new();
        for key in keys {
            let body = self
                .s3
                .get_object()
                .bucket(&self.bucket)
                .key(&key)
                .send()
                .await?
                .body
                .collect()
                .await?
                .into_bytes();
            objects.push((key, String::from_utf8_lossy(&body).into_owned()));
        }
        Ok(objects)
    }

    /// The reasons of the messages on the dead-letter queue (left there).
    pub(crate) async fn dead_letter_reasons(&self) -> Result<Vec<String>, Error> {
        let attribute = tenure::queue::DEAD_LETTER_REASON_ATTRIBUTE;
        let out = self
            .sqs
            .receive_message()
            .queue_url(&self.dead_letter_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_attribute_names(attribute)
            .send()
            .await?;
        Ok(out
            .messages
            .unwrap_or_default()
            .iter()
            .filter_map(|m| m.message_attributes()?.get(attribute)?.string_value())
            .map(str::to_owned)
            .collect())
    }

    /// Writes the tenant has taken through Graph (inner batch requests counted one by one).
    pub(crate) fn graph_writes(&self) -> usize {
        self.tenant
            .requests()
            .iter()
            .filter(|r| r.method != "GET")
            .filter(|r| !r.path.contains("$batch"))
            .filter(|r| !r.path.contains("/token") && !r.path.contains("InvokeCommand"))
            .count()
    }

    /// Neither the client secret nor the webhook key is in any function's output or any
    /// object the functions wrote.
    pub(crate) fn assert_no_secret_in_output(&self) -> TestResult {
        for entry in std::fs::read_dir(self.logs.path())? {
            let path = entry?.path();
            let text = std::fs::read_to_string(&path)?;
            for secret in [CLIENT_SECRET, WEBHOOK_KEY] {
                assert!(!text.contains(secret), "{} shows a secret", path.display());
            }
        }
        Ok(())
    }

    /// Every object in the bucket, as text, for secret scanning.
    pub(crate) async fn objects_text(&self) -> Result<Vec<(String, String)>, Error> {
        let listed = self
            .s3
            .list_objects_v2()
            .bucket(&self.bucket)
            .send()
            .await?;
        let mut objects = Vec::new();
        for key in listed.contents().iter().filter_map(|o| o.key()) {
            let body = self
                .s3
                .get_object()
                .bucket(&self.bucket)
                .key(key)
                .send()
                .await?
                .body
                .collect()
                .await?
                .into_bytes();
            objects.push((key.to_owned(), String::from_utf8_lossy(&body).into_owned()));
        }
        Ok(objects)
    }

    /// Neither the client secret nor the webhook key is in a function's answer.
    pub(crate) fn assert_no_secret_in(answer: &Value) {
        let text = answer.to_string();
        for secret in [CLIENT_SECRET, WEBHOOK_KEY] {
            assert!(!text.contains(secret), "an answer shows a secret");
        }
    }

    /// [`Self::assert_no_secret_in_output`] and the objects too.
    pub(crate) async fn assert_no_secret_anywhere(&self) -> TestResult {
        self.assert_no_secret_in_output()?;
        for (key, text) in self.objects_text().await? {
            for secret in [CLIENT_SECRET, WEBHOOK_KEY] {
                assert!(!text.contains(secret), "object {key} holds a secret");
            }
        }
        Ok(())
    }
}

/// One new hire, active since before today, so the account is made at once.
pub(crate) fn hire(employee_id: &str, first: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "events": [{
            "type": "upsert",
            "worker": {
                "employee_id": employee_id,
                "first_name": first,
                "last_name": "Runtime",
                "job_title": "Engineer",
                "department": "Engineering",
                "country": "GB",
                "employment_status": "active",
                "hire_date": "2026-01-05",
                "time_zone": "Europe/London"
            }
        }]
    }))
    .expect("JSON")
}
