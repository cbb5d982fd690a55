//! [`CloudEndpointsOnly`]: a connection store that refuses connections whose endpoints are not
//! their national cloud's own hosts, for deployments that do not allow custom endpoints.

use std::sync::Arc;

use async_trait::async_trait;

use super::{Connection, ConnectionError, ConnectionId, ConnectionStore};
use crate::store::Version;

/// Another store, through which only connections whose login, Graph and Exchange endpoints are
/// their cloud's own hosts over HTTPS ([`Endpoints::check_cloud_hosts`]) can be read or
/// written; any other is [`ConnectionError::ForeignEndpoint`]. Every handler of a deployment
/// reads connections through its store, so none of them sends a credential or a token to a
/// host the connection record names unless the deployment allows it.
///
/// [`Endpoints::check_cloud_hosts`]: crate::microsoft::Endpoints::check_cloud_hosts
pub struct CloudEndpointsOnly {
    inner: Arc<dyn ConnectionStore>,
}

impl CloudEndpointsOnly {
    /// `inner`, refusing connections with custom endpoints.
    pub fn new(inner: Arc<dyn ConnectionStore>) -> Self {
        Self { inner }
    }
}

fn check(connection: &Connection) -> Result<(), ConnectionError> {
    connection
        .endpoints()
        .check_cloud_hosts()
        .map_err(|endpoint| ConnectionError::ForeignEndpoint {
            id: connection.id.clone(),
            endpoint,
        })
}

#[async_trait]
impl ConnectionStore for CloudEndpointsOnly {
    async fn get(
        &self,
        id: &ConnectionId,
    ) -> Result<Option<(Connection, Version)>, ConnectionError> {
        let found = self.inner.get(id).await?;
        if let Some((connection, _)) = &found {
            check(connection)?;
        }
        Ok(found)
    }

    async fn put_new(&self, connection: &Connection) -> Result<Version, ConnectionError> {
        check(connection)?;
        self.inner.put_new(connection).await
    }

    async fn replace(
        &self,
        connection: &Connection,
        expected: &Version,
    ) -> Result<Version, ConnectionError> {
        check(connection)?;
        self.inner.replace(connection, expected).await
    }

    async fn list(&self) -> Result<Vec<ConnectionId>, ConnectionError> {
        self.inner.list().await
    }

    async fn delete(&self, id: &ConnectionId) -> Result<(), ConnectionError> {
        self.inner.delete(id).await
    }
}
