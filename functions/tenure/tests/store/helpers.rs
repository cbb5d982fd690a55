//! Stores under test: the AWS ones against this process's `moto_server`, the local ones in a
//! fresh temporary data directory; unique names so tests sharing one moto never meet.

use std::error::Error as StdError;
use std::fmt::{Debug, Display};
use std::sync::Arc;

use tenure::store::DataDir;
use tenure::store::connections::{
    Connection, ConnectionId, ConnectionStore, LocalConnectionStore, S3ConnectionStore,
};
use tenure::store::secrets::{
    LocalSecretStore, SecretKind, SecretName, SecretStore, SecretsManagerStore,
};

pub(crate) use crate::support::aws::moto_config;
use crate::support::aws::{new_bucket, s3_client};
pub(crate) use crate::support::{Error, TestResult};

/// A connection id no other test uses.
pub(crate) fn unique_id() -> ConnectionId {
    let id = format!("t-{}", uuid::Uuid::new_v4().simple());
    ConnectionId::parse(&id).expect("a valid id")
}

/// A secret name no other test uses.
pub(crate) fn unique_secret(kind: SecretKind) -> SecretName {
    SecretName::for_connection(&unique_id(), kind)
}

/// A secret store under test, and what keeps it alive.
pub(crate) struct SecretsUnderTest {
    pub(crate) store: Arc<dyn SecretStore>,
    _dir: Option<tempfile::TempDir>,
}

pub(crate) async fn secrets_manager() -> Result<SecretsUnderTest, Error> {
    Ok(SecretsUnderTest {
        store: Arc::new(SecretsManagerStore::new(&moto_config().await?)),
        _dir: None,
    })
}

pub(crate) fn local_secrets() -> Result<SecretsUnderTest, Error> {
    let dir = tempfile::tempdir()?;
    let store = LocalSecretStore::open(&DataDir::open(dir.path().join("data"))?)?;
    Ok(SecretsUnderTest {
        store: Arc::new(store),
        _dir: Some(dir),
    })
}

/// A connection store under test, with a way to put raw bytes where a record lives.
pub(crate) struct ConnectionsUnderTest {
    pub(crate) store: Arc<dyn ConnectionStore>,
    raw: Raw,
    _dir: Option<tempfile::TempDir>,
}

enum Raw {
    S3 {
        client: aws_sdk_s3::Client,
        bucket: String,
        prefix: String,
    },
    Files(std::path::PathBuf),
}

impl ConnectionsUnderTest {
    /// Stores `bytes` as the record of `id`, bypassing the store's checks.
    pub(crate) async fn put_raw(&self, id: &str, bytes: &[u8]) -> TestResult {
        match &self.raw {
            Raw::S3 {
                client,
                bucket,
                prefix,
            } => {
                client
                    .put_object()
                    .bucket(bucket)
                    .key(format!("{prefix}{id}.json"))
                    .body(bytes.to_vec().into())
                    .send()
                    .await?;
            }
            Raw::Files(folder) => std::fs::write(folder.join(format!("{id}.json")), bytes)?,
        }
        Ok(())
    }
}

pub(crate) async fn s3_connections() -> Result<ConnectionsUnderTest, Error> {
    let config = moto_config().await?;
    let client = s3_client(&config);
    let bucket = new_bucket(&config, "tenure-test").await?;
    let prefix = "connections/".to_owned();
    Ok(ConnectionsUnderTest {
        store: Arc::new(S3ConnectionStore::new(&config, &bucket, &prefix)),
        raw: Raw::S3 {
            client,
            bucket,
            prefix,
        },
        _dir: None,
    })
}

pub(crate) fn local_connections() -> Result<ConnectionsUnderTest, Error> {
    let dir = tempfile::tempdir()?;
    let store = LocalConnectionStore::open(&DataDir::open(dir.path().join("data"))?)?;
    Ok(ConnectionsUnderTest {
        raw: Raw::Files(store.folder().to_owned()),
        store: Arc::new(store),
        _dir: Some(dir),
    })
}

/// A customer-app connection in the global cloud, created at a fixed time.
pub(crate) fn sample_connection(id: &ConnectionId) -> Result<Connection, Error> {
    crate::support::samples::connection(id)
}

/// Fails when the error's text, debug form or any of its sources shows `secret`.
pub(crate) fn assert_hides<E: StdError + Debug + Display + 'static>(error: &E, secret: &str) {
    let mut shown = vec![error.to_string(), format!("{error:?}")];
    let mut source = error.source();
    while let Some(e) = source {
        shown.push(e.to_string());
        shown.push(format!("{e:?}"));
        source = e.source();
    }
    for text in shown {
        assert!(!text.contains(secret), "an error shows the secret: {text}");
    }
}

/// An object store under test, and what keeps it alive.
pub(crate) struct ObjectsUnderTest {
    pub(crate) store: Arc<dyn tenure::store::objects::ObjectStore>,
    _dir: Option<tempfile::TempDir>,
}

pub(crate) async fn s3_objects() -> Result<ObjectsUnderTest, Error> {
    let config = moto_config().await?;
    let bucket = new_bucket(&config, "tenure-test").await?;
    Ok(ObjectsUnderTest {
        store: Arc::new(tenure::store::objects::S3ObjectStore::new(
            &config, &bucket, "",
        )),
        _dir: None,
    })
}

pub(crate) fn local_objects() -> Result<ObjectsUnderTest, Error> {
    let dir = tempfile::tempdir()?;
    let store =
        tenure::store::objects::LocalObjectStore::open(&DataDir::open(dir.path().join("data"))?)?;
    Ok(ObjectsUnderTest {
        store: Arc::new(store),
        _dir: Some(dir),
    })
}

/// Runs each of the named test functions (taking an `Arc<dyn ObjectStore>`) against S3 (moto)
/// and the local file store, as `s3::<name>` and `local_files::<name>`.
macro_rules! for_each_object_store {
    ($($test:ident),* $(,)?) => {
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() -> super::super::helpers::TestResult {
                    super::$test(super::super::helpers::s3_objects().await?.store).await
                }
            )*
        }
        mod local_files {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() -> super::super::helpers::TestResult {
                    let t = super::super::helpers::local_objects()?;
                    super::$test(std::sync::Arc::clone(&t.store)).await
                }
            )*
        }
    };
}
pub(crate) use for_each_object_store;
