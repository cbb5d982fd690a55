//! A linked connection's refresh token in the secret store, rotated with compare-and-swap.

use std::sync::Arc;

use secrecy::SecretString;

use crate::microsoft::{RefreshTokenStore, TokenError};
use crate::store::Version;
use crate::store::secrets::{SecretError, SecretName, SecretStore};

/// The refresh token of one connection, for [`crate::microsoft::TokenSource::delegated`].
pub struct StoredRefreshToken {
    secrets: Arc<dyn SecretStore>,
    name: SecretName,
}

impl StoredRefreshToken {
    /// The token under `name` in `secrets`.
    pub fn new(secrets: Arc<dyn SecretStore>, name: SecretName) -> Self {
        Self { secrets, name }
    }
}

#[async_trait::async_trait]
impl RefreshTokenStore for StoredRefreshToken {
    async fn load(&self) -> Result<(SecretString, String), TokenError> {
        match self.secrets.get(&self.name).await {
            Ok(Some((token, version))) => Ok((token, version.as_str().to_owned())),
            Ok(None) => Err(TokenError::InvalidGrant {
                description: format!(
                    "no refresh token is kept for this connection ({}): it was never linked, or the link was removed",
                    self.name
                ),
            }),
            Err(error) => Err(store_error("read", &error)),
        }
    }

    async fn rotate(&self, token: SecretString, replaces: &str) -> Result<bool, TokenError> {
        match self
            .secrets
            .replace(&self.name, &token, &Version::new(replaces))
            .await
        {
            Ok(_) => Ok(true),
            // Another refresh kept a newer token first: keep that one.
            Err(SecretError::Conflict { .. }) => Ok(false),
            Err(error) => Err(store_error("kept", &error)),
        }
    }
}

fn store_error(operation: &'static str, error: &SecretError) -> TokenError {
    TokenError::Store {
        operation,
        message: error.to_string(),
    }
}
