//! Secret names: `tenure/<connection-id>/<kind>` for a connection's secrets,
//! `tenure/_deployment/<purpose>` for the deployment's own keys, and nothing outside that prefix.

use std::fmt;
use std::str::FromStr;

use crate::store::connections::ConnectionId;

/// What a secret is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// The refresh token of a connection through Tenure's app (`refresh-token`).
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
    /// The connection's API tokens: each one's name, scopes, expiry and the HMAC of its secret,
    /// never the secret (`api-tokens`).
    ApiTokens,
}

impl SecretKind {
    /// Every kind.
    pub const ALL: [Self; 6] = [
        Self::RefreshToken,
        Self::ClientSecret,
        Self::CertificateKey,
        Self::WebhookKey,
        Self::Authorization,
        Self::ApiTokens,
    ];

    /// The last part of the secret's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RefreshToken => "refresh-token",
            Self::ClientSecret => "client-secret",
            Self::CertificateKey => "certificate-key",
            Self::WebhookKey => "webhook-key",
            Self::Authorization => "authorization",
            Self::ApiTokens => "api-tokens",
        }
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name of a secret Tenure owns: `tenure/<connection-id>/<kind>`, such as
/// `tenure/contoso/refresh-token`, or one of the deployment's keys,
/// `tenure/_deployment/<purpose>` (the `_` keeps it apart from every connection id). Stores only
/// ever take a `SecretName`, so nothing outside Tenure's prefix (which the AWS policy also
/// confines Tenure to) can be read or written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecretName {
    full: String,
    owner: Owner,
}

/// Whose secret it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Owner {
    Connection {
        connection: ConnectionId,
        kind: SecretKind,
    },
    Deployment {
        purpose: KeyPurpose,
    },
}

/// What a key of the deployment's key ring ([`crate::store::KeyRing`]) is for. Each purpose
/// has its own secret, `tenure/_deployment/<purpose>`, so a key is never used for two things.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyPurpose {
    /// Encrypts and signs admin session cookies (`session`).
    Session,
    /// Authenticates compiled plugin code read back from the object store
    /// (`plugin-code-hmac`).
    PluginCodeHmac,
    /// Keys the hashes API tokens are stored as (`api-token-hmac`).
    ApiTokenHmac,
}

impl KeyPurpose {
    /// Every purpose.
    pub const ALL: [Self; 3] = [Self::Session, Self::PluginCodeHmac, Self::ApiTokenHmac];

    /// The last part of the key's secret name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::PluginCodeHmac => "plugin-code-hmac",
            Self::ApiTokenHmac => "api-token-hmac",
        }
    }
}

impl fmt::Display for KeyPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not one of Tenure's secret names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid secret name {name:?}: {reason}; Tenure's secrets are named \
     tenure/<connection-id>/<kind> with kind one of refresh-token, client-secret, \
     certificate-key, webhook-key, authorization, api-tokens, or tenure/_deployment/<purpose> with purpose \
     one of session, plugin-code-hmac, api-token-hmac"
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

    /// The folder under [`Self::PREFIX`] of the deployment's own keys.
    pub const DEPLOYMENT: &'static str = "_deployment";

    /// The name of a connection's secret of one kind.
    pub fn for_connection(connection: &ConnectionId, kind: SecretKind) -> Self {
        Self {
            full: format!("{}{connection}/{kind}", Self::PREFIX),
            owner: Owner::Connection {
                connection: connection.clone(),
                kind,
            },
        }
    }

    /// The name of the deployment's keys for one purpose: `tenure/_deployment/<purpose>`.
    pub fn for_deployment_key(purpose: KeyPurpose) -> Self {
        Self {
            full: format!("{}{}/{purpose}", Self::PREFIX, Self::DEPLOYMENT),
            owner: Owner::Deployment { purpose },
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
        if connection == Self::DEPLOYMENT {
            return KeyPurpose::ALL
                .into_iter()
                .find(|p| p.as_str() == kind)
                .map(Self::for_deployment_key)
                .ok_or_else(|| invalid(format!("{kind:?} is not a purpose of a deployment key")));
        }
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

    /// The connection the secret belongs to; `None` for a deployment key.
    pub fn connection(&self) -> Option<&ConnectionId> {
        match &self.owner {
            Owner::Connection { connection, .. } => Some(connection),
            Owner::Deployment { .. } => None,
        }
    }

    /// What a connection's secret is for; `None` for a deployment key.
    pub fn kind(&self) -> Option<SecretKind> {
        match &self.owner {
            Owner::Connection { kind, .. } => Some(*kind),
            Owner::Deployment { .. } => None,
        }
    }

    /// What a deployment key is for; `None` for a connection's secret.
    pub fn key_purpose(&self) -> Option<KeyPurpose> {
        match &self.owner {
            Owner::Deployment { purpose } => Some(*purpose),
            Owner::Connection { .. } => None,
        }
    }

    /// The folder (connection id or `_deployment`) and the last part of the name, as a local
    /// store lays them out.
    pub(crate) fn parts(&self) -> (&str, &str) {
        let rest = &self.full[Self::PREFIX.len()..];
        rest.split_once('/').unwrap_or((rest, ""))
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
