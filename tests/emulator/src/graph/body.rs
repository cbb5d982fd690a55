//! Request bodies: JSON objects only, declared as `application/json`, as Graph insists.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde_json::{Map, Value};

use crate::errors::GraphError;

/// A JSON object body.
#[derive(Debug)]
pub(crate) struct JsonObject(pub(crate) Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = GraphError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
        if !json {
            return Err(GraphError::unreadable_body());
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|_| GraphError::unreadable_body())?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(object)) => Ok(Self(object)),
            _ => Err(GraphError::unreadable_body()),
        }
    }
}

/// The message Graph gives for a property a resource does not have.
pub(crate) fn unknown_property(name: &str) -> GraphError {
    GraphError::bad_request(format!(
        "Property '{name}' does not exist as a declared property or extension property."
    ))
}

/// The object id an `@odata.id` reference points at (`…/users/{id}` or `…/directoryObjects/{id}`).
pub(crate) fn referenced_id(reference: &str) -> Option<&str> {
    let (prefix, id) = reference.trim_end_matches('/').rsplit_once('/')?;
    let kind_ok = prefix.ends_with("/users") || prefix.ends_with("/directoryObjects");
    (kind_ok && !id.is_empty()).then_some(id)
}

/// The `@odata.id` of a `$ref` body.
pub(crate) fn reference_of(body: &Map<String, Value>) -> Result<String, GraphError> {
    if let Some(extra) = body.keys().find(|k| *k != "@odata.id") {
        return Err(unknown_property(extra));
    }
    body.get("@odata.id")
        .and_then(Value::as_str)
        .and_then(referenced_id)
        .map(str::to_owned)
        .ok_or_else(|| {
            GraphError::bad_request("Invalid object identifier in the '@odata.id' reference.")
        })
}
