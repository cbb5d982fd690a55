//! Where the last directory read left off, kept between syncs: the Graph delta links and the
//! mailbox watermark. Serialise it next to the cached snapshot.

use std::collections::BTreeMap;

use jiff::{RoundMode, SignedDuration, Timestamp, TimestampRound, Unit};
use serde::{Deserialize, Serialize};

use super::exchange::StampedMailbox;

/// How long Exchange may take to show a change (replication): a mailbox read starts this long
/// before what the last read could see. Mailboxes that come back unchanged within it are
/// recognised by their stamp and cost nothing more.
const MAILBOX_MARGIN: SignedDuration = SignedDuration::from_mins(10);

/// How far this machine's clock may be from Exchange's.
const CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(5);

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

/// How far mailbox changes have been read: the newest `WhenChangedUTC` seen, when the last read
/// was sent, and the stamps of the mailboxes changed shortly before (which the next read
/// returns again, to be recognised and skipped).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MailboxWatermark {
    #[serde(default)]
    newest: Option<Timestamp>,
    #[serde(default)]
    read_at: Option<Timestamp>,
    #[serde(default)]
    recent: BTreeMap<String, Timestamp>,
}

impl MailboxWatermark {
    /// From when to ask Exchange for changed mailboxes, to the second: everything older was
    /// visible to the last read, allowing ten minutes for replication behind the newest change
    /// seen, and also behind the last read (then five more for clock skew, as that time is this
    /// machine's). `None` (every mailbox) before the first read.
    pub fn since(&self) -> Option<Timestamp> {
        let by_change = self.newest.and_then(|t| t.checked_sub(MAILBOX_MARGIN).ok());
        let by_clock = self
            .read_at
            .and_then(|t| t.checked_sub(MAILBOX_MARGIN + CLOCK_SKEW).ok());
        let start = by_change.max(by_clock)?;
        let second = TimestampRound::new()
            .smallest(Unit::Second)
            .mode(RoundMode::Floor);
        start.round(second).ok()
    }

    /// The mailboxes among those a read sent at `read_at` (this machine's clock) returned that
    /// changed since they were last seen, and moves the watermark past them. A mailbox without
    /// a stamp always counts as changed.
    pub(crate) fn take_changes(
        &mut self,
        returned: Vec<StampedMailbox>,
        read_at: Timestamp,
    ) -> Vec<StampedMailbox> {
        self.read_at = self.read_at.max(Some(read_at));
        let mut changed = Vec::new();
        for mailbox in returned {
            let id = &mailbox.mailbox.external_directory_object_id;
            let Some(stamp) = mailbox.when_changed else {
                changed.push(mailbox);
                continue;
            };
            if self.recent.get(id.as_str()) == Some(&stamp) {
                continue;
            }
            self.newest = self.newest.max(Some(stamp));
            self.recent.insert(id.to_string(), stamp);
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
                user_principal_name: format!("{id}@contoso.com").into(),
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

    fn at(text: &str) -> Result<Timestamp, jiff::Error> {
        text.parse()
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
        let read = at("2026-03-01T10:05:30Z")?;
        assert_eq!(ids(&watermark.take_changes(first, read)), ["old", "a", "b"]);
        // Ten minutes behind the newest change, which is later than fifteen behind the read.
        let since = at("2026-03-01T09:55:00Z")?;
        assert_eq!(watermark.since(), Some(since));

        let again = vec![
            stamped("a", "2026-03-01T10:00:00.250Z")?,
            stamped("b", "2026-03-01T10:06:00Z")?,
            stamped("c", "2026-03-01T10:07:00Z")?,
        ];
        let read = at("2026-03-01T10:08:00Z")?;
        assert_eq!(ids(&watermark.take_changes(again, read)), ["b", "c"]);
        assert_eq!(
            watermark.since(),
            Some(since + SignedDuration::from_mins(2))
        );
        Ok(())
    }

    #[test]
    fn a_quiet_tenant_moves_the_start_with_the_clock() -> Result<(), jiff::Error> {
        let mut watermark = MailboxWatermark::default();
        let loaded = vec![stamped("a", "2026-03-01T10:00:00Z")?];
        watermark.take_changes(loaded.clone(), at("2026-03-01T10:00:01Z")?);
        let later = at("2026-03-01T12:00:00Z")?;
        assert!(watermark.take_changes(loaded, later).is_empty());
        assert_eq!(watermark.since(), Some(at("2026-03-01T11:45:00Z")?));
        assert!(watermark.recent.is_empty(), "nothing that old comes back");
        Ok(())
    }

    #[test]
    fn the_start_is_rounded_down_to_the_second() -> Result<(), jiff::Error> {
        let mut watermark = MailboxWatermark::default();
        let changed = vec![stamped("a", "2026-03-01T10:10:00.900Z")?];
        watermark.take_changes(changed, at("2026-03-01T10:10:01Z")?);
        assert_eq!(watermark.since(), Some(at("2026-03-01T10:00:00Z")?));
        Ok(())
    }
}
