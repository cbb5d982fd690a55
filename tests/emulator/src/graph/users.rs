//! `/users`: create, read, list (filter, select, paging, manager expansion), update, delete,
//! and `revokeSignInSessions`.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tenure::directory::DirectoryUser;

use crate::errors::GraphError;
use crate::graph::body::JsonObject;
use crate::graph::paging::{Place, page};
use crate::graph::query::{Query, parse_select};
use crate::graph::user_json::{
    USER_DEFAULTS, USER_TYPE, project, typed_user, user_json, user_properties,
};
use crate::graph::user_write::write_user;
use crate::ids::new_guid;
use crate::state::{Directory, TenantState};

/// The properties users may be filtered by.
const FILTERABLE: [&str; 5] = [
    "employeeId",
    "userPrincipalName",
    "mail",
    "displayName",
    "id",
];

/// The default page size of `/users`.
const PAGE: usize = 100;

/// `POST /users`: `201` with the new user.
pub(crate) async fn create(
    State(state): State<TenantState>,
    headers: HeaderMap,
    uri: Uri,
    JsonObject(body): JsonObject,
) -> Result<Response, GraphError> {
    let mut directory = state.shared.directory();
    let mut user = DirectoryUser {
        id: new_guid().into(),
        ..DirectoryUser::default()
    };
    let written = write_user(&directory, &mut user, &body, true)?;
    let id = user.id.clone();
    let full = user_json(&user);
    directory.insert_user(user);
    directory.password_set(&id);
    drop(directory);
    if let Some(password) = &written.password {
        state.shared.credentials().set_password(&id, password);
    }
    let place = Place::of(&headers, &uri);
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(place.context("users/$entity")),
    );
    out.extend(project(&full, None, &USER_DEFAULTS));
    let mut response = (StatusCode::CREATED, axum::Json(Value::Object(out))).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("{}/v1.0/users/{id}", place.base)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// `$expand`: only `manager`, optionally with its own `$select`.
fn manager_expansion(query: &Query) -> Result<Option<Option<Vec<String>>>, GraphError> {
    let Some(expand) = query.get("$expand") else {
        return Ok(None);
    };
    let expand = expand.trim();
    if expand == "manager" {
        return Ok(Some(None));
    }
    let inner = expand
        .strip_prefix("manager(")
        .and_then(|r| r.strip_suffix(')'))
        .and_then(|r| r.trim().strip_prefix("$select="))
        .ok_or_else(|| {
            GraphError::malformed(format!(
                "Could not find a property named '{expand}' on type '{USER_TYPE}'."
            ))
        })?;
    Ok(Some(Some(parse_select(
        inner,
        &user_properties(),
        USER_TYPE,
    )?)))
}

/// A user as a list or get returns it.
fn shown(
    directory: &Directory,
    user: &DirectoryUser,
    select: Option<&[String]>,
    manager: Option<&Option<Vec<String>>>,
) -> Value {
    let mut out = project(&user_json(user), select, &USER_DEFAULTS);
    if let Some(manager_select) = manager
        && let Some(boss) = user.manager.as_ref().and_then(|m| directory.user(&m.id))
    {
        out.insert(
            "manager".into(),
            typed_user(boss, manager_select.as_deref()),
        );
    }
    Value::Object(out)
}

/// `GET /users/{id | userPrincipalName}`.
pub(crate) async fn get(
    State(state): State<TenantState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, GraphError> {
    let query = Query::parse(raw.as_deref())?;
    let select = query.select(&user_properties(), USER_TYPE)?;
    let manager = manager_expansion(&query)?;
    let directory = state.shared.directory();
    let user = directory
        .user(&id)
        .ok_or_else(|| GraphError::not_found(&id))?;
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(Place::of(&headers, &uri).context("users/$entity")),
    );
    if let Value::Object(fields) = shown(&directory, user, select.as_deref(), manager.as_ref()) {
        out.extend(fields);
    }
    Ok(axum::Json(Value::Object(out)).into_response())
}

/// `GET /users`: `$filter`, `$select`, `$top`, `$expand=manager`, paged.
pub(crate) async fn list(
    State(state): State<TenantState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, GraphError> {
    let query = Query::parse(raw.as_deref())?;
    let select = query.select(&user_properties(), USER_TYPE)?;
    let filter = query.filter(&FILTERABLE, "User")?;
    let manager = manager_expansion(&query)?;
    let size = query.top(PAGE)?;
    let offset = query.offset()?;
    let directory = state.shared.directory();
    let matching: Vec<&DirectoryUser> = directory
        .snapshot
        .users
        .iter()
        .filter(|u| {
            filter
                .as_ref()
                .is_none_or(|f| f.matches(|p| user_text(u, p)))
        })
        .collect();
    let value: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(size)
        .map(|u| shown(&directory, u, select.as_deref(), manager.as_ref()))
        .collect();
    let total = matching.len();
    drop(directory);
    let place = Place::of(&headers, &uri);
    let body = page(value, total, (offset, size), &place, &query, "users");
    Ok(axum::Json(body).into_response())
}

/// A user's string property, for `$filter`.
fn user_text<'u>(user: &'u DirectoryUser, property: &str) -> Option<&'u str> {
    match property {
        "id" => Some(&user.id),
        "userPrincipalName" => Some(&user.user_principal_name),
        "employeeId" => user.employee_id.as_deref(),
        "mail" => user.mail.as_deref(),
        "displayName" => user.display_name.as_deref(),
        _ => None,
    }
}

/// `PATCH /users/{id}`: `204`.
pub(crate) async fn patch(
    State(state): State<TenantState>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Response, GraphError> {
    let mut directory = state.shared.directory();
    let mut user = directory
        .user(&id)
        .cloned()
        .ok_or_else(|| GraphError::not_found(&id))?;
    let written = write_user(&directory, &mut user, &body, false)?;
    let user_id = user.id.clone();
    directory.replace_user(user);
    if let Some(password) = &written.password {
        directory.password_set(&user_id);
        drop(directory);
        state.shared.credentials().set_password(&user_id, password);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /users/{id}`: `204`. The user is soft-deleted: it leaves its groups, reports lose
/// it as manager, and it waits in `/directory/deletedItems` (keeping its addresses) for 30 days.
pub(crate) async fn delete(
    State(state): State<TenantState>,
    Path(id): Path<String>,
) -> Result<Response, GraphError> {
    let mut directory = state.shared.directory();
    let user_id = directory
        .user(&id)
        .map(|u| u.id.clone())
        .ok_or_else(|| GraphError::not_found(&id))?;
    directory.soft_delete_user(&user_id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /users/{id}/revokeSignInSessions`: `200` with `value: true`.
pub(crate) async fn revoke_sessions(
    State(state): State<TenantState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, GraphError> {
    let mut directory = state.shared.directory();
    let user_id = directory
        .user(&id)
        .map(|u| u.id.to_string())
        .ok_or_else(|| GraphError::not_found(&id))?;
    *directory.revocations.entry(user_id.clone()).or_default() += 1;
    drop(directory);
    // As in Entra: the user's refresh tokens stop working (AADSTS50173 on the next refresh).
    state.shared.login().revoke(Some(&user_id), None);
    let context = Place::of(&headers, &uri).context("Edm.Boolean");
    Ok(axum::Json(json!({"@odata.context": context, "value": true})).into_response())
}
