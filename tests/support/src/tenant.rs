//! The emulated tenant loaded with the sample directory, connections pointed at it, and client
//! options that keep tests quick.

use tenure::microsoft::{AdaptiveLimit, ClientOptions, NationalCloud, RetryPolicy};
use tenure::store::connections::{
    BaseUrl, ClientId, Connection, ConnectionId, ConnectionType, EndpointOverrides, TenantId,
};
use tenure_emulator::{EmulatedTenant, TenantConfig};

use crate::{Error, samples};

/// A fresh emulated tenant holding the sample directory and its roles (the sample admin is a
/// Global Administrator), configured further by `configure` (apps, sign-in, faults), on a
/// loopback port of its own.
pub async fn start_sample(
    configure: impl FnOnce(TenantConfig) -> TenantConfig,
) -> Result<EmulatedTenant, Error> {
    let config = configure(TenantConfig::new(samples::directory()?).with_sample_roles());
    Ok(EmulatedTenant::start(config).await?)
}

/// A connection record `id` of `kind` for the app `client_id` in `tenant`, every Microsoft
/// endpoint pointed at the emulated tenant, created now (not stored).
pub fn connection_to(
    tenant: &EmulatedTenant,
    id: &ConnectionId,
    kind: ConnectionType,
    client_id: &str,
) -> Result<Connection, Error> {
    let mut connection = Connection::new(
        id.clone(),
        kind,
        NationalCloud::Global,
        TenantId::parse(tenant.tenant_id())?,
        ClientId::parse(client_id)?,
        jiff::Timestamp::now(),
    );
    connection.endpoints = EndpointOverrides::all_at(&BaseUrl::parse(&tenant.uri())?);
    Ok(connection)
}

/// Quick retries and four requests in flight: a fault costs milliseconds, not seconds.
pub fn quick_client_options() -> ClientOptions {
    ClientOptions {
        retry: RetryPolicy::quick(),
        limit: AdaptiveLimit::new(4),
        ..ClientOptions::default()
    }
}

/// The tenant's accounts that carry an employee id, and how many of those ids are distinct:
/// the difference is the accounts created twice.
pub fn accounts_by_employee_id(tenant: &EmulatedTenant) -> (usize, usize) {
    let state = tenant.state();
    let mut ids: Vec<&str> = state
        .users
        .iter()
        .filter_map(|u| u.employee_id.as_deref())
        .collect();
    let accounts = ids.len();
    ids.sort_unstable();
    ids.dedup();
    (accounts, ids.len())
}
