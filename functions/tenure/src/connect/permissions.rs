//! What a connection asks of the tenant, each with the one line that says why: Graph's
//! delegated scopes for Tenure's app ([`DELEGATED_PERMISSIONS`] and `offline_access`), Graph's
//! application permissions for the customer's own app ([`APPLICATION_PERMISSIONS`]), and
//! Exchange Online's roles ([`EXCHANGE_ROLES`]) when Exchange is enabled. The console's
//! "Permissions requested" page lists them.

use super::prove::APPLICATION_PERMISSIONS;
use super::tenure_app::DELEGATED_PERMISSIONS;
use crate::store::connections::{Connection, ConnectionType};

/// Where a permission is granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionKind {
    /// A delegated Microsoft Graph scope, consented for the tenant by an administrator.
    Delegated,
    /// A Microsoft Graph application permission of the customer's app, with admin consent.
    Application,
    /// An Exchange Online role (in a role group of the account Tenure acts as).
    ExchangeRole,
}

/// One permission and why Tenure needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permission {
    /// As Microsoft names it (`User.ReadWrite.All`, `Distribution Groups`).
    pub name: &'static str,
    /// Where it is granted.
    pub kind: PermissionKind,
    /// Why, in one line.
    pub why: &'static str,
}

/// Why each Graph permission is asked for.
const GRAPH: [(&str, &str); 10] = [
    (
        "User.ReadWrite.All",
        "Read every user to plan, create joiners' accounts and keep their name, department, job title, manager and other attributes in step with HR.",
    ),
    (
        "Group.ReadWrite.All",
        "Read groups and add or remove members of the groups (and group-based licenses) the mapping manages; other groups are never touched.",
    ),
    (
        "Directory.ReadWrite.All",
        "Read the organization and its verified domains, and restore a rehire's soft-deleted account instead of making a second one.",
    ),
    (
        "User.EnableDisableAccount.All",
        "Disable a leaver's account on their last day and enable it again for a rehire.",
    ),
    (
        "Directory.AccessAsUser.All",
        "Act in the directory as the administrator who linked the tenant (disable leavers, restore rehires, revoke sessions), never beyond that administrator's own role.",
    ),
    (
        "UserAuthenticationMethod.ReadWrite.All",
        "Make a new worker's Temporary Access Pass on their first day, to be mailed to their manager (only when first-day access is turned on).",
    ),
    (
        "Mail.Send",
        "Send first-day access, leavers' notices and the admins' digest from the configured sender mailbox (restrict it to that mailbox with an Exchange application access policy).",
    ),
    (
        "Mail.Send.Shared",
        "Send first-day access, leavers' notices and the admins' digest from the configured sender mailbox, on which the linking administrator has Send As.",
    ),
    (
        "offline_access",
        "A refresh token, so that Tenure keeps working after the administrator who linked the tenant has signed out.",
    ),
    (
        "Exchange.ManageAsApp",
        "Call Exchange Online's admin API as the app itself (with the Exchange Recipient Administrator role), for distribution lists and mailboxes.",
    ),
];

/// Exchange Online's roles, in a role group such as Recipient Management.
const EXCHANGE: [(&str, &str); 3] = [
    (
        "Distribution Groups",
        "Create distribution lists named by the mapping and add or remove their members.",
    ),
    (
        "Security Group Creation and Membership",
        "Create mail-enabled security groups named by the mapping and manage their members.",
    ),
    (
        "Mail Recipients",
        "Read mailboxes and set their properties: full access for managers, forwarding and hiding a leaver from the address lists.",
    ),
];

/// What `connection` asks for: Graph's permissions of its type, then, when Exchange is enabled,
/// Exchange's roles (and `Exchange.ManageAsApp` for the customer's own app).
pub fn requested(connection: &Connection) -> Vec<Permission> {
    let graph = |name: &'static str, kind| Permission {
        name,
        kind,
        why: GRAPH
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, why)| why),
    };
    let mut asked: Vec<Permission> = match connection.app {
        ConnectionType::TenureApp => DELEGATED_PERMISSIONS
            .iter()
            .chain(std::iter::once(&"offline_access"))
            .map(|name| graph(name, PermissionKind::Delegated))
            .collect(),
        ConnectionType::CustomerApp { .. } => APPLICATION_PERMISSIONS
            .split(", ")
            .map(|name| graph(name, PermissionKind::Application))
            .collect(),
    };
    if connection.exchange.enabled {
        if matches!(connection.app, ConnectionType::CustomerApp { .. }) {
            asked.push(graph("Exchange.ManageAsApp", PermissionKind::Application));
        }
        asked.extend(EXCHANGE.iter().map(|(name, why)| Permission {
            name,
            kind: PermissionKind::ExchangeRole,
            why,
        }));
    }
    asked
}

#[cfg(test)]
mod tests {
    use super::{APPLICATION_PERMISSIONS, DELEGATED_PERMISSIONS, GRAPH};

    #[test]
    fn every_permission_asked_for_says_why() {
        let asked = APPLICATION_PERMISSIONS
            .split(", ")
            .chain(DELEGATED_PERMISSIONS)
            .chain(["offline_access", "Exchange.ManageAsApp"]);
        for name in asked {
            assert!(
                GRAPH.iter().any(|(n, why)| *n == name && !why.is_empty()),
                "{name} has no explanation"
            );
        }
    }
}
