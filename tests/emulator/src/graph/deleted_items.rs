//! Deleted users: `GET /directory/deletedItems/microsoft.graph.user` (listed as Graph lists
//! them: the UPN with the object id in front, and `deletedDateTime`), `GET` and `DELETE`
//! `/directory/deletedItems/{id}`, and `POST /directory/deletedItems/{id}/restore`.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tenure::directory::DirectoryUser;

use crate::errors::GraphError;
use crate::graph::paging::{Place, page};
use crate::graph::query::Query;
use crate::graph::user_json::{USER_DEFAULTS, USER_TYPE, project, user_json, user_properties};
use crate::state::{Directory, RestoreRefusal, TenantState};

/// The default page size.
const PAGE: usize = 100;

/// A deleted user as Graph shows it: its UPN prefixed with its object id without hyphens.
fn deleted_json(directory: &Directory, user: &DirectoryUser) -> Map<String, Value> {
    let mut full = user_json(user);
    full.insert(
        "userPrincipalName".into(),
        json!(format!(
            "{}{}",
            user.id.replace('-', ""),
            user.upn_before_deletion()
        )),
    );
    full.insert(
        "deletedDateTime".into(),
        json!(directory.deleted_at(&user.id).to_string()),
    );
    full
}

fn properties() -> Vec<&'static str> {
    let mut names = user_properties();
    names.push("deletedDateTime");
    names
}

/// `GET /directory/deletedItems/microsoft.graph.user`: `$select`, `$top`, paged.
pub(crate) async fn list_users(
    State(state): State<TenantState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, GraphError> {
    let query = Query::parse(raw.as_deref())?;
    let select = query.select(&properties(), USER_TYPE)?;
    let size = query.top(PAGE)?;
    let offset = query.offset()?;
    let directory = state.shared.directory();
    let users = &directory.snapshot.deleted_users;
    let value: Vec<Value> = users
        .iter()
        .skip(offset)
        .take(size)
        .map(|u| {
            Value::Object(project(
                &deleted_json(&directory, u),
                select.as_deref(),
                &USER_DEFAULTS,
            ))
        })
        .collect();
    let total = users.len();
    drop(directory);
    let place = Place::of(&headers, &uri);
    let body = page(value, total, (offset, size), &place, &query, "users");
    Ok(axum::Json(body).into_response())
}

/// `GET /directory/deletedItems/{id}`.
pub(crate) async fn get(
    State(state): State<TenantState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, GraphError> {
    let query = Query::parse(raw.as_deref())?;
    let select = query.select(&properties(), USER_TYPE)?;
    let directory = state.shared.directory();
    let user = directory
        .deleted_user(&id)
        .ok_or_else(|| GraphError::not_found(&id))?;
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(Place::of(&headers, &uri).context("directoryObjects/$entity")),
    );
    out.insert("@odata.type".into(), json!(format!("#{USER_TYPE}")));
    out.extend(project(
        &deleted_json(&directory, user),
        select.as_deref(),
        &USER_DEFAULTS,
    ));
    Ok(axum::Json(Value::Object(out)).into_response())
}

/// `POST /directory/deletedItems/{id}/restore`: `200` with the restored user; `404` for an id
/// that is not among the deleted items; `400` when its UPN or an address is taken since.
pub(crate) async fn restore(
    State(state): State<TenantState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, GraphError> {
    let mut directory = state.shared.directory();
    let user = directory.restore_user(&id).map_err(|refusal| match refusal {
        RestoreRefusal::NotFound => GraphError::not_found(&id),
        RestoreRefusal::Conflict => GraphError::bad_request(
            "A conflicting object with one or more of the specified property values is present in the directory.",
        )
        .with_detail(json!({"code": "ObjectConflict", "target": "userPrincipalName"})),
    })?;
    drop(directory);
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(Place::of(&headers, &uri).context("directoryObjects/$entity")),
    );
    out.insert("@odata.type".into(), json!(format!("#{USER_TYPE}")));
    out.extend(project(&user_json(&user), None, &USER_DEFAULTS));
    Ok(axum::Json(Value::Object(out)).into_response())
}

/// `DELETE /directory/deletedItems/{id}`: `204`; the user is gone for good.
pub(crate) async fn purge(
    State(state): State<TenantState>,
    Path(id): Path<String>,
) -> Result<Response, GraphError> {
    if state.shared.directory().purge_user(&id) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(GraphError::not_found(&id))
    }
}
