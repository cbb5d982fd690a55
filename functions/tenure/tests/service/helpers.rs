//! API Gateway events, the answers to them, and the stores behind the routers: AWS ones on this
//! process's moto, local ones in a fresh folder.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use base64::Engine as _;
use tenure::connect::ServiceApp;
use tenure::plugin::{PluginHost, SandboxLimits};
use tenure::queue::{InProcessQueue, LocalDeadLetters, WorkQueue};
use tenure::service::Services;
use tenure::service::plugins::PluginLibrary;
use tenure::service::provision::ProvisionOptions;
use tenure::store::connections::{ConnectionStore, LocalConnectionStore};
use tenure::store::objects::{LocalObjectStore, ObjectStore};
use tenure::store::secrets::{LocalSecretStore, SecretStore};
use tenure::store::{AwsSettings, DataDir};
use tenure::webhook::{InMemoryReplayCache, ReplayCache};
use tower::ServiceExt as _;

pub(crate) type Error = Box<dyn std::error::Error + Send + Sync>;
pub(crate) type TestResult = Result<(), Error>;

/// The SDK configuration for this process's moto.
pub(crate) async fn moto_config() -> Result<aws_config::SdkConfig, Error> {
    let moto = tenure_moto::shared()?;
    Ok(AwsSettings::emulator(
        moto.endpoint(),
        tenure_moto::REGION,
        tenure_moto::ACCESS_KEY_ID,
        tenure_moto::SECRET_ACCESS_KEY,
    )
    .load()
    .await)
}

/// A connection id no other test uses.
pub(crate) fn unique_id() -> String {
    format!("t-{}", uuid::Uuid::new_v4().simple())
}

/// An API Gateway HTTP API event (payload format 2.0), as API Gateway sends it to a Lambda.
pub(crate) struct ApiEvent {
    method: &'static str,
    route_key: &'static str,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    base64: bool,
}

impl ApiEvent {
    /// `GET path` for the route `route_key` (such as `GET /oauth/callback`).
    pub(crate) fn get(route_key: &'static str, path: impl Into<String>) -> Self {
        Self::new("GET", route_key, path.into())
    }

    /// `POST path` for the route `route_key`.
    pub(crate) fn post(route_key: &'static str, path: impl Into<String>) -> Self {
        Self::new("POST", route_key, path.into())
    }

    fn new(method: &'static str, route_key: &'static str, path: String) -> Self {
        Self {
            method,
            route_key,
            path,
            query: String::new(),
            headers: Vec::new(),
            body: None,
            base64: false,
        }
    }

    /// The raw query string (without `?`).
    pub(crate) fn query(mut self, query: impl Into<String>) -> Self {
        self.query = query.into();
        self
    }

    /// A header (API Gateway lower-cases names).
    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// The body, sent as text.
    pub(crate) fn body(mut self, body: &[u8]) -> Self {
        self.body = Some(body.to_vec());
        self
    }

    /// Sends the body base64-encoded (`isBase64Encoded: true`), as API Gateway does for a body
    /// it does not take for text.
    pub(crate) fn base64(mut self) -> Self {
        self.base64 = true;
        self
    }

    /// The event's JSON.
    pub(crate) fn json(&self) -> Result<serde_json::Value, Error> {
        let mut headers = serde_json::Map::new();
        headers.insert(
            "host".into(),
            "abc123.execute-api.eu-west-1.amazonaws.com".into(),
        );
        headers.insert("user-agent".into(), "tenure-test".into());
        headers.insert("x-forwarded-proto".into(), "https".into());
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone().into());
        }
        let body = match &self.body {
            None => serde_json::Value::Null,
            Some(bytes) if self.base64 => base64::engine::general_purpose::STANDARD
                .encode(bytes)
                .into(),
            Some(bytes) => String::from_utf8(bytes.clone())?.into(),
        };
        Ok(serde_json::json!({
            "version": "2.0",
            "routeKey": self.route_key,
            "rawPath": self.path,
            "rawQueryString": self.query,
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "abc123",
                "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
                "domainPrefix": "abc123",
                "http": {
                    "method": self.method,
                    "path": self.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "203.0.113.7",
                    "userAgent": "tenure-test"
                },
                "requestId": "JKJaXmPLvHcESHA=",
                "routeKey": self.route_key,
                "stage": "$default",
                "time": "10/Mar/2026:10:00:00 +0000",
                "timeEpoch": 1_773_136_800_000_i64
            },
            "body": body,
            "isBase64Encoded": self.base64
        }))
    }

    /// Hands the event to `router` as the Lambda adapter would, and reads the answer.
    pub(crate) async fn send(&self, router: &Router) -> Result<Answer, Error> {
        let request = lambda_http::request::from_str(&self.json()?.to_string())?;
        let response = router.clone().oneshot(request).await?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        Ok(Answer {
            status,
            headers,
            body: String::from_utf8(body.to_vec())?,
        })
    }
}

/// A router's answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Answer {
    /// The first value of header `name`.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub(crate) fn json(&self) -> Result<serde_json::Value, Error> {
        Ok(serde_json::from_str(&self.body)?)
    }

    /// The `error` of a JSON error body.
    pub(crate) fn error(&self) -> Result<String, Error> {
        let json = self.json()?;
        let message = json["error"]
            .as_str()
            .ok_or_else(|| format!("no error in {json}"))?;
        Ok(message.to_owned())
    }

    /// Fails if any of `secrets` appears in the body or any header.
    pub(crate) fn assert_hides(&self, secrets: &[&str]) {
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            assert!(!self.body.contains(secret), "a secret is in the body");
            for (name, value) in &self.headers {
                assert!(!value.contains(secret), "a secret is in header {name}");
            }
        }
    }
}

/// The services the routers use, over these stores (the routers under test never load a
/// plugin).
pub(crate) fn services(
    secrets: &Arc<dyn SecretStore>,
    connections: &Arc<dyn ConnectionStore>,
    objects: &Arc<dyn ObjectStore>,
    queue: &Arc<dyn WorkQueue>,
    replay: Arc<dyn ReplayCache>,
    service_app: Option<ServiceApp>,
) -> Result<Services, Error> {
    Ok(Services {
        secrets: Arc::clone(secrets),
        connections: Arc::clone(connections),
        objects: Arc::clone(objects),
        queue: Arc::clone(queue),
        service_app: service_app.map(Arc::new),
        plugins: Arc::new(PluginLibrary::new(PluginHost::new(
            SandboxLimits::default(),
            None,
        )?)),
        replay,
        dead_letters: Arc::new(LocalDeadLetters::new(Arc::clone(objects))),
        provision: ProvisionOptions::default(),
    })
}

/// Local stores in a fresh folder, an in-process queue and an in-memory replay cache.
pub(crate) struct Local {
    pub(crate) secrets: Arc<dyn SecretStore>,
    pub(crate) connections: Arc<dyn ConnectionStore>,
    pub(crate) objects: Arc<dyn ObjectStore>,
    pub(crate) queue: Arc<dyn WorkQueue>,
    pub(crate) replay: Arc<dyn ReplayCache>,
    _dir: tempfile::TempDir,
}

impl Local {
    pub(crate) fn new() -> Result<Self, Error> {
        let dir = tempfile::tempdir()?;
        let data = DataDir::open(dir.path().join("data"))?;
        Ok(Self {
            secrets: Arc::new(LocalSecretStore::open(&data)?),
            connections: Arc::new(LocalConnectionStore::open(&data)?),
            objects: Arc::new(LocalObjectStore::open(&data)?),
            queue: Arc::new(InProcessQueue::new(Duration::from_secs(60))),
            replay: Arc::new(InMemoryReplayCache::new()),
            _dir: dir,
        })
    }

    /// The services over these stores, with `service_app` as Tenure's app.
    pub(crate) fn services(&self, service_app: Option<ServiceApp>) -> Result<Services, Error> {
        services(
            &self.secrets,
            &self.connections,
            &self.objects,
            &self.queue,
            Arc::clone(&self.replay),
            service_app,
        )
    }
}
