//! Secret names: `tenure/<connection-id>/<kind>`, and nothing outside that prefix.

use std::fmt;
use std::str::FromStr;

use crate::store::connections::ConnectionId;

/// What a secret is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// The refresh token of a Service Provider Application connection (`refresh-token`).
    RefreshToken,
    /// A Customer Owned Application's client secret (`client-secret`).
    ClientSecret,
    /// A Customer Owned Application's certificate and private key, PEM (`certificate-key`).
    CertificateKey,
    /// The key HR webhooks of the connection are signed with (`webhook-key`).
    WebhookKey,
    /// Links being made: each sign-in's single-use `state` and PKCE verifier, until used or
    /// expired (`authorization`).
    Authorization,
}

impl SecretKind {
    /// Every kind.
    pub const ALL: [Self; 5] = [
        Self::RefreshToken,
        Self::ClientSecret,
        Self::CertificateKey,
        Self::WebhookKey,
        Self::Authorization,
    ];

    /// The last part of the secret's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RefreshToken => "refresh-token",
            Self::ClientSecret => "client-secret",
            Self::CertificateKey => "certificate-key",
            Self::WebhookKey => "webhook-key",
            Self::Authorization => "authorization",
        }
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name of a secret Tenure owns: `tenure/<connection-id>/<kind>`, such as
/// `tenure/contoso/refresh-token`. Stores only ever take a `SecretName`, so nothing outside
/// Tenure's prefix (which the AWS policy also confines Tenure to) can be read or written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecretName {
    full: String,
    connection: ConnectionId,
    kind: SecretKind,
}

/// Why a string is not one of Tenure's secret names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid secret name {name:?}: {reason}; Tenure's secrets are named \
     tenure/<connection-id>/<kind> with kind one of refresh-token, client-secret, \
     certificate-key, webhook-key, authorization"
)]
pub struct InvalidSecretName {
    /// What was given.
    pub name: String,
    /// What is wrong with it.
    pub reason: String,
}

impl SecretName {
    /// The prefix every secret name starts with.
    pub const PREFIX: &'static str = "tenure/";

    /// The name of a connection's secret of one kind.
    pub fn for_connection(connection: &ConnectionId, kind: SecretKind) -> Self {
        Self {
            full: format!("{}{connection}/{kind}", Self::PREFIX),
            connection: connection.clone(),
            kind,
        }
    }

    /// Checks a name.
    pub fn parse(name: &str) -> Result<Self, InvalidSecretName> {
        let invalid = |reason: String| InvalidSecretName {
            name: name.to_owned(),
            reason,
        };
        let Some(rest) = name.strip_prefix(Self::PREFIX) else {
            return Err(invalid(format!(
                "it is outside Tenure's prefix {:?}",
                Self::PREFIX
            )));
        };
        let Some((connection, kind)) = rest.split_once('/') else {
            return Err(invalid("it has no kind after the connection id".to_owned()));
        };
        let connection = ConnectionId::parse(connection).map_err(|e| invalid(e.to_string()))?;
        let kind = SecretKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .ok_or_else(|| invalid(format!("{kind:?} is not a kind of secret Tenure keeps")))?;
        Ok(Self::for_connection(&connection, kind))
    }

    /// The full name.
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The connection the secret belongs to.
    pub fn connection(&self) -> &ConnectionId {
        &self.connection
    }

    /// What the secret is for.
    pub fn kind(&self) -> SecretKind {
        self.kind
    }
}

impl FromStr for SecretName {
    type Err = InvalidSecretName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}
