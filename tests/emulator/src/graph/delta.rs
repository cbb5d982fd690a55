//! `GET /users/delta`: a first round pages through every user and ends with an
//! `@odata.deltaLink`; the delta link later returns only users changed since, and removed users
//! with `@removed`.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::errors::GraphError;
use crate::graph::paging::Place;
use crate::graph::query::Query;
use crate::graph::user_json::{USER_DEFAULTS, USER_TYPE, project, user_json, user_properties};
use crate::state::TenantState;

/// The default page size of a delta round.
const PAGE: usize = 100;

/// Where a delta round is: changes after `since` (all users when `None`) up to `upto`, from
/// item `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Round {
    since: Option<u64>,
    upto: u64,
    offset: usize,
}

impl Round {
    fn skip_token(self) -> String {
        let since = self
            .since
            .map_or_else(|| "x".to_owned(), |s| format!("{s:x}"));
        format!("dlt{since}.{:x}.{:x}", self.upto, self.offset)
    }

    fn from_skip_token(token: &str) -> Option<Self> {
        let mut parts = token.strip_prefix("dlt")?.split('.');
        let since = match parts.next()? {
            "x" => None,
            hex => Some(u64::from_str_radix(hex, 16).ok()?),
        };
        let upto = u64::from_str_radix(parts.next()?, 16).ok()?;
        let offset = usize::from_str_radix(parts.next()?, 16).ok()?;
        parts.next().is_none().then_some(Self {
            since,
            upto,
            offset,
        })
    }
}

fn delta_token(upto: u64) -> String {
    format!("dtk{upto:x}")
}

fn from_delta_token(token: &str) -> Option<u64> {
    u64::from_str_radix(token.strip_prefix("dtk")?, 16).ok()
}

fn expired() -> GraphError {
    GraphError::new(
        axum::http::StatusCode::GONE,
        "SyncStateNotFound",
        "The specified sync state was not found or has expired.",
    )
}

/// The page size a `Prefer: odata.maxpagesize=N` header asks for.
fn preferred_size(headers: &HeaderMap) -> Option<usize> {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().strip_prefix("odata.maxpagesize="))
        .and_then(|n| n.trim().parse().ok())
        .filter(|n| (1..=999).contains(n))
}

/// `GET /users/delta`.
pub(crate) async fn users(
    State(state): State<TenantState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, GraphError> {
    let query = Query::parse(raw.as_deref())?;
    let select = query.select(&user_properties(), USER_TYPE)?;
    let size = preferred_size(&headers).unwrap_or(PAGE);
    let directory = state.shared.directory();
    let round = match (query.get("$skiptoken"), query.get("$deltatoken")) {
        (Some(token), None) => Round::from_skip_token(token).ok_or_else(expired)?,
        (None, Some(token)) => {
            let since = from_delta_token(token)
                .filter(|s| *s <= directory.seq())
                .ok_or_else(expired)?;
            Round {
                since: Some(since),
                upto: directory.seq(),
                offset: 0,
            }
        }
        (None, None) => Round {
            since: None,
            upto: directory.seq(),
            offset: 0,
        },
        (Some(_), Some(_)) => return Err(expired()),
    };
    let (changed, removed) = directory.changes(round.since, round.upto);
    let total = changed.len() + removed.len();
    let value: Vec<Value> = changed
        .iter()
        .map(|u| (Some(*u), u.id.as_str()))
        .chain(removed.iter().map(|id| (None, *id)))
        .skip(round.offset)
        .take(size)
        .map(|(user, id)| match user {
            Some(user) => {
                let mut out = project(&user_json(user), select.as_deref(), &USER_DEFAULTS);
                out.insert("id".into(), json!(id));
                Value::Object(out)
            }
            None => json!({"id": id, "@removed": {"reason": "changed"}}),
        })
        .collect();
    drop(directory);
    let place = Place::of(&headers, &uri);
    let mut body = Map::new();
    body.insert("@odata.context".into(), json!(place.context("users(*)")));
    let end = round.offset.saturating_add(size);
    if end < total {
        let next = Round {
            offset: end,
            ..round
        };
        body.insert(
            "@odata.nextLink".into(),
            json!(place.link(&query.with_token("$skiptoken", &next.skip_token()))),
        );
    } else {
        body.insert(
            "@odata.deltaLink".into(),
            json!(place.link(&query.with_token("$deltatoken", &delta_token(round.upto)))),
        );
    }
    body.insert("value".into(), Value::Array(value));
    Ok(axum::Json(Value::Object(body)).into_response())
}
