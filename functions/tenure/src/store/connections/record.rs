//! The connection record: what Tenure knows about one customer tenant, and no secrets (those
//! live in the secret store under names derived from the connection id).

use jiff::Timestamp;

use crate::microsoft::{Endpoints, NationalCloud};
use crate::store::secrets::{SecretKind, SecretName};

use super::fields::{BaseUrl, ClientId, TenantId};
use super::{ConnectionId, ConnectionName};
use crate::names::Upn;

/// One customer tenant's connection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// The connection's id (its record's key and its secrets' middle name).
    pub id: ConnectionId,
    /// What people call it (free text); records without one are shown by their id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<ConnectionName>,
    /// Whose app registration Tenure signs in with, and how.
    pub app: ConnectionType,
    /// The national cloud, by name (`global`, `usgovhigh`, `usgovdod`, `china`).
    #[serde(with = "cloud_by_name")]
    pub cloud: NationalCloud,
    /// The customer's tenant.
    pub tenant_id: TenantId,
    /// The app registration's client id.
    pub client_id: ClientId,
    /// Base URLs that replace the cloud's own hosts (the emulated tenant, a proxy).
    #[serde(default, skip_serializing_if = "EndpointOverrides::is_empty")]
    pub endpoints: EndpointOverrides,
    /// The Exchange Online side of the connection.
    pub exchange: ExchangeSettings,
    /// Users of the connection's tenant (object ids) who may manage it without holding an
    /// administrator role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managers: Vec<String>,
    /// When the credential in the secret store (client secret, certificate, refresh token) was
    /// set: shown as "set on `<date>`", the credential itself never. Records from before it was
    /// kept have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_set_at: Option<Timestamp>,
    /// Whether the connection works.
    pub status: ConnectionStatus,
    /// When the connection was created.
    pub created_at: Timestamp,
    /// When the record was last changed.
    pub updated_at: Timestamp,
}

/// Whose app registration a connection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConnectionType {
    /// Tenure's multi-tenant app (what Hire2Retire calls a Service Provider Application),
    /// linked by an admin's consent; Tenure keeps the delegated refresh token. Records written
    /// before the type had this name say `service_provider_app`.
    #[serde(alias = "service_provider_app")]
    TenureApp,
    /// The customer's own app registration, used with the client-credentials flow.
    CustomerApp {
        /// How the app proves who it is.
        credential: CustomerCredential,
    },
}

/// How a customer's app proves who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerCredential {
    /// A client secret.
    ClientSecret,
    /// A certificate and its private key (a signed client assertion).
    Certificate,
}

/// Base URLs that replace a cloud's own hosts, each optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointOverrides {
    /// The login authority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<BaseUrl>,
    /// Microsoft Graph.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph: Option<BaseUrl>,
    /// Exchange Online.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<BaseUrl>,
}

impl EndpointOverrides {
    /// Every base URL at one server (the emulated tenant serves all three).
    pub fn all_at(base: &BaseUrl) -> Self {
        Self {
            login: Some(base.clone()),
            graph: Some(base.clone()),
            exchange: Some(base.clone()),
        }
    }

    /// Whether nothing is overridden.
    pub fn is_empty(&self) -> bool {
        self.login.is_none() && self.graph.is_none() && self.exchange.is_none()
    }
}

/// The Exchange Online side of a connection.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeSettings {
    /// Whether Tenure manages distribution lists, mail-enabled security groups and mailboxes.
    pub enabled: bool,
    /// The mailbox Exchange requests are anchored to (`X-AnchorMailbox`): the service
    /// account's UPN. Required when Exchange is enabled.
    #[serde(
        default,
        deserialize_with = "checked_upn",
        skip_serializing_if = "Option::is_none"
    )]
    pub anchor_upn: Option<Upn>,
}

/// Reads a kept UPN through [`Upn::parse`], as when it was given: it ends up in a header.
fn checked_upn<'de, D: serde::Deserializer<'de>>(reader: D) -> Result<Option<Upn>, D::Error> {
    let text: Option<String> = serde::Deserialize::deserialize(reader)?;
    text.map(|text| Upn::parse(&text).map_err(serde::de::Error::custom))
        .transpose()
}

/// Whether a connection works.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConnectionStatus {
    /// Created, not proven yet: consent not given yet, or no token obtained yet.
    Pending,
    /// Proven: Tenure got a token with it.
    Linked,
    /// Tenure's app: the user who linked may not grant its permissions and asked the tenant's
    /// administrators to (Microsoft's admin consent workflow); an administrator consents, then
    /// the link is finished.
    AwaitingAdminApproval {
        /// Who asked (their sign-in name).
        requested_by: String,
        /// When.
        requested_at: Timestamp,
    },
    /// An admin must link it again (the refresh token expired or was revoked).
    NeedsRelink {
        /// Why, in words an admin can act on.
        reason: String,
    },
    /// It does not work, for a reason other than linking.
    Failed {
        /// Why.
        reason: String,
    },
}

impl Connection {
    /// A new connection, pending, without overrides or Exchange, created `now`.
    pub fn new(
        id: ConnectionId,
        app: ConnectionType,
        cloud: NationalCloud,
        tenant_id: TenantId,
        client_id: ClientId,
        now: Timestamp,
    ) -> Self {
        Self {
            id,
            name: None,
            app,
            cloud,
            tenant_id,
            client_id,
            endpoints: EndpointOverrides::default(),
            exchange: ExchangeSettings::default(),
            managers: Vec::new(),
            credential_set_at: None,
            status: ConnectionStatus::Pending,
            created_at: now,
            updated_at: now,
        }
    }

    /// What the connection is shown as: its name, or its id when it has none.
    pub fn display_name(&self) -> &str {
        self.name
            .as_ref()
            .map_or_else(|| self.id.as_str(), ConnectionName::as_str)
    }

    /// The base URLs to talk to: the cloud's hosts with this connection's overrides.
    pub fn endpoints(&self) -> Endpoints {
        let mut endpoints = Endpoints::for_cloud(self.cloud);
        if let Some(url) = &self.endpoints.login {
            endpoints = endpoints.with_login(url.as_str());
        }
        if let Some(url) = &self.endpoints.graph {
            endpoints = endpoints.with_graph(url.as_str());
        }
        if let Some(url) = &self.endpoints.exchange {
            endpoints = endpoints.with_exchange(url.as_str());
        }
        endpoints
    }

    /// The name of this connection's secret of one kind.
    pub fn secret_name(&self, kind: SecretKind) -> SecretName {
        SecretName::for_connection(&self.id, kind)
    }

    /// The secret that signs Tenure in: the refresh token, the client secret or the
    /// certificate key, by the connection's type.
    pub fn credential_secret(&self) -> SecretName {
        self.secret_name(match self.app {
            ConnectionType::TenureApp => SecretKind::RefreshToken,
            ConnectionType::CustomerApp {
                credential: CustomerCredential::ClientSecret,
            } => SecretKind::ClientSecret,
            ConnectionType::CustomerApp {
                credential: CustomerCredential::Certificate,
            } => SecretKind::CertificateKey,
        })
    }

    /// Rules that span fields: the field at fault and why.
    pub(crate) fn check(&self) -> Result<(), (&'static str, String)> {
        if self.exchange.enabled && self.exchange.anchor_upn.is_none() {
            return Err((
                "exchange.anchor_upn",
                "Exchange is enabled but no anchor mailbox UPN is set".to_owned(),
            ));
        }
        match &self.status {
            ConnectionStatus::NeedsRelink { reason } | ConnectionStatus::Failed { reason }
                if reason.trim().is_empty() =>
            {
                Err(("status.reason", "the reason is empty".to_owned()))
            }
            _ if self.updated_at < self.created_at => Err((
                "updated_at",
                format!(
                    "{} is before created_at {}",
                    self.updated_at, self.created_at
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// A national cloud by its configuration name, exactly.
mod cloud_by_name {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::microsoft::NationalCloud;

    pub(super) fn serialize<S: Serializer>(
        cloud: &NationalCloud,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(cloud.name())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<NationalCloud, D::Error> {
        let name = String::deserialize(deserializer)?;
        NationalCloud::ALL
            .into_iter()
            .find(|cloud| cloud.name() == name)
            .ok_or_else(|| {
                D::Error::custom(format!(
                    "unknown national cloud {name:?}: expected one of {}",
                    NationalCloud::NAMES.join(", ")
                ))
            })
    }
}
