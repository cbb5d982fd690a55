//! A connection's webhook signing key: 256 random bits, hex, kept in the secret store as the
//! HMAC-SHA256 key HR signs `POST /connections/<id>/hr-events` with. A new key replaces the old
//! one at once (deliveries signed with the old key are refused from then on); it is returned
//! once, to be given to the HR system, and never shown again.

use rand::RngExt as _;
use secrecy::SecretString;

use super::keep_secret;
use crate::store::connections::ConnectionId;
use crate::store::secrets::{SecretError, SecretKind, SecretName, SecretStore};

/// A new random webhook key (not kept yet: see [`keep_webhook_key`]).
pub fn new_webhook_key() -> SecretString {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    SecretString::from(hex::encode(bytes))
}

/// Keeps `key` as `connection`'s webhook key, replacing any other.
pub async fn keep_webhook_key(
    secrets: &dyn SecretStore,
    connection: &ConnectionId,
    key: &SecretString,
) -> Result<(), SecretError> {
    let name = SecretName::for_connection(connection, SecretKind::WebhookKey);
    keep_secret(secrets, &name, key).await
}

/// Whether `connection` has a webhook key.
pub async fn has_webhook_key(
    secrets: &dyn SecretStore,
    connection: &ConnectionId,
) -> Result<bool, SecretError> {
    let name = SecretName::for_connection(connection, SecretKind::WebhookKey);
    Ok(secrets.get(&name).await?.is_some())
}
