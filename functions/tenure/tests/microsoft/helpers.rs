//! A fresh emulated tenant per test, loaded with the sample directory, and clients pointed at it.

use std::sync::Arc;

use secrecy::SecretString;
use tenure::directory::Snapshot;
use tenure::microsoft::{
    AdaptiveLimit, ClientCredential, ClientOptions, Endpoints, ExchangeClient, GraphClient,
    NationalCloud, RetryPolicy, TokenSource,
};
use tenure_emulator::{EmulatedTenant, TenantConfig};

pub(crate) type TestResult = Result<(), Box<dyn std::error::Error>>;
pub(crate) type Error = Box<dyn std::error::Error>;

pub(crate) const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";
pub(crate) const SECRET: &str = "s3cr3t~value-never-shown";
pub(crate) const ADMIN: &str = "admin@contoso.onmicrosoft.com";
pub(crate) const ENTERPRISEPACK: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";

/// The sample directory of the repository.
pub(crate) fn sample() -> Result<Snapshot, Error> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samplesdata/directory.json");
    Ok(Snapshot::read(&path)?)
}

/// A tenant under test and clients for it.
pub(crate) struct TestTenant {
    pub(crate) tenant: EmulatedTenant,
    pub(crate) tokens: Arc<TokenSource>,
    pub(crate) graph: GraphClient,
    pub(crate) exchange: ExchangeClient,
}

pub(crate) async fn spawn() -> Result<TestTenant, Error> {
    spawn_with(|c| c).await
}

pub(crate) async fn spawn_with(
    configure: impl FnOnce(TenantConfig) -> TenantConfig,
) -> Result<TestTenant, Error> {
    let config = configure(TenantConfig::new(sample()?).with_client_secret(CLIENT_ID, SECRET));
    let tenant = EmulatedTenant::start(config).await?;
    let tokens = Arc::new(token_source(
        &tenant,
        tenant.tenant_id(),
        CLIENT_ID,
        SECRET,
    )?);
    let endpoints = endpoints(&tenant);
    let graph = GraphClient::new(&endpoints, Arc::clone(&tokens), options())?;
    let exchange = ExchangeClient::new(&endpoints, Arc::clone(&tokens), ADMIN, options())?;
    Ok(TestTenant {
        tenant,
        tokens,
        graph,
        exchange,
    })
}

pub(crate) fn endpoints(tenant: &EmulatedTenant) -> Endpoints {
    Endpoints::all_at(NationalCloud::Global, &tenant.uri())
}

pub(crate) fn token_source(
    tenant: &EmulatedTenant,
    tenant_id: &str,
    client_id: &str,
    secret: &str,
) -> Result<TokenSource, Error> {
    Ok(TokenSource::new(
        &endpoints(tenant),
        tenant_id,
        client_id,
        ClientCredential::Secret(SecretString::from(secret.to_owned())),
    )?)
}

/// Quick retries, four requests in flight.
pub(crate) fn options() -> ClientOptions {
    ClientOptions {
        retry: RetryPolicy::quick(),
        limit: AdaptiveLimit::new(4),
        ..ClientOptions::default()
    }
}

/// How many recorded requests match a method and a path prefix.
pub(crate) fn count(tenant: &EmulatedTenant, method: &str, path_prefix: &str) -> usize {
    tenant
        .requests()
        .iter()
        .filter(|r| r.method == method && r.path.starts_with(path_prefix) && !r.in_batch)
        .count()
}
