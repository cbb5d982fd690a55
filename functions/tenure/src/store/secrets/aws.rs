//! Secrets in AWS Secrets Manager, under Tenure's names (`tenure/<connection-id>/<kind>`).
//!
//! # Compare-and-swap
//!
//! Secrets Manager has no conditional `PutSecretValue`, but it does have one atomic, conditional
//! step: `UpdateSecretVersionStage` moving the `AWSCURRENT` label refuses when
//! `RemoveFromVersionId` does not hold the label any more. So a replace
//!
//! 1. writes the new value as a new version with `PutSecretValue`, labelled
//!    [`PENDING_LABEL`] rather than `AWSCURRENT` (readers do not see it yet; the version id is a
//!    fresh UUID given as `ClientRequestToken`, which also makes the SDK's retries idempotent);
//! 2. moves `AWSCURRENT` to it with `UpdateSecretVersionStage(VersionStage=AWSCURRENT,
//!    MoveToVersionId=new, RemoveFromVersionId=expected)`.
//!
//! If another writer moved `AWSCURRENT` in between, step 2 is refused and the replace reports a
//! conflict; the loser's version is left without labels, and Secrets Manager deletes such
//! versions by itself. When step 2 fails, the store reads which version is current before
//! deciding: the new one (a retry of a move that had worked) is success, another one is a
//! conflict, anything else is the error itself. moto enforces the refusal the same way (it
//! checks that `RemoveFromVersionId` holds the label), which the tests rely on.
//!
//! Reads always ask for `VersionStage=AWSCURRENT` explicitly. Creation is `CreateSecret`, which
//! fails when the name exists. Deletion is immediate (`ForceDeleteWithoutRecovery`), so a
//! re-linked connection can create its secret again at once; the value of a deleted secret is
//! of no use anyway (a revoked token, a replaced client secret).

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::DisplayErrorContext;
use secrecy::{ExposeSecret, SecretString};

use crate::store::Version;

use super::{SecretError, SecretName, SecretStore, check_size};

/// The label a new version carries until it becomes `AWSCURRENT`.
pub const PENDING_LABEL: &str = "TENURE_PENDING";
const CURRENT: &str = "AWSCURRENT";

/// Secrets in AWS Secrets Manager.
#[derive(Debug, Clone)]
pub struct SecretsManagerStore {
    client: Client,
}

impl SecretsManagerStore {
    /// A store using the given SDK configuration (see [`AwsSettings`](crate::store::AwsSettings)).
    pub fn new(config: &SdkConfig) -> Self {
        Self::from_client(Client::new(config))
    }

    /// A store using an existing client.
    pub fn from_client(client: Client) -> Self {
        Self { client }
    }

    /// The version that holds `AWSCURRENT`; `None` when the secret does not exist.
    async fn current_version(&self, name: &SecretName) -> Result<Option<String>, SecretError> {
        match self
            .client
            .describe_secret()
            .secret_id(name.as_str())
            .send()
            .await
        {
            Ok(out) => Ok(out.version_ids_to_stages().and_then(|versions| {
                versions
                    .iter()
                    .find(|(_, stages)| stages.iter().any(|s| s == CURRENT))
                    .map(|(id, _)| id.clone())
            })),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(unavailable(name, "read", &e)),
        }
    }
}

#[async_trait]
impl SecretStore for SecretsManagerStore {
    async fn get(&self, name: &SecretName) -> Result<Option<(SecretString, Version)>, SecretError> {
        let out = match self
            .client
            .get_secret_value()
            .secret_id(name.as_str())
            .version_stage(CURRENT)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(unavailable(name, "read", &e)),
        };
        let unreadable = |reason: &str| SecretError::Unreadable {
            name: name.clone(),
            reason: reason.to_owned(),
        };
        let version = out
            .version_id()
            .ok_or_else(|| unreadable("Secrets Manager gave no version id"))?;
        let value = out
            .secret_string()
            .ok_or_else(|| unreadable("it holds binary data, not text"))?;
        Ok(Some((
            SecretString::from(value.to_owned()),
            Version::new(version),
        )))
    }

    async fn put_new(
        &self,
        name: &SecretName,
        value: &SecretString,
    ) -> Result<Version, SecretError> {
        check_size(name, value)?;
        let token = uuid::Uuid::new_v4().to_string();
        match self
            .client
            .create_secret()
            .name(name.as_str())
            .secret_string(value.expose_secret())
            .client_request_token(&token)
            .send()
            .await
        {
            Ok(out) => Ok(Version::new(out.version_id().unwrap_or(&token))),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_exists_exception()) =>
            {
                Err(SecretError::Conflict {
                    name: name.clone(),
                    expected: None,
                })
            }
            Err(e) => Err(unavailable(name, "create", &e)),
        }
    }

    async fn replace(
        &self,
        name: &SecretName,
        value: &SecretString,
        expected: &Version,
    ) -> Result<Version, SecretError> {
        check_size(name, value)?;
        let token = uuid::Uuid::new_v4().to_string();
        let staged = match self
            .client
            .put_secret_value()
            .secret_id(name.as_str())
            .secret_string(value.expose_secret())
            .client_request_token(&token)
            .version_stages(PENDING_LABEL)
            .send()
            .await
        {
            Ok(out) => out.version_id().unwrap_or(&token).to_owned(),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Err(SecretError::NotFound { name: name.clone() });
            }
            Err(e) => return Err(unavailable(name, "replace", &e)),
        };
        let moved = self
            .client
            .update_secret_version_stage()
            .secret_id(name.as_str())
            .version_stage(CURRENT)
            .move_to_version_id(&staged)
            .remove_from_version_id(expected.as_str())
            .send()
            .await;
        let Err(refused) = moved else {
            return Ok(Version::new(staged));
        };
        // Refused, or the answer was lost: what is current now decides.
        match self.current_version(name).await {
            Ok(Some(current)) if current == staged => Ok(Version::new(staged)),
            Ok(Some(current)) if current != expected.as_str() => Err(SecretError::Conflict {
                name: name.clone(),
                expected: Some(expected.clone()),
            }),
            Ok(None) => Err(SecretError::NotFound { name: name.clone() }),
            _ => Err(unavailable(name, "replace", &refused)),
        }
    }

    async fn delete(&self, name: &SecretName) -> Result<(), SecretError> {
        match self
            .client
            .delete_secret()
            .secret_id(name.as_str())
            .force_delete_without_recovery(true)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable(name, "delete", &e)),
        }
    }
}

/// An SDK error as text: the service's error code and message, or what failed on the way.
/// Requests carrying a value are never part of it.
fn unavailable(
    name: &SecretName,
    operation: &'static str,
    e: &(dyn std::error::Error + 'static),
) -> SecretError {
    SecretError::Unavailable {
        name: name.clone(),
        operation,
        message: DisplayErrorContext(e).to_string(),
    }
}
