//! Named secrets (refresh tokens, client secrets, certificate keys, webhook keys), held only as
//! [`SecretString`], behind one trait with two real implementations: AWS Secrets Manager
//! ([`SecretsManagerStore`]) and owner-only local files ([`LocalSecretStore`]).
//!
//! Writes are compare-and-swap: [`SecretStore::replace`] names the [`Version`] it read and fails
//! with [`SecretError::Conflict`] when someone else replaced the secret since. Two concurrent
//! refreshes of one connection therefore never lose the newest refresh token: the loser re-reads
//! and sees the winner's.

#[cfg(feature = "aws")]
mod aws;
mod error;
mod local;
mod name;

use async_trait::async_trait;
use secrecy::SecretString;

use crate::store::Version;

#[cfg(feature = "aws")]
pub use aws::{PENDING_LABEL, SecretsManagerStore};
pub use error::SecretError;
pub use local::LocalSecretStore;
pub use name::{InvalidSecretName, KeyPurpose, SecretKind, SecretName};

/// The largest secret value, in bytes (Secrets Manager's limit, kept by every store).
pub const MAX_SECRET_BYTES: usize = 65_536;

/// A store of named secrets with compare-and-swap writes.
#[async_trait]
pub trait SecretStore: Send + Sync {
    /// The secret's current value and version; `None` when there is no such secret.
    async fn get(&self, name: &SecretName) -> Result<Option<(SecretString, Version)>, SecretError>;

    /// Creates a secret that does not exist yet; [`SecretError::Conflict`] (with no expected
    /// version) when it does.
    async fn put_new(
        &self,
        name: &SecretName,
        value: &SecretString,
    ) -> Result<Version, SecretError>;

    /// Replaces the secret if `expected` is still its current version and returns the new
    /// version; [`SecretError::Conflict`] when someone else replaced it since,
    /// [`SecretError::NotFound`] when it does not exist.
    async fn replace(
        &self,
        name: &SecretName,
        value: &SecretString,
        expected: &Version,
    ) -> Result<Version, SecretError>;

    /// Deletes the secret at once (no recovery window), so that its name can be used again; a
    /// secret that does not exist is not an error.
    async fn delete(&self, name: &SecretName) -> Result<(), SecretError>;
}

/// Refuses values larger than [`MAX_SECRET_BYTES`].
fn check_size(name: &SecretName, value: &SecretString) -> Result<(), SecretError> {
    use secrecy::ExposeSecret;
    let bytes = value.expose_secret().len();
    if bytes > MAX_SECRET_BYTES {
        return Err(SecretError::TooLarge {
            name: name.clone(),
            bytes,
            max: MAX_SECRET_BYTES,
        });
    }
    Ok(())
}
