//! The stores behind the routers: local ones in a fresh folder (the AWS ones are made by
//! `hr_webhook` on moto).

use std::sync::Arc;
use std::time::Duration;

use tenure::connect::TenureApp;
use tenure::microsoft::RetryPolicy;
use tenure::service::Services;
use tenure::service::provision::ProvisionOptions;
use tenure::store::connections::ConnectionStore;
use tenure::store::secrets::SecretStore;
pub(crate) use tenure_test_support::admin::SessionHeaders;
use tenure_test_support::admin::operator_session;
use tenure_test_support::services::{LocalServices, ServicesBuilder};

pub(crate) use crate::support::{Answer, ApiEvent, Error, TestResult};

/// A connection id no other test uses.
pub(crate) fn unique_id() -> String {
    crate::support::aws::unique("t")
}

/// `tenure serve`'s services in a fresh folder, with an in-process queue, an in-memory replay
/// cache and quick retries (a request to Microsoft that fails is not retried for a minute).
pub(crate) struct Local {
    pub(crate) secrets: Arc<dyn SecretStore>,
    pub(crate) connections: Arc<dyn ConnectionStore>,
    local: LocalServices,
}

impl Local {
    pub(crate) fn new() -> Result<Self, Error> {
        let local = ServicesBuilder::new()
            .replay_in_memory()
            .queue_visibility(Duration::from_secs(60))
            .provision(ProvisionOptions {
                retry: RetryPolicy::quick(),
                ..ProvisionOptions::default()
            })
            .local()?;
        Ok(Self {
            secrets: Arc::clone(&local.services.secrets),
            connections: Arc::clone(&local.services.connections),
            local,
        })
    }

    /// The services over these stores, with `tenure_app` as Tenure's app.
    pub(crate) fn services(&self, tenure_app: Option<TenureApp>) -> Result<Services, Error> {
        Ok(self.local.services.clone().with_tenure_app(tenure_app))
    }

    /// The same, with an operator of the deployment signed in: the headers their requests carry.
    pub(crate) async fn signed_in(
        &self,
        tenure_app: Option<TenureApp>,
    ) -> Result<(Services, SessionHeaders), Error> {
        operator_session(self.services(tenure_app)?).await
    }
}
