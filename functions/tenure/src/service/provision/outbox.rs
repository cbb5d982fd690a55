//! Mail kept for a later run: the notices (leavers' managers, the admins' digest) a run did not
//! send because Microsoft asked it to wait past its stop time, or because the stop time had
//! come before it got to them ([`MailReport::postponed`]). Not a failure: a `429` says the mail
//! was not taken, so sending it later sends it once.
//!
//! Each is kept at `connections/<id>/outbox/<sha-256 of the notice>.json` (written only if
//! absent: the same notice kept twice is one) and sent by the next run of the connection that
//! gets to its mail (the run's continuation, a later delivery, the scheduled sync), then
//! removed. A run claims a kept notice before sending it (a write conditioned on the version it
//! read), so two runs of the connection at once never both send it; a claim not settled within
//! [`CLAIM_FOR`] (its invocation was killed between claim and removal) lapses, and the notice
//! is sent by a later run. A kept notice Microsoft then refuses is reported failed, as any mail
//! that fails, and removed. One not sent within [`KEEP_FOR`] (the connection lost its sender, or
//! Microsoft kept refusing) is stale: removed and reported failed rather than sent weeks late.
//!
//! Only notices without secrets are kept: a first-day mail (which carries a Temporary Access
//! Pass or a first password) is an action of the plan and never comes here; were one handed
//! over, it is reported failed, never written to the object store ([`keepable`]).

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::microsoft::{MailReport, Mailer};
use crate::notify::{MailKind, Notice};
use crate::service::Services;
use crate::store::Version;
use crate::store::connections::ConnectionId;
use crate::store::objects::{Condition, ObjectError, ObjectKey};

/// How long a run's claim on a kept notice holds: longer than any invocation.
pub(super) const CLAIM_FOR: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);

/// How long a kept notice waits to be sent before it is stale: as long as a run's records.
pub(super) const KEEP_FOR: jiff::SignedDuration =
    jiff::SignedDuration::from_hours(24 * super::digest::RUN_RECORDS_DAYS);

/// A kept notice, when it was kept, and when a run claimed it to send it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Kept {
    notice: Notice,
    kept_at: jiff::Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claimed_at: Option<jiff::Timestamp>,
}

fn prefix(connection: &ConnectionId) -> String {
    format!("connections/{connection}/outbox/")
}

/// The key of a kept notice: the SHA-256 of the notice alone, so the same notice is kept once.
fn key_of(connection: &ConnectionId, notice: &Notice) -> Result<ObjectKey, ObjectError> {
    let bytes = serde_json::to_vec(notice).map_err(|e| ObjectError::Unavailable {
        operation: "write",
        target: format!("the outbox of connection {connection}"),
        message: e.to_string(),
    })?;
    let text = format!(
        "{}{}.json",
        prefix(connection),
        hex::encode(Sha256::digest(&bytes))
    );
    ObjectKey::parse(&text).map_err(|e| ObjectError::Unavailable {
        operation: "write",
        target: format!("object {text:?}"),
        message: e.to_string(),
    })
}

/// Whether a notice kept at `kept_at` is stale at `now` ([`KEEP_FOR`]).
fn stale(kept_at: jiff::Timestamp, now: jiff::Timestamp) -> bool {
    kept_at
        .checked_add(KEEP_FOR)
        .is_ok_and(|until| now >= until)
}

/// Whether a kept notice claimed at `claimed_at` may be claimed at `now`: unclaimed, or its
/// claim lapsed.
fn claimable(claimed_at: Option<jiff::Timestamp>, now: jiff::Timestamp) -> bool {
    claimed_at.is_none_or(|at| at.checked_add(CLAIM_FOR).is_ok_and(|until| now >= until))
}

/// Whether `notice` may be written to the object store: not a first-day mail, whose pass or
/// password must never be stored.
fn keepable(notice: &Notice) -> Result<(), &'static str> {
    match notice.kind {
        MailKind::FirstDay | MailKind::FirstDayPassword => {
            Err("a first-day mail carries a pass or a password, which is never stored")
        }
        MailKind::Leaver | MailKind::Digest => Ok(()),
    }
}

/// Keeps `notices` for a later run. Gives a failure line for each that could not be kept (it
/// is lost, as a failed mail is: reported and logged).
pub(super) async fn keep(
    services: &Services,
    connection: &ConnectionId,
    notices: &[Notice],
) -> Vec<String> {
    let mut failed = Vec::new();
    let now = services.clock.now();
    for notice in notices {
        if let Err(why) = keepable(notice) {
            let line = lost(notice, why);
            tracing::warn!(%connection, failure = %line, "a notice was not kept");
            failed.push(line);
            continue;
        }
        let kept = Kept {
            notice: notice.clone(),
            kept_at: now,
            claimed_at: None,
        };
        let written = match (serde_json::to_vec(&kept), key_of(connection, notice)) {
            (Ok(bytes), Ok(key)) => services.objects.put(&key, bytes, Condition::Absent).await,
            (Err(error), _) => {
                failed.push(lost(notice, &error.to_string()));
                continue;
            }
            (_, Err(error)) => Err(error),
        };
        match written {
            Ok(_) | Err(ObjectError::Conflict { .. }) => {}
            Err(error) => {
                let line = lost(notice, &error.to_string());
                tracing::warn!(%connection, failure = %line, "a notice could not be kept");
                failed.push(line);
            }
        }
    }
    if !notices.is_empty() {
        tracing::info!(%connection, notices = notices.len(),
            "notices not sent before the run's stop time are kept for the next run");
    }
    failed
}

fn lost(notice: &Notice, why: &str) -> String {
    format!(
        "{} mail to {}: not sent before the run's stop time, and it could not be kept for the next run: {why}",
        notice.kind.config_name(),
        notice.to.join(", ")
    )
}

/// Sends the notices kept for the connection, each claimed first; what was sent or failed is
/// removed, what is postponed again is released for the next run. Stops once `mailer` may
/// start no more.
pub(super) async fn send_kept(
    services: &Services,
    connection: &ConnectionId,
    mailer: &Mailer,
) -> MailReport {
    let mut report = MailReport::default();
    let keys = match services.objects.list(&prefix(connection)).await {
        Ok(keys) => keys,
        Err(error) => {
            tracing::warn!(%connection, %error, "cannot list the kept notices; the next run sends them");
            return report;
        }
    };
    for key in keys {
        if !mailer.may_start() {
            break;
        }
        let Some((kept, version)) = claim(services, &key).await else {
            continue;
        };
        if stale(kept.kept_at, services.clock.now()) {
            let line = format!(
                "{} mail to {}: kept since {} and not sent within {} days; dropped",
                kept.notice.kind.config_name(),
                kept.notice.to.join(", "),
                kept.kept_at,
                super::digest::RUN_RECORDS_DAYS
            );
            tracing::warn!(%connection, failure = %line, "a kept notice is stale");
            report.failed.push(line);
            if let Err(error) = services.objects.delete(&key).await {
                tracing::warn!(%connection, %key, %error, "cannot remove a stale kept notice");
            }
            continue;
        }
        let sent = mailer.send_all(std::slice::from_ref(&kept.notice)).await;
        let settled = match sent.postponed.is_empty() {
            true => services.objects.delete(&key).await,
            false => release(services, &key, kept, version).await,
        };
        if let Err(error) = settled {
            tracing::warn!(%connection, %key, %error, "cannot settle a kept notice");
        }
        // A notice postponed again is kept as it is: not in this run's report of postponed ones.
        report.sent += sent.sent;
        report.failed.extend(sent.failed);
    }
    report
}

/// Claims the kept notice at `key` for this run: it, and the version of the claim; `None` when
/// another run holds it, took it first, or it cannot be read.
async fn claim(services: &Services, key: &ObjectKey) -> Option<(Kept, Version)> {
    let (bytes, version) = match services.objects.get(key).await {
        Ok(Some(found)) => found,
        Ok(None) => return None,
        Err(error) => {
            tracing::warn!(%key, %error, "cannot read a kept notice");
            return None;
        }
    };
    let kept: Kept = match serde_json::from_slice(&bytes) {
        Ok(kept) => kept,
        Err(error) => {
            tracing::warn!(%key, %error, "a kept notice cannot be read; left as it is");
            return None;
        }
    };
    let now = services.clock.now();
    if !claimable(kept.claimed_at, now) {
        return None;
    }
    let claimed = Kept {
        claimed_at: Some(now),
        ..kept
    };
    let bytes = serde_json::to_vec(&claimed).ok()?;
    match services
        .objects
        .put(key, bytes, Condition::Matches(version))
        .await
    {
        Ok(version) => Some((claimed, version)),
        Err(ObjectError::Conflict { .. } | ObjectError::NotFound { .. }) => None,
        Err(error) => {
            tracing::warn!(%key, %error, "cannot claim a kept notice");
            None
        }
    }
}

/// Gives a claimed notice back, unclaimed, for the next run.
async fn release(
    services: &Services,
    key: &ObjectKey,
    claimed: Kept,
    version: Version,
) -> Result<(), ObjectError> {
    let kept = Kept {
        claimed_at: None,
        ..claimed
    };
    let bytes = serde_json::to_vec(&kept).map_err(|e| ObjectError::Unavailable {
        operation: "write",
        target: format!("object {key}"),
        message: e.to_string(),
    })?;
    services
        .objects
        .put(key, bytes, Condition::Matches(version))
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::{CLAIM_FOR, KEEP_FOR, claimable, keepable, lost, stale};
    use crate::notify::{MailKind, Notice};

    #[test]
    fn a_first_day_mail_is_never_kept_and_its_failure_names_no_secret() {
        for (kind, keeps) in [
            (MailKind::FirstDay, false),
            (MailKind::FirstDayPassword, false),
            (MailKind::Leaver, true),
            (MailKind::Digest, true),
        ] {
            let notice = Notice {
                to: vec!["manager@contoso.example".to_owned()],
                kind,
                values: vec![("pass".to_owned(), "TAP-SECRET-VALUE".to_owned())],
                html: Vec::new(),
            };
            assert_eq!(keepable(&notice).is_ok(), keeps, "{kind:?}");
            if let Err(why) = keepable(&notice) {
                let line = lost(&notice, why);
                assert!(!line.contains("TAP-SECRET-VALUE"), "{line}");
                assert!(line.contains("manager@contoso.example"), "{line}");
            }
        }
    }

    #[test]
    fn a_notice_kept_longer_than_keep_for_is_stale() {
        let now: jiff::Timestamp = "2026-12-05T12:00:00Z".parse().unwrap_or_default();
        assert!(!stale(now, now));
        let kept_at = now.checked_sub(KEEP_FOR).unwrap_or(now);
        assert!(stale(kept_at, now), "kept KEEP_FOR ago");
        let lately = now
            .checked_sub(KEEP_FOR - jiff::SignedDuration::from_secs(1))
            .unwrap_or(now);
        assert!(!stale(lately, now));
    }

    #[test]
    fn a_kept_notice_is_claimed_once_until_its_claim_lapses() {
        let now: jiff::Timestamp = "2026-12-05T12:00:00Z".parse().unwrap_or_default();
        assert!(claimable(None, now), "never claimed");
        assert!(!claimable(Some(now), now), "claimed just now");
        let earlier = now.checked_sub(CLAIM_FOR).unwrap_or(now);
        assert!(claimable(Some(earlier), now), "a claim as old as CLAIM_FOR");
        let recent = now
            .checked_sub(CLAIM_FOR - jiff::SignedDuration::from_secs(1))
            .unwrap_or(now);
        assert!(!claimable(Some(recent), now), "a claim not yet lapsed");
    }
}
