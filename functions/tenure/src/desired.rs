//! The desired state a mapping plugin returns for a worker: what the account should be, not what to do.

use serde::{Deserialize, Serialize};

use crate::SharedStr;
use crate::directory::UserAttribute;

/// Where a worker stands in the lifecycle, as the plugin judged it from the HR record and today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Hired for a later date, too early for an account.
    NotYet,
    /// Hired for a later date; the account exists disabled until the start date.
    PreHire,
    /// Working.
    Active,
    /// On leave.
    OnLeave,
    /// Gone: the leaver policy applies.
    Terminated,
}

/// The kinds of group Tenure manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    /// A security group (Graph: securityEnabled, not mail-enabled).
    Security,
    /// A Microsoft 365 group (Graph: groupTypes contains "Unified").
    Microsoft365,
    /// A distribution list (mail-enabled, not security-enabled); changed only through Exchange.
    Distribution,
    /// A mail-enabled security group; changed only through Exchange.
    MailEnabledSecurity,
}

impl GroupKind {
    /// Whether Exchange Online, not Microsoft Graph, changes this kind's membership.
    pub fn is_exchange_managed(self) -> bool {
        matches!(self, Self::Distribution | Self::MailEnabledSecurity)
    }

    /// A human name for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Security => "security group",
            Self::Microsoft365 => "Microsoft 365 group",
            Self::Distribution => "distribution list",
            Self::MailEnabledSecurity => "mail-enabled security group",
        }
    }
}

/// A group named by display name, mail address or object id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GroupRef {
    /// The kind the plugin expects the group to be.
    pub kind: GroupKind,
    /// Display name, mail address or object id.
    pub name: SharedStr,
}

/// Someone to be given access to a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Principal {
    /// The worker's manager.
    Manager,
    /// Another worker, by employee id.
    Employee(String),
    /// A directory user, by user principal name.
    User(String),
}

/// How the worker's mailbox should be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxState {
    /// A shared mailbox (a leaver's) rather than a user mailbox.
    pub shared: bool,
    /// Hidden from the global address list.
    pub hidden_from_address_lists: bool,
    /// Who should have full access. Access is only ever granted, never taken away.
    pub full_access: Vec<Principal>,
}

/// A candidate identity for a new account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// `userPrincipalName`.
    pub user_principal_name: String,
    /// `mailNickname`.
    pub mail_nickname: String,
}

/// One-off actions when the account goes from enabled to disabled as a leaver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnDisable {
    /// Revoke every sign-in session and refresh token.
    pub revoke_sessions: bool,
    /// Set a random password nobody knows.
    pub scramble_password: bool,
}

/// The account a worker should have. The values many workers share (attributes, group names,
/// licenses) are shared strings: the answers of a large mapping hold each distinct one once per
/// mapping thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Whether sign-in is allowed.
    pub enabled: bool,
    /// Ordered candidates; the first whose UPN and nickname are free wins. Only used to create.
    pub identities: Vec<Identity>,
    /// `displayName`.
    pub display_name: String,
    /// Graph user properties; `None` clears one.
    pub attributes: Vec<(UserAttribute, Option<SharedStr>)>,
    /// The manager, by employee id.
    pub manager_employee_id: Option<String>,
    /// Memberships the rules give.
    pub groups: Vec<GroupRef>,
    /// License SKU part numbers.
    pub licenses: Vec<SharedStr>,
    /// `None` leaves the mailbox alone.
    pub mailbox: Option<MailboxState>,
    /// What to do once when the account is disabled as a leaver.
    pub on_disable: OnDisable,
}

/// What a worker's presence in the directory should be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredState {
    /// The lifecycle phase.
    pub phase: Phase,
    /// `None`: no account should exist yet; an existing one is left alone.
    pub account: Option<Account>,
}

/// What a plugin configuration manages; only these memberships and licenses are ever removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Managed {
    /// Groups the rules can give.
    pub groups: Vec<GroupRef>,
    /// License SKU part numbers the rules can give.
    pub licenses: Vec<String>,
}

/// A plugin's refusal of one worker or of its configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingError {
    /// The HR field or configuration path at fault.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for MappingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}
