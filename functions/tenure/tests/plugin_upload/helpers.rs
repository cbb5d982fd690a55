//! A Tenure with the plugin routes over fresh stores (on this process's moto, or local files),
//! one connection, and API Gateway v2 events to drive it.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use tenure::plugin::{PluginHost, SandboxLimits};
use tenure::service::Services;
use tenure::service::http::plugin_routes;
use tenure::service::plugins::{PluginLibrary, UploadLimits};
use tenure::service::settings::MappingSettings;
use tenure::store::connections::ConnectionId;
use tenure::store::objects::{Condition, ObjectKey, ObjectStore};
use tenure_test_support::admin::{SessionHeaders, operator_session};
use tenure_test_support::services::{LocalServices, ServicesBuilder};

pub(crate) use crate::support::{ApiEvent, Error, TestResult};

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
    /// An operator's session: every request carries it.
    pub(crate) session: SessionHeaders,
    router: Router,
    _local: Option<LocalServices>,
}

impl TestApp {
    /// Every store on moto (as the Lambda functions keep them).
    pub(crate) async fn on_s3() -> Result<Self, Error> {
        Self::on_s3_with(test_limits()).await
    }

    /// [`Self::on_s3`] with these sandbox limits.
    pub(crate) async fn on_s3_with(limits: SandboxLimits) -> Result<Self, Error> {
        let services = builder().plugin_limits(limits).on_moto().await?.services;
        Self::serving(services, None).await
    }

    /// Every store in local files (as `tenure serve` keeps them).
    pub(crate) async fn local() -> Result<Self, Error> {
        Self::local_with(UploadLimits::default()).await
    }

    /// [`Self::local`] with these upload limits.
    pub(crate) async fn local_with(uploads: UploadLimits) -> Result<Self, Error> {
        Self::local_changed(|services| Services {
            uploads,
            ..services
        })
        .await
    }

    /// [`Self::local`] with its services changed by `change` (limits, a clock).
    pub(crate) async fn local_changed(
        change: impl FnOnce(Services) -> Services,
    ) -> Result<Self, Error> {
        let local = builder()
            .queue_visibility(Duration::from_secs(30))
            .local()?;
        let services = change(local.services.clone());
        Self::serving(services, Some(local)).await
    }

    /// The plugin routes of another instance over the same stores (a fresh plugin library).
    pub(crate) fn another_instance(&self) -> Result<Router, Error> {
        Ok(plugin_routes(self.cold_services()?))
    }

    async fn serving(services: Services, local: Option<LocalServices>) -> Result<Self, Error> {
        let connection = ConnectionId::parse("contoso")?;
        services
            .connections
            .put_new(&crate::support::samples::connection(&connection)?)
            .await?;
        let (services, session) = operator_session(services).await?;
        Ok(Self {
            router: plugin_routes(services.clone()),
            objects: Arc::clone(&services.objects),
            services,
            connection,
            session,
            _local: local,
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
        let body = body.map(|body| ("application/wasm", body));
        let (status, text) = self.send_raw(method, path, query, body).await?;
        Ok((status, serde_json::from_str(&text)?))
    }

    /// [`Self::send`] with a body of any type, giving the answer's text (empty for a 204).
    pub(crate) async fn send_raw(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: Option<(&str, &[u8])>,
    ) -> Result<(StatusCode, String), Error> {
        let mut event = ApiEvent::new(method, "$default", path)
            .query(query)
            .header("cookie", &self.session.cookie)
            .header("x-csrf-token", &self.session.csrf_token);
        if let Some((content_type, body)) = body {
            event = event
                .header("content-type", content_type)
                .body(body)
                .base64();
        }
        let answer = event.send(&self.router).await?;
        Ok((StatusCode::from_u16(answer.status)?, answer.body))
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
        let config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
            crate::support::samples::path("mapper.json"),
        )?)?;
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
        let company = std::fs::read_to_string(crate::support::samples::path("company.csv"))?;
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

    /// Every key the registry stored for the connection or compiled, but the log that counts
    /// the connection's uploads (written for every upload, refused or not).
    pub(crate) async fn plugin_keys(&self) -> Result<Vec<String>, Error> {
        let mut keys = self
            .objects
            .list(&format!("plugins/{}/", self.connection))
            .await?;
        keys.extend(self.objects.list("compiled/").await?);
        Ok(keys
            .iter()
            .map(|k| k.to_string())
            .filter(|k| !k.ends_with("/uploads.json"))
            .collect())
    }
}

/// Services with [`test_limits`] and the replay cache in memory.
fn builder() -> ServicesBuilder {
    ServicesBuilder::new()
        .plugin_limits(test_limits())
        .replay_in_memory()
}

/// A built test plugin or the standard mapper.
pub(crate) fn artifact(path: &str) -> Result<Vec<u8>, Error> {
    Ok(plugin_artifacts::read(path)?)
}
