//! The rolling 24-hour budget of a connection: how many users its provision runs may disable,
//! take licenses from and remove from groups in any 24 hours, together.
//!
//! Kept as one ledger object per connection, `connections/<id>/guard/budget.json`: one entry
//! per user drawn for, with the time and the kinds. A run draws before it applies, by
//! compare-and-swap on the ledger's version, so runs drawing at once (the lanes of one tenant,
//! several Lambda instances) never grant more than the limit together. A user already drawn
//! for a kind in the window is not counted for it again (a retried run does not pay twice).

use std::collections::{BTreeSet, HashMap};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::guard::{Effect, Reduction};
use crate::store::connections::ConnectionId;
use crate::store::objects::{Condition, ObjectError, ObjectKey, ObjectStore};

/// The budget's window.
pub const BUDGET_WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// How many times a draw is retried when another run drew meanwhile.
const CAS_ATTEMPTS: usize = 32;

/// The version of the ledger format written by this code.
const LEDGER_FORMAT: u32 = 1;

/// `connections/<id>/guard/budget.json`.
pub fn budget_key(connection: &ConnectionId) -> ObjectKey {
    ObjectKey::parse(&format!("connections/{connection}/guard/budget.json"))
        .unwrap_or_else(|_| unreachable!("a connection id is a valid key segment"))
}

/// The ledger as stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ledger {
    format: u32,
    entries: Vec<Entry>,
}

/// One user drawn for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    at: Timestamp,
    employee_id: String,
    kinds: BTreeSet<Reduction>,
    delivery: String,
}

/// What a user's change would take, for one draw.
#[derive(Debug, Clone)]
pub struct Request {
    /// The worker.
    pub employee_id: String,
    /// What the worker's change takes away.
    pub effect: Effect,
}

/// What a draw granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// For each request, in order: whether it fits the budget (and was drawn).
    pub granted: Vec<bool>,
    /// Users per kind drawn in the window after this draw.
    pub used: HashMap<Reduction, usize>,
    /// The limit per kind.
    pub limit: usize,
}

/// Why the budget could not be drawn from.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BudgetError {
    /// The object store failed.
    #[error("cannot draw from the guard's budget of connection {connection}: {source}")]
    Store {
        /// The connection.
        connection: ConnectionId,
        /// The failure.
        source: ObjectError,
    },
    /// The stored ledger is malformed.
    #[error("the guard's budget of connection {connection} cannot be read ({key}): {message}")]
    Invalid {
        /// The connection.
        connection: ConnectionId,
        /// Its key.
        key: ObjectKey,
        /// What is wrong.
        message: String,
    },
    /// Other runs kept drawing first.
    #[error("the guard's budget of connection {0} kept changing under this run; retry")]
    Contended(ConnectionId),
}

/// Draws from the connection's budget at `now`, in order of `requests`: each request whose
/// kinds all still fit `limit` users per kind in the last 24 hours is granted and recorded;
/// the others are not (they wait for approval).
pub async fn draw(
    objects: &dyn ObjectStore,
    connection: &ConnectionId,
    delivery: &str,
    now: Timestamp,
    limit: usize,
    requests: &[Request],
) -> Result<Grant, BudgetError> {
    let key = budget_key(connection);
    let store = |source| BudgetError::Store {
        connection: connection.clone(),
        source,
    };
    let since = now.saturating_sub(BUDGET_WINDOW).unwrap_or(now);
    for _ in 0..CAS_ATTEMPTS {
        let stored = objects.get(&key).await.map_err(store)?;
        let (mut ledger, condition) = match stored {
            Some((bytes, version)) => (
                decode(&bytes, connection, &key)?,
                Condition::Matches(version),
            ),
            None => (Ledger::default(), Condition::Absent),
        };
        ledger.format = LEDGER_FORMAT;
        ledger.entries.retain(|e| e.at > since);
        let grant = grant(&mut ledger, delivery, now, limit, requests);
        let bytes = serde_json::to_vec(&ledger).map_err(|e| BudgetError::Invalid {
            connection: connection.clone(),
            key: key.clone(),
            message: e.to_string(),
        })?;
        match objects.put(&key, bytes, condition).await {
            Ok(_) => return Ok(grant),
            Err(ObjectError::Conflict { .. } | ObjectError::NotFound { .. }) => continue,
            Err(e) => return Err(store(e)),
        }
    }
    Err(BudgetError::Contended(connection.clone()))
}

/// Users per kind drawn for in the 24 hours before `now`.
pub async fn used(
    objects: &dyn ObjectStore,
    connection: &ConnectionId,
    now: Timestamp,
) -> Result<HashMap<Reduction, usize>, BudgetError> {
    let key = budget_key(connection);
    let since = now.saturating_sub(BUDGET_WINDOW).unwrap_or(now);
    let stored = objects
        .get(&key)
        .await
        .map_err(|source| BudgetError::Store {
            connection: connection.clone(),
            source,
        })?;
    let mut ledger = match stored {
        Some((bytes, _)) => decode(&bytes, connection, &key)?,
        None => Ledger::default(),
    };
    ledger.entries.retain(|e| e.at > since);
    Ok(usage(&ledger))
}

/// Decides each request against the ledger (already cut to the window) and records the granted.
fn grant(
    ledger: &mut Ledger,
    delivery: &str,
    now: Timestamp,
    limit: usize,
    requests: &[Request],
) -> Grant {
    let mut used = usage(ledger);
    let mut drawn: HashMap<String, BTreeSet<Reduction>> = HashMap::new();
    for entry in &ledger.entries {
        drawn
            .entry(entry.employee_id.clone())
            .or_default()
            .extend(entry.kinds.iter().copied());
    }
    let mut granted = Vec::with_capacity(requests.len());
    for request in requests {
        let already = drawn.get(&request.employee_id);
        let needed: BTreeSet<Reduction> = request
            .effect
            .kinds()
            .filter(|k| !already.is_some_and(|a| a.contains(k)))
            .collect();
        let fits = needed
            .iter()
            .all(|k| used.get(k).copied().unwrap_or(0) < limit);
        granted.push(fits);
        if fits && !needed.is_empty() {
            for kind in &needed {
                *used.entry(*kind).or_default() += 1;
            }
            drawn
                .entry(request.employee_id.clone())
                .or_default()
                .extend(needed.iter().copied());
            ledger.entries.push(Entry {
                at: now,
                employee_id: request.employee_id.clone(),
                kinds: needed,
                delivery: delivery.to_owned(),
            });
        }
    }
    Grant {
        granted,
        used,
        limit,
    }
}

fn usage(ledger: &Ledger) -> HashMap<Reduction, usize> {
    let mut used = HashMap::new();
    for entry in &ledger.entries {
        for kind in &entry.kinds {
            *used.entry(*kind).or_default() += 1;
        }
    }
    used
}

fn decode(bytes: &[u8], connection: &ConnectionId, key: &ObjectKey) -> Result<Ledger, BudgetError> {
    let ledger: Ledger = serde_json::from_slice(bytes).map_err(|e| BudgetError::Invalid {
        connection: connection.clone(),
        key: key.clone(),
        message: e.to_string(),
    })?;
    if ledger.format != LEDGER_FORMAT {
        return Err(BudgetError::Invalid {
            connection: connection.clone(),
            key: key.clone(),
            message: format!("format {} is not {LEDGER_FORMAT}", ledger.format),
        });
    }
    Ok(ledger)
}
