//! What can go wrong with a secret. No error ever carries a secret's value: each names the
//! secret and what happened.

use crate::store::Version;

use super::SecretName;

/// A secret-store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// Someone else wrote the secret first: it already existed (`expected` is `None`, from
    /// [`put_new`](super::SecretStore::put_new)), or it was replaced since version `expected`
    /// was read. Read it again and decide again.
    #[error("{}", conflict_message(name, expected.as_ref()))]
    Conflict {
        /// The secret.
        name: SecretName,
        /// The version the writer had read.
        expected: Option<Version>,
    },
    /// The secret does not exist (a replace of a secret never created, or deleted since).
    #[error("secret {name} does not exist")]
    NotFound {
        /// The secret.
        name: SecretName,
    },
    /// The value is larger than a secret may be.
    #[error("secret {name} is {bytes} bytes, more than the {max} a secret may hold")]
    TooLarge {
        /// The secret.
        name: SecretName,
        /// Its size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// The stored secret is in a form Tenure cannot read.
    #[error("secret {name} is stored in a form Tenure cannot read: {reason}")]
    Unreadable {
        /// The secret.
        name: SecretName,
        /// What is wrong (never the value).
        reason: String,
    },
    /// The store could not be reached or refused the operation.
    #[error("could not {operation} secret {name}: {message}")]
    Unavailable {
        /// The secret.
        name: SecretName,
        /// What was being done: `read`, `create`, `replace`, `delete`.
        operation: &'static str,
        /// What the store or the system said.
        message: String,
    },
}

fn conflict_message(name: &SecretName, expected: Option<&Version>) -> String {
    match expected {
        None => format!(
            "secret {name} already exists (someone else created it): read it and replace it instead"
        ),
        Some(version) => format!(
            "secret {name} was replaced by someone else since version {version} was read: read it \
             again and retry"
        ),
    }
}
