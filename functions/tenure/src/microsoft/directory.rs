//! The live directory read whole: Graph's users, groups and licenses with Exchange's mailboxes,
//! as a [`Snapshot`].

use super::error::ApiError;
use super::exchange::ExchangeClient;
use super::graph::GraphClient;
use crate::directory::Snapshot;

/// What [`read_directory`] reads besides users, groups, licenses and mailboxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Read the tenant's verified domains (`GET /organization`).
    pub tenant: bool,
    /// Read who holds `FullAccess` on each mailbox (`Get-MailboxPermission`, one call per
    /// mailbox: costly on large tenants).
    pub full_access: bool,
}

impl Default for ReadOptions {
    /// Everything.
    fn default() -> Self {
        Self {
            tenant: true,
            full_access: true,
        }
    }
}

/// Reads the whole tenant into a [`Snapshot`]. Without an Exchange client the snapshot holds no
/// mailboxes.
pub async fn read_directory(
    graph: &GraphClient,
    exchange: Option<&ExchangeClient>,
    options: ReadOptions,
) -> Result<Snapshot, ApiError> {
    let tenant = if options.tenant {
        graph.tenant().await?
    } else {
        crate::directory::Tenant::default()
    };
    let subscribed_skus = graph.subscribed_skus().await?;
    let users = graph.list_users().await?;
    let groups = graph.list_groups().await?;
    let mut mailboxes = match exchange {
        Some(exchange) => exchange.list_mailboxes().await?,
        None => Vec::new(),
    };
    if options.full_access
        && let Some(exchange) = exchange
    {
        for mailbox in &mut mailboxes {
            mailbox.full_access = exchange.full_access(&mailbox.user_principal_name).await?;
        }
    }
    Ok(Snapshot {
        tenant,
        subscribed_skus,
        users,
        groups,
        mailboxes,
    })
}
