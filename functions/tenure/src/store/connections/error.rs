//! What can go wrong with a connection record.

use crate::microsoft::ForeignEndpoint;
use crate::store::Version;

use super::{ConnectionId, InvalidRecord};

/// A connection-store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// Someone else wrote the record first: it already existed (`expected` is `None`, from
    /// [`put_new`](super::ConnectionStore::put_new)), or it was replaced since version
    /// `expected` was read. Read it again and decide again.
    #[error("{}", conflict_message(id, expected.as_ref()))]
    Conflict {
        /// The connection.
        id: ConnectionId,
        /// The version the writer had read.
        expected: Option<Version>,
    },
    /// No such connection (a replace of a record never created, or deleted since).
    #[error("connection {id} does not exist")]
    NotFound {
        /// The connection.
        id: ConnectionId,
    },
    /// The record is malformed, of an unknown format, or breaks a rule.
    #[error(transparent)]
    Invalid(#[from] InvalidRecord),
    /// The connection names a login, Graph or Exchange endpoint other than its national
    /// cloud's own, and this deployment does not allow custom endpoints
    /// ([`CloudEndpointsOnly`](super::CloudEndpointsOnly)). Its credential is never sent there.
    #[error(
        "connection {id} is refused by this deployment: {endpoint}. Only a deployment that \
         allows custom endpoints (tenure serve, the CLI, or a Lambda deployment with \
         AllowCustomEndpoints) may use another host"
    )]
    ForeignEndpoint {
        /// The connection.
        id: ConnectionId,
        /// The endpoint at fault.
        #[source]
        endpoint: ForeignEndpoint,
    },
    /// The store could not be reached or refused the operation.
    #[error("could not {operation} {target}: {message}")]
    Unavailable {
        /// What was being done: `read`, `create`, `replace`, `list`, `delete`.
        operation: &'static str,
        /// `connection <id>`, or `the connection list`.
        target: String,
        /// What the store or the system said.
        message: String,
    },
}

impl ConnectionError {
    pub(crate) fn unavailable(
        operation: &'static str,
        id: Option<&ConnectionId>,
        message: impl Into<String>,
    ) -> Self {
        Self::Unavailable {
            operation,
            target: id.map_or_else(
                || "the connection list".to_owned(),
                |id| format!("connection {id}"),
            ),
            message: message.into(),
        }
    }
}

fn conflict_message(id: &ConnectionId, expected: Option<&Version>) -> String {
    match expected {
        None => format!(
            "connection {id} already exists (someone else created it): read it and replace it instead"
        ),
        Some(version) => format!(
            "connection {id} was changed by someone else since version {version} was read: read \
             it again and retry"
        ),
    }
}
