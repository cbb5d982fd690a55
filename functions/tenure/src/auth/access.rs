//! Who may manage which connection: one pure decision over the caller's identity, the
//! connection and the deployment's operators.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Identity;
use crate::store::connections::Connection;

/// The directory roles (template ids, as the ID token's `wids` lists them) that make a user an
/// administrator of their tenant for Tenure.
pub const ADMIN_ROLES: [(&str, &str); 4] = [
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
    ),
    (
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
    ),
    (
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Application Administrator",
    ),
    (
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Cloud Application Administrator",
    ),
];

/// Whether any of these role template ids is one of the [`ADMIN_ROLES`].
pub fn holds_admin_role(roles: &[String]) -> bool {
    roles.iter().any(|role| {
        ADMIN_ROLES
            .iter()
            .any(|(id, _)| id.eq_ignore_ascii_case(role))
    })
}

/// A deployment operator: a user (tenant id and object id) who may manage every connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    /// The operator's tenant id.
    pub tenant_id: String,
    /// The operator's object id.
    pub object_id: String,
}

/// The deployment's operators, from its configuration (`TENURE_OPERATORS`:
/// `<tenant-id>/<object-id>` entries separated by commas).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Operators(Vec<Operator>);

/// An operator list that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "operator {entry:?} {problem}: write each operator as <tenant-id>/<object-id> (two GUIDs), \
     separated by commas"
)]
pub struct InvalidOperators {
    entry: String,
    problem: &'static str,
}

impl Operators {
    /// No operators.
    pub fn none() -> Self {
        Self::default()
    }

    /// Reads `<tenant-id>/<object-id>,…` (spaces around entries are ignored; an empty text is no
    /// operators).
    pub fn parse(text: &str) -> Result<Self, InvalidOperators> {
        let mut operators = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let invalid = |problem| InvalidOperators {
                entry: entry.to_owned(),
                problem,
            };
            let (tenant, object) = entry.split_once('/').ok_or_else(|| invalid("has no '/'"))?;
            let tenant = uuid::Uuid::parse_str(tenant.trim())
                .map_err(|_| invalid("does not start with a tenant id (a GUID)"))?;
            let object = uuid::Uuid::parse_str(object.trim())
                .map_err(|_| invalid("does not end with an object id (a GUID)"))?;
            operators.push(Operator {
                tenant_id: tenant.hyphenated().to_string(),
                object_id: object.hyphenated().to_string(),
            });
        }
        Ok(Self(operators))
    }

    /// The operators.
    pub fn list(&self) -> &[Operator] {
        &self.0
    }

    /// Whether the caller is one of them.
    pub fn contains(&self, caller: &Identity) -> bool {
        self.0.iter().any(|operator| {
            operator.tenant_id.eq_ignore_ascii_case(&caller.tenant_id)
                && operator.object_id.eq_ignore_ascii_case(&caller.object_id)
        })
    }
}

/// What a caller may do with a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// See and manage it: an operator, an administrator of its tenant, or one of its managers.
    Manage,
    /// Nothing, and not even learn that it exists: it belongs to another tenant (answered as a
    /// connection that does not exist).
    Hidden,
    /// Nothing: a user of its tenant without an administrator role who is not its manager.
    Forbidden,
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Manage => "manage",
            Self::Hidden => "hidden",
            Self::Forbidden => "forbidden",
        })
    }
}

/// The decision: operators manage every connection; anyone else only connections of their own
/// tenant, and there only with one of the [`ADMIN_ROLES`] or as one of the connection's
/// managers (by object id).
pub fn access(caller: &Identity, connection: &Connection, operators: &Operators) -> Access {
    if operators.contains(caller) {
        return Access::Manage;
    }
    if !connection
        .tenant_id
        .as_str()
        .eq_ignore_ascii_case(&caller.tenant_id)
    {
        return Access::Hidden;
    }
    let manager = connection
        .managers
        .iter()
        .any(|oid| oid.eq_ignore_ascii_case(&caller.object_id));
    if manager || holds_admin_role(&caller.roles) {
        Access::Manage
    } else {
        Access::Forbidden
    }
}
