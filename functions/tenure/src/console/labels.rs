//! How the console names what the engine keeps: connection types, national clouds, statuses,
//! administrator roles.

use crate::auth::ADMIN_ROLES;
use crate::microsoft::NationalCloud;
use crate::store::connections::{ConnectionStatus, ConnectionType, CustomerCredential};

/// A connection's status as shown: a label, a tone for the stylesheet, and the reason.
#[derive(Debug, Clone)]
pub(crate) struct StatusLabel {
    /// "Linked", "Not linked yet", "Awaiting admin approval", "Needs re-link", "Failed".
    pub(crate) label: &'static str,
    /// `ok`, `pending`, `warning` or `bad` (the badge's colour; the label says it in words).
    pub(crate) tone: &'static str,
    /// Why, when it does not work.
    pub(crate) reason: Option<String>,
}

/// The status of a connection as shown.
pub(crate) fn status(status: &ConnectionStatus) -> StatusLabel {
    let (label, tone, reason) = match status {
        ConnectionStatus::Pending => ("Not linked yet", "pending", None),
        ConnectionStatus::Linked => ("Linked", "ok", None),
        ConnectionStatus::AwaitingAdminApproval {
            requested_by,
            requested_at,
        } => {
            return StatusLabel {
                label: "Awaiting admin approval",
                tone: "pending",
                reason: Some(format!(
                    "{requested_by} asked the tenant's administrators to approve Tenure's app on {}.",
                    when(*requested_at)
                )),
            };
        }
        ConnectionStatus::NeedsRelink { reason } => ("Needs re-link", "warning", Some(reason)),
        ConnectionStatus::Failed { reason } => ("Failed", "bad", Some(reason)),
    };
    StatusLabel {
        label,
        tone,
        reason: reason.cloned(),
    }
}

/// The connection type: Tenure's app (one name for it everywhere), or the customer's own app
/// (Hire2Retire's Customer Owned Application).
pub(crate) fn kind(app: &ConnectionType) -> &'static str {
    match app {
        ConnectionType::TenureApp => "Tenure's app",
        ConnectionType::CustomerApp {
            credential: CustomerCredential::ClientSecret,
        } => "Customer Owned Application (client secret)",
        ConnectionType::CustomerApp {
            credential: CustomerCredential::Certificate,
        } => "Customer Owned Application (certificate)",
    }
}

/// The national cloud as the Azure portal names it.
pub(crate) fn cloud(cloud: NationalCloud) -> &'static str {
    match cloud {
        NationalCloud::Global => "Global",
        NationalCloud::UsGovHigh => "US Government GCC High",
        NationalCloud::UsGovDod => "US Government DoD",
        NationalCloud::China => "China (21Vianet)",
    }
}

/// An instant as the console shows it: to the second, in UTC.
pub(crate) fn when(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// An RFC 3339 instant kept as text (audit records) as the console shows it; the text as it is
/// when it is not one.
pub(crate) fn when_text(at: &str) -> String {
    at.parse().map_or_else(|_| at.to_owned(), when)
}

/// The names of the administrator roles among `roles` (template ids).
pub(crate) fn admin_roles(roles: &[String]) -> Vec<&'static str> {
    ADMIN_ROLES
        .iter()
        .filter(|(id, _)| roles.iter().any(|r| r.eq_ignore_ascii_case(id)))
        .map(|(_, name)| *name)
        .collect()
}

/// A size in bytes as people read it: "115.4 KiB", "4 MiB" (binary units, as the limits are
/// set).
pub(crate) fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    let scaled = |unit: u64, name: &str| {
        if bytes.is_multiple_of(unit) {
            format!("{} {name}", bytes / unit)
        } else {
            format!("{:.1} {name}", bytes as f64 / unit as f64)
        }
    };
    if bytes >= MIB {
        scaled(MIB, "MiB")
    } else if bytes >= KIB {
        scaled(KIB, "KiB")
    } else {
        format!("{bytes} bytes")
    }
}
