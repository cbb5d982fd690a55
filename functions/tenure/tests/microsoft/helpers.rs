//! A fresh emulated tenant per test, loaded with the sample directory, and clients pointed at it.

use std::sync::Arc;

use secrecy::SecretString;
use tenure::directory::Snapshot;
use tenure::microsoft::{
    ClientCredential, Endpoints, ExchangeClient, GraphClient, NationalCloud, TokenSource,
};
use tenure_emulator::{EmulatedTenant, TenantConfig};

pub(crate) use crate::support::samples::directory as sample;
pub(crate) use crate::support::tenant::quick_client_options as options;
pub(crate) use crate::support::{Error, TestResult};

pub(crate) const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";
pub(crate) const SECRET: &str = "s3cr3t~value-never-shown";
pub(crate) const ADMIN: &str = "admin@contoso.onmicrosoft.com";
pub(crate) const ENTERPRISEPACK: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";

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
    let tenant = crate::support::tenant::start_sample(|c| {
        configure(c.with_client_secret(CLIENT_ID, SECRET))
    })
    .await?;
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

/// How many recorded requests match a method and a path prefix.
pub(crate) fn count(tenant: &EmulatedTenant, method: &str, path_prefix: &str) -> usize {
    tenant
        .requests()
        .iter()
        .filter(|r| r.method == method && r.path.starts_with(path_prefix) && !r.in_batch)
        .count()
}

/// A snapshot in one order, so two reads compare equal when they hold the same.
pub(crate) fn sorted(mut snapshot: Snapshot) -> Snapshot {
    snapshot.users.sort_by(|a, b| a.id.cmp(&b.id));
    snapshot.groups.sort_by(|a, b| a.id.cmp(&b.id));
    for group in &mut snapshot.groups {
        group.members.sort();
    }
    snapshot.mailboxes.sort_by(|a, b| {
        a.external_directory_object_id
            .cmp(&b.external_directory_object_id)
    });
    for mailbox in &mut snapshot.mailboxes {
        mailbox.full_access.sort();
    }
    snapshot
        .subscribed_skus
        .sort_by(|a, b| a.sku_id.cmp(&b.sku_id));
    snapshot
}
