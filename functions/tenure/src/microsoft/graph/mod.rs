//! The Microsoft Graph v1.0 client: directory reads with `$select` and paging, the delta link,
//! the writes a plan needs, `$batch`, Temporary Access Passes and `sendMail`.

mod access_pass;
mod batch;
mod chain;
mod deleted;
pub(crate) mod groups;
mod mail;
mod users;
mod writes;

use std::sync::Arc;

use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use access_pass::{AccessPass, PassRequest};
pub use batch::{BatchRequest, BatchResponse, MAX_BATCH};
pub use chain::UserWrite;
pub use mail::OutgoingMail;
pub use users::UserDelta;
pub use writes::{CreatedUser, NewUser, Written};

use super::cloud::Endpoints;
use super::error::{Api, ApiError};
use super::token::TokenSource;
use super::transport::{ClientOptions, Reply, Request, Transport};

/// A Graph client for one tenant. Cheap to clone; clones share the token cache and the gate.
#[derive(Clone)]
pub struct GraphClient {
    transport: Transport,
    /// `{graph}/v1.0`.
    base: String,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// One page of a Graph collection.
#[derive(Deserialize)]
struct Page<T> {
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink")]
    delta_link: Option<String>,
}

impl GraphClient {
    /// A client for the endpoints' Graph with tokens for the cloud's Graph scope.
    pub fn new(
        endpoints: &Endpoints,
        tokens: Arc<TokenSource>,
        options: ClientOptions,
    ) -> Result<Self, ApiError> {
        let scope = endpoints.cloud.graph_scope();
        Ok(Self {
            transport: Transport::new(Api::Graph, &endpoints.graph, tokens, scope, options)?,
            base: format!("{}/v1.0", endpoints.graph),
        })
    }

    /// This client, giving up on a retry whose wait would end after `at` (a provision run's
    /// stop time) with [`ApiError::OutOfTime`] rather than wait for it; see
    /// [`crate::microsoft::LiveDirectory::give_up_waiting_after`]. Clones made before keep
    /// waiting.
    #[must_use]
    pub fn give_up_waiting_after(mut self, at: std::time::Instant) -> Self {
        self.transport.give_up_at = Some(at);
        self
    }

    /// The absolute URL of a path such as `/users`.
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The `@odata.id` of a directory object, as `$ref` and `@odata.bind` want it.
    fn object_ref(&self, id: &str) -> String {
        format!("{}/directoryObjects/{id}", self.base)
    }

    async fn send(&self, request: Request) -> Result<Reply, ApiError> {
        self.transport.send(&request).await
    }

    async fn get_json<T: DeserializeOwned>(&self, url: String) -> Result<T, ApiError> {
        let operation = format!("GET {}", operation_path(&url));
        let reply = self
            .send(Request::new(Method::GET, url, operation.clone()))
            .await?;
        reply.json(Api::Graph, &operation)
    }

    /// Every item of a collection, following `@odata.nextLink`; also the final `@odata.deltaLink`.
    async fn collect<T: DeserializeOwned>(
        &self,
        url: String,
    ) -> Result<(Vec<T>, Option<String>), ApiError> {
        let mut items = Vec::new();
        let mut next = Some(url);
        let mut delta = None;
        while let Some(url) = next.take() {
            let operation = format!("GET {}", operation_path(&url));
            let page: Page<T> = self.get_json(url).await?;
            self.check_links(&page, &operation)?;
            items.extend(page.value);
            next = page.next_link;
            delta = page.delta_link.or(delta);
        }
        Ok((items, delta))
    }

    /// Refuses a page whose `@odata.nextLink` or `@odata.deltaLink` leaves Graph's host: it
    /// is not followed (nor kept), so the token never goes anywhere else.
    fn check_links<T>(&self, page: &Page<T>, operation: &str) -> Result<(), ApiError> {
        if let Some(link) = &page.next_link {
            self.transport
                .check_origin(link, "@odata.nextLink", operation)?;
        }
        if let Some(link) = &page.delta_link {
            self.transport
                .check_origin(link, "@odata.deltaLink", operation)?;
        }
        Ok(())
    }

    /// `GET` a path and read its JSON (for what this client has no typed call for).
    pub async fn get(&self, path: &str) -> Result<Value, ApiError> {
        self.get_json(self.url(path)).await
    }
}

/// The path part of a URL, for error messages (query strings can be long).
fn operation_path(url: &str) -> &str {
    let without_query = url.split('?').next().unwrap_or(url);
    without_query
        .find("/v1.0")
        .map_or(without_query, |i| &without_query[i + 5..])
}

/// Quotes a value for an OData `$filter` (single quotes doubled) and percent-encodes it.
fn odata_literal(value: &str) -> String {
    let quoted = format!("'{}'", value.replace('\'', "''"));
    encode(&quoted)
}

/// Percent-encodes a query or path value.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
