//! Why provisioning a connection's work failed, and whether trying again can help.

use crate::connect::ConnectError;
use crate::microsoft::{ApiError, TokenError};
use crate::pipeline::PipelineError;
use crate::service::guard::{ApprovalError, BudgetError};
use crate::service::plugins::PluginLoadError;
use crate::service::settings::SettingsError;
use crate::store::connections::{ConnectionError, ConnectionId};
use crate::store::key_ring::KeyRingError;
use crate::store::objects::ObjectError;
use crate::store::secrets::SecretError;

/// A provision run that did not finish. [`ProvisionError::is_retryable`] says whether the same
/// work may succeed later (the message goes back to its queue) or never will (it goes to the
/// dead-letter queue with this error as its reason). No variant carries a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProvisionError {
    /// No work items were given.
    #[error("no work items were given")]
    NoWork,
    /// The items name more than one connection (provision takes one connection's items).
    #[error(
        "the work items name several connections ({first} and {other}); provision one connection at a time"
    )]
    MixedConnections {
        /// The first connection named.
        first: ConnectionId,
        /// Another.
        other: ConnectionId,
    },
    /// No connection has this id.
    #[error(
        "there is no connection {0}: it was deleted, or the work was queued for a connection that never existed"
    )]
    UnknownConnection(ConnectionId),
    /// The connection must be linked again by an administrator.
    #[error("connection {connection} needs re-linking by an administrator: {reason}")]
    NeedsRelink {
        /// The connection.
        connection: ConnectionId,
        /// Why, from Microsoft's refusal.
        reason: String,
    },
    /// The connection record could not be read.
    #[error("cannot read connection {connection}: {source}")]
    Connection {
        /// The connection.
        connection: ConnectionId,
        /// What failed.
        #[source]
        source: ConnectionError,
    },
    /// The connection's mapping settings are missing, invalid or unreadable.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The connection's plugin could not be loaded.
    #[error("cannot load the mapping plugin of connection {connection}: {source}")]
    Plugin {
        /// The connection.
        connection: ConnectionId,
        /// What failed.
        #[source]
        source: PluginLoadError,
    },
    /// Clients for the connection could not be made (its credential is missing or refused).
    #[error("cannot open connection {connection}: {source}")]
    Open {
        /// The connection.
        connection: ConnectionId,
        /// What failed.
        #[source]
        source: ConnectError,
    },
    /// Reading the tenant failed.
    #[error("cannot read the tenant of connection {connection}: {source}")]
    Directory {
        /// The connection.
        connection: ConnectionId,
        /// Microsoft's refusal, or the network's.
        #[source]
        source: ApiError,
    },
    /// The plugin refused its configuration, or the configuration names what the tenant lacks.
    #[error("connection {connection}: {source}")]
    Mapping {
        /// The connection.
        connection: ConnectionId,
        /// What was refused.
        #[source]
        source: PipelineError,
    },
    /// Some actions failed (the rest were applied and audited); the next run does the rest.
    #[error(
        "connection {connection}: {failed} of {total} actions failed or were skipped (first: {first}); the rest were applied"
    )]
    Incomplete {
        /// The connection.
        connection: ConnectionId,
        /// Failed and skipped actions.
        failed: usize,
        /// Every action of the plan.
        total: usize,
        /// The first failure, in Microsoft's words.
        first: String,
    },
    /// The object store failed (audit trail, refusal record).
    #[error("connection {connection}: {source}")]
    Store {
        /// The connection.
        connection: ConnectionId,
        /// What failed.
        #[source]
        source: ObjectError,
    },
    /// The guard's rolling budget could not be drawn from.
    #[error(transparent)]
    Budget(#[from] BudgetError),
    /// Part of the run was held but could not be kept for approval (nothing was applied).
    #[error("connection {connection}: {source}")]
    Approval {
        /// The connection.
        connection: ConnectionId,
        /// What failed.
        #[source]
        source: ApprovalError,
    },
}

impl ProvisionError {
    /// Whether the same work may succeed later: the network, throttling, a store or Microsoft
    /// being unavailable, actions that failed. `false` for what waits for a person: bad items,
    /// an unknown connection, missing or invalid settings, a connection to re-link, a refused
    /// credential or configuration.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::NoWork
            | Self::MixedConnections { .. }
            | Self::UnknownConnection(_)
            | Self::NeedsRelink { .. }
            | Self::Mapping { .. } => false,
            Self::Connection { source, .. } => {
                matches!(source, ConnectionError::Unavailable { .. })
            }
            Self::Settings(error) => {
                matches!(error, SettingsError::Store(ObjectError::Unavailable { .. }))
            }
            Self::Plugin { source, .. } => matches!(
                source,
                PluginLoadError::Store(ObjectError::Unavailable { .. })
                    | PluginLoadError::Keys(KeyRingError::Secrets(SecretError::Unavailable { .. }))
            ),
            Self::Open { source, .. } => match source {
                ConnectError::Secrets(SecretError::Unavailable { .. }) => true,
                ConnectError::Connections(ConnectionError::Unavailable { .. }) => true,
                ConnectError::Token { source, .. } => token_is_transient(source),
                ConnectError::Api { source, .. } => api_is_transient(source),
                _ => false,
            },
            Self::Directory { source, .. } => api_is_transient(source),
            Self::Incomplete { .. } => true,
            Self::Store { source, .. } => !matches!(source, ObjectError::NotFound { .. }),
            Self::Budget(error) => !matches!(error, BudgetError::Invalid { .. }),
            Self::Approval { source, .. } => matches!(source, ApprovalError::Store(_)),
        }
    }
}

/// Whether a Graph or Exchange failure may pass: the network, throttling, 5xx, a token
/// endpoint that was unavailable. A refusal (4xx, a refused credential) will not.
pub(crate) fn api_is_transient(error: &ApiError) -> bool {
    match error {
        ApiError::Token(token) => token_is_transient(token),
        ApiError::Network { .. } | ApiError::Throttled { .. } | ApiError::OutOfTime { .. } => true,
        ApiError::ForeignLink { .. } => false,
        ApiError::Service { status, .. } | ApiError::Unexpected { status, .. } => {
            *status >= 500 || *status == 429 || *status == 408
        }
    }
}

fn token_is_transient(error: &TokenError) -> bool {
    matches!(
        error,
        TokenError::TemporarilyUnavailable { .. }
            | TokenError::Unreachable { .. }
            | TokenError::Store { .. }
    )
}
