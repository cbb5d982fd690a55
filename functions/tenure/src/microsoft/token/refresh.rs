//! Where a delegated connection's refresh token lives between token requests: a store the
//! connection layer provides (the secret store), with compare-and-swap so that two refreshes at
//! once never replace a newer refresh token with an older one.

use secrecy::SecretString;

use super::TokenError;

/// The refresh token of a delegated connection, kept outside the process.
#[async_trait::async_trait]
pub trait RefreshTokenStore: Send + Sync {
    /// The newest refresh token and its version (opaque).
    async fn load(&self) -> Result<(SecretString, String), TokenError>;

    /// Keeps `token`, which Microsoft issued when `replaces` (a version from [`Self::load`]) was
    /// redeemed. When another refresh stored a token since, it is kept instead and this returns
    /// `Ok(false)`: both tokens are valid, and the store never goes back to an older one.
    async fn rotate(&self, token: SecretString, replaces: &str) -> Result<bool, TokenError>;
}
