//! A Customer Owned Application connection: the customer's app registration with a client
//! secret or a certificate, proven by getting a token and reading the tenant.

use std::sync::Arc;

use jiff::Timestamp;
use secrecy::SecretString;

use super::credentials::{certificate_secret, token_source};
use super::error::ConnectError;
use super::prove::prove;
use super::upsert::{keep_secret, save_connection};
use crate::microsoft::{ClientCertificate, ClientOptions, ExchangeClient, GraphClient};
use crate::store::connections::{
    Connection, ConnectionStatus, ConnectionStore, ConnectionType, CustomerCredential,
};
use crate::store::secrets::SecretStore;

/// The customer app's credential, as the administrator gives it.
pub enum CustomerSecret {
    /// A client secret.
    ClientSecret(SecretString),
    /// A PEM certificate and its PEM private key.
    Certificate {
        /// The certificate.
        certificate_pem: String,
        /// The key.
        private_key: SecretString,
    },
}

/// A proven connection and clients for it.
#[derive(Debug)]
pub struct Connected {
    /// The connection, linked.
    pub connection: Connection,
    /// Graph.
    pub graph: GraphClient,
    /// Exchange Online, when enabled.
    pub exchange: Option<ExchangeClient>,
}

/// Creates or replaces a customer-app connection: keeps the record and its secret, then proves
/// it (a token, `GET /organization`, and a harmless Exchange read when Exchange is enabled).
/// The record's status says how the proof went; a failed proof is also the error returned.
/// `connection.app` says which credential kind; its status is set here.
pub async fn connect_customer_app(
    connection: Connection,
    secret: CustomerSecret,
    connections: &dyn ConnectionStore,
    secrets: Arc<dyn SecretStore>,
    options: ClientOptions,
    now: Timestamp,
) -> Result<Connected, ConnectError> {
    let connection =
        keep_customer_app(connection, secret, connections, secrets.as_ref(), now).await?;
    prove_customer_app(connection, connections, secrets, options, now).await
}

/// Keeps a customer-app connection and its credential without proving it, status pending:
/// for a certificate Tenure made, which the customer registers on the app before the first
/// proof ([`prove_customer_app`]). A certificate is checked (key, validity) before anything is
/// kept.
pub async fn keep_customer_app(
    mut connection: Connection,
    secret: CustomerSecret,
    connections: &dyn ConnectionStore,
    secrets: &dyn SecretStore,
    now: Timestamp,
) -> Result<Connection, ConnectError> {
    let (kind, value) = match secret {
        CustomerSecret::ClientSecret(value) => (CustomerCredential::ClientSecret, value),
        CustomerSecret::Certificate {
            certificate_pem,
            private_key,
        } => {
            ClientCertificate::from_pem(&certificate_pem, &private_key)?;
            (
                CustomerCredential::Certificate,
                certificate_secret(&certificate_pem, &private_key),
            )
        }
    };
    connection.app = ConnectionType::CustomerApp { credential: kind };
    connection.status = ConnectionStatus::Pending;
    connection.updated_at = now;
    keep_secret(secrets, &connection.credential_secret(), &value).await?;
    connection.credential_set_at = Some(now);
    save_connection(connections, &connection).await?;
    Ok(connection)
}

/// Proves a kept customer-app connection with its stored credential and keeps the outcome as
/// its status (linked, or failed with Microsoft's refusal turned into advice, which is also the
/// error returned).
pub async fn prove_customer_app(
    mut connection: Connection,
    connections: &dyn ConnectionStore,
    secrets: Arc<dyn SecretStore>,
    options: ClientOptions,
    now: Timestamp,
) -> Result<Connected, ConnectError> {
    let proof = match token_source(&connection, secrets, None).await {
        Ok(tokens) => prove(&connection, Arc::new(tokens), options).await,
        Err(error) => Err(error),
    };
    connection.status = match &proof {
        Ok(_) => ConnectionStatus::Linked,
        Err(error) => ConnectionStatus::Failed {
            reason: error.to_string(),
        },
    };
    connection.updated_at = Timestamp::now().max(now);
    save_connection(connections, &connection).await?;
    let (graph, exchange) = proof?;
    Ok(Connected {
        connection,
        graph,
        exchange,
    })
}
