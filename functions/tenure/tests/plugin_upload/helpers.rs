//! A Tenure with the plugin routes over fresh stores (S3 on this process's moto, or local
//! files), one connection, and API Gateway v2 events to drive it.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use base64::Engine as _;
use tenure::plugin::{PluginHost, SandboxLimits};
use tenure::queue::{InProcessQueue, LocalDeadLetters};
use tenure::service::Services;
use tenure::service::http::plugin_routes;
use tenure::service::plugins::PluginLibrary;
use tenure::service::provision::ProvisionOptions;
use tenure::service::settings::MappingSettings;
use tenure::store::connections::{
    ClientId, Connection, ConnectionId, ConnectionStore, ConnectionType, CustomerCredential,
    LocalConnectionStore, TenantId,
};
use tenure::store::objects::{Condition, LocalObjectStore, ObjectKey, ObjectStore, S3ObjectStore};
use tenure::store::secrets::LocalSecretStore;
use tenure::store::{AwsSettings, DataDir};
use tenure::webhook::InMemoryReplayCache;
use tower::ServiceExt as _;

pub(crate) type Error = Box<dyn std::error::Error + Send + Sync>;
pub(crate) type TestResult = Result<(), Error>;

/// Limits that keep hostile plugins quick, and a small upload limit.
pub(crate) fn test_limits() -> SandboxLimits {
    SandboxLimits {
        fuel_per_worker: 5_000_000,
        memory_bytes: 32 << 20,
        max_wasm_bytes: 2 << 20,
        ..SandboxLimits::default()
    }
}

/// A Tenure serving the plugin routes, with one connection `contoso`.
pub(crate) struct TestApp {
    pub(crate) services: Services,
    pub(crate) objects: Arc<dyn ObjectStore>,
    pub(crate) connection: ConnectionId,
    router: Router,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// Objects in S3 (moto).
    pub(crate) async fn on_s3() -> Result<Self, Error> {
        let moto = tenure_moto::shared()?;
        let config = AwsSettings::emulator(
            moto.endpoint(),
            tenure_moto::REGION,
            tenure_moto::ACCESS_KEY_ID,
            tenure_moto::SECRET_ACCESS_KEY,
        )
        .load()
        .await;
        let client = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        let bucket = format!("tenure-test-{}", uuid::Uuid::new_v4().simple());
        client.create_bucket().bucket(&bucket).send().await?;
        Self::with_objects(Arc::new(S3ObjectStore::new(&config, &bucket, ""))).await
    }

    /// Objects in local files.
    pub(crate) async fn local() -> Result<Self, Error> {
        Self::with_objects_in(None).await
    }

    async fn with_objects(objects: Arc<dyn ObjectStore>) -> Result<Self, Error> {
        Self::with_objects_in(Some(objects)).await
    }

    async fn with_objects_in(objects: Option<Arc<dyn ObjectStore>>) -> Result<Self, Error> {
        let dir = tempfile::tempdir()?;
        let data = DataDir::open(dir.path().join("data"))?;
        let objects: Arc<dyn ObjectStore> = match objects {
            Some(objects) => objects,
            None => Arc::new(LocalObjectStore::open(&data)?),
        };
        let connections = Arc::new(LocalConnectionStore::open(&data)?);
        let connection = ConnectionId::parse("contoso")?;
        connections
            .put_new(&sample_connection(&connection)?)
            .await?;
        let services = Services {
            secrets: Arc::new(LocalSecretStore::open(&data)?),
            connections,
            objects: Arc::clone(&objects),
            queue: Arc::new(InProcessQueue::new(Duration::from_secs(30))),
            service_app: None,
            plugins: Arc::new(PluginLibrary::new(PluginHost::new(test_limits(), None)?)),
            replay: Arc::new(InMemoryReplayCache::new()),
            dead_letters: Arc::new(LocalDeadLetters::new(Arc::clone(&objects))),
            provision: ProvisionOptions::default(),
        };
        Ok(Self {
            router: plugin_routes(services.clone()),
            services,
            objects,
            connection,
            _dir: dir,
        })
    }

    /// The same stores with a new process's plugin library (nothing loaded): a cold start.
    pub(crate) fn cold_services(&self) -> Result<Services, Error> {
        Ok(Services {
            plugins: Arc::new(PluginLibrary::new(PluginHost::new(test_limits(), None)?)),
            ..self.services.clone()
        })
    }

    /// Sends an API Gateway HTTP API (payload 2.0) event, the body base64-encoded as API
    /// Gateway sends binary bodies, and gives the status and the JSON answer.
    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: Option<&[u8]>,
    ) -> Result<(StatusCode, serde_json::Value), Error> {
        let event = apigw_event(method, path, query, body);
        let request = lambda_http::request::from_str(&event.to_string())?;
        let (parts, body) = request.into_parts();
        let request = axum::http::Request::from_parts(parts, axum::body::Body::from(body.to_vec()));
        let response = self.router.clone().oneshot(request).await?;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        let json = serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "answer {status} is not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        })?;
        Ok((status, json))
    }

    /// `POST /connections/contoso/plugins[?query]` with `wasm`.
    pub(crate) async fn upload(
        &self,
        wasm: &[u8],
        query: &str,
    ) -> Result<(StatusCode, serde_json::Value), Error> {
        let path = format!("/connections/{}/plugins", self.connection);
        self.send("POST", &path, query, Some(wasm)).await
    }

    /// Stores mapping settings for the connection: the standard mapper with the sample config.
    pub(crate) async fn store_settings(&self) -> TestResult {
        let config: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(samples("mapper.json"))?)?;
        MappingSettings::standard(config)
            .save(self.objects.as_ref(), &self.connection, Condition::Absent)
            .await?;
        Ok(())
    }

    /// The connection's settings as stored (bytes), if any.
    pub(crate) async fn settings_bytes(&self) -> Result<Option<Vec<u8>>, Error> {
        let key = ObjectKey::parse(&format!("connections/{}/mapping.json", self.connection))?;
        Ok(self.objects.get(&key).await?.map(|(bytes, _)| bytes))
    }

    /// Stores an HR export for the connection: the sample CEO row under each of `ids`.
    pub(crate) async fn store_hr_export(&self, ids: &[&str]) -> TestResult {
        let company = std::fs::read_to_string(samples("company.csv"))?;
        let mut lines = company.lines();
        let header = lines.next().ok_or("no header")?;
        let ceo = lines.next().ok_or("no CEO")?;
        let (_, rest) = ceo.split_once(',').ok_or("no comma")?;
        let mut csv = format!("{header}\n");
        for id in ids {
            csv.push_str(&format!("{id},{rest}\n"));
        }
        let key = ObjectKey::parse(&format!("connections/{}/hr/workers.csv", self.connection))?;
        self.objects
            .put(&key, csv.into_bytes(), Condition::Always)
            .await?;
        Ok(())
    }

    /// Every key the registry stored for the connection or compiled.
    pub(crate) async fn plugin_keys(&self) -> Result<Vec<String>, Error> {
        let mut keys = self
            .objects
            .list(&format!("plugins/{}/", self.connection))
            .await?;
        keys.extend(self.objects.list("compiled/").await?);
        Ok(keys.iter().map(|k| k.to_string()).collect())
    }
}

/// A customer-app connection.
fn sample_connection(id: &ConnectionId) -> Result<Connection, Error> {
    Ok(Connection::new(
        id.clone(),
        ConnectionType::CustomerApp {
            credential: CustomerCredential::ClientSecret,
        },
        tenure::microsoft::NationalCloud::Global,
        TenantId::parse("contoso.onmicrosoft.com")?,
        ClientId::parse("11111111-2222-3333-4444-555555555555")?,
        "2026-11-01T09:00:00Z".parse()?,
    ))
}

/// A file of `samplesdata/`.
pub(crate) fn samples(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../samplesdata")
        .join(name)
}

/// An API Gateway HTTP API event (payload format 2.0) as API Gateway sends it to Lambda.
pub(crate) fn apigw_event(
    method: &str,
    path: &str,
    query: &str,
    body: Option<&[u8]>,
) -> serde_json::Value {
    let query_parameters: serde_json::Map<String, serde_json::Value> =
        form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned().into()))
            .collect();
    let mut headers = serde_json::json!({
        "host": "abc123.execute-api.eu-west-1.amazonaws.com",
        "user-agent": "curl/8.5.0",
        "x-forwarded-proto": "https",
        "x-forwarded-for": "203.0.113.7",
    });
    if let Some(body) = body {
        headers["content-type"] = "application/wasm".into();
        headers["content-length"] = body.len().to_string().into();
    }
    let mut event = serde_json::json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "curl/8.5.0"
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "$default",
            "stage": "$default",
            "time": "27/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1_795_000_000_000_u64
        },
        "isBase64Encoded": body.is_some(),
    });
    if !query_parameters.is_empty() {
        event["queryStringParameters"] = query_parameters.into();
    }
    if let Some(body) = body {
        event["body"] = base64::engine::general_purpose::STANDARD
            .encode(body)
            .into();
    }
    event
}

/// A built test plugin or the standard mapper.
pub(crate) fn artifact(path: &str) -> Result<Vec<u8>, Error> {
    Ok(plugin_artifacts::read(path)?)
}
