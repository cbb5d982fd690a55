//! What can go wrong with a stored object.

use super::ObjectKey;

/// An object-store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ObjectError {
    /// The write's condition did not hold: the object exists (a create-only write) or changed
    /// since the version named. Read it again and decide again.
    #[error("object {key} was written by someone else first: read it again and retry")]
    Conflict {
        /// The object.
        key: ObjectKey,
    },
    /// A replace of an object that does not exist.
    #[error("object {key} does not exist")]
    NotFound {
        /// The object.
        key: ObjectKey,
    },
    /// The store could not be reached or refused the operation.
    #[error("could not {operation} {target}: {message}")]
    Unavailable {
        /// What was being done: `read`, `write`, `list`, `delete`.
        operation: &'static str,
        /// `object <key>`, or `objects under <prefix>`.
        target: String,
        /// What the store or the system said.
        message: String,
    },
}

impl ObjectError {
    pub(crate) fn unavailable(
        operation: &'static str,
        key: &ObjectKey,
        message: impl Into<String>,
    ) -> Self {
        Self::Unavailable {
            operation,
            target: format!("object {key}"),
            message: message.into(),
        }
    }

    pub(crate) fn unavailable_list(prefix: &str, message: impl Into<String>) -> Self {
        Self::Unavailable {
            operation: "list",
            target: format!("objects under {prefix:?}"),
            message: message.into(),
        }
    }
}
