//! Pending approvals: changes the guard held back, kept with their reason until a person
//! approves or rejects them. One JSON object per approval,
//! `connections/<id>/approvals/<approval>.json`. A rejected change is never released (its work
//! is never queued) and cannot be approved afterwards.
//!
//! Approving is compare-and-swap from pending to approved, then the held work is queued marked
//! with the approval's id (provisioning lets it past the guard and the budget once it has read
//! the approval back as approved). Of any number of approvals of the same change, exactly one
//! releases it; the others find it approved and do nothing.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::guard::Effect;
use crate::queue::{MessagePart, QueueError, WorkItem};
use crate::service::Services;
use crate::store::connections::ConnectionId;
use crate::store::objects::{Condition, ObjectError, ObjectKey, ObjectStore};

/// The version of the approval format written by this code.
pub const APPROVAL_FORMAT: u32 = 1;

/// How many times an approval is retried when another writer changed the record meanwhile.
const CAS_ATTEMPTS: usize = 8;

/// A held change and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// The format version, [`APPROVAL_FORMAT`].
    pub format: u32,
    /// The approval's id: `<yyyymmddThhmmssZ>-<random>`, so ids sort by age.
    pub id: String,
    /// The connection.
    pub connection: ConnectionId,
    /// When the change was held.
    pub created_at: Timestamp,
    /// Where the change came from.
    pub origin: Origin,
    /// The deliveries (webhook deliveries, scheduled runs) whose work this is.
    pub deliveries: Vec<String>,
    /// Why the guard held it, in words.
    pub reason: String,
    /// What the change takes away, as judged when it was held.
    pub effect: Effect,
    /// Pending or approved.
    pub status: ApprovalStatus,
    /// The held work, queued as it is when approved.
    pub items: Vec<WorkItem>,
}

/// Where a held change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A webhook delivery, judged as a whole before it was queued.
    Webhook,
    /// A scheduled export, judged as a whole before it was queued.
    Schedule,
    /// Part of a provision run: the run's share or the rolling budget was exceeded.
    Provision,
}

/// Whether a person approved the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
pub enum ApprovalStatus {
    /// Waiting for a person.
    Pending,
    /// Approved and released to provisioning.
    Approved {
        /// When.
        at: Timestamp,
        /// Who (a user, an API token's id, `cli:<operator>`).
        by: String,
        /// The digest of the plan the approver saw ([`super::plan_digest`]; `none` when no
        /// plan could be made), when they approved a reviewed plan: provisioning applies the
        /// approved work only while it still plans to that.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        plan: Option<String>,
    },
    /// Rejected: never applied.
    Rejected {
        /// When.
        at: Timestamp,
        /// Who.
        by: String,
        /// Why, in the rejecter's words.
        note: String,
    },
}

/// The longest note a rejection takes, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;

/// What an approval did.
#[derive(Debug, Clone, PartialEq)]
pub struct Approved {
    /// The approval as it now stands.
    pub approval: Approval,
    /// Whether this call released the held work (false: it was approved before, nothing was
    /// done).
    pub released: bool,
}

/// Why an approval could not be listed, kept or approved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApprovalError {
    /// No approval has that id for the connection.
    #[error("connection {connection} has no approval {id}")]
    NotFound {
        /// The connection.
        connection: ConnectionId,
        /// The id asked for.
        id: String,
    },
    /// The id is not one Tenure makes.
    #[error("{0:?} is not an approval id (they look like 20261204T101500Z-1a2b3c4d)")]
    BadId(String),
    /// A stored approval is malformed.
    #[error("approval {key} cannot be read: {message}")]
    Invalid {
        /// Its key.
        key: ObjectKey,
        /// What is wrong.
        message: String,
    },
    /// Other writers kept changing the record.
    #[error("approval {0} kept changing under this approval; try again")]
    Contended(String),
    /// The object store failed.
    #[error(transparent)]
    Store(#[from] ObjectError),
    /// The change was rejected, so it is never applied and cannot be approved.
    #[error(
        "approval {id} was rejected by {by} ({note}): a rejected change is never applied; if it \
         is wanted after all, let HR send it again"
    )]
    Rejected {
        /// The approval.
        id: String,
        /// Who rejected it.
        by: String,
        /// Their note.
        note: String,
    },
    /// The change was approved already, so it cannot be rejected.
    #[error(
        "approval {id} was approved by {by} already and its work released; it cannot be rejected"
    )]
    AlreadyApproved {
        /// The approval.
        id: String,
        /// Who approved it.
        by: String,
    },
    /// The plan changed since the approver saw it: nothing was approved.
    #[error(
        "the plan of approval {id} changed since it was shown ({} difference(s)): nothing was \
         approved; review the plan as it is now and approve that",
        differences.len()
    )]
    PlanChanged {
        /// The approval.
        id: String,
        /// The digest of the plan now, to approve it.
        now: String,
        /// What differs from the plan seen, one line each ([`super::differences`]).
        differences: Vec<String>,
    },
    /// The held change could not be planned to check what the approver saw.
    #[error("the held change cannot be planned now to check it against what was approved: {0}")]
    Review(String),
    /// A rejection without a usable note.
    #[error("{0}")]
    BadNote(String),
    /// The released work could not be queued (the approval is pending again).
    #[error("cannot queue the approved change (it is still pending): {0}")]
    Queue(#[from] QueueError),
}

/// `connections/<id>/approvals/`: where a connection's approvals are kept.
pub fn approvals_prefix(connection: &ConnectionId) -> String {
    format!("connections/{connection}/approvals/")
}

/// `connections/<id>/approvals/<approval>.json`.
pub fn approval_key(connection: &ConnectionId, id: &str) -> Result<ObjectKey, ApprovalError> {
    let valid = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid {
        return Err(ApprovalError::BadId(id.to_owned()));
    }
    ObjectKey::parse(&format!("{}{id}.json", approvals_prefix(connection)))
        .map_err(|_| ApprovalError::BadId(id.to_owned()))
}

/// What a held change is made of.
#[derive(Debug, Clone)]
pub struct Hold {
    /// Where it came from.
    pub origin: Origin,
    /// The deliveries whose work it is.
    pub deliveries: Vec<String>,
    /// Why it is held.
    pub reason: String,
    /// What it takes away.
    pub effect: Effect,
    /// The work to queue once approved.
    pub items: Vec<WorkItem>,
}

/// Keeps a held change as a pending approval and returns it.
pub async fn hold(
    services: &Services,
    connection: &ConnectionId,
    hold: Hold,
) -> Result<Approval, ApprovalError> {
    let now = services.clock.now();
    let id = format!(
        "{}-{}",
        now.strftime("%Y%m%dT%H%M%SZ"),
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let items = hold
        .items
        .into_iter()
        .map(|item| WorkItem {
            approval: None,
            ..item
        })
        .collect();
    let approval = Approval {
        format: APPROVAL_FORMAT,
        id,
        connection: connection.clone(),
        created_at: now,
        origin: hold.origin,
        deliveries: hold.deliveries,
        reason: hold.reason,
        effect: hold.effect,
        status: ApprovalStatus::Pending,
        items,
    };
    let key = approval_key(connection, &approval.id)?;
    services
        .objects
        .put(&key, encode(&approval, &key)?, Condition::Absent)
        .await?;
    tracing::warn!(
        %connection,
        approval = %approval.id,
        origin = ?approval.origin,
        "a change was held for approval: {}",
        approval.reason
    );
    if approval.origin != Origin::Provision {
        // Nothing of a held delivery or export is queued, so no run would tell the admins (a
        // connection with no other traffic would never hear of it): one message without
        // workers brings a provision run whose digest names the hold. The hold stands if it
        // cannot be queued; the next run names it then.
        let notice = WorkItem::notice(connection, &format!("held-{}", approval.id));
        if let Err(error) = services.queue.send(vec![notice]).await {
            tracing::warn!(%connection, approval = %approval.id, %error, "no run was queued to tell the admins of the hold; the next run will");
        }
    }
    Ok(approval)
}

/// A connection's approvals, oldest first (pending and approved).
pub async fn list(
    objects: &dyn ObjectStore,
    connection: &ConnectionId,
) -> Result<Vec<Approval>, ApprovalError> {
    let mut approvals = Vec::new();
    for key in objects.list(&approvals_prefix(connection)).await? {
        if let Some((bytes, _)) = objects.get(&key).await? {
            approvals.push(decode(&bytes, &key)?);
        }
    }
    Ok(approvals)
}

/// One approval, if it exists.
pub async fn get(
    objects: &dyn ObjectStore,
    connection: &ConnectionId,
    id: &str,
) -> Result<Option<Approval>, ApprovalError> {
    let key = approval_key(connection, id)?;
    match objects.get(&key).await? {
        Some((bytes, _)) => Ok(Some(decode(&bytes, &key)?)),
        None => Ok(None),
    }
}

/// Approves a held change on behalf of `by` and releases its work to provisioning, exactly
/// once: an approval already approved is left as it is (`released: false`); a rejected one is
/// refused ([`ApprovalError::Rejected`]).
pub async fn approve(
    services: &Services,
    connection: &ConnectionId,
    id: &str,
    by: &str,
) -> Result<Approved, ApprovalError> {
    decide_approve(services, connection, id, by, None).await
}

/// Approves a held change as its approver reviewed it: only while planning its work again
/// ([`mod@super::review`]) gives the plan whose digest they saw (`seen`; [`super::NO_PLAN`] when no
/// plan could be shown). Otherwise nothing is approved, and the error
/// ([`ApprovalError::PlanChanged`]) says what differs from the plan seen and names the digest
/// of the plan now. The digest is kept on the approval, and provisioning applies the released
/// work only while it plans to the same. An approval already approved or rejected is answered
/// as [`approve`] does.
pub async fn approve_reviewed(
    services: &Services,
    connection: &ConnectionId,
    id: &str,
    by: &str,
    seen: &str,
) -> Result<Approved, ApprovalError> {
    let Some(approval) = get(services.objects.as_ref(), connection, id).await? else {
        return Err(ApprovalError::NotFound {
            connection: connection.clone(),
            id: id.to_owned(),
        });
    };
    if approval.status != ApprovalStatus::Pending {
        return decide_approve(services, connection, id, by, None).await;
    }
    super::review::refresh(services, connection).await;
    let now = super::review(services, connection, &approval)
        .await
        .map_err(|e| ApprovalError::Review(e.to_string()))?;
    let (digest, workers) = match now {
        Some(review) => (review.digest, review.plan.workers),
        None => (super::NO_PLAN.to_owned(), Vec::new()),
    };
    if digest != seen {
        let differences = match super::review::reviewed(services, connection, id, seen).await {
            Some(before) => super::differences(&before, &workers),
            None => vec![format!(
                "the plan seen ({seen:?}) is not one Tenure showed for this change; every action of the plan now is new to you"
            )],
        };
        return Err(ApprovalError::PlanChanged {
            id: id.to_owned(),
            now: digest,
            differences,
        });
    }
    decide_approve(services, connection, id, by, Some(digest)).await
}

async fn decide_approve(
    services: &Services,
    connection: &ConnectionId,
    id: &str,
    by: &str,
    plan: Option<String>,
) -> Result<Approved, ApprovalError> {
    let key = approval_key(connection, id)?;
    let objects = services.objects.as_ref();
    for _ in 0..CAS_ATTEMPTS {
        let Some((bytes, version)) = objects.get(&key).await? else {
            return Err(ApprovalError::NotFound {
                connection: connection.clone(),
                id: id.to_owned(),
            });
        };
        let pending = decode(&bytes, &key)?;
        match &pending.status {
            ApprovalStatus::Pending => {}
            ApprovalStatus::Approved { .. } => {
                return Ok(Approved {
                    approval: pending,
                    released: false,
                });
            }
            ApprovalStatus::Rejected { by, note, .. } => {
                return Err(ApprovalError::Rejected {
                    id: id.to_owned(),
                    by: by.clone(),
                    note: note.clone(),
                });
            }
        }
        let approved = Approval {
            status: ApprovalStatus::Approved {
                at: services.clock.now(),
                by: by.to_owned(),
                plan: plan.clone(),
            },
            ..pending.clone()
        };
        let written = objects
            .put(&key, encode(&approved, &key)?, Condition::Matches(version))
            .await;
        let version = match written {
            Ok(version) => version,
            Err(ObjectError::Conflict { .. }) => continue,
            Err(ObjectError::NotFound { .. }) => {
                return Err(ApprovalError::NotFound {
                    connection: connection.clone(),
                    id: id.to_owned(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let mut released: Vec<WorkItem> = approved
            .items
            .iter()
            .filter(|item| !item.workers.is_empty())
            .map(|item| WorkItem {
                approval: Some(approved.id.clone()),
                // A release is new work, not the remainder of a message (a held continuation's
                // id would make SQS drop the release as a duplicate of it).
                continues: None,
                ..item.clone()
            })
            .collect();
        // The release is a run of its own: its digest goes out once all of it is handled.
        MessagePart::number(&mut released);
        let sent = match released.is_empty() {
            true => Ok(Vec::new()),
            false => services.queue.send(released).await,
        };
        if let Err(error) = sent {
            // Pending again, so the next approval releases it.
            let back = objects
                .put(&key, encode(&pending, &key)?, Condition::Matches(version))
                .await;
            if let Err(back) = back {
                tracing::error!(%connection, approval = %id, %back,
                    "an approved change could not be queued nor set back to pending");
            }
            return Err(error.into());
        }
        tracing::info!(%connection, approval = %id, by, "held change approved and released");
        return Ok(Approved {
            approval: approved,
            released: true,
        });
    }
    Err(ApprovalError::Contended(id.to_owned()))
}

/// Rejects a held change on behalf of `by` with `note` (required, at most [`MAX_NOTE_CHARS`]
/// characters): its work is never queued, and approving it afterwards is refused. Rejecting
/// a rejected change again leaves the first rejection as it is; an approved one is refused
/// ([`ApprovalError::AlreadyApproved`]).
pub async fn reject(
    services: &Services,
    connection: &ConnectionId,
    id: &str,
    by: &str,
    note: &str,
) -> Result<Approval, ApprovalError> {
    let note = check_note(note)?;
    let key = approval_key(connection, id)?;
    let objects = services.objects.as_ref();
    for _ in 0..CAS_ATTEMPTS {
        let Some((bytes, version)) = objects.get(&key).await? else {
            return Err(ApprovalError::NotFound {
                connection: connection.clone(),
                id: id.to_owned(),
            });
        };
        let pending = decode(&bytes, &key)?;
        match &pending.status {
            ApprovalStatus::Pending => {}
            ApprovalStatus::Rejected { .. } => return Ok(pending),
            ApprovalStatus::Approved { by, .. } => {
                return Err(ApprovalError::AlreadyApproved {
                    id: id.to_owned(),
                    by: by.clone(),
                });
            }
        }
        let rejected = Approval {
            status: ApprovalStatus::Rejected {
                at: services.clock.now(),
                by: by.to_owned(),
                note: note.clone(),
            },
            ..pending
        };
        match objects
            .put(&key, encode(&rejected, &key)?, Condition::Matches(version))
            .await
        {
            Ok(_) => {
                tracing::info!(%connection, approval = %id, by, "held change rejected");
                return Ok(rejected);
            }
            Err(ObjectError::Conflict { .. }) => continue,
            Err(ObjectError::NotFound { .. }) => {
                return Err(ApprovalError::NotFound {
                    connection: connection.clone(),
                    id: id.to_owned(),
                });
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApprovalError::Contended(id.to_owned()))
}

/// The note of a rejection, trimmed: required, at most [`MAX_NOTE_CHARS`] characters, no
/// control characters but line breaks and tabs.
fn check_note(note: &str) -> Result<String, ApprovalError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(ApprovalError::BadNote(
            "write a note saying why the change is rejected".to_owned(),
        ));
    }
    let chars = note.chars().count();
    if chars > MAX_NOTE_CHARS {
        return Err(ApprovalError::BadNote(format!(
            "the note is {chars} characters; at most {MAX_NOTE_CHARS}"
        )));
    }
    if note
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ApprovalError::BadNote(
            "the note holds control characters; write plain text".to_owned(),
        ));
    }
    Ok(note.to_owned())
}

fn encode(approval: &Approval, key: &ObjectKey) -> Result<Vec<u8>, ApprovalError> {
    serde_json::to_vec_pretty(approval).map_err(|e| ApprovalError::Invalid {
        key: key.clone(),
        message: e.to_string(),
    })
}

fn decode(bytes: &[u8], key: &ObjectKey) -> Result<Approval, ApprovalError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let approval: Approval =
        serde_path_to_error::deserialize(&mut de).map_err(|e| ApprovalError::Invalid {
            key: key.clone(),
            message: format!("at {}: {}", e.path(), e.inner()),
        })?;
    if approval.format != APPROVAL_FORMAT {
        return Err(ApprovalError::Invalid {
            key: key.clone(),
            message: format!(
                "format {} is not one this version of Tenure reads ({APPROVAL_FORMAT})",
                approval.format
            ),
        });
    }
    Ok(approval)
}
