//! A deployment with Tenure's app, two emulated tenants (the sample one in the global cloud,
//! another in US Government GCC High), a connection `contoso` to the sample tenant, and every
//! admin-facing route on one router.

use axum::Router;
use tenure::auth::Operators;
use tenure::microsoft::NationalCloud;
use tenure::service::Services;
use tenure::service::http::{
    approval_routes, callback_routes, consent_routes, hr_export_routes, match_routes,
    plugin_routes, sign_in_routes, token_routes,
};
use tenure::store::connections::{ConnectionId, ConnectionType};
use tenure_emulator::{EmulatedTenant, TenantConfig};
use tenure_test_support::admin::{APP, admin_access, registered_app, tenure_app};
use tenure_test_support::services::{LocalServices, ServicesBuilder};

pub(crate) use crate::support::{Answer, ApiEvent, Error, TestResult};
pub(crate) use tenure_test_support::admin::{Browser, DOMAIN};

/// The sample tenant's Global Administrator.
pub(crate) const ADMIN: &str = "admin@contoso.onmicrosoft.com";
/// A member of the sample tenant without a directory role.
pub(crate) const MEMBER: &str = "olivia.bennett@contoso.com";
/// The other tenant's id.
pub(crate) const OTHER_TENANT: &str = "3b1c9d2e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";

/// The deployment under attack.
pub(crate) struct Door {
    pub(crate) services: Services,
    pub(crate) router: Router,
    /// The sample tenant (global cloud), whose connection is `contoso`.
    pub(crate) home: EmulatedTenant,
    /// Another tenant (GCC High) with the same users.
    pub(crate) other: EmulatedTenant,
    pub(crate) connection: ConnectionId,
    _local: LocalServices,
}

impl Door {
    pub(crate) async fn new() -> Result<Self, Error> {
        Self::with_operators(Operators::none()).await
    }

    pub(crate) async fn with_operators(operators: Operators) -> Result<Self, Error> {
        let home = crate::support::tenant::start_sample(|c| c.with_app(registered_app())).await?;
        let mut snapshot = crate::support::samples::directory()?;
        snapshot.tenant.id = Some(OTHER_TENANT.to_owned());
        let other = EmulatedTenant::start(
            TenantConfig::new(snapshot)
                .in_cloud(NationalCloud::UsGovHigh)
                .with_sample_roles()
                .with_app(registered_app()),
        )
        .await?;
        let local = ServicesBuilder::new()
            .replay_in_memory()
            .tenure_app(tenure_app())
            .local()?;
        let access = admin_access(
            &[
                (NationalCloud::Global, &home),
                (NationalCloud::UsGovHigh, &other),
            ],
            operators,
        );
        let services = local.services.clone().with_admin_access(access);
        let connection = ConnectionId::parse("contoso")?;
        let record = crate::support::tenant::connection_to(
            &home,
            &connection,
            ConnectionType::TenureApp,
            APP,
        )?;
        services.connections.put_new(&record).await?;
        Ok(Self {
            router: router(&services),
            services,
            home,
            other,
            connection,
            _local: local,
        })
    }

    /// Makes `upn` (of the sample tenant) a manager of the connection.
    pub(crate) async fn add_manager(&self, upn: &str) -> TestResult {
        let id = user_id(&self.home, upn)?;
        let (mut record, version) = self
            .services
            .connections
            .get(&self.connection)
            .await?
            .ok_or("no connection")?;
        record.managers.push(id);
        self.services.connections.replace(&record, &version).await?;
        Ok(())
    }

    /// A browser signed in as `user` of the sample tenant.
    pub(crate) async fn signed_in(&self, user: &str) -> Result<Browser, Error> {
        let mut browser = Browser::new();
        let answer = browser
            .sign_in(&self.router, &self.home, user, None)
            .await?;
        assert_eq!(answer.status, 200, "sign-in failed: {}", answer.body);
        Ok(browser)
    }

    /// A browser signed in as `user` of the other tenant (GCC High).
    pub(crate) async fn signed_in_elsewhere(&self, user: &str) -> Result<Browser, Error> {
        let mut browser = Browser::new();
        let answer = browser
            .sign_in(&self.router, &self.other, user, Some("usgovhigh"))
            .await?;
        assert_eq!(answer.status, 200, "sign-in failed: {}", answer.body);
        Ok(browser)
    }
}

/// Every admin-facing route, as `tenure serve` merges them.
pub(crate) fn router(services: &Services) -> Router {
    Router::new()
        .merge(sign_in_routes(services.clone()))
        .merge(consent_routes(services.clone()))
        .merge(callback_routes(services.clone()))
        .merge(plugin_routes(services.clone()))
        .merge(token_routes(services.clone()))
        .merge(approval_routes(services.clone()))
        .merge(hr_export_routes(services.clone()))
        .merge(match_routes(services.clone()))
}

/// A user's object id, by UPN.
pub(crate) fn user_id(tenant: &EmulatedTenant, upn: &str) -> Result<String, Error> {
    Ok(tenant
        .state()
        .users
        .iter()
        .find(|u| u.user_principal_name.eq_ignore_ascii_case(upn))
        .ok_or_else(|| format!("no user {upn}"))?
        .id
        .to_string())
}

/// `GET path` as a script would send it (JSON, no `Accept: text/html`).
pub(crate) fn get(path: &str) -> ApiEvent {
    ApiEvent::get("$default", path).domain(DOMAIN)
}

/// `POST path`.
pub(crate) fn post(path: &str) -> ApiEvent {
    ApiEvent::post("$default", path).domain(DOMAIN)
}
