//! `/groups`: list, get, members, and membership changes (`members/$ref`, `members@odata.bind`).
//! Distribution lists and mail-enabled security groups are visible but, as in Graph, their
//! membership can only be changed in Exchange.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tenure::desired::GroupKind;
use tenure::directory::DirectoryGroup;

use crate::errors::GraphError;
use crate::graph::body::{JsonObject, reference_of, referenced_id, unknown_property};
use crate::graph::paging::{Place, page};
use crate::graph::query::Query;
use crate::graph::user_json::{USER_TYPE, typed_user, user_properties};
use crate::state::{Directory, TenantState};

/// The properties of a group Graph returns (and `$select` may name).
pub(crate) const GROUP_PROPERTIES: [&str; 9] = [
    "id",
    "displayName",
    "description",
    "mail",
    "mailNickname",
    "proxyAddresses",
    "groupTypes",
    "securityEnabled",
    "mailEnabled",
];

/// The properties groups may be filtered by.
const FILTERABLE: [&str; 4] = ["displayName", "mail", "mailNickname", "id"];

/// The default page size.
const PAGE: usize = 100;

/// The most references one `PATCH` may bind.
const MAX_BIND: usize = 20;

fn group_json(group: &DirectoryGroup) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("id".into(), json!(group.id));
    out.insert("displayName".into(), json!(group.display_name));
    out.insert("description".into(), Value::Null);
    out.insert("mail".into(), json!(group.mail));
    out.insert("mailNickname".into(), json!(group.mail_nickname));
    out.insert("proxyAddresses".into(), json!(group.proxy_addresses));
    out.insert("groupTypes".into(), json!(group.group_types));
    out.insert("securityEnabled".into(), json!(group.security_enabled));
    out.insert("mailEnabled".into(), json!(group.mail_enabled));
    out
}

/// A group with the selected properties (all without `$select`).
pub(crate) fn projected(group: &DirectoryGroup, select: Option<&[String]>) -> Value {
    Value::Object(crate::graph::user_json::project(
        &group_json(group),
        select,
        &GROUP_PROPERTIES,
    ))
}

/// The most members `$expand=members` returns with a group, as in Graph.
const MAX_EXPANDED: usize = 20;

/// `$expand`: only `members`, optionally with its own `$select`; `Some(select)` when asked.
fn members_expansion(query: &Query) -> Result<Option<Option<Vec<String>>>, GraphError> {
    let Some(expand) = query.get("$expand").map(str::trim) else {
        return Ok(None);
    };
    if expand == "members" {
        return Ok(Some(None));
    }
    let inner = expand
        .strip_prefix("members(")
        .and_then(|r| r.strip_suffix(')'))
        .and_then(|r| r.trim().strip_prefix("$select="))
        .ok_or_else(|| {
            GraphError::malformed(format!(
                "Could not find a property named '{expand}' on type 'microsoft.graph.group'."
            ))
        })?;
    Ok(Some(Some(crate::graph::query::parse_select(
        inner,
        &user_properties(),
        USER_TYPE,
    )?)))
}

/// A group as a list or get returns it, with its first 20 members when they are expanded.
fn shown(
    directory: &Directory,
    group: &DirectoryGroup,
    select: Option<&[String]>,
    members: Option<&Option<Vec<String>>>,
) -> Value {
    let mut out = projected(group, select);
    if let (Some(member_select), Value::Object(fields)) = (members, &mut out) {
        let expanded: Vec<Value> = group
            .members
            .iter()
            .filter_map(|m| directory.user(m))
            .take(MAX_EXPANDED)
            .map(|u| typed_user(u, member_select.as_deref()))
            .collect();
        fields.insert("members".into(), Value::Array(expanded));
    }
    out
}

/// `GET /users/{id}/memberOf`: the groups the user is a direct member of, paged.
pub(crate) async fn member_of(
    State(state): State<TenantState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, GraphError> {
    let query = Query::parse(raw.as_deref())?;
    let select = query.select(&GROUP_PROPERTIES, "microsoft.graph.group")?;
    let size = query.top(PAGE)?;
    let offset = query.offset()?;
    let directory = state.shared.directory();
    let user_id = directory
        .user(&id)
        .map(|u| u.id.clone())
        .ok_or_else(|| GraphError::not_found(&id))?;
    let groups: Vec<&DirectoryGroup> = directory
        .snapshot
        .groups
        .iter()
        .filter(|g| g.members.iter().any(|m| m.eq_ignore_ascii_case(&user_id)))
        .collect();
    let value: Vec<Value> = groups
        .iter()
        .skip(offset)
        .take(size)
        .map(|g| {
            let mut out = Map::new();
            out.insert("@odata.type".into(), json!("#microsoft.graph.group"));
            if let Value::Object(fields) = projected(g, select.as_deref()) {
                out.extend(fields);
            }
            Value::Object(out)
        })
        .collect();
    let total = groups.len();
    drop(directory);
    let place = Place::of(&headers, &uri);
    let body = page(
        value,
        total,
        (offset, size),
        &place,
        &query,
        "directoryObjects",
    );
    Ok(axum::Json(body).into_response())
}

/// Refuses a membership change on a group only Exchange may change.
fn changeable(group: &DirectoryGroup) -> Result<(), GraphError> {
    match group.kind() {
        GroupKind::Distribution | GroupKind::MailEnabledSecurity => Err(GraphError::bad_request(
            "Cannot Update a mail-enabled security groups and or distribution list.",
        )),
        _ => Ok(()),
    }
}

fn already_members() -> GraphError {
    GraphError::bad_request(
        "One or more added object references already exist for the following modified properties: 'members'.",
    )
}

fn group_of<'d>(directory: &'d Directory, id: &str) -> Result<&'d DirectoryGroup, GraphError> {
    directory.group(id).ok_or_else(|| GraphError::not_found(id))
}

/// `GET /groups`: `$filter`, `$select`, `$top`, paged.
pub(crate) async fn list(
    State(state): State<TenantState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, GraphError> {
    let query = Query::parse(raw.as_deref())?;
    let select = query.select(&GROUP_PROPERTIES, "microsoft.graph.group")?;
    let filter = query.filter(&FILTERABLE, "Group")?;
    let members = members_expansion(&query)?;
    let size = query.top(PAGE)?;
    let offset = query.offset()?;
    let directory = state.shared.directory();
    let matching: Vec<&DirectoryGroup> = directory
        .snapshot
        .groups
        .iter()
        .filter(|g| {
            filter
                .as_ref()
                .is_none_or(|f| f.matches(|p| group_text(g, p)))
        })
        .collect();
    let value: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(size)
        .map(|g| shown(&directory, g, select.as_deref(), members.as_ref()))
        .collect();
    let total = matching.len();
    drop(directory);
    let place = Place::of(&headers, &uri);
    let body = page(value, total, (offset, size), &place, &query, "groups");
    Ok(axum::Json(body).into_response())
}

/// A group's string property, for `$filter`.
fn group_text<'g>(group: &'g DirectoryGroup, property: &str) -> Option<&'g str> {
    match property {
        "id" => Some(&group.id),
        "displayName" => Some(&group.display_name),
        "mail" => group.mail.as_deref(),
        "mailNickname" => group.mail_nickname.as_deref(),
        _ => None,
    }
}

/// `GET /groups/{id}`.
pub(crate) async fn get(
    State(state): State<TenantState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, GraphError> {
    let query = Query::parse(raw.as_deref())?;
    let select = query.select(&GROUP_PROPERTIES, "microsoft.graph.group")?;
    let members = members_expansion(&query)?;
    let directory = state.shared.directory();
    let group = group_of(&directory, &id)?;
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(Place::of(&headers, &uri).context("groups/$entity")),
    );
    if let Value::Object(fields) = shown(&directory, group, select.as_deref(), members.as_ref()) {
        out.extend(fields);
    }
    Ok(axum::Json(Value::Object(out)).into_response())
}

/// `GET /groups/{id}/members`: the direct members, `$select`, `$top`, paged.
pub(crate) async fn members(
    State(state): State<TenantState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, GraphError> {
    let query = Query::parse(raw.as_deref())?;
    let select = query.select(&user_properties(), USER_TYPE)?;
    let size = query.top(PAGE)?;
    let offset = query.offset()?;
    let directory = state.shared.directory();
    let group = group_of(&directory, &id)?;
    let value: Vec<Value> = group
        .members
        .iter()
        .skip(offset)
        .take(size)
        .filter_map(|m| directory.user(m))
        .map(|u| typed_user(u, select.as_deref()))
        .collect();
    let total = group.members.len();
    drop(directory);
    let place = Place::of(&headers, &uri);
    let body = page(
        value,
        total,
        (offset, size),
        &place,
        &query,
        "directoryObjects",
    );
    Ok(axum::Json(body).into_response())
}

/// `POST /groups/{id}/members/$ref`: `204`; `400` when already a member.
pub(crate) async fn add_member(
    State(state): State<TenantState>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Response, GraphError> {
    let member_key = reference_of(&body)?;
    let mut directory = state.shared.directory();
    let group = group_of(&directory, &id)?;
    changeable(group)?;
    let group_id = group.id.clone();
    let member_id = directory
        .user(&member_key)
        .map(|u| u.id.clone())
        .ok_or_else(|| GraphError::not_found(&member_key))?;
    if !directory.add_member(&group_id, &member_id) {
        return Err(already_members());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /groups/{id}/members/{member}/$ref`: `204`; `404` when not a member.
pub(crate) async fn remove_member(
    State(state): State<TenantState>,
    Path((id, member)): Path<(String, String)>,
) -> Result<Response, GraphError> {
    let mut directory = state.shared.directory();
    changeable(group_of(&directory, &id)?)?;
    if !directory.remove_member(&id, &member) {
        return Err(GraphError::not_found(&member));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PATCH /groups/{id}`: `displayName`, and `members@odata.bind` with up to 20 references.
pub(crate) async fn patch(
    State(state): State<TenantState>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Response, GraphError> {
    let mut directory = state.shared.directory();
    let group = group_of(&directory, &id)?.clone();
    let mut updated = group.clone();
    let mut added = Vec::new();
    for (name, value) in &body {
        match name.as_str() {
            "@odata.type" if value.as_str() == Some("#microsoft.graph.group") => {}
            "displayName" => {
                updated.display_name = value
                    .as_str()
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(|| GraphError::invalid_value(name, "Group"))?
                    .to_owned();
            }
            "members@odata.bind" => {
                let references = value
                    .as_array()
                    .ok_or_else(|| GraphError::invalid_value(name, "Group"))?;
                if references.len() > MAX_BIND {
                    return Err(GraphError::bad_request(format!(
                        "The request contains {} references in 'members@odata.bind'; at most {MAX_BIND} are allowed in one request.",
                        references.len()
                    )));
                }
                changeable(&group)?;
                for reference in references {
                    let key = reference.as_str().and_then(referenced_id).ok_or_else(|| {
                        GraphError::bad_request(
                            "Invalid object identifier in 'members@odata.bind'.",
                        )
                    })?;
                    let member_id = directory
                        .user(key)
                        .map(|u| u.id.clone())
                        .ok_or_else(|| GraphError::not_found(key))?;
                    if updated.members.contains(&member_id) {
                        return Err(already_members());
                    }
                    updated.members.push(member_id.clone());
                    added.push(member_id);
                }
            }
            other => return Err(unknown_property(other)),
        }
    }
    if updated.display_name != group.display_name
        && let Some(slot) = directory.group_mut(&group.id)
    {
        slot.display_name = updated.display_name;
    }
    for member in added {
        directory.add_member(&group.id, &member);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
