//! Where the last directory read left off, kept between syncs: the Graph delta links and the
//! mailbox watermark. Serialise it next to the cached snapshot.

use std::collections::BTreeMap;

use jiff::{RoundMode, SignedDuration, Timestamp, TimestampRound, Unit};
use serde::{Deserialize, Serialize};

use super::exchange::StampedMailbox;

/// How far before the newest change a mailbox read starts again, so that a change Exchange
/// makes visible late (replication) is still seen. Mailboxes that come back unchanged within it
/// are recognised by their stamp and cost nothing more.
const MAILBOX_MARGIN: SignedDuration = SignedDuration::from_mins(10);

/// What [`super::refresh_directory`] needs to read only what changed since the last read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeltaState {
    /// `/users/delta`'s `@odata.deltaLink`.
    pub users_link: String,
    /// `/groups/delta`'s `@odata.deltaLink`.
    pub groups_link: String,
    /// Where mailbox changes are read from; `None` when the directory was read without
    /// Exchange.
    #[serde(default)]
    pub mailboxes: Option<MailboxWatermark>,
    /// Whether `FullAccess` holders are read (for changed mailboxes only).
    pub full_access: bool,
}

/// The mailbox changes seen so far: the newest `WhenChangedUTC`, and the stamps of the
/// mailboxes changed shortly before it (which the next read returns again).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MailboxWatermark {
    newest: Option<Timestamp>,
    #[serde(default)]
    recent: BTreeMap<String, Timestamp>,
}

impl MailboxWatermark {
    /// From when to ask Exchange for changed mailboxes: a margin before the newest change, to
    /// the second; `None` (every mailbox) before any was seen.
    pub fn since(&self) -> Option<Timestamp> {
        let start = self.newest?.checked_sub(MAILBOX_MARGIN).ok()?;
        let second = TimestampRound::new()
            .smallest(Unit::Second)
            .mode(RoundMode::Floor);
        start.round(second).ok()
    }

    /// The mailboxes among those Exchange returned that changed since they were last seen, and
    /// moves the watermark past them. A mailbox without a stamp always counts as changed.
    pub(crate) fn take_changes(&mut self, returned: Vec<StampedMailbox>) -> Vec<StampedMailbox> {
        let mut changed = Vec::new();
        for mailbox in returned {
            let id = &mailbox.mailbox.external_directory_object_id;
            let Some(stamp) = mailbox.when_changed else {
                changed.push(mailbox);
                continue;
            };
            if self.recent.get(id) == Some(&stamp) {
                continue;
            }
            self.newest = self.newest.max(Some(stamp));
            self.recent.insert(id.clone(), stamp);
            changed.push(mailbox);
        }
        if let Some(since) = self.since() {
            self.recent.retain(|_, stamp| *stamp >= since);
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use jiff::{SignedDuration, Timestamp};

    use super::MailboxWatermark;
    use crate::directory::{Mailbox, MailboxType};
    use crate::microsoft::exchange::StampedMailbox;

    fn stamped(id: &str, at: &str) -> Result<StampedMailbox, jiff::Error> {
        Ok(StampedMailbox {
            mailbox: Mailbox {
                external_directory_object_id: id.into(),
                user_principal_name: format!("{id}@contoso.com"),
                recipient_type_details: MailboxType::UserMailbox,
                hidden_from_address_lists_enabled: false,
                full_access: Vec::new(),
            },
            when_changed: Some(at.parse()?),
        })
    }

    fn ids(mailboxes: &[StampedMailbox]) -> Vec<&str> {
        mailboxes
            .iter()
            .map(|m| m.mailbox.external_directory_object_id.as_str())
            .collect()
    }

    #[test]
    fn mailboxes_seen_before_are_not_changes_when_they_come_again() -> Result<(), jiff::Error> {
        let mut watermark = MailboxWatermark::default();
        assert_eq!(watermark.since(), None);
        let first = vec![
            stamped("old", "2026-03-01T08:00:00Z")?,
            stamped("a", "2026-03-01T10:00:00.250Z")?,
            stamped("b", "2026-03-01T10:05:00Z")?,
        ];
        assert_eq!(ids(&watermark.take_changes(first)), ["old", "a", "b"]);
        let since: Timestamp = "2026-03-01T09:55:00Z".parse()?;
        assert_eq!(watermark.since(), Some(since));

        let again = vec![
            stamped("a", "2026-03-01T10:00:00.250Z")?,
            stamped("b", "2026-03-01T10:06:00Z")?,
            stamped("c", "2026-03-01T10:07:00Z")?,
        ];
        assert_eq!(ids(&watermark.take_changes(again)), ["b", "c"]);
        assert_eq!(
            watermark.since(),
            Some(since + SignedDuration::from_mins(2))
        );
        Ok(())
    }

    #[test]
    fn the_start_is_rounded_down_to_the_second() -> Result<(), jiff::Error> {
        let mut watermark = MailboxWatermark::default();
        watermark.take_changes(vec![stamped("a", "2026-03-01T10:10:00.900Z")?]);
        assert_eq!(watermark.since(), Some("2026-03-01T10:00:00Z".parse()?));
        Ok(())
    }
}
