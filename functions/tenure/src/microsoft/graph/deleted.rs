//! Deleted users: `GET /directory/deletedItems/microsoft.graph.user` (users deleted in the
//! last 30 days, which still hold their addresses) and `POST /directory/deletedItems/{id}/restore`.

use reqwest::Method;

use super::users::user_select;
use super::{GraphClient, Written, encode};
use crate::directory::DirectoryUser;
use crate::microsoft::error::ApiError;
use crate::microsoft::transport::Request;

impl GraphClient {
    /// Every user in the tenant's deleted items, with the properties of the snapshot. Graph
    /// shows their UPN with the object id in front (see
    /// [`DirectoryUser::upn_before_deletion`]).
    pub async fn deleted_users(&self) -> Result<Vec<DirectoryUser>, ApiError> {
        let url = self.url(&format!(
            "/directory/deletedItems/microsoft.graph.user?$select={}&$top=999",
            user_select()
        ));
        Ok(self.collect(url).await?.0)
    }

    /// Restores a deleted user: the same object, with its UPN, addresses, licenses and
    /// memberships. A user already restored (by an earlier run cut off before its answer)
    /// counts as done.
    pub async fn restore_user(&self, user_id: &str) -> Result<Written, ApiError> {
        let request = Request::new(
            Method::POST,
            self.url(&format!(
                "/directory/deletedItems/{}/restore",
                encode(user_id)
            )),
            "POST /directory/deletedItems/{id}/restore".into(),
        );
        match self.send(request).await {
            Ok(reply) => Ok(Written {
                request_id: reply.request_id,
                already_done: false,
            }),
            Err(error) if error.is_not_found() => match self.find_user(user_id).await? {
                Some(_) => Ok(Written {
                    request_id: error.request_id().map(str::to_owned),
                    already_done: true,
                }),
                None => Err(error),
            },
            Err(error) => Err(error),
        }
    }
}
