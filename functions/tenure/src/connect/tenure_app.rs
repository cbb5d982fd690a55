//! Tenure's multi-tenant app (a Service Provider Application, in Hire2Retire's words): the settings of the
//! deployment, not of a customer.

use crate::microsoft::{ClientCredential, NationalCloud};

/// The delegated permissions an admin grants Tenure's app when linking a tenant (first-day
/// access's Temporary Access Passes and mail from the sender mailbox included).
pub const DELEGATED_PERMISSIONS: [&str; 5] = [
    "User.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.AccessAsUser.All",
    "UserAuthenticationMethod.ReadWrite.All",
    "Mail.Send.Shared",
];

/// Tenure's app registration: its client id, how it proves itself (it is a confidential
/// client), and the one redirect URI registered for it.
#[derive(Debug, Clone)]
pub struct TenureApp {
    /// The app's client id.
    pub client_id: String,
    /// Its client secret or certificate.
    pub credential: ClientCredential,
    /// Where Microsoft sends the admin back (must equal a registered redirect URI exactly).
    pub redirect_uri: String,
}

/// The scopes of the authorize request in a cloud: each delegated permission on that cloud's
/// Graph, and `offline_access` for a refresh token.
pub fn delegated_scopes(cloud: NationalCloud) -> Vec<String> {
    let graph = cloud.graph_scope();
    let resource = graph.trim_end_matches("/.default");
    DELEGATED_PERMISSIONS
        .iter()
        .map(|p| format!("{resource}/{p}"))
        .chain(std::iter::once("offline_access".to_owned()))
        .collect()
}
