//! The actions a plan is made of: each a minimal change with the reason it is there.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::names::{MailNickname, Upn};

/// One change to the directory or a mailbox, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// What to do.
    #[serde(flatten)]
    pub op: Op,
    /// Why, in terms of HR facts and policy.
    pub reason: String,
}

/// A value before and after an update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueChange {
    /// The directory's value now.
    pub from: Option<String>,
    /// The value it should have.
    pub to: Option<String>,
}

/// What an action does. The JSON form is tagged by `kind`. The worker the action is for is the
/// [`super::WorkerPlan`] it belongs to; no action carries a secret (a new password is made at
/// apply time and never written into a plan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Op {
    /// Create the account.
    CreateUser {
        /// The chosen `userPrincipalName`.
        user_principal_name: Upn,
        /// The chosen `mailNickname`.
        mail_nickname: MailNickname,
        /// `displayName`.
        display_name: String,
        /// `accountEnabled`: false for a pre-hire.
        account_enabled: bool,
        /// Graph properties set at creation.
        attributes: BTreeMap<String, String>,
    },
    /// Take over an existing account that has no `employeeId`: write the worker's.
    AdoptUser {
        /// The worker's employee id, written to the account.
        employee_id: String,
    },
    /// Bring back the worker's deleted account (from the tenant's deleted items).
    RestoreUser,
    /// Change profile properties.
    UpdateUser {
        /// Graph property → before and after.
        changes: BTreeMap<String, ValueChange>,
    },
    /// Allow sign-in.
    EnableUser,
    /// Block sign-in.
    DisableUser,
    /// Point the user at a manager.
    SetManager {
        /// The manager's employee id.
        manager_employee_id: String,
        /// The manager's object id, when the account already exists.
        #[serde(skip_serializing_if = "Option::is_none")]
        manager_user_id: Option<String>,
    },
    /// Add to a security or Microsoft 365 group (Graph).
    AddGroupMember {
        /// Group object id.
        group_id: String,
        /// Group display name.
        group: String,
    },
    /// Remove from a security or Microsoft 365 group (Graph).
    RemoveGroupMember {
        /// Group object id.
        group_id: String,
        /// Group display name.
        group: String,
    },
    /// Assign a license.
    AssignLicense {
        /// SKU GUID.
        sku_id: String,
        /// SKU part number.
        sku: String,
    },
    /// Remove a license.
    RemoveLicense {
        /// SKU GUID.
        sku_id: String,
        /// SKU part number.
        sku: String,
    },
    /// Sign the user out everywhere.
    RevokeSessions,
    /// Set a random password nobody knows.
    ResetPassword,
    /// Add to a distribution list or mail-enabled security group (Exchange).
    AddDistributionListMember {
        /// Group object id.
        group_id: String,
        /// Group display name.
        group: String,
        /// The group's address, which Exchange takes as identity.
        #[serde(skip_serializing_if = "Option::is_none")]
        group_mail: Option<String>,
    },
    /// Remove from a distribution list or mail-enabled security group (Exchange).
    RemoveDistributionListMember {
        /// Group object id.
        group_id: String,
        /// Group display name.
        group: String,
        /// The group's address, which Exchange takes as identity.
        #[serde(skip_serializing_if = "Option::is_none")]
        group_mail: Option<String>,
    },
    /// Make the mailbox a shared mailbox (a leaver's mail stays reachable without a license).
    ConvertToSharedMailbox,
    /// Make a shared mailbox a user mailbox again (a rehire).
    ConvertToUserMailbox,
    /// Give someone full access to the mailbox.
    GrantMailboxAccess {
        /// Who gets access, by UPN.
        trustee: String,
    },
    /// Hide from (or show again in) the global address list.
    HideFromAddressList {
        /// `HiddenFromAddressListsEnabled`.
        hidden: bool,
    },
    /// Mail the worker's first-day access: a Temporary Access Pass made at apply time (or,
    /// where the cloud or the connection's permissions give none, a new first password). The
    /// pass or password is never written into a plan, an audit record or a log.
    DeliverFirstDayAccess {
        /// The start it is for: one delivery per start (a rehire's return is a new start).
        start_date: jiff::civil::Date,
        /// The worker, as the mail names them.
        worker: String,
        /// Who receives it.
        to: AccessRecipient,
        /// When the pass starts to work: the configured time of the start day in the worker's
        /// zone, or the plan's moment when that is later.
        usable_from: jiff::Timestamp,
    },
}

/// Who receives a worker's first-day access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRecipient {
    /// The manager, or the worker at their personal address.
    pub role: RecipientRole,
    /// Their name, for the greeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Their mail address.
    pub address: String,
}

/// Whose mailbox first-day access goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientRole {
    /// The worker's manager.
    Manager,
    /// The worker, at the personal address HR holds.
    PersonalEmail,
}

impl Op {
    /// The `kind` name used in the JSON form.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CreateUser { .. } => "create_user",
            Self::AdoptUser { .. } => "adopt_user",
            Self::RestoreUser => "restore_user",
            Self::UpdateUser { .. } => "update_user",
            Self::EnableUser => "enable_user",
            Self::DisableUser => "disable_user",
            Self::SetManager { .. } => "set_manager",
            Self::AddGroupMember { .. } => "add_group_member",
            Self::RemoveGroupMember { .. } => "remove_group_member",
            Self::AssignLicense { .. } => "assign_license",
            Self::RemoveLicense { .. } => "remove_license",
            Self::RevokeSessions => "revoke_sessions",
            Self::ResetPassword => "reset_password",
            Self::AddDistributionListMember { .. } => "add_distribution_list_member",
            Self::RemoveDistributionListMember { .. } => "remove_distribution_list_member",
            Self::ConvertToSharedMailbox => "convert_to_shared_mailbox",
            Self::ConvertToUserMailbox => "convert_to_user_mailbox",
            Self::GrantMailboxAccess { .. } => "grant_mailbox_access",
            Self::HideFromAddressList { .. } => "hide_from_address_list",
            Self::DeliverFirstDayAccess { .. } => "deliver_first_day_access",
        }
    }

    /// The order actions of one worker run in: the account first; a leaver is locked out before
    /// anything else; the mailbox is converted before its license goes; removals come next, and
    /// first-day access last, once the account is on.
    pub(crate) fn rank(&self) -> u8 {
        match self {
            Self::CreateUser { .. } | Self::AdoptUser { .. } | Self::RestoreUser => 0,
            Self::UpdateUser { .. } => 1,
            Self::EnableUser => 2,
            Self::DisableUser => 3,
            Self::RevokeSessions => 4,
            Self::ResetPassword => 5,
            Self::SetManager { .. } => 6,
            Self::ConvertToSharedMailbox | Self::ConvertToUserMailbox => 7,
            Self::GrantMailboxAccess { .. } => 8,
            Self::HideFromAddressList { .. } => 9,
            Self::AssignLicense { .. } => 10,
            Self::AddGroupMember { .. } => 11,
            Self::AddDistributionListMember { .. } => 12,
            Self::RemoveGroupMember { .. } => 13,
            Self::RemoveDistributionListMember { .. } => 14,
            Self::RemoveLicense { .. } => 15,
            // Once the account is there and switched on.
            Self::DeliverFirstDayAccess { .. } => 16,
        }
    }

    /// Whether the action locks the user out or takes a license (counted by every guard; group
    /// removals are counted by the deployment's, see [`crate::guard::Effect`]).
    pub fn strips_access(&self) -> bool {
        matches!(self, Self::DisableUser | Self::RemoveLicense { .. })
    }
}
