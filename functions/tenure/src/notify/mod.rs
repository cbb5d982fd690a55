//! Mail from Tenure: first-day access for new workers (a Temporary Access Pass, or a first
//! password where no pass can be had, mailed to the manager or the worker's personal address)
//! and notices to people ([docs/first-day.md](../../../../docs/first-day.md)).
//!
//! Files: `settings` (the `notifications` section of the mapping configuration), `template`
//! (subjects and bodies with placeholders, built-in defaults, HTML escaping), `delivered`
//! (which starts got their access, so none gets two) and `notices` (the leaver mails and the
//! admins' digest a run sends: one digest per run, never one mail per action).

mod delivered;
mod notices;
mod settings;
mod template;

pub use delivered::{
    Delivered, delivered_in, delivered_key, read_delivered, recent_starters, record_delivered,
};
pub use notices::{Digest, DigestItem, DigestKind, Notice, leaver_notices, send_notices};
pub use settings::{
    DeliverTo, FirstDayAccess, MailFormat, NotificationSettings, NotificationsConfigError,
    Templates,
};
pub use template::{MailKind, RenderedMail, Template};
