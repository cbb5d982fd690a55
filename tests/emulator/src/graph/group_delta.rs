//! `GET /groups/delta`: a first round pages through every group with its members in
//! `members@delta`; the delta link later returns the groups changed since, with the members
//! added and the ones removed (`@removed`). Membership changes count whether made through Graph
//! or Exchange. A group with many members is split across pages: the same group comes again
//! with the next part of its list, as Graph does.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tenure::directory::DirectoryGroup;

use crate::errors::GraphError;
use crate::graph::delta::{Collection, DeltaPage, Round, envelope, preferred_size, user_reference};
use crate::graph::groups::{GROUP_PROPERTIES, projected};
use crate::graph::query::{Query, parse_select};
use crate::journal::Journal;
use crate::state::TenantState;

/// The default number of groups in a page.
const PAGE: usize = 100;

/// The most member references one page holds.
pub(crate) const MEMBER_PAGE: usize = 500;

/// The navigation property groups delta tracks besides the properties.
const MEMBERS: &str = "members";

/// What a round returns of each group.
struct Shape {
    select: Option<Vec<String>>,
    members: bool,
}

impl Shape {
    /// `$select`, where `members` may be named (or `$expand=members`); members are tracked by
    /// default when nothing is selected.
    fn of(query: &Query) -> Result<Self, GraphError> {
        let expand = match query.get("$expand").map(str::trim) {
            None => false,
            Some(MEMBERS) => true,
            Some(other) => {
                return Err(GraphError::malformed(format!(
                    "The query option '$expand={other}' is not supported by delta."
                )));
            }
        };
        let Some(text) = query.get("$select") else {
            return Ok(Self {
                select: None,
                members: true,
            });
        };
        let members = expand || text.split(',').any(|p| p.trim() == MEMBERS);
        let rest: Vec<&str> = text
            .split(',')
            .map(str::trim)
            .filter(|p| *p != MEMBERS)
            .collect();
        let select = if rest.is_empty() {
            vec!["id".to_owned()]
        } else {
            parse_select(&rest.join(","), &GROUP_PROPERTIES, "microsoft.graph.group")?
        };
        Ok(Self {
            select: Some(select),
            members,
        })
    }

    /// The group with one part of its member references.
    fn render(&self, group: &DirectoryGroup, references: &[(&str, bool)]) -> Value {
        let mut out = projected(group, self.select.as_deref());
        out["id"] = Value::String(group.id.clone());
        if !references.is_empty() {
            out["members@delta"] = references
                .iter()
                .map(|(id, removed)| user_reference(id, *removed))
                .collect();
        }
        out
    }
}

/// `members@delta` of a group in a round, as `(id, removed)`: on a first round every member
/// (and, for a group changed while the round went on, the members removed since it began);
/// after that the members added and removed since the link, in the order they changed. Only
/// the part a page holds is rendered as JSON, so a very large group stays cheap to page.
fn member_references<'d>(
    journal: &'d Journal,
    group: &'d DirectoryGroup,
    round: Round,
) -> Vec<(&'d str, bool)> {
    let mut changes: Vec<(&str, u64, bool)> = journal
        .member_changes(&group.id)
        .into_iter()
        .flatten()
        .filter(|(_, change)| change.seq > round.base)
        .map(|(member, change)| (member.as_str(), change.seq, change.added))
        .collect();
    changes.sort_by_key(|(_, seq, _)| *seq);
    if round.initial {
        let current = group.members.iter().map(|m| (m.as_str(), false));
        let removed = changes
            .into_iter()
            .filter(|(member, _, added)| !added && !group.members.iter().any(|m| m == member))
            .map(|(member, _, _)| (member, true));
        current.chain(removed).collect()
    } else {
        changes
            .into_iter()
            .map(|(member, _, added)| (member, !added))
            .collect()
    }
}

/// `GET /groups/delta`.
pub(crate) async fn groups(
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
    let round = Round::of(&query, Collection::Groups, journal)?;
    // A page that ended part-way through a group goes on with it, if it did not change since.
    let from = if round.offset > 0 {
        round.cursor.saturating_sub(1)
    } else {
        round.cursor
    };
    let mut value = Vec::new();
    let mut budget = MEMBER_PAGE;
    let mut last = (round.cursor, round.offset);
    let mut more = false;
    for (seq, id) in journal.groups_after(from) {
        let Some(group) = directory.group(id) else {
            continue;
        };
        let offset = if seq == round.cursor { round.offset } else { 0 };
        let references = if shape.members {
            member_references(journal, group, round)
        } else {
            Vec::new()
        };
        let rest = references.get(offset..).unwrap_or_default();
        if value.len() == size || (budget == 0 && !rest.is_empty()) {
            more = true;
            break;
        }
        let part = rest.get(..budget.min(rest.len())).unwrap_or_default();
        budget -= part.len();
        value.push(shape.render(group, part));
        if part.len() < rest.len() {
            last = (seq, offset + part.len());
            more = true;
            break;
        }
        last = (seq, 0);
    }
    let page = DeltaPage {
        value,
        next: more.then_some(Round {
            cursor: last.0,
            offset: last.1,
            ..round
        }),
    };
    let body = envelope(
        page,
        Collection::Groups,
        journal,
        (&headers, &uri, &query),
        "groups",
    );
    Ok(axum::Json(body).into_response())
}
