//! `/users/{id}/authentication/temporaryAccessPassMethods`: create (one pass per user: a new
//! one replaces the old), list, get and delete, in Graph v1.0's shapes. Not offered in the US
//! Government clouds; refused without `UserAuthenticationMethod.ReadWrite.All` (or the
//! narrower `UserAuthMethod-TAP.ReadWrite.All`).

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};

use crate::credentials::{AccessPass, NewPass};
use crate::errors::GraphError;
use crate::graph::body::{JsonObject, unknown_property};
use crate::graph::paging::Place;
use crate::state::{Principal, TenantState};

/// The permissions that allow writing a user's Temporary Access Pass.
const WRITE_PERMISSIONS: [&str; 2] = [
    "UserAuthenticationMethod.ReadWrite.All",
    "UserAuthMethod-TAP.ReadWrite.All",
];

/// The resource type, as `@odata.type` names it.
const METHOD_TYPE: &str = "#microsoft.graph.temporaryAccessPassAuthenticationMethod";

/// The lifetime the default policy gives a pass that asks for none (one hour).
const DEFAULT_LIFETIME: i64 = 60;

/// The checks every call makes: the cloud offers the API, the caller may use it, the user
/// exists. Gives the user's object id.
fn admit(state: &TenantState, principal: &Principal, user: &str) -> Result<String, GraphError> {
    let shared = &state.shared;
    if !shared.cloud.offers_access_passes() {
        return Err(GraphError::malformed(
            "Resource not found for the segment 'temporaryAccessPassMethods'.",
        ));
    }
    if !WRITE_PERMISSIONS
        .iter()
        .any(|p| shared.permission_granted(principal, p))
    {
        return Err(GraphError::new(
            StatusCode::FORBIDDEN,
            "accessDenied",
            "Request Authorization failed",
        ));
    }
    shared
        .directory()
        .user(user)
        .map(|u| u.id.to_string())
        .ok_or_else(|| GraphError::not_found(user))
}

fn method_json(pass: &AccessPass, now: jiff::Timestamp) -> Map<String, Value> {
    let usability = pass.usability(now);
    let object = json!({
        "@odata.type": METHOD_TYPE,
        "id": pass.id,
        "createdDateTime": pass.created.to_string(),
        "startDateTime": pass.start.to_string(),
        "lifetimeInMinutes": pass.lifetime_minutes,
        "isUsableOnce": pass.usable_once,
        "isUsable": usability == crate::credentials::Usability::EnabledByPolicy,
        "methodUsabilityReason": usability.as_str(),
    });
    match object {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The settings of a create body; refuses what Graph refuses.
fn settings(body: &Map<String, Value>, now: jiff::Timestamp) -> Result<NewPass, GraphError> {
    let invalid = |property: &str| GraphError::invalid_value(property, METHOD_TYPE);
    let mut new = NewPass {
        start: now,
        lifetime_minutes: DEFAULT_LIFETIME,
        usable_once: false,
    };
    for (name, value) in body {
        match name.as_str() {
            "@odata.type" => {
                if value.as_str().map(|t| t.trim_start_matches('#')) != Some(&METHOD_TYPE[1..]) {
                    return Err(GraphError::malformed(format!(
                        "A type named '{}' could not be resolved by the model.",
                        value.as_str().unwrap_or_default()
                    )));
                }
            }
            "lifetimeInMinutes" => {
                let minutes = value.as_i64().ok_or_else(|| invalid(name))?;
                if !(10..=43_200).contains(&minutes) {
                    return Err(GraphError::bad_request(
                        "The lifetime of the Temporary Access Pass must be between 10 and 43200 minutes.",
                    ));
                }
                new.lifetime_minutes = minutes;
            }
            "isUsableOnce" => new.usable_once = value.as_bool().ok_or_else(|| invalid(name))?,
            "startDateTime" => {
                new.start = value
                    .as_str()
                    .and_then(|s| s.parse::<jiff::Timestamp>().ok())
                    .ok_or_else(|| invalid(name))?;
            }
            other => return Err(unknown_property(other)),
        }
    }
    Ok(new)
}

/// `POST /users/{id}/authentication/temporaryAccessPassMethods`: `201` with the method and,
/// this once, `temporaryAccessPass` itself.
pub(crate) async fn create(
    State(state): State<TenantState>,
    Extension(principal): Extension<Principal>,
    Path(user): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    JsonObject(body): JsonObject,
) -> Result<Response, GraphError> {
    let user_id = admit(&state, &principal, &user)?;
    let now = jiff::Timestamp::now();
    let new = settings(&body, now)?;
    let mut credentials = state.shared.credentials();
    let (method, pass) = credentials.issue_pass(&user_id, new, now);
    let mut out = Map::new();
    let context = Place::of(&headers, &uri).context(&format!(
        "users('{user_id}')/authentication/temporaryAccessPassMethods/$entity"
    ));
    out.insert("@odata.context".into(), json!(context));
    out.extend(method_json(method, now));
    out.insert("temporaryAccessPass".into(), json!(pass.expose_secret()));
    Ok((StatusCode::CREATED, axum::Json(Value::Object(out))).into_response())
}

/// `GET /users/{id}/authentication/temporaryAccessPassMethods`: the user's pass, if any, without
/// the pass itself.
pub(crate) async fn list(
    State(state): State<TenantState>,
    Extension(principal): Extension<Principal>,
    Path(user): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, GraphError> {
    let user_id = admit(&state, &principal, &user)?;
    let now = jiff::Timestamp::now();
    let value: Vec<Value> = state
        .shared
        .credentials()
        .pass(&user_id)
        .map(|p| Value::Object(method_json(p, now)))
        .into_iter()
        .collect();
    let context = Place::of(&headers, &uri).context(&format!(
        "users('{user_id}')/authentication/temporaryAccessPassMethods"
    ));
    Ok(axum::Json(json!({"@odata.context": context, "value": value})).into_response())
}

/// `GET /users/{id}/authentication/temporaryAccessPassMethods/{method}`.
pub(crate) async fn get(
    State(state): State<TenantState>,
    Extension(principal): Extension<Principal>,
    Path((user, method)): Path<(String, String)>,
) -> Result<Response, GraphError> {
    let user_id = admit(&state, &principal, &user)?;
    let now = jiff::Timestamp::now();
    let credentials = state.shared.credentials();
    let pass = credentials
        .pass(&user_id)
        .filter(|p| p.id == method)
        .ok_or_else(|| GraphError::not_found(&method))?;
    Ok(axum::Json(Value::Object(method_json(pass, now))).into_response())
}

/// `DELETE /users/{id}/authentication/temporaryAccessPassMethods/{method}`: `204`.
pub(crate) async fn delete(
    State(state): State<TenantState>,
    Extension(principal): Extension<Principal>,
    Path((user, method)): Path<(String, String)>,
) -> Result<Response, GraphError> {
    let user_id = admit(&state, &principal, &user)?;
    if state.shared.credentials().delete_pass(&user_id, &method) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(GraphError::not_found(&method))
    }
}
