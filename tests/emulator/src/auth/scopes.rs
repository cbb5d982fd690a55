//! Scopes: what an app asks for (`openid`, `offline_access`, `{resource}/{permission}`,
//! `{resource}/.default`, or a bare Graph permission), checked against the resources of the
//! tenant's cloud. Another cloud's (or an unknown) resource is not found here, as Microsoft
//! says (`AADSTS500011`).

use crate::state::Shared;

/// Microsoft Graph's application id, which names it as a resource too.
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// Exchange Online's application id.
const EXCHANGE_APP_ID: &str = "00000002-0000-0ff1-ce00-000000000000";

/// The OpenID Connect scopes, which name no resource.
const OIDC: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// The delegated Graph permissions the tenant knows.
const GRAPH_PERMISSIONS: [&str; 19] = [
    "User.Read",
    "User.ReadBasic.All",
    "User.Read.All",
    "User.ReadWrite",
    "User.ReadWrite.All",
    "User.EnableDisableAccount.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "GroupMember.Read.All",
    "GroupMember.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Directory.AccessAsUser.All",
    "Organization.Read.All",
    "Mail.Read",
    "Mail.Send",
    "Mail.Send.Shared",
    "UserAuthenticationMethod.ReadWrite.All",
    "Calendars.Read",
];

/// The delegated Exchange Online permissions the tenant knows.
const EXCHANGE_PERMISSIONS: [&str; 2] = ["Exchange.Manage", "full_access_as_user"];

/// One requested scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// `openid`, `profile`, `email` or `offline_access`.
    Oidc(&'static str),
    /// A permission (or `.default`) on one of the tenant's resources.
    Permission {
        /// The resource as the tenant names it (an access token's audience).
        resource: String,
        /// The permission, spelled as Microsoft does, or `.default`.
        name: String,
    },
}

/// Why a scope cannot be granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScopeError {
    /// Not a scope at all (`AADSTS70011`).
    Invalid(String),
    /// A resource this tenant does not have: another cloud's, or none (`AADSTS500011`).
    UnknownResource(String),
    /// A permission the resource does not have (`AADSTS650053`).
    UnknownPermission {
        /// The scope as asked.
        scope: String,
        /// The resource's application id.
        resource_app: &'static str,
    },
    /// Scopes of several resources where one token is asked for (`AADSTS28000`).
    SeveralResources,
}

impl ScopeError {
    /// The OAuth error name, AADSTS code and text Microsoft answers with.
    pub(crate) fn parts(&self, tenant: &str, client_id: &str) -> (&'static str, u32, String) {
        match self {
            Self::Invalid(scope) => (
                "invalid_scope",
                70_011,
                format!(
                    "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
                ),
            ),
            Self::UnknownResource(resource) => (
                "invalid_resource",
                500_011,
                format!(
                    "The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
                ),
            ),
            Self::UnknownPermission {
                scope,
                resource_app,
            } => (
                "invalid_client",
                650_053,
                format!(
                    "The application '{client_id}' asked for scope '{scope}' that doesn't exist on the resource '{resource_app}'. Contact the app vendor."
                ),
            ),
            Self::SeveralResources => (
                "invalid_scope",
                28_000,
                "Provided value for the input parameter scope is not valid because it contains more than one resource. Scope openid offline_access profile is not valid.".to_owned(),
            ),
        }
    }
}

/// Which API a resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Graph,
    Exchange,
}

/// The tenant's name for a resource (by URL without case or trailing `/`, or by app id).
fn resolve(shared: &Shared, resource: &str) -> Option<(String, Kind)> {
    let wanted = resource.trim_end_matches('/');
    let find = |list: &[String], app_id: &str, kind: Kind| {
        list.iter()
            .find(|a| a.trim_end_matches('/').eq_ignore_ascii_case(wanted))
            .or_else(|| list.first().filter(|_| wanted.eq_ignore_ascii_case(app_id)))
            .map(|a| (a.clone(), kind))
    };
    find(&shared.graph_audiences, GRAPH_APP_ID, Kind::Graph)
        .or_else(|| find(&shared.exchange_audiences, EXCHANGE_APP_ID, Kind::Exchange))
}

/// A permission's canonical spelling on a resource, if it has it.
fn permission(kind: Kind, name: &str) -> Option<&'static str> {
    let known: &[&'static str] = match kind {
        Kind::Graph => &GRAPH_PERMISSIONS,
        Kind::Exchange => &EXCHANGE_PERMISSIONS,
    };
    known.iter().copied().find(|p| p.eq_ignore_ascii_case(name))
}

/// Parses one scope.
fn parse_one(shared: &Shared, text: &str) -> Result<Scope, ScopeError> {
    if let Some(oidc) = OIDC.iter().find(|o| o.eq_ignore_ascii_case(text)) {
        return Ok(Scope::Oidc(oidc));
    }
    let invalid = || ScopeError::Invalid(text.to_owned());
    let (resource, name) = if let Some(scheme_end) = text.find("://") {
        let path = text[scheme_end + 3..].find('/').ok_or_else(invalid)? + scheme_end + 3;
        let last = text
            .rfind('/')
            .filter(|at| *at >= path)
            .ok_or_else(invalid)?;
        (&text[..last], &text[last + 1..])
    } else if let Some((app_id, name)) = text.split_once('/') {
        (app_id, name)
    } else if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
    {
        let graph = shared.graph_audiences.first().ok_or_else(invalid)?;
        (graph.as_str(), text)
    } else {
        return Err(invalid());
    };
    if name.is_empty() {
        return Err(invalid());
    }
    let (resource, kind) = resolve(shared, resource)
        .ok_or_else(|| ScopeError::UnknownResource(resource.trim_end_matches('/').to_owned()))?;
    if name == ".default" {
        return Ok(Scope::Permission {
            resource,
            name: name.to_owned(),
        });
    }
    let name = permission(kind, name).ok_or_else(|| ScopeError::UnknownPermission {
        scope: text.to_owned(),
        resource_app: match kind {
            Kind::Graph => GRAPH_APP_ID,
            Kind::Exchange => EXCHANGE_APP_ID,
        },
    })?;
    Ok(Scope::Permission {
        resource,
        name: name.to_owned(),
    })
}

/// Parses a space-separated `scope` parameter (empty items ignored; at least one required).
pub(crate) fn parse(shared: &Shared, text: &str) -> Result<Vec<Scope>, ScopeError> {
    let scopes = text
        .split_whitespace()
        .map(|s| parse_one(shared, s))
        .collect::<Result<Vec<_>, _>>()?;
    if scopes.is_empty() {
        return Err(ScopeError::Invalid(text.to_owned()));
    }
    Ok(scopes)
}

/// The resource a client-credentials `scope` asks for: exactly `{resource}/.default`.
pub(crate) fn app_only_resource(shared: &Shared, text: &str) -> Result<String, ScopeError> {
    match parse(shared, text.trim())?.as_slice() {
        [Scope::Permission { resource, name }] if name == ".default" => Ok(resource.clone()),
        _ => Err(ScopeError::Invalid(text.to_owned())),
    }
}

/// The resources the scopes name, in order, each once.
pub(crate) fn resources(scopes: &[Scope]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for scope in scopes {
        if let Scope::Permission { resource, .. } = scope
            && !out.contains(&resource.as_str())
        {
            out.push(resource);
        }
    }
    out
}

/// Whether the scopes ask for a refresh token.
pub(crate) fn offline(scopes: &[Scope]) -> bool {
    scopes.contains(&Scope::Oidc("offline_access"))
}

/// How a scope is written back to the app: Graph permissions by their short name (as Microsoft
/// does), other resources' in full.
pub(crate) fn display(shared: &Shared, scope: &Scope) -> String {
    match scope {
        Scope::Oidc(name) => (*name).to_owned(),
        Scope::Permission { resource, name } => {
            let graph = shared.graph_audiences.first();
            if graph == Some(resource) && name != ".default" {
                name.clone()
            } else {
                format!("{resource}/{name}")
            }
        }
    }
}

/// The granted scopes of one resource, as the token answer's `scope` writes them (with the
/// OpenID Connect scopes other than `offline_access`).
pub(crate) fn granted_text(shared: &Shared, granted: &[Scope], resource: &str) -> String {
    let mut out: Vec<String> = granted
        .iter()
        .filter(|s| match s {
            Scope::Permission { resource: r, .. } => r == resource,
            Scope::Oidc(name) => *name != "offline_access",
        })
        .map(|s| display(shared, s))
        .collect();
    if !out.iter().any(|s| !OIDC.contains(&s.as_str())) {
        out.insert(0, format!("{resource}/.default"));
    }
    out.join(" ")
}
