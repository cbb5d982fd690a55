//! The version of a stored value, which compare-and-swap writes name.

use std::fmt;

/// The version of a stored secret or record, as its store reported it.
///
/// It is opaque: a Secrets Manager version id, an S3 ETag, or a random id in a local file. A
/// write that names the version it read succeeds only while that version is still the current
/// one. Local versions are random rather than counters so that a value deleted and created again
/// never reuses a version an old reader may still hold.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Version(String);

impl Version {
    pub(crate) fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// A new random version (for the local stores).
    pub(crate) fn random() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// The version as its store spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version({})", self.0)
    }
}
