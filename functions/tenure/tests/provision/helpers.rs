//! A fresh emulated tenant and a customer-app connection to it per test, with its stores on
//! moto (S3, Secrets Manager, SQS FIFO work and dead-letter queues) or in a local data folder.

use std::time::Duration;

use secrecy::SecretString;
use tenure::connect::{CustomerSecret, connect_customer_app};
use tenure::hr::{SourcedWorker, read_csv};
use tenure::microsoft::{NationalCloud, RetryPolicy};
use tenure::names::Upn;
use tenure::queue::WorkItem;
use tenure::service::Services;
use tenure::service::provision::ProvisionOptions;
use tenure::service::settings::MappingSettings;
use tenure::store::connections::{Connection, ConnectionId, ConnectionType, CustomerCredential};
use tenure::store::objects::{Condition, ObjectKey};
use tenure_emulator::{EmulatedTenant, TenantConfig};
use tenure_test_support::services::{LocalServices, ServicesBuilder};

pub(crate) use crate::support::{Error, TestResult};
use crate::support::{aws, samples, tenant};

/// The client secret the emulated tenant accepts; never to be found outside the secret store.
pub(crate) const SECRET: &str = "provision-test-secret~Wq7z";
pub(crate) const CLIENT: &str = "33333333-4444-5555-6666-777777777777";

/// Tenure on moto or local stores, a customer-app connection to a fresh emulated tenant.
pub(crate) struct Env {
    pub(crate) services: Services,
    pub(crate) tenant: EmulatedTenant,
    pub(crate) connection: ConnectionId,
    /// The moto SQS client and the dead-letter queue's URL (AWS stores only).
    pub(crate) sqs: Option<(aws_sdk_sqs::Client, String)>,
    /// The work queue's URL (AWS stores only).
    pub(crate) queue_url: Option<String>,
    _local: Option<LocalServices>,
}

/// Quick retries, a compile cache of this process, the replay cache in memory.
fn builder() -> ServicesBuilder {
    let cache = std::env::temp_dir().join(format!("tenure-provision-tests-{}", std::process::id()));
    ServicesBuilder::new()
        .plugin_cache(cache)
        .replay_in_memory()
        .provision(ProvisionOptions {
            retry: RetryPolicy::quick(),
            timeout: Duration::from_secs(10),
            concurrency: 4,
            ..ProvisionOptions::default()
        })
}

impl Env {
    /// Stores, work queue (FIFO) and dead-letter queue (FIFO) on moto.
    pub(crate) async fn aws() -> Result<Env, Error> {
        let moto = builder()
            .queue_visibility(Duration::from_secs(1))
            .on_moto()
            .await?;
        let sqs = aws_sdk_sqs::Client::new(&moto.config);
        let resources = moto.resources;
        Self::connected(
            moto.services,
            Some((sqs, resources.dead_letter_queue_url)),
            Some(resources.queue_url),
            None,
        )
        .await
    }

    /// Local stores in a temporary data folder, an in-process queue, dead letters as objects.
    pub(crate) async fn local(visibility: Duration) -> Result<Env, Error> {
        Self::local_in(visibility, NationalCloud::Global, |c| c).await
    }

    /// [`Env::local`] with the tenant and the connection in `cloud`, the tenant configured
    /// further by `configure`.
    pub(crate) async fn local_in(
        visibility: Duration,
        cloud: NationalCloud,
        configure: impl FnOnce(TenantConfig) -> TenantConfig,
    ) -> Result<Env, Error> {
        let local = builder().queue_visibility(visibility).local()?;
        let tenant = tenant::start_sample(|c| {
            configure(c.with_client_secret(CLIENT, SECRET).in_cloud(cloud))
        })
        .await?;
        Self::connected_to(
            tenant,
            cloud,
            local.services.clone(),
            None,
            None,
            Some(local),
        )
        .await
    }

    async fn connected(
        services: Services,
        sqs: Option<(aws_sdk_sqs::Client, String)>,
        queue_url: Option<String>,
        local: Option<LocalServices>,
    ) -> Result<Env, Error> {
        let tenant = tenant::start_sample(|c| c.with_client_secret(CLIENT, SECRET)).await?;
        Self::connected_to(
            tenant,
            NationalCloud::Global,
            services,
            sqs,
            queue_url,
            local,
        )
        .await
    }

    async fn connected_to(
        tenant: EmulatedTenant,
        cloud: NationalCloud,
        services: Services,
        sqs: Option<(aws_sdk_sqs::Client, String)>,
        queue_url: Option<String>,
        local: Option<LocalServices>,
    ) -> Result<Env, Error> {
        let id = ConnectionId::parse(&aws::unique("c"))?;
        let mut connection = tenant::connection_to(
            &tenant,
            &id,
            ConnectionType::CustomerApp {
                credential: CustomerCredential::ClientSecret,
            },
            CLIENT,
        )?;
        connection.cloud = cloud;
        connection.exchange.enabled = true;
        connection.exchange.anchor_upn = Some(Upn::parse("admin@contoso.com")?);
        connect_customer_app(
            connection,
            CustomerSecret::ClientSecret(SecretString::from(SECRET)),
            services.connections.as_ref(),
            std::sync::Arc::clone(&services.secrets),
            tenant::quick_client_options(),
            jiff::Timestamp::now(),
        )
        .await?;
        MappingSettings::standard(samples::mapper_config()?)
            .save(services.objects.as_ref(), &id, Condition::Absent)
            .await?;
        Ok(Env {
            services,
            tenant,
            connection: id,
            sqs,
            queue_url,
            _local: local,
        })
    }

    /// A work item for this connection: a new hire with employee id `id`.
    pub(crate) fn hire(&self, delivery: &str, id: &str) -> Result<WorkItem, Error> {
        let mut items = WorkItem::split(&self.connection, delivery, vec![new_hire(id)?])?;
        Ok(items.remove(0))
    }

    /// The directory user with this employee id, if any.
    pub(crate) fn user(&self, employee_id: &str) -> Option<tenure::directory::DirectoryUser> {
        self.tenant
            .state()
            .users
            .into_iter()
            .find(|u| u.employee_id.as_deref() == Some(employee_id))
    }

    /// Every message on the dead-letter queue: (body, reason attribute).
    pub(crate) async fn dead_letters(&self) -> Result<Vec<(String, String)>, Error> {
        let (client, url) = self.sqs.as_ref().ok_or("not on moto")?;
        let mut letters = Vec::new();
        for _ in 0..3 {
            let out = client
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .message_attribute_names("All")
                .wait_time_seconds(1)
                .send()
                .await?;
            for m in out.messages() {
                let reason = m
                    .message_attributes()
                    .and_then(|a| a.get(tenure::queue::DEAD_LETTER_REASON_ATTRIBUTE))
                    .and_then(|v| v.string_value())
                    .unwrap_or_default()
                    .to_owned();
                letters.push((m.body().unwrap_or_default().to_owned(), reason));
                client
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await?;
            }
        }
        Ok(letters)
    }

    /// Every message on the work queue with its message group (deleted as read).
    pub(crate) async fn queued(&self) -> Result<Vec<(String, WorkItem)>, Error> {
        let (client, _) = self.sqs.as_ref().ok_or("not on moto")?;
        let url = self.queue_url.as_ref().ok_or("not on moto")?;
        let mut got = Vec::new();
        let mut empty = 0;
        while empty < 2 {
            let out = client
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .message_system_attribute_names(
                    aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId,
                )
                .wait_time_seconds(1)
                .send()
                .await?;
            if out.messages().is_empty() {
                empty += 1;
            }
            for m in out.messages() {
                let group = m
                    .attributes()
                    .and_then(|a| {
                        a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId)
                    })
                    .cloned()
                    .unwrap_or_default();
                got.push((group, WorkItem::from_json(m.body().unwrap_or_default())?));
                client
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await?;
            }
        }
        Ok(got)
    }

    /// Every object's text (to look for secrets).
    pub(crate) async fn all_objects(&self) -> Result<Vec<(ObjectKey, String)>, Error> {
        let mut out = Vec::new();
        for key in self.services.objects.list("").await? {
            if let Some((bytes, _)) = self.services.objects.get(&key).await? {
                out.push((key, String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
        Ok(out)
    }

    /// The stored connection.
    /// Every audit record of the connection's changes (not the access trail), with the object
    /// that holds it.
    pub(crate) async fn audit_records(
        &self,
    ) -> Result<Vec<(String, tenure::apply::AuditRecord)>, Error> {
        let mut records = Vec::new();
        for (key, text) in self.all_objects().await? {
            let key = key.as_str();
            if !key.starts_with(&format!("audit/{}/", self.connection)) || key.contains("/access-")
            {
                continue;
            }
            for line in text.lines().filter(|l| !l.is_empty()) {
                records.push((key.to_owned(), serde_json::from_str(line)?));
            }
        }
        Ok(records)
    }

    pub(crate) async fn connection(&self) -> Result<Connection, Error> {
        Ok(self
            .services
            .connections
            .get(&self.connection)
            .await?
            .ok_or("connection gone")?
            .0)
    }
}

const HEADER: &str = "employee_id,first_name,last_name,preferred_name,middle_name,personal_email,job_title,department,division,cost_center,location,country,manager_employee_id,employment_status,leave_type,employment_type,hire_date,termination_date,time_zone,mobile_phone";

/// One worker from a CSV row under the standard header (read beside the sample's Olivia
/// Bennett, 1001, so that they may report to her).
pub(crate) fn worker_row(row: &str) -> Result<SourcedWorker, Error> {
    let olivia = "1001,Olivia,Bennett,,,olivia.1001@example.net,Chief Executive Officer,Executive,Corporate,CC-100,Seattle,US,,active,,employee,2015-03-02,,America/Los_Angeles,+1 206 555 1001";
    let csv = format!("{HEADER}\n{row}\n{olivia}\n");
    let mut batch = read_csv(csv.as_bytes(), "webhook".into())?;
    if let Some(q) = batch.quarantined.first() {
        return Err(format!("the test worker is quarantined: {}", q.reason).into());
    }
    Ok(batch.workers.remove(0))
}

/// One worker from a CSV row under the standard header and one more column.
pub(crate) fn worker_row_with(
    row: &str,
    column: &str,
    value: &str,
) -> Result<SourcedWorker, Error> {
    let csv = format!("{HEADER},{column}\n{row},{value}\n");
    let mut batch = read_csv(csv.as_bytes(), "webhook".into())?;
    if let Some(q) = batch.quarantined.first() {
        return Err(format!("the test worker is quarantined: {}", q.reason).into());
    }
    Ok(batch.workers.remove(0))
}

/// A new hire in Engineering, Seattle, with no manager (so the batch stands on its own).
pub(crate) fn new_hire(id: &str) -> Result<SourcedWorker, Error> {
    let csv = format!(
        "{HEADER}\n{id},Quinn,Harlow{id},,,quinn.{id}@example.net,Software Engineer,Engineering,Products,CC-200,Seattle,US,,active,,employee,2020-01-06,,America/Los_Angeles,\n"
    );
    let mut batch = read_csv(csv.as_bytes(), "webhook".into())?;
    if let Some(q) = batch.quarantined.first() {
        return Err(format!("the test hire is quarantined: {}", q.reason).into());
    }
    Ok(batch.workers.remove(0))
}

/// An SQS event as Lambda delivers it, one record per (message id, body).
pub(crate) fn sqs_event(
    queue_arn: &str,
    messages: &[(&str, &str, &str)],
) -> Result<aws_lambda_events::event::sqs::SqsEvent, Error> {
    let records: Vec<serde_json::Value> = messages
        .iter()
        .map(|(id, group, body)| {
            serde_json::json!({
                "messageId": id,
                "receiptHandle": format!("AQEB{id}receipt"),
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1767225600000",
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                    "ApproximateFirstReceiveTimestamp": "1767225600010",
                    "MessageGroupId": group,
                    "MessageDeduplicationId": format!("dedup-{id}"),
                    "SequenceNumber": "18849496460467696128"
                },
                "messageAttributes": {},
                "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    Ok(serde_json::from_value(
        serde_json::json!({ "Records": records }),
    )?)
}

/// An SQS event carrying `items` as Lambda delivers them: message ids `m-0`, `m-1`, …, each in
/// its item's message group.
pub(crate) fn items_event(
    queue_arn: &str,
    items: &[WorkItem],
) -> Result<aws_lambda_events::event::sqs::SqsEvent, Error> {
    let queued: Vec<(String, WorkItem)> = items
        .iter()
        .map(|item| (item.message_group(), item.clone()))
        .collect();
    queued_event(queue_arn, "m", &queued)
}

/// An SQS event carrying what [`Env::queued`] found, each in the group it was queued in:
/// message ids `<prefix>-0`, `<prefix>-1`, …
pub(crate) fn queued_event(
    queue_arn: &str,
    prefix: &str,
    queued: &[(String, WorkItem)],
) -> Result<aws_lambda_events::event::sqs::SqsEvent, Error> {
    let bodies: Vec<(String, String, String)> = queued
        .iter()
        .enumerate()
        .map(|(n, (group, item))| Ok((format!("{prefix}-{n}"), group.clone(), item.to_json()?)))
        .collect::<Result<_, Error>>()?;
    let records: Vec<(&str, &str, &str)> = bodies
        .iter()
        .map(|(id, group, body)| (id.as_str(), group.as_str(), body.as_str()))
        .collect();
    sqs_event(queue_arn, &records)
}

/// The message ids a batch response asks back.
pub(crate) fn failures(response: &aws_lambda_events::event::sqs::SqsBatchResponse) -> Vec<String> {
    let json = serde_json::to_value(response).unwrap_or_default();
    json["batchItemFailures"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
