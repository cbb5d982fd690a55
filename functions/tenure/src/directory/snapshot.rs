//! The directory snapshot format: what a tenant holds, in Microsoft Graph's property names.

use std::path::Path;

use rustc_hash::FxHashSet as HashSet;
use serde::{Deserialize, Serialize};

use super::snapshot_reader::{self, Refusal, read_in_pieces};
use crate::desired::GroupKind;
use crate::interned::{self, SharedStr};
use crate::names::{MailNickname, Upn};

/// A tenant's state. Every list may be absent in the JSON (it reads as empty).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Snapshot {
    /// The tenant itself.
    #[serde(default)]
    pub tenant: Tenant,
    /// The licenses the tenant owns (Graph `subscribedSkus`).
    #[serde(default)]
    pub subscribed_skus: Vec<SubscribedSku>,
    /// Users (Graph `users`).
    #[serde(default)]
    pub users: Vec<DirectoryUser>,
    /// Groups of every kind, with their direct members.
    #[serde(default)]
    pub groups: Vec<DirectoryGroup>,
    /// Exchange Online mailboxes.
    #[serde(default)]
    pub mailboxes: Vec<Mailbox>,
    /// Users deleted in the last 30 days, which can still be restored (Graph
    /// `/directory/deletedItems/microsoft.graph.user`). They keep their addresses, so no new
    /// account may take them, and a returning worker's is restored rather than made anew.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted_users: Vec<DirectoryUser>,
}

/// The tenant's identity and verified domains.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tenant {
    /// The tenant (directory) id.
    #[serde(default)]
    pub id: Option<String>,
    /// Verified domain names; a new user's UPN must end in one of them.
    #[serde(default)]
    pub verified_domains: Vec<String>,
}

/// A license the tenant owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribedSku {
    /// The SKU's GUID, as `assignLicense` wants it.
    pub sku_id: String,
    /// The readable name, such as `ENTERPRISEPACK`.
    pub sku_part_number: String,
    /// The services the license includes (Graph `servicePlans`). Empty when not known (an
    /// older snapshot): such a license is taken to include a mailbox.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_plans: Vec<ServicePlan>,
}

/// One service of a license (Graph `servicePlanInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePlan {
    /// The plan's GUID (what `disabledPlans` names).
    pub service_plan_id: String,
    /// The plan's name, such as `EXCHANGE_S_ENTERPRISE`.
    pub service_plan_name: String,
    /// `Success`, `Disabled`, `PendingProvisioning`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_status: Option<String>,
    /// `User` or `Company`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_to: Option<String>,
}

/// The Exchange Online plans that give a user a mailbox, by plan name: Exchange Online Plan 1
/// and 2, Kiosk, Essentials, POP, and their government editions. `EXCHANGE_S_FOUNDATION` (in
/// many licenses without mail) and the archiving add-ons give none.
pub const MAILBOX_SERVICE_PLANS: [&str; 7] = [
    "EXCHANGE_S_STANDARD",
    "EXCHANGE_S_ENTERPRISE",
    "EXCHANGE_S_DESKLESS",
    "EXCHANGE_S_ESSENTIALS",
    "EXCHANGE_B_STANDARD",
    "EXCHANGE_S_STANDARD_GOV",
    "EXCHANGE_S_ENTERPRISE_GOV",
];

impl ServicePlan {
    /// Whether this plan gives its user an Exchange Online mailbox.
    pub fn gives_mailbox(&self) -> bool {
        MAILBOX_SERVICE_PLANS
            .iter()
            .any(|name| self.service_plan_name.eq_ignore_ascii_case(name))
    }
}

impl SubscribedSku {
    /// Whether a user given this license (with these plans switched off) gets a mailbox:
    /// `None` when the license's plans are not known.
    pub fn gives_mailbox(&self, disabled_plans: &[String]) -> Option<bool> {
        if self.service_plans.is_empty() {
            return None;
        }
        Some(self.service_plans.iter().any(|plan| {
            plan.gives_mailbox()
                && !disabled_plans
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(&plan.service_plan_id))
        }))
    }
}

/// A reference to another directory object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRef {
    /// The object id.
    #[serde(deserialize_with = "interned::text")]
    pub id: SharedStr,
}

/// A license assigned to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedLicense {
    /// The SKU's GUID.
    #[serde(deserialize_with = "interned::text")]
    pub sku_id: SharedStr,
    /// Service plans switched off.
    #[serde(default)]
    pub disabled_plans: Vec<String>,
}

/// A user, with the Graph properties Tenure reads and writes. Other properties are ignored.
///
/// The properties of [`UserAttribute`](super::UserAttribute) (department, office, job title…)
/// are shared strings: a snapshot read with [`Snapshot::parse`] keeps each distinct value once,
/// however many users have it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)] // Each field is the Graph user property of the same name.
pub struct DirectoryUser {
    #[serde(deserialize_with = "interned::text")]
    pub id: SharedStr,
    #[serde(deserialize_with = "Upn::shared")]
    pub user_principal_name: Upn,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
    pub account_enabled: bool,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub mail_nickname: Option<MailNickname>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "interned::option"
    )]
    pub mail: Option<SharedStr>,
    /// Every address mail reaches the user at (`SMTP:` the primary one, `smtp:` the others);
    /// read-only in Graph, kept by Exchange. Unique across users, groups and deleted users.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proxy_addresses: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "interned::option"
    )]
    pub given_name: Option<SharedStr>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "interned::option"
    )]
    pub surname: Option<SharedStr>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "interned::option"
    )]
    pub job_title: Option<SharedStr>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "interned::option"
    )]
    pub department: Option<SharedStr>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "interned::option"
    )]
    pub company_name: Option<SharedStr>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "interned::option"
    )]
    pub office_location: Option<SharedStr>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "interned::option"
    )]
    pub usage_location: Option<SharedStr>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "interned::option"
    )]
    pub employee_type: Option<SharedStr>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "interned::option"
    )]
    pub employee_hire_date: Option<SharedStr>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "interned::option"
    )]
    pub mobile_phone: Option<SharedStr>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "interned::option"
    )]
    pub city: Option<SharedStr>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "interned::option"
    )]
    pub state: Option<SharedStr>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "interned::option"
    )]
    pub country: Option<SharedStr>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "interned::option"
    )]
    pub street_address: Option<SharedStr>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "interned::option"
    )]
    pub postal_code: Option<SharedStr>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "interned::option"
    )]
    pub preferred_language: Option<SharedStr>,
    /// The manager (Graph: `$expand=manager($select=id)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<ObjectRef>,
    #[serde(default)]
    pub assigned_licenses: Vec<AssignedLicense>,
}

/// A group with its direct members. Its kind follows from Graph's own properties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryGroup {
    /// The object id.
    pub id: String,
    /// `displayName`.
    pub display_name: String,
    /// The primary SMTP address, for mail-enabled groups.
    #[serde(default)]
    pub mail: Option<String>,
    /// `mailNickname`.
    #[serde(default)]
    pub mail_nickname: Option<MailNickname>,
    /// `proxyAddresses`: every address of a mail-enabled group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proxy_addresses: Vec<String>,
    /// `groupTypes`; `"Unified"` marks a Microsoft 365 group.
    #[serde(default)]
    pub group_types: Vec<String>,
    /// `securityEnabled`.
    pub security_enabled: bool,
    /// `mailEnabled`.
    pub mail_enabled: bool,
    /// Direct members' user object ids (Graph `members`).
    #[serde(default, deserialize_with = "interned::list")]
    pub members: Vec<SharedStr>,
}

impl DirectoryGroup {
    /// The kind, as Microsoft defines it: Unified → Microsoft 365; mail- and security-enabled →
    /// mail-enabled security; mail-enabled only → distribution; otherwise security.
    pub fn kind(&self) -> GroupKind {
        if self
            .group_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case("Unified"))
        {
            GroupKind::Microsoft365
        } else if self.mail_enabled && self.security_enabled {
            GroupKind::MailEnabledSecurity
        } else if self.mail_enabled {
            GroupKind::Distribution
        } else {
            GroupKind::Security
        }
    }
}

/// A mailbox's type, as Exchange's `RecipientTypeDetails` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailboxType {
    /// A person's own mailbox.
    UserMailbox,
    /// A shared mailbox (what a leaver's becomes).
    SharedMailbox,
}

/// An Exchange Online mailbox and the facts Tenure manages about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mailbox {
    /// The owning user's object id (Exchange `ExternalDirectoryObjectId`).
    #[serde(deserialize_with = "interned::text")]
    pub external_directory_object_id: SharedStr,
    /// The owner's UPN.
    #[serde(deserialize_with = "Upn::shared")]
    pub user_principal_name: Upn,
    /// `RecipientTypeDetails`.
    pub recipient_type_details: MailboxType,
    /// `HiddenFromAddressListsEnabled`.
    #[serde(default)]
    pub hidden_from_address_lists_enabled: bool,
    /// UPNs holding `FullAccess` (from `Get-MailboxPermission`).
    #[serde(default)]
    pub full_access: Vec<String>,
}

/// A snapshot file that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The file could not be read.
    #[error("cannot read directory snapshot {file}: {source}")]
    Io {
        /// The path.
        file: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The JSON does not match the format.
    #[error("directory snapshot {file} is not valid: {message}")]
    Invalid {
        /// The path.
        file: String,
        /// What is wrong, with line and column.
        message: String,
    },
}

impl Snapshot {
    /// Reads a snapshot file, a piece at a time (its text is never all in memory).
    pub fn read(path: &Path) -> Result<Self, SnapshotError> {
        let file = path.display().to_string();
        let io = |source| SnapshotError::Io {
            file: file.clone(),
            source,
        };
        let opened = std::fs::File::open(path).map_err(io)?;
        // The values users share are kept once each (see `interned`).
        let read = interned::sharing(|| read_in_pieces(opened, snapshot_reader::PIECE));
        match read {
            Ok(snapshot) => snapshot.checked(&file),
            Err(Refusal::Io(source)) => Err(io(source)),
            // What the piecewise reader refuses, the whole-file parse says what is wrong with,
            // and where.
            Err(Refusal::Invalid) => Self::parse(&std::fs::read(path).map_err(io)?, &file),
        }
    }

    /// Parses snapshot JSON; `file` names it in errors.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Self, SnapshotError> {
        // The values users share are kept once each (see `interned`).
        let snapshot: Self = interned::sharing(|| serde_json::from_slice(bytes)).map_err(|e| {
            SnapshotError::Invalid {
                file: file.to_owned(),
                message: e.to_string(),
            }
        })?;
        snapshot.checked(file)
    }

    /// The snapshot, if its references hold (see [`Self::check`]).
    fn checked(self, file: &str) -> Result<Self, SnapshotError> {
        self.check().map_err(|message| SnapshotError::Invalid {
            file: file.to_owned(),
            message,
        })?;
        Ok(self)
    }

    /// Ids must be unique and every reference must point at something that exists.
    fn check(&self) -> Result<(), String> {
        let mut user_ids: HashSet<&str> =
            HashSet::with_capacity_and_hasher(self.users.len(), Default::default());
        for user in &self.users {
            if !user_ids.insert(user.id.as_str()) {
                return Err(format!("user id {} appears twice", user.id));
            }
        }
        let mut group_ids: HashSet<&str> =
            HashSet::with_capacity_and_hasher(self.groups.len(), Default::default());
        for group in &self.groups {
            if !group_ids.insert(group.id.as_str()) {
                return Err(format!("group id {} appears twice", group.id));
            }
            if let Some(missing) = group
                .members
                .iter()
                .find(|m| !user_ids.contains(m.as_str()))
            {
                return Err(format!(
                    "group {:?} lists member {missing}, which is not a user of the snapshot",
                    group.display_name
                ));
            }
        }
        for user in &self.users {
            if let Some(manager) = &user.manager
                && !user_ids.contains(manager.id.as_str())
            {
                return Err(format!(
                    "user {} has manager {}, which is not a user of the snapshot",
                    user.user_principal_name, manager.id
                ));
            }
        }
        let mut deleted_ids: HashSet<&str> =
            HashSet::with_capacity_and_hasher(self.deleted_users.len(), Default::default());
        for user in &self.deleted_users {
            if user_ids.contains(user.id.as_str()) || !deleted_ids.insert(user.id.as_str()) {
                return Err(format!(
                    "deleted user id {} appears twice (or also among the users)",
                    user.id
                ));
            }
        }
        for mailbox in &self.mailboxes {
            if !user_ids.contains(mailbox.external_directory_object_id.as_str()) {
                return Err(format!(
                    "mailbox {} belongs to {}, which is not a user of the snapshot",
                    mailbox.user_principal_name, mailbox.external_directory_object_id
                ));
            }
        }
        Ok(())
    }
}

impl DirectoryUser {
    /// The SMTP addresses of `proxyAddresses`, without their `SMTP:`/`smtp:` prefix.
    pub fn smtp_addresses(&self) -> impl Iterator<Item = &str> {
        smtp_addresses(&self.proxy_addresses)
    }

    /// The UPN the user had before it was deleted: Graph shows a deleted user's UPN with its
    /// object id (without hyphens) in front, and gives the old one back on restore.
    pub fn upn_before_deletion(&self) -> &str {
        let upn = self.user_principal_name.as_str();
        // Compared byte by byte rather than by making the prefix: this runs for every user of
        // every plan.
        let mut prefix = self.id.bytes().filter(|&b| b != b'-').peekable();
        if prefix.peek().is_none() {
            return upn;
        }
        let mut length = 0;
        for expected in prefix {
            match upn.as_bytes().get(length) {
                Some(found) if found.eq_ignore_ascii_case(&expected) => length += 1,
                _ => return upn,
            }
        }
        upn.get(length..).unwrap_or(upn)
    }
}

impl DirectoryGroup {
    /// The SMTP addresses of `proxyAddresses`, without their prefix.
    pub fn smtp_addresses(&self) -> impl Iterator<Item = &str> {
        smtp_addresses(&self.proxy_addresses)
    }
}

/// The SMTP entries of a `proxyAddresses` list (`SMTP:` primary, `smtp:` secondary), bare.
fn smtp_addresses(proxies: &[String]) -> impl Iterator<Item = &str> {
    proxies.iter().filter_map(|p| {
        let (kind, address) = p.split_once(':')?;
        kind.eq_ignore_ascii_case("smtp").then_some(address)
    })
}

#[cfg(test)]
mod tests {
    use super::{DirectoryUser, Snapshot};
    use crate::SharedStr;

    #[test]
    fn an_id_or_address_read_from_a_file_is_kept_once_however_often_it_is_named() {
        let json = r#"{
            "users": [
                {"id": "u-boss", "userPrincipalName": "boss@contoso.com", "accountEnabled": true,
                 "mail": "boss@contoso.com",
                 "assignedLicenses": [{"skuId": "sku-e3", "disabledPlans": []}]},
                {"id": "u-jane", "userPrincipalName": "jane@contoso.com", "accountEnabled": true,
                 "manager": {"id": "u-boss"},
                 "assignedLicenses": [{"skuId": "sku-e3", "disabledPlans": []}]}
            ],
            "groups": [
                {"id": "g1", "displayName": "Staff", "securityEnabled": true, "mailEnabled": false,
                 "members": ["u-boss", "u-jane"]},
                {"id": "g2", "displayName": "Leads", "securityEnabled": true, "mailEnabled": false,
                 "members": ["u-boss"]}
            ],
            "mailboxes": [
                {"externalDirectoryObjectId": "u-boss", "userPrincipalName": "boss@contoso.com",
                 "recipientTypeDetails": "UserMailbox"}
            ]
        }"#;
        let snapshot = Snapshot::parse(json.as_bytes(), "test.json").expect("a valid snapshot");
        let boss = &snapshot.users[0].id;
        let manager = &snapshot.users[1].manager.as_ref().expect("a manager").id;
        let named = [
            manager,
            &snapshot.groups[0].members[0],
            &snapshot.groups[1].members[0],
            &snapshot.mailboxes[0].external_directory_object_id,
        ];
        for id in named {
            assert!(SharedStr::ptr_eq(boss, id), "{id} is a copy");
        }
        assert!(SharedStr::ptr_eq(
            &snapshot.users[1].id,
            &snapshot.groups[0].members[1]
        ));
        let upn = snapshot.users[0].user_principal_name.as_ptr();
        assert_eq!(snapshot.mailboxes[0].user_principal_name.as_ptr(), upn);
        let mail = snapshot.users[0].mail.as_ref().expect("a mail address");
        assert_eq!(mail.as_ptr(), upn);
        let license = |user: usize| &snapshot.users[user].assigned_licenses[0].sku_id;
        assert!(SharedStr::ptr_eq(license(0), license(1)));
    }

    fn deleted(id: &str, upn: &str) -> DirectoryUser {
        DirectoryUser {
            id: id.into(),
            user_principal_name: upn.into(),
            ..DirectoryUser::default()
        }
    }

    #[test]
    fn a_deleted_users_upn_loses_the_id_graph_puts_in_front() {
        let id = "0a1b2c3d-0000-4000-8000-00000000000f";
        let prefix = id.replace('-', "");
        let before = |upn: &str| deleted(id, upn).upn_before_deletion().to_owned();
        assert_eq!(
            before(&format!("{prefix}jane.doe@contoso.com")),
            "jane.doe@contoso.com"
        );
        assert_eq!(
            before(&format!("{}jane.doe@contoso.com", prefix.to_uppercase())),
            "jane.doe@contoso.com"
        );
        // Not (all of) the id in front: the UPN is the user's own.
        assert_eq!(before("jane.doe@contoso.com"), "jane.doe@contoso.com");
        assert_eq!(before("0a1b2c3d"), "0a1b2c3d");
        assert_eq!(
            deleted("", "jane.doe@contoso.com").upn_before_deletion(),
            "jane.doe@contoso.com"
        );
    }
}
