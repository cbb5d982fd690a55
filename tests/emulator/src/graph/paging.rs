//! Collections in pages: `value` and, while more remain, `@odata.nextLink`.

use serde_json::{Map, Value, json};

use crate::graph::query::{Query, encode_token};

/// Where a collection was asked for: base URL and path, to build links.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    /// `http://host:port`.
    pub(crate) base: String,
    /// The request path, such as `/v1.0/users`.
    pub(crate) path: String,
}

impl Place {
    /// The place of a request.
    pub(crate) fn of(headers: &axum::http::HeaderMap, uri: &axum::http::Uri) -> Self {
        Self {
            base: crate::auth::base_url(headers),
            path: uri.path().to_owned(),
        }
    }

    /// `@odata.context` for an entity set or entity.
    pub(crate) fn context(&self, fragment: &str) -> String {
        format!("{}/v1.0/$metadata#{fragment}", self.base)
    }

    /// A link to this path with a query string.
    pub(crate) fn link(&self, query: &str) -> String {
        format!("{}{}?{query}", self.base, self.path)
    }
}

/// One page: `value` holds the items from `offset` (at most `size`) of `total`; a next link is
/// added when more remain. Callers render only the page, so large lists stay cheap.
pub(crate) fn page(
    value: Vec<Value>,
    total: usize,
    (offset, size): (usize, usize),
    place: &Place,
    query: &Query,
    context: &str,
) -> Value {
    let mut body = Map::new();
    body.insert("@odata.context".into(), json!(place.context(context)));
    let end = offset.saturating_add(size);
    if end < total {
        body.insert(
            "@odata.nextLink".into(),
            json!(place.link(&query.with_token("$skiptoken", &encode_token(end)))),
        );
    }
    body.insert("value".into(), Value::Array(value));
    Value::Object(body)
}
