//! Exchange Online for a stored connection, turned on or off: on, it is proved first (a token,
//! the tenant, and a harmless one-mailbox `Get-Mailbox` through the anchor mailbox) and kept only
//! when that works; off, it is kept at once. The console's Exchange Online form and
//! `tenure connect exchange` both come here.
//!
//! How Exchange is reached follows the connection's credential: the customer's own app (and
//! Tenure's app linked by admin consent) app-only, with `Exchange.ManageAsApp` and the app in a
//! role group; Tenure's app linked by an administrator's sign-in as that account (the service
//! account), which must be in a role group. Either way the roles are [`EXCHANGE_ROLES`].

use std::sync::Arc;

use jiff::Timestamp;

use super::credentials::token_source;
use super::error::ConnectError;
use super::prove::{EXCHANGE_ROLES, prove};
use super::tenure_app::TenureApp;
use crate::microsoft::ClientOptions;
use crate::names::Upn;
use crate::store::connections::{
    Connection, ConnectionError, ConnectionId, ConnectionStatus, ConnectionStore, ConnectionType,
};
use crate::store::secrets::{SecretKind, SecretStore};

/// What to do with a connection's Exchange Online.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExchangeChange {
    /// Manage Exchange, routing cmdlets by this mailbox (`X-AnchorMailbox`).
    Enable {
        /// The anchor mailbox: the service account's UPN, or any licensed mailbox for an app.
        anchor: Upn,
    },
    /// Manage no mailbox, distribution list or mail-enabled group.
    Disable,
}

/// How a connection reaches Exchange Online.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeAccess {
    /// With the app's own token (`Exchange.ManageAsApp`, the app in a role group).
    AppOnly,
    /// As the account whose refresh token Tenure keeps (the service account, in a role group).
    ServiceAccount,
}

/// How `connection` reaches Exchange Online: app-only, unless it is Tenure's app linked by an
/// administrator's sign-in (its refresh token is in `secrets`).
pub async fn exchange_access(
    connection: &Connection,
    secrets: &dyn SecretStore,
) -> Result<ExchangeAccess, ConnectError> {
    match connection.app {
        ConnectionType::CustomerApp { .. } => Ok(ExchangeAccess::AppOnly),
        ConnectionType::TenureApp => {
            let name = connection.secret_name(SecretKind::RefreshToken);
            Ok(if secrets.get(&name).await?.is_some() {
                ExchangeAccess::ServiceAccount
            } else {
                ExchangeAccess::AppOnly
            })
        }
    }
}

/// Why Exchange Online could not be set.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeSetupError {
    /// No such connection.
    #[error("there is no connection {0}")]
    NotFound(ConnectionId),
    /// Exchange refused the account: it lacks a role (nothing was kept).
    #[error("{advice}")]
    Refused {
        /// What to do, with Microsoft's words.
        advice: String,
    },
    /// Proving it failed for another reason (the token, the tenant, the network; nothing
    /// was kept).
    #[error("{advice}")]
    Unproved {
        /// What to do, with Microsoft's words.
        advice: String,
    },
    /// The connection's credential could not be read.
    #[error(transparent)]
    Credential(ConnectError),
    /// The connection store failed.
    #[error(transparent)]
    Connections(#[from] ConnectionError),
}

/// Turns Exchange Online on (proved first, kept only when it works) or off for connection `id`;
/// the connection as kept.
pub async fn set_exchange(
    connections: &dyn ConnectionStore,
    secrets: Arc<dyn SecretStore>,
    tenure_app: Option<&TenureApp>,
    id: &ConnectionId,
    change: ExchangeChange,
    options: ClientOptions,
    now: Timestamp,
) -> Result<Connection, ExchangeSetupError> {
    let (current, _) = connections
        .get(id)
        .await?
        .ok_or_else(|| ExchangeSetupError::NotFound(id.clone()))?;
    let mut wanted = current.exchange.clone();
    match &change {
        ExchangeChange::Enable { anchor } => {
            wanted.enabled = true;
            wanted.anchor_upn = Some(anchor.clone());
            let mut trial = current.clone();
            trial.exchange = wanted.clone();
            let tokens = token_source(&trial, secrets, tenure_app)
                .await
                .map_err(ExchangeSetupError::Credential)?;
            prove(&trial, Arc::new(tokens), options)
                .await
                .map_err(|error| refusal(&trial, error))?;
        }
        ExchangeChange::Disable => {
            wanted.enabled = false;
        }
    }
    loop {
        let (mut connection, version) = connections
            .get(id)
            .await?
            .ok_or_else(|| ExchangeSetupError::NotFound(id.clone()))?;
        connection.exchange = wanted.clone();
        if matches!(change, ExchangeChange::Enable { .. }) {
            // Proved just now: a token, the tenant and Exchange all answered.
            connection.status = ConnectionStatus::Linked;
        }
        connection.updated_at = now;
        match connections.replace(&connection, &version).await {
            Err(ConnectionError::Conflict { .. }) => continue,
            Err(error) => return Err(error.into()),
            Ok(_) => return Ok(connection),
        }
    }
}

/// A failed proof as the setup error: Exchange refusing the account (no role) apart from the rest.
fn refusal(connection: &Connection, error: ConnectError) -> ExchangeSetupError {
    let advice = error.to_string();
    // Only Exchange's refusal names the roles (prove's advice for it).
    match &error {
        ConnectError::Api { .. } if advice.contains(EXCHANGE_ROLES) => {
            ExchangeSetupError::Refused { advice }
        }
        _ => {
            tracing::info!(connection = %connection.id, %advice, "Exchange Online not proved");
            ExchangeSetupError::Unproved { advice }
        }
    }
}
