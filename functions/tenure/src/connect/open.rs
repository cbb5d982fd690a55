//! A stored connection opened for a sync: clients with its credential, and its status kept up
//! to date (a refresh token Microsoft no longer accepts means "needs re-link").

use std::sync::Arc;

use jiff::Timestamp;

use super::credentials::token_source;
use super::error::ConnectError;
use super::prove::token_advice;
use super::tenure_app::TenureApp;
use crate::microsoft::{ApiError, ClientOptions, ExchangeClient, GraphClient, TokenError};
use crate::store::connections::{
    Connection, ConnectionError, ConnectionId, ConnectionStatus, ConnectionStore,
};
use crate::store::secrets::SecretStore;

/// Graph and (when the connection enables it) Exchange clients for a stored connection.
pub async fn open_connection(
    connection: &Connection,
    secrets: Arc<dyn SecretStore>,
    tenure_app: Option<&TenureApp>,
    options: ClientOptions,
) -> Result<(GraphClient, Option<ExchangeClient>), ConnectError> {
    let tokens = Arc::new(token_source(connection, secrets, tenure_app).await?);
    let endpoints = connection.endpoints();
    let api = |source: ApiError| ConnectError::Api {
        advice: format!("cannot open connection {}", connection.id),
        source,
    };
    let graph = GraphClient::new(&endpoints, Arc::clone(&tokens), options.clone()).map_err(api)?;
    let exchange = match (
        &connection.exchange.enabled,
        &connection.exchange.anchor_upn,
    ) {
        (true, Some(anchor)) => {
            Some(ExchangeClient::new(&endpoints, tokens, anchor.as_str(), options).map_err(api)?)
        }
        _ => None,
    };
    Ok((graph, exchange))
}

/// The status a connection should get after a call failed with `error`: "needs re-link" when
/// Microsoft no longer accepts its refresh token, "failed" when its credential is refused;
/// `None` when the failure says nothing about the connection (the network, throttling).
pub fn status_after(connection: &Connection, error: &ApiError) -> Option<ConnectionStatus> {
    let ApiError::Token(token) = error else {
        return None;
    };
    let reason = token_advice(connection, token);
    match token {
        TokenError::InvalidGrant { .. } => Some(ConnectionStatus::NeedsRelink { reason }),
        TokenError::InvalidClient { .. }
        | TokenError::AppNotFound { .. }
        | TokenError::UnknownTenant { .. }
        | TokenError::ConsentRequired { .. }
        | TokenError::InteractionRequired { .. } => Some(ConnectionStatus::Failed { reason }),
        _ => None,
    }
}

/// Sets a connection's status (compare-and-swap, re-read on conflict).
pub async fn set_status(
    connections: &dyn ConnectionStore,
    id: &ConnectionId,
    status: ConnectionStatus,
    now: Timestamp,
) -> Result<(), ConnectionError> {
    loop {
        let Some((mut connection, version)) = connections.get(id).await? else {
            return Ok(());
        };
        if connection.status == status {
            return Ok(());
        }
        connection.status = status.clone();
        connection.updated_at = now;
        match connections.replace(&connection, &version).await {
            Err(ConnectionError::Conflict { .. }) => continue,
            other => return other.map(|_| ()),
        }
    }
}
