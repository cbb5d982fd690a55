//! Writing a record or a secret whether or not one is there yet, with compare-and-swap: read,
//! write against the version read, and on a conflict read again.

use secrecy::SecretString;

use crate::store::Version;
use crate::store::connections::{Connection, ConnectionError, ConnectionStore};
use crate::store::secrets::{SecretError, SecretName, SecretStore};

/// Creates the connection's record, or replaces the one there (keeping when it was created).
pub async fn save_connection(
    connections: &dyn ConnectionStore,
    connection: &Connection,
) -> Result<Version, ConnectionError> {
    loop {
        let result = match connections.get(&connection.id).await? {
            None => connections.put_new(connection).await,
            Some((existing, version)) => {
                let mut updated = connection.clone();
                updated.created_at = existing.created_at;
                connections.replace(&updated, &version).await
            }
        };
        match result {
            Err(ConnectionError::Conflict { .. }) => continue,
            other => return other,
        }
    }
}

/// Creates the secret, or replaces the value there.
pub async fn keep_secret(
    secrets: &dyn SecretStore,
    name: &SecretName,
    value: &SecretString,
) -> Result<(), SecretError> {
    loop {
        let result = match secrets.get(name).await? {
            None => secrets.put_new(name, value).await,
            Some((_, version)) => secrets.replace(name, value, &version).await,
        };
        match result {
            Ok(_) => return Ok(()),
            Err(SecretError::Conflict { .. }) => continue,
            Err(error) => return Err(error),
        }
    }
}
