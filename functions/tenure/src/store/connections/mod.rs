//! Connection records, one per customer tenant, behind one trait with two real
//! implementations: JSON objects in S3 ([`S3ConnectionStore`]) and owner-only local files
//! ([`LocalConnectionStore`]).
//!
//! A record ([`Connection`]) says how to reach the tenant (app type, national cloud, tenant and
//! client ids, base-URL overrides, Exchange settings) and whether that works (its status); it
//! holds no secrets, which live in the [secret store](crate::store::secrets) under names derived
//! from the connection id ([`Connection::credential_secret`]). Writes are compare-and-swap on
//! the [`Version`] read; reads check every field and name the one at fault.
//! [`CloudEndpointsOnly`] wraps a store for a deployment that allows only the national clouds'
//! own hosts.

mod cloud_only;
mod error;
mod fields;
mod format;
mod id;
mod local;
mod name;
mod record;
#[cfg(feature = "aws")]
mod s3;

use async_trait::async_trait;

use crate::store::Version;

pub use cloud_only::CloudEndpointsOnly;
pub use error::ConnectionError;
pub use fields::{BaseUrl, ClientId, InvalidValue, TenantId};
pub use format::{InvalidRecord, READ_FORMATS, RECORD_FORMAT};
pub use id::{ConnectionId, InvalidConnectionId};
pub use local::LocalConnectionStore;
pub use name::{ConnectionName, InvalidConnectionName};
pub use record::{
    Connection, ConnectionStatus, ConnectionType, CustomerCredential, EndpointOverrides,
    ExchangeSettings,
};
#[cfg(feature = "aws")]
pub use s3::S3ConnectionStore;

/// A store of connection records with compare-and-swap writes.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// The record and its version; `None` when there is no such connection.
    async fn get(
        &self,
        id: &ConnectionId,
    ) -> Result<Option<(Connection, Version)>, ConnectionError>;

    /// Stores a new record; [`ConnectionError::Conflict`] (with no expected version) when one
    /// with its id exists.
    async fn put_new(&self, connection: &Connection) -> Result<Version, ConnectionError>;

    /// Replaces the record if `expected` is still its current version and returns the new
    /// version; [`ConnectionError::Conflict`] when someone else changed it since,
    /// [`ConnectionError::NotFound`] when it does not exist.
    async fn replace(
        &self,
        connection: &Connection,
        expected: &Version,
    ) -> Result<Version, ConnectionError>;

    /// The ids of every stored connection, sorted. Records are not read, so one bad record
    /// does not hide the others: [`get`](Self::get) each to read it.
    async fn list(&self) -> Result<Vec<ConnectionId>, ConnectionError>;

    /// Deletes the record; one that does not exist is not an error.
    async fn delete(&self, id: &ConnectionId) -> Result<(), ConnectionError>;
}
