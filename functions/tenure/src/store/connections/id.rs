//! The id of a connection: the key of its record and the middle part of its secrets' names.

use std::fmt;
use std::str::FromStr;

/// A connection id: 1 to 64 characters of lower-case ASCII letters, digits and `-`, starting
/// with a letter or digit (such as `contoso` or `acme-eu-2`). It is safe in S3 keys, file names,
/// secret names and URL paths.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct ConnectionId(String);

/// Why a string is not a connection id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid connection id {id:?}: {reason} (1 to 64 lower-case letters, digits and '-', \
     starting with a letter or digit)"
)]
pub struct InvalidConnectionId {
    /// What was given.
    pub id: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl ConnectionId {
    /// The longest id.
    pub const MAX_LEN: usize = 64;

    /// Checks and wraps an id.
    pub fn parse(id: &str) -> Result<Self, InvalidConnectionId> {
        let invalid = |reason| InvalidConnectionId {
            id: id.to_owned(),
            reason,
        };
        if id.is_empty() {
            return Err(invalid("it is empty"));
        }
        if id.len() > Self::MAX_LEN {
            return Err(invalid("it is too long"));
        }
        if id.starts_with('-') {
            return Err(invalid("it starts with '-'"));
        }
        if !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(invalid("it has a character other than a-z, 0-9 and '-'"));
        }
        Ok(Self(id.to_owned()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ConnectionId {
    type Err = InvalidConnectionId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for ConnectionId {
    type Error = InvalidConnectionId;

    fn try_from(id: String) -> Result<Self, Self::Error> {
        Self::parse(&id)
    }
}

impl From<ConnectionId> for String {
    fn from(id: ConnectionId) -> Self {
        id.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
