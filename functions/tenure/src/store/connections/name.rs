//! The name of a connection as people read it (the console, the CLI's list): free text in any
//! script. The id stays a slug ([`super::ConnectionId::from_name`]), which is what keys, paths
//! and URLs use.

use std::fmt;

/// A connection's name: trimmed, 1 to [`ConnectionName::MAX_CHARS`] characters of any script,
/// no control characters (no line breaks or tabs).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConnectionName(String);

/// Why a text is not a connection name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid connection name: {reason}")]
pub struct InvalidConnectionName {
    /// What is wrong with it.
    pub reason: String,
}

impl ConnectionName {
    /// The most characters (Unicode scalar values, not bytes) a name may have.
    pub const MAX_CHARS: usize = 80;

    /// Trims, checks and wraps a name.
    pub fn parse(name: &str) -> Result<Self, InvalidConnectionName> {
        let invalid = |reason: String| InvalidConnectionName { reason };
        let name = name.trim();
        if name.is_empty() {
            return Err(invalid("enter a name, such as Contoso".to_owned()));
        }
        let chars = name.chars().count();
        if chars > Self::MAX_CHARS {
            return Err(invalid(format!(
                "it has {chars} characters; at most {} are allowed",
                Self::MAX_CHARS
            )));
        }
        if name.chars().any(char::is_control) {
            return Err(invalid(
                "it has a control character (a line break or a tab): use one line of text"
                    .to_owned(),
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ConnectionName {
    type Error = InvalidConnectionName;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        Self::parse(&name)
    }
}

impl From<ConnectionName> for String {
    fn from(name: ConnectionName) -> Self {
        name.0
    }
}

impl fmt::Display for ConnectionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_one_line_and_at_most_80_characters_of_any_script() {
        assert_eq!(
            ConnectionName::parse("  Contoso Ltd ").map(|n| n.0),
            Ok("Contoso Ltd".to_owned())
        );
        assert!(ConnectionName::parse("株式会社コントソ").is_ok());
        assert!(ConnectionName::parse(&"é".repeat(80)).is_ok());
        assert!(ConnectionName::parse(&"é".repeat(81)).is_err());
        assert!(ConnectionName::parse("   ").is_err());
        assert!(ConnectionName::parse("two\nlines").is_err());
    }
}
