//! The `notifications` section of the mapping configuration: the mailbox Tenure sends from,
//! the connection's admins, first-day access, and templates replacing the built-in ones.
//!
//! ```json
//! "notifications": {
//!   "sender": "tenure@contoso.com",
//!   "admins": ["it-ops@contoso.com"],
//!   "first_day_access": {"deliver_to": "manager", "lifetime_minutes": 480,
//!                        "usable_once": true, "usable_from": "08:00"},
//!   "templates": {"first_day": {"subject": "…", "text": "… {pass} …", "html": "… {pass} …"}}
//! }
//! ```

use jiff::civil::Time;
use serde::{Deserialize, Serialize};

use super::template::{MailKind, Template};
use crate::config_section::read_section;

/// Whom first-day access goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliverTo {
    /// The worker's manager (else the worker's personal address, else nobody, said in the plan).
    #[default]
    Manager,
    /// The worker's `personal_email` from HR (else the manager).
    PersonalEmail,
}

/// How first-day access is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirstDayAccess {
    /// Whom it goes to. Default the manager.
    #[serde(default)]
    pub deliver_to: DeliverTo,
    /// How long the Temporary Access Pass works, in minutes (10–43200; the tenant's policy may
    /// allow less). Default 480, a working day.
    #[serde(default = "default_lifetime")]
    pub lifetime_minutes: u32,
    /// Whether one sign-in uses the pass up. Default true.
    #[serde(default = "default_true")]
    pub usable_once: bool,
    /// The time of day, in the worker's zone, from which the pass works on the start day (a
    /// pass made later works at once). Default 08:00.
    #[serde(default = "default_usable_from")]
    pub usable_from: Time,
}

fn default_lifetime() -> u32 {
    480
}

fn default_true() -> bool {
    true
}

fn default_usable_from() -> Time {
    Time::constant(8, 0, 0, 0)
}

impl Default for FirstDayAccess {
    fn default() -> Self {
        Self {
            deliver_to: DeliverTo::default(),
            lifetime_minutes: default_lifetime(),
            usable_once: true,
            usable_from: default_usable_from(),
        }
    }
}

/// Which body of the templates a mail carries (Graph's `sendMail` takes one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailFormat {
    /// The HTML body. The default.
    #[default]
    Html,
    /// The plain-text body.
    Text,
}

/// Templates replacing the built-in ones, by mail kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Templates {
    /// A new report starts, with the pass.
    #[serde(default)]
    pub first_day: Option<Template>,
    /// A new report starts, with a first password (where no pass can be had).
    #[serde(default)]
    pub first_day_password: Option<Template>,
    /// A report leaves.
    #[serde(default)]
    pub leaver: Option<Template>,
    /// The admins' digest of a run.
    #[serde(default)]
    pub digest: Option<Template>,
}

impl Templates {
    /// The template for a kind: the configured one, else the built-in one.
    pub fn get(&self, kind: MailKind) -> Template {
        let configured = match kind {
            MailKind::FirstDay => &self.first_day,
            MailKind::FirstDayPassword => &self.first_day_password,
            MailKind::Leaver => &self.leaver,
            MailKind::Digest => &self.digest,
        };
        configured
            .clone()
            .unwrap_or_else(|| Template::built_in(kind))
    }
}

/// The `notifications` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    /// The mailbox Tenure sends from, by UPN (needs `Mail.Send`). Without it nothing is mailed
    /// and first-day access is off.
    #[serde(default)]
    pub sender: Option<String>,
    /// The connection's admins, who get the digest of each run that needs them.
    #[serde(default)]
    pub admins: Vec<String>,
    /// First-day access; absent: off.
    #[serde(default)]
    pub first_day_access: Option<FirstDayAccess>,
    /// Whether a leaver's manager is told. Default true (when there is a sender).
    #[serde(default = "default_true")]
    pub leaver_mail: bool,
    /// Which body of the templates is sent: `html` (default) or `text`.
    #[serde(default)]
    pub format: MailFormat,
    /// Templates replacing the built-in ones.
    #[serde(default)]
    pub templates: Templates,
}

/// The `notifications` section cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("notifications{path}: {message}")]
pub struct NotificationsConfigError {
    /// Where, as a JSON path below `notifications` (empty for the section itself).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn looks_like_address(text: &str) -> bool {
    text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !text.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

impl NotificationSettings {
    /// Reads the `notifications` section of a mapping configuration (JSON text). One without
    /// it, or that is not a JSON object (a custom plugin's), mails nothing.
    pub fn from_plugin_config(config: &str) -> Result<Self, NotificationsConfigError> {
        let parsed: Self =
            read_section(config, "notifications").map_err(|e| NotificationsConfigError {
                path: e.path,
                message: e.message,
            })?;
        parsed.check()?;
        Ok(parsed)
    }

    fn check(&self) -> Result<(), NotificationsConfigError> {
        let fail = |path: &str, message: String| NotificationsConfigError {
            path: path.to_owned(),
            message,
        };
        if let Some(sender) = &self.sender
            && !looks_like_address(sender)
        {
            return Err(fail(
                ".sender",
                format!("{sender:?} is not a mailbox address"),
            ));
        }
        for (i, admin) in self.admins.iter().enumerate() {
            if !looks_like_address(admin) {
                return Err(fail(
                    &format!(".admins[{i}]"),
                    format!("{admin:?} is not a mail address"),
                ));
            }
        }
        if let Some(access) = &self.first_day_access {
            if !(10..=43_200).contains(&access.lifetime_minutes) {
                return Err(fail(
                    ".first_day_access.lifetime_minutes",
                    format!(
                        "{} is outside 10–43200 minutes, what Microsoft allows for a Temporary Access Pass",
                        access.lifetime_minutes
                    ),
                ));
            }
            if self.sender.is_none() {
                return Err(fail(
                    ".first_day_access",
                    "first-day access is mailed: set notifications.sender, the mailbox it is sent from".into(),
                ));
            }
        }
        for kind in [
            MailKind::FirstDay,
            MailKind::FirstDayPassword,
            MailKind::Leaver,
            MailKind::Digest,
        ] {
            if let Some(template) = match kind {
                MailKind::FirstDay => &self.templates.first_day,
                MailKind::FirstDayPassword => &self.templates.first_day_password,
                MailKind::Leaver => &self.templates.leaver,
                MailKind::Digest => &self.templates.digest,
            } {
                template.check(kind).map_err(|message| {
                    fail(&format!(".templates.{}", kind.config_name()), message)
                })?;
            }
        }
        Ok(())
    }

    /// First-day access, when it is on.
    pub fn first_day(&self) -> Option<&FirstDayAccess> {
        self.sender.as_ref().and(self.first_day_access.as_ref())
    }
}
