//! The live directory as a [`Snapshot`]: Graph's users, groups and licenses with Exchange's
//! mailboxes, read whole, or read whole once through the delta endpoints and then refreshed
//! with only what changed.

use std::collections::HashSet;

use super::delta_state::{DeltaState, MailboxWatermark};
use super::error::ApiError;
use super::exchange::ExchangeClient;
use super::graph::GraphClient;
use super::merge;
use crate::SharedStr;
use crate::directory::{DirectoryUser, Mailbox, MailboxType, Snapshot, Tenant};

/// What [`read_directory`] reads besides users, groups, licenses and mailboxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Read the tenant's verified domains (`GET /organization`).
    pub tenant: bool,
    /// Read who holds `FullAccess` on the mailboxes whose holders a plan needs
    /// (`Get-MailboxPermission`, one call each): shared mailboxes, and those of disabled
    /// accounts (leavers, whose policy may hand the mailbox to someone). Access is only ever
    /// granted to a leaver's mailbox, so the mailboxes of people at work are not read, and a
    /// large tenant's first read costs a few calls rather than one per mailbox.
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
    let tenant = read_tenant(graph, options).await?;
    let subscribed_skus = graph.subscribed_skus().await?;
    let users = graph.list_users().await?;
    let deleted_users = graph.deleted_users().await?;
    let groups = graph.list_groups().await?;
    let mut mailboxes = match exchange {
        Some(exchange) => exchange.list_mailboxes().await?,
        None => Vec::new(),
    };
    if options.full_access
        && let Some(exchange) = exchange
    {
        let disabled = disabled_accounts(&users);
        for mailbox in mailboxes
            .iter_mut()
            .filter(|m| holders_needed(m, &disabled))
        {
            mailbox.full_access = exchange.full_access(&mailbox.user_principal_name).await?;
        }
    }
    Ok(Snapshot {
        tenant,
        subscribed_skus,
        users,
        groups,
        mailboxes,
        deleted_users,
    })
}

/// Whether a mailbox's `FullAccess` holders are read (see [`ReadOptions::full_access`]): a
/// shared mailbox's, or a disabled account's.
fn holders_needed(mailbox: &Mailbox, disabled: &HashSet<SharedStr>) -> bool {
    mailbox.recipient_type_details == MailboxType::SharedMailbox
        || disabled.contains(&mailbox.external_directory_object_id)
}

/// The object ids of the accounts with sign-in blocked.
fn disabled_accounts(users: &[DirectoryUser]) -> HashSet<SharedStr> {
    users
        .iter()
        .filter(|u| !u.account_enabled)
        .map(|u| u.id.clone())
        .collect()
}

async fn read_tenant(graph: &GraphClient, options: ReadOptions) -> Result<Tenant, ApiError> {
    if options.tenant {
        graph.tenant().await
    } else {
        Ok(Tenant::default())
    }
}

/// Reads the whole tenant as [`read_directory`] does, but users and groups (members included)
/// through `/users/delta` and `/groups/delta`, so the answer comes with the [`DeltaState`] that
/// [`refresh_directory`] needs. It costs fewer calls than [`read_directory`]: groups come with
/// their members instead of one members read per group.
pub async fn read_directory_with_delta(
    graph: &GraphClient,
    exchange: Option<&ExchangeClient>,
    options: ReadOptions,
) -> Result<(Snapshot, DeltaState), ApiError> {
    let mut snapshot = Snapshot {
        tenant: read_tenant(graph, options).await?,
        subscribed_skus: graph.subscribed_skus().await?,
        deleted_users: graph.deleted_users().await?,
        ..Snapshot::default()
    };
    let users = graph.users_delta(None).await?;
    let groups = graph.groups_delta(None).await?;
    let mut state = DeltaState {
        users_link: users.delta_link.clone(),
        groups_link: groups.delta_link.clone(),
        mailboxes: None,
        full_access: options.full_access,
    };
    merge::apply_users(&mut snapshot, users);
    merge::apply_groups(&mut snapshot, groups);
    if let Some(exchange) = exchange {
        let mut watermark = MailboxWatermark::default();
        refresh_mailboxes(exchange, &mut snapshot, &mut watermark, options.full_access).await?;
        state.mailboxes = Some(watermark);
    }
    Ok((snapshot, state))
}

/// Brings a snapshot read by [`read_directory_with_delta`] (or an earlier refresh) up to date
/// with what changed since `state`: users created, changed (manager included) and deleted;
/// groups and their members; mailboxes created or changed, with the `FullAccess` holders of
/// those only. An unchanged tenant costs two Graph reads and one Exchange call. The tenant's
/// verified domains and licenses are kept as cached: a full read renews them.
///
/// When Graph no longer knows a delta link the error says [`ApiError::is_resync_required`]:
/// read the directory whole again. On any error, keep the old snapshot and state.
pub async fn refresh_directory(
    graph: &GraphClient,
    exchange: Option<&ExchangeClient>,
    cached: Snapshot,
    state: &DeltaState,
) -> Result<(Snapshot, DeltaState), ApiError> {
    let users = graph.users_delta(Some(&state.users_link)).await?;
    let groups = graph.groups_delta(Some(&state.groups_link)).await?;
    let mut next = DeltaState {
        users_link: users.delta_link.clone(),
        groups_link: groups.delta_link.clone(),
        ..state.clone()
    };
    let mut snapshot = cached;
    merge::apply_users(&mut snapshot, users);
    merge::apply_groups(&mut snapshot, groups);
    if let Some(exchange) = exchange {
        let watermark = next.mailboxes.get_or_insert_with(MailboxWatermark::default);
        refresh_mailboxes(exchange, &mut snapshot, watermark, state.full_access).await?;
    }
    Ok((snapshot, next))
}

/// Reads the mailboxes changed since the watermark (all of them the first time) in one
/// `Get-Mailbox` call, the `FullAccess` holders of the changed ones, and puts them in place.
async fn refresh_mailboxes(
    exchange: &ExchangeClient,
    snapshot: &mut Snapshot,
    watermark: &mut MailboxWatermark,
    full_access: bool,
) -> Result<(), ApiError> {
    let read_at = jiff::Timestamp::now();
    let disabled = disabled_accounts(&snapshot.users);
    let returned = exchange.mailboxes_changed_since(watermark.since()).await?;
    let mut changed = Vec::new();
    for stamped in watermark.take_changes(returned, read_at) {
        let mut mailbox = stamped.mailbox;
        if full_access && holders_needed(&mailbox, &disabled) {
            mailbox.full_access = exchange.full_access(&mailbox.user_principal_name).await?;
        }
        changed.push(mailbox);
    }
    merge::apply_mailboxes(snapshot, changed, full_access);
    Ok(())
}
