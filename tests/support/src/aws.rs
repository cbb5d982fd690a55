//! The AWS SDK pointed at this process's `moto_server` ([`crate::moto::shared`]), and fresh
//! buckets and queues on it with names no other test uses, so tests sharing one moto never meet.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_sqs::types::QueueAttributeName;
use tenure::store::AwsSettings;

use crate::Error;
use crate::moto;

/// The SDK configuration for this process's moto (started on first use).
pub async fn moto_config() -> Result<SdkConfig, Error> {
    let moto = moto::shared()?;
    Ok(AwsSettings::emulator(
        moto.endpoint(),
        moto::REGION,
        moto::ACCESS_KEY_ID,
        moto::SECRET_ACCESS_KEY,
    )
    .load()
    .await)
}

/// `<prefix>-<random hex>`: a name no other test uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// An S3 client with path-style addressing (moto has no per-bucket host names).
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

/// A new, empty bucket named `<prefix>-<random hex>`; its name.
pub async fn new_bucket(config: &SdkConfig, prefix: &str) -> Result<String, Error> {
    let bucket = unique(prefix);
    s3_client(config)
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await?;
    Ok(bucket)
}

/// What kind of SQS queue [`new_queue`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueKind {
    /// A standard queue.
    Standard,
    /// A FIFO queue with content-based deduplication, as the SAM template makes.
    Fifo,
}

/// A new SQS queue named `<prefix>-<random hex>` (`.fifo` for [`QueueKind::Fifo`]), with this
/// visibility timeout (SQS's default of 30 s when `None`); its URL.
pub async fn new_queue(
    config: &SdkConfig,
    prefix: &str,
    kind: QueueKind,
    visibility: Option<Duration>,
) -> Result<String, Error> {
    let mut name = unique(prefix);
    let mut create = aws_sdk_sqs::Client::new(config).create_queue();
    if kind == QueueKind::Fifo {
        name.push_str(".fifo");
        create = create
            .attributes(QueueAttributeName::FifoQueue, "true")
            .attributes(QueueAttributeName::ContentBasedDeduplication, "true");
    }
    if let Some(visibility) = visibility {
        create = create.attributes(
            QueueAttributeName::VisibilityTimeout,
            visibility.as_secs().to_string(),
        );
    }
    let created = create.queue_name(name).send().await?;
    Ok(created
        .queue_url()
        .ok_or("moto gave no queue URL")?
        .to_owned())
}
