//! Confirming a reviewed match report for a deployed connection ([`confirm_report`]): the pairs
//! marked `adopt` are checked against the connection's stored HR export and cached directory
//! ([`crate::correlate::confirm`], as `tenure match --confirm` does against the live tenant),
//! then kept in the connection's mapping configuration (`matching.confirmed`), so that the
//! next provision run adopts them: it writes each worker's `employeeId` on its account, with an
//! audit record, while the match still holds.

use serde::Serialize;

use crate::correlate::{ConfirmedMatch, confirm, read_confirmed};
use crate::service::Services;
use crate::service::provision::records;
use crate::service::schedule::{self, ScheduleError};
use crate::service::settings::{MappingSettings, SettingsError};
use crate::store::connections::Connection;
use crate::store::objects::Condition;
use crate::today::Today;

/// How many times the settings are written again after another writer changed them.
const CAS_ATTEMPTS: usize = 8;

/// What confirming a report did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfirmedReport {
    /// The pairs the next provision run adopts: (employee id, account's UPN).
    pub adopt: Vec<ConfirmedPair>,
    /// Pairs in place already, in words.
    pub already: Vec<String>,
}

/// A pair to adopt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfirmedPair {
    /// The worker.
    pub employee_id: String,
    /// The account's object id.
    pub user_id: String,
    /// The account's user principal name.
    pub user_principal_name: String,
}

/// Why a reviewed report was not confirmed. Nothing is kept then.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MatchConfirmError {
    /// The report cannot be read, or some pair cannot be adopted (the message says which).
    #[error("{0}")]
    Refused(String),
    /// The connection has no HR export or no directory read yet to check the pairs against.
    #[error("{0}")]
    NotReady(String),
    /// The settings kept changing.
    #[error("the mapping settings of connection {0} kept changing; try again")]
    Contended(String),
    /// A store failed.
    #[error("{0}")]
    Unavailable(String),
}

impl MatchConfirmError {
    /// The HTTP status that answers it.
    pub fn status(&self) -> u16 {
        match self {
            Self::Refused(_) => 400,
            Self::NotReady(_) | Self::Contended(_) => 409,
            Self::Unavailable(_) => 503,
        }
    }
}

/// Confirms the reviewed report `text` (JSON or CSV, as `tenure match` writes them) for
/// `connection`: every pair marked `adopt` must name a worker of the stored HR export without
/// an account and an account of the cached directory without an `employeeId`; then the pairs
/// are added to the connection's `matching.confirmed` (a pair for the same worker replaces the
/// one before).
pub async fn confirm_report(
    services: &Services,
    connection: &Connection,
    text: &str,
) -> Result<ConfirmedReport, MatchConfirmError> {
    let id = &connection.id;
    let pairs = read_confirmed(text, "the reviewed report")
        .map_err(|e| MatchConfirmError::Refused(e.to_string()))?;
    if pairs.is_empty() {
        return Err(MatchConfirmError::Refused(
            "the reviewed report marks no pair adopt: mark \"adopt\": true (JSON) or yes (CSV) \
             on the candidates to confirm"
                .into(),
        ));
    }
    let (_, hr) = match schedule::read_export(services, id).await {
        Ok(found) => found,
        Err(error @ ScheduleError::NoExport { .. }) => {
            return Err(MatchConfirmError::NotReady(format!(
                "{error}: upload the HR export first (POST /connections/{id}/hr/export)"
            )));
        }
        Err(error) => return Err(MatchConfirmError::Unavailable(error.to_string())),
    };
    let cache = records::read_cache(services.objects.as_ref(), id).await;
    let (Some(cached), _) = records::decode_cache(cache, id, &connection.endpoints().graph) else {
        return Err(MatchConfirmError::NotReady(format!(
            "connection {id} has no directory read yet to check the matches against: the first \
             provision or scheduled run reads it"
        )));
    };
    let directory = cached.directory;
    let today = Today::Instant(services.clock.now());
    let confirmation = confirm(&pairs, &hr.workers, &directory, today)
        .map_err(|e| MatchConfirmError::Refused(e.to_string()))?;
    let adopt: Vec<ConfirmedPair> = confirmation
        .plan
        .workers
        .iter()
        .map(|w| ConfirmedPair {
            employee_id: w.employee_id.clone(),
            user_id: w.user_id.as_deref().unwrap_or_default().to_owned(),
            user_principal_name: w
                .user_principal_name
                .as_deref()
                .unwrap_or_default()
                .to_owned(),
        })
        .collect();
    if !adopt.is_empty() {
        keep(services, connection, &adopt).await?;
    }
    tracing::info!(connection = %id, pairs = adopt.len(), "reviewed matches confirmed");
    Ok(ConfirmedReport {
        adopt,
        already: confirmation.already,
    })
}

/// Adds the pairs to the settings' `matching.confirmed`, by compare-and-swap.
async fn keep(
    services: &Services,
    connection: &Connection,
    adopt: &[ConfirmedPair],
) -> Result<(), MatchConfirmError> {
    let id = &connection.id;
    let unavailable = |e: SettingsError| match e {
        SettingsError::Missing(_) => MatchConfirmError::NotReady(e.to_string()),
        e => MatchConfirmError::Unavailable(e.to_string()),
    };
    for _ in 0..CAS_ATTEMPTS {
        let (mut settings, version) = MappingSettings::load(services.objects.as_ref(), id)
            .await
            .map_err(unavailable)?;
        let Some(config) = settings.config.as_object_mut() else {
            return Err(MatchConfirmError::NotReady(format!(
                "the mapping configuration of connection {id} is not a JSON object"
            )));
        };
        let matching = config
            .entry("matching")
            .or_insert_with(|| serde_json::json!({}));
        let Some(matching) = matching.as_object_mut() else {
            return Err(MatchConfirmError::NotReady(format!(
                "the matching section of connection {id}'s configuration is not a JSON object"
            )));
        };
        let mut confirmed: Vec<ConfirmedMatch> = matching
            .get("confirmed")
            .cloned()
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| {
                MatchConfirmError::NotReady(format!("matching.confirmed cannot be read: {e}"))
            })?
            .unwrap_or_default();
        for pair in adopt {
            confirmed.retain(|c| c.employee_id != pair.employee_id);
            confirmed.push(ConfirmedMatch {
                employee_id: pair.employee_id.clone(),
                account: pair.user_id.clone(),
            });
        }
        matching.insert(
            "confirmed".into(),
            serde_json::to_value(&confirmed).unwrap_or_default(),
        );
        match settings
            .save(services.objects.as_ref(), id, Condition::Matches(version))
            .await
        {
            Ok(_) => return Ok(()),
            Err(SettingsError::Store(crate::store::objects::ObjectError::Conflict { .. })) => {
                continue;
            }
            Err(e) => return Err(unavailable(e)),
        }
    }
    Err(MatchConfirmError::Contended(id.to_string()))
}
