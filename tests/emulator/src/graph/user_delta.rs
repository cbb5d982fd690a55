//! `GET /users/delta`: a first round pages through every user and ends with an
//! `@odata.deltaLink`; the delta link later returns the users created or changed since, and
//! deleted users with `@removed`. With `manager` in `$select`, `manager@delta` names the manager
//! (first round) or its change (a new one; the old one with `@removed`).

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tenure::directory::DirectoryUser;

use crate::errors::GraphError;
use crate::graph::delta::{Collection, DeltaPage, Round, envelope, preferred_size, user_reference};
use crate::graph::query::{Query, parse_select};
use crate::graph::user_json::{USER_DEFAULTS, USER_TYPE, project, user_json, user_properties};
use crate::journal::{Journal, UserEntry};
use crate::state::TenantState;

/// The default page size of a round.
const PAGE: usize = 100;

/// The navigation property users delta tracks besides the properties.
const MANAGER: &str = "manager";

/// What a round returns of each user.
struct Shape {
    select: Option<Vec<String>>,
    manager: bool,
}

impl Shape {
    /// `$select`, where `manager` may be named; `$expand` is refused, as delta does not
    /// support it.
    fn of(query: &Query) -> Result<Self, GraphError> {
        if query.get("$expand").is_some() {
            return Err(GraphError::malformed(
                "The query option '$expand' is not supported by delta; select 'manager' instead.",
            ));
        }
        let Some(text) = query.get("$select") else {
            return Ok(Self {
                select: None,
                manager: false,
            });
        };
        let manager = text.split(',').any(|p| p.trim() == MANAGER);
        let rest: Vec<&str> = text
            .split(',')
            .map(str::trim)
            .filter(|p| *p != MANAGER)
            .collect();
        let select = if rest.is_empty() {
            vec!["id".to_owned()]
        } else {
            parse_select(&rest.join(","), &user_properties(), USER_TYPE)?
        };
        Ok(Self {
            select: Some(select),
            manager,
        })
    }

    fn render(&self, journal: &Journal, user: &DirectoryUser, round: Round) -> Value {
        let mut out = project(&user_json(user), self.select.as_deref(), &USER_DEFAULTS);
        out.insert("id".into(), json!(user.id));
        if self.manager
            && let Some(manager) = manager_delta(journal, user, round)
        {
            out.insert("manager@delta".into(), manager);
        }
        Value::Object(out)
    }
}

/// `manager@delta`: the manager on a first round; after that, only when it changed: the new
/// one, and the old one marked removed.
fn manager_delta(journal: &Journal, user: &DirectoryUser, round: Round) -> Option<Value> {
    let current = user.manager.as_ref().map(|m| m.id.as_str());
    let change = journal
        .manager_change(&user.id)
        .filter(|c| c.seq > round.base);
    let Some(change) = change else {
        return (round.initial)
            .then_some(current)
            .flatten()
            .map(|id| json!([user_reference(id, false)]));
    };
    let mut references = Vec::new();
    if let Some(previous) = change.previous.as_deref()
        && Some(previous) != current
    {
        references.push(user_reference(previous, true));
    }
    if let Some(current) = current {
        references.push(user_reference(current, false));
    }
    (!references.is_empty()).then_some(Value::Array(references))
}

/// `GET /users/delta`.
pub(crate) async fn users(
    State(state): State<TenantState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, GraphError> {
    let query = Query::parse(raw.as_deref())?;
    let shape = Shape::of(&query)?;
    let size = preferred_size(&headers).unwrap_or(PAGE);
    let directory = state.shared.directory();
    let journal = directory.journal();
    let round = Round::of(&query, Collection::Users, journal)?;
    let mut value = Vec::new();
    let mut cursor = round.cursor;
    let mut more = false;
    for (seq, entry) in journal.users_after(round.cursor) {
        let item = match entry {
            UserEntry::Changed(id) => directory
                .user(id)
                .map(|user| shape.render(journal, user, round)),
            UserEntry::Removed(_) if round.initial => None,
            UserEntry::Removed(id) => Some(json!({"id": id, "@removed": {"reason": "changed"}})),
        };
        let Some(item) = item else { continue };
        if value.len() == size {
            more = true;
            break;
        }
        value.push(item);
        cursor = seq;
    }
    let page = DeltaPage {
        value,
        next: more.then_some(Round { cursor, ..round }),
    };
    let body = envelope(
        page,
        Collection::Users,
        journal,
        (&headers, &uri, &query),
        "users",
    );
    Ok(axum::Json(body).into_response())
}
