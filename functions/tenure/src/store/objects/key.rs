//! Object keys: `/`-separated segments of letters, digits, `.`, `-` and `_`.

use std::fmt;

/// The longest key accepted (S3 allows 1,024 bytes).
const MAX_KEY_BYTES: usize = 512;

/// A checked object key, such as `plugins/contoso/3f…a1.wasm`. No segment is empty, `.` or
/// `..`, or starts with `.`, so a key is also a safe relative path under a local folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ObjectKey(String);

/// Why a string is not an object key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid object key {key:?}: {reason}; keys are /-separated segments of letters, digits, \
     '.', '-' and '_', none empty or starting with '.'"
)]
pub struct InvalidObjectKey {
    /// What was given.
    pub key: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl ObjectKey {
    /// Checks `key`.
    pub fn parse(key: &str) -> Result<Self, InvalidObjectKey> {
        let fail = |reason| InvalidObjectKey {
            key: key.to_owned(),
            reason,
        };
        if key.is_empty() {
            return Err(fail("it is empty"));
        }
        if key.len() > MAX_KEY_BYTES {
            return Err(fail("it is longer than 512 bytes"));
        }
        for segment in key.split('/') {
            if segment.is_empty() {
                return Err(fail("it has an empty segment"));
            }
            if segment.starts_with('.') {
                return Err(fail("a segment starts with '.'"));
            }
            if !segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
            {
                return Err(fail(
                    "it has a character other than letters, digits, '.', '-', '_'",
                ));
            }
        }
        Ok(Self(key.to_owned()))
    }

    /// The key built from segments, each checked.
    pub fn join<S: AsRef<str>>(segments: &[S]) -> Result<Self, InvalidObjectKey> {
        let joined: Vec<&str> = segments.iter().map(AsRef::as_ref).collect();
        Self::parse(&joined.join("/"))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::ObjectKey;

    #[test]
    fn keys_are_plain_relative_paths() {
        for good in ["a", "plugins/contoso/ab12.wasm", "x-y_z/1.2"] {
            assert!(ObjectKey::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "/a",
            "a/",
            "a//b",
            "../a",
            "a/./b",
            "a/.hidden",
            "a b",
            "a\\b",
            "é",
        ] {
            assert!(ObjectKey::parse(bad).is_err(), "{bad:?}");
        }
        assert!(ObjectKey::parse(&"a".repeat(513)).is_err());
    }
}
