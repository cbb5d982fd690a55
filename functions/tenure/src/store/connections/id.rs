//! The id of a connection: the key of its record and the middle part of its secrets' names, a
//! slug made from the connection's name ([`ConnectionId::from_name`]) and never one of the
//! words the console's routes use ([`ConnectionId::RESERVED`]).

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

    /// The words that can never be a new connection's id: the console's routes put them where
    /// an id goes (`/console/connections/new` is the form that creates one).
    pub const RESERVED: [&'static str; 1] = ["new"];

    /// Checks and wraps an id for a connection being made: as [`parse`](Self::parse), and not
    /// one of the [reserved words](Self::RESERVED). Ids already stored are read with `parse`.
    pub fn parse_new(id: &str) -> Result<Self, InvalidConnectionId> {
        let parsed = Self::parse(id)?;
        if Self::RESERVED.contains(&parsed.as_str()) {
            return Err(InvalidConnectionId {
                id: id.to_owned(),
                reason: "it is a word the console's routes use, so it cannot name a connection",
            });
        }
        Ok(parsed)
    }

    /// The id a connection named `name` gets: the name in ASCII (other scripts transliterated),
    /// lower-case, apostrophes dropped, every run of other characters one `-`, at most [`MAX_LEN`](Self::MAX_LEN)
    /// long; `connection` when nothing is left, and `-connection` after a reserved word.
    pub fn from_name(name: &super::ConnectionName) -> Self {
        let ascii = deunicode::deunicode(name.as_str()).to_ascii_lowercase();
        let mut slug = String::with_capacity(ascii.len());
        for c in ascii.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if c == '\'' {
                // An apostrophe joins its word: Tenure's is tenures.
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let mut slug = fit(&slug, Self::MAX_LEN);
        if slug.is_empty() {
            slug = "connection".to_owned();
        }
        if Self::RESERVED.contains(&slug.as_str()) {
            slug.push_str("-connection");
        }
        Self(slug)
    }

    /// This id with `-<n>` after it (cut to fit), for a name whose id is taken.
    pub fn with_suffix(&self, n: u32) -> Self {
        let suffix = format!("-{n}");
        Self(format!(
            "{}{suffix}",
            fit(&self.0, Self::MAX_LEN - suffix.len())
        ))
    }

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

/// `slug` cut to at most `max` bytes (it is ASCII), without a `-` at its end.
fn fit(slug: &str, max: usize) -> String {
    slug[..slug.len().min(max)].trim_end_matches('-').to_owned()
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

#[cfg(test)]
mod tests {
    use super::super::ConnectionName;
    use super::*;

    fn id_of(name: &str) -> String {
        let name = ConnectionName::parse(name).expect("a name");
        ConnectionId::from_name(&name).0
    }

    #[test]
    fn ids_from_names_are_slugs_in_any_script_and_never_reserved() {
        assert_eq!(id_of("Contoso"), "contoso");
        assert_eq!(id_of("  Contoso Ltd. (EU) "), "contoso-ltd-eu");
        assert_eq!(id_of("Zürich Café"), "zurich-cafe");
        assert_eq!(id_of("Contoso HR – Tenure’s app"), "contoso-hr-tenures-app");
        assert_eq!(id_of("Контозо"), "kontozo");
        assert_eq!(id_of("---"), "connection");
        assert_eq!(id_of("New"), "new-connection");
        let long = id_of(&"ab ".repeat(26));
        assert!(
            long.len() <= ConnectionId::MAX_LEN && !long.ends_with('-'),
            "{long}"
        );
        for name in ["Contoso", "株式会社", "New", "a-", &"x".repeat(80)] {
            let id = ConnectionId::from_name(&ConnectionName::parse(name).expect("a name"));
            assert_eq!(
                ConnectionId::parse_new(id.as_str()),
                Ok(id.clone()),
                "{name}"
            );
            let suffixed = id.with_suffix(12);
            assert!(
                ConnectionId::parse_new(suffixed.as_str()).is_ok(),
                "{suffixed}"
            );
        }
    }

    #[test]
    fn a_new_id_is_never_a_reserved_word_but_a_stored_one_still_reads() {
        let refused = ConnectionId::parse_new("new").expect_err("reserved");
        assert!(
            refused.to_string().contains("console's routes"),
            "{refused}"
        );
        assert!(ConnectionId::parse("new").is_ok());
    }
}
