//! National clouds: the one table of Microsoft host names, and the base URLs a connection uses.

use std::fmt;
use std::str::FromStr;

/// A Microsoft national cloud. Every Microsoft host name Tenure uses comes from [`Self::hosts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NationalCloud {
    /// The global cloud (also GCC).
    #[default]
    Global,
    /// US Government GCC High.
    UsGovHigh,
    /// US Government DoD.
    UsGovDod,
    /// China, operated by 21Vianet.
    China,
}

/// The host names of one cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloudHosts {
    /// The login authority.
    pub login: &'static str,
    /// Microsoft Graph.
    pub graph: &'static str,
    /// Exchange Online.
    pub exchange: &'static str,
}

/// A cloud name that is not one of [`NationalCloud::NAMES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown national cloud {0:?}: expected one of global, usgovhigh, usgovdod, china")]
pub struct UnknownCloud(pub String);

impl NationalCloud {
    /// Every cloud.
    pub const ALL: [Self; 4] = [Self::Global, Self::UsGovHigh, Self::UsGovDod, Self::China];
    /// The names clouds are configured by, in the order of [`Self::ALL`].
    pub const NAMES: [&'static str; 4] = ["global", "usgovhigh", "usgovdod", "china"];

    /// The cloud's host names (the only place they are spelled; docs/connections.md lists them).
    pub fn hosts(self) -> CloudHosts {
        match self {
            Self::Global => CloudHosts {
                login: "login.microsoftonline.com",
                graph: "graph.microsoft.com",
                exchange: "outlook.office365.com",
            },
            Self::UsGovHigh => CloudHosts {
                login: "login.microsoftonline.us",
                graph: "graph.microsoft.us",
                exchange: "outlook.office365.us",
            },
            Self::UsGovDod => CloudHosts {
                login: "login.microsoftonline.us",
                graph: "dod-graph.microsoft.us",
                exchange: "outlook-dod.office365.us",
            },
            Self::China => CloudHosts {
                login: "login.chinacloudapi.cn",
                graph: "microsoftgraph.chinacloudapi.cn",
                exchange: "partner.outlook.cn",
            },
        }
    }

    /// The configuration name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::UsGovHigh => "usgovhigh",
            Self::UsGovDod => "usgovdod",
            Self::China => "china",
        }
    }

    /// Whether Graph offers Temporary Access Passes (`temporaryAccessPassMethods`) in this
    /// cloud: not in the US Government clouds (GCC High, DoD), where first-day access falls
    /// back to a first password.
    pub fn offers_access_passes(self) -> bool {
        !matches!(self, Self::UsGovHigh | Self::UsGovDod)
    }

    /// The client-credentials scope for Graph: `https://{graph host}/.default`. Tokens are for
    /// the cloud's resource even when the base URL points elsewhere (the emulated tenant).
    pub fn graph_scope(self) -> String {
        format!("https://{}/.default", self.hosts().graph)
    }

    /// The client-credentials scope for Exchange Online: `https://{exchange host}/.default`.
    pub fn exchange_scope(self) -> String {
        format!("https://{}/.default", self.hosts().exchange)
    }
}

impl FromStr for NationalCloud {
    type Err = UnknownCloud;

    /// Parses `global`, `usgovhigh`, `usgovdod` or `china`, ignoring case, `-` and `_`
    /// (so `US-Gov-High` is `usgovhigh`); `gcc` is the global cloud.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match key.as_str() {
            "global" | "gcc" | "public" => Ok(Self::Global),
            "usgovhigh" | "gcchigh" => Ok(Self::UsGovHigh),
            "usgovdod" | "dod" => Ok(Self::UsGovDod),
            "china" => Ok(Self::China),
            _ => Err(UnknownCloud(s.to_owned())),
        }
    }
}

impl fmt::Display for NationalCloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The base URLs a connection talks to: from its cloud, each overridable (tests and the local
/// sandbox point all three at the emulated tenant). Base URLs carry no trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The cloud: it names the token scopes even when the URLs are overridden.
    pub cloud: NationalCloud,
    /// The login authority, such as `https://login.microsoftonline.com`.
    pub login: String,
    /// Graph, without the version: `https://graph.microsoft.com`.
    pub graph: String,
    /// Exchange Online: `https://outlook.office365.com`.
    pub exchange: String,
}

impl Endpoints {
    /// The cloud's own hosts over HTTPS.
    pub fn for_cloud(cloud: NationalCloud) -> Self {
        let hosts = cloud.hosts();
        Self {
            cloud,
            login: format!("https://{}", hosts.login),
            graph: format!("https://{}", hosts.graph),
            exchange: format!("https://{}", hosts.exchange),
        }
    }

    /// Every base URL pointed at one server (the emulated tenant serves all three).
    #[must_use]
    pub fn all_at(cloud: NationalCloud, base: &str) -> Self {
        Self::for_cloud(cloud)
            .with_login(base)
            .with_graph(base)
            .with_exchange(base)
    }

    /// Overrides the login base URL.
    #[must_use]
    pub fn with_login(mut self, url: &str) -> Self {
        self.login = trim(url);
        self
    }

    /// Overrides the Graph base URL.
    #[must_use]
    pub fn with_graph(mut self, url: &str) -> Self {
        self.graph = trim(url);
        self
    }

    /// Overrides the Exchange base URL.
    #[must_use]
    pub fn with_exchange(mut self, url: &str) -> Self {
        self.exchange = trim(url);
        self
    }

    /// The client-credentials token endpoint of a tenant.
    pub fn token_url(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/token", self.login)
    }

    /// Whether all three base URLs are their cloud's own hosts over HTTPS (no other port, no
    /// path, no user name); the first that is not, otherwise. A deployment that does not
    /// allow custom endpoints uses only connections that pass this.
    pub fn check_cloud_hosts(&self) -> Result<(), ForeignEndpoint> {
        let hosts = self.cloud.hosts();
        for (role, url, host) in [
            ("login", &self.login, hosts.login),
            ("Graph", &self.graph, hosts.graph),
            ("Exchange", &self.exchange, hosts.exchange),
        ] {
            if !is_https_host(url, host) {
                return Err(ForeignEndpoint {
                    cloud: self.cloud,
                    role,
                    url: url.clone(),
                    expected: format!("https://{host}"),
                });
            }
        }
        Ok(())
    }
}

/// A connection's base URL that is not its national cloud's host over HTTPS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("its {role} endpoint {url} is not {expected}, the {cloud} cloud's {role} host over HTTPS")]
pub struct ForeignEndpoint {
    /// The connection's cloud.
    pub cloud: NationalCloud,
    /// `login`, `Graph` or `Exchange`.
    pub role: &'static str,
    /// The base URL the connection names.
    pub url: String,
    /// The cloud's own base URL for it.
    pub expected: String,
}

/// Whether `url` is `https://{host}` (in any case, with an optional `:443` and `/`).
fn is_https_host(url: &str, host: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    parsed.scheme() == "https"
        && parsed
            .host_str()
            .is_some_and(|h| h.eq_ignore_ascii_case(host))
        && parsed.port().is_none()
        && parsed.username().is_empty()
        && parsed.password().is_none()
        && matches!(parsed.path(), "" | "/")
        && parsed.query().is_none()
        && parsed.fragment().is_none()
}

fn trim(url: &str) -> String {
    url.trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::{Endpoints, NationalCloud};

    #[test]
    fn only_the_clouds_own_https_hosts_pass() {
        for cloud in NationalCloud::ALL {
            assert_eq!(Endpoints::for_cloud(cloud).check_cloud_hosts(), Ok(()));
            let hosts = cloud.hosts();
            let upper = Endpoints::for_cloud(cloud)
                .with_graph(&format!("HTTPS://{}:443/", hosts.graph.to_uppercase()));
            assert_eq!(upper.check_cloud_hosts(), Ok(()), "{cloud}");
        }
        let global = Endpoints::for_cloud(NationalCloud::Global);
        for (endpoints, role) in [
            (
                global.clone().with_graph("http://graph.microsoft.com"),
                "Graph",
            ),
            (
                global
                    .clone()
                    .with_graph("https://graph.microsoft.com.evil.example"),
                "Graph",
            ),
            (
                global
                    .clone()
                    .with_graph("https://graph.microsoft.com:8443"),
                "Graph",
            ),
            (
                global
                    .clone()
                    .with_graph("https://user@graph.microsoft.com"),
                "Graph",
            ),
            (
                global.clone().with_graph("https://graph.microsoft.us"),
                "Graph",
            ),
            (global.clone().with_login("http://127.0.0.1:9000"), "login"),
            (
                global
                    .clone()
                    .with_login("https://login.microsoftonline.com/evil"),
                "login",
            ),
            (
                global.clone().with_exchange("https://outlook.office365.us"),
                "Exchange",
            ),
            (
                Endpoints::all_at(NationalCloud::Global, "http://127.0.0.1:9000"),
                "login",
            ),
        ] {
            let refused = endpoints.check_cloud_hosts().expect_err("refused");
            assert_eq!(refused.role, role, "{refused}");
        }
    }
}
