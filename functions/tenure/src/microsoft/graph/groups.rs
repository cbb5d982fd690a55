//! Group, license and tenant reads, and `/groups/delta`.

use serde::Deserialize;

use super::{GraphClient, encode};
use crate::SharedStr;
use crate::directory::{DirectoryGroup, SubscribedSku, Tenant};
use crate::microsoft::error::ApiError;
use crate::microsoft::group_delta::{GroupDelta, GroupRound};
use crate::names::MailNickname;

const GROUP_SELECT: &str =
    "id,displayName,mail,mailNickname,proxyAddresses,groupTypes,securityEnabled,mailEnabled";

/// What a groups delta round tracks: the properties of [`GROUP_SELECT`] and the members.
const GROUP_DELTA_SELECT: &str =
    "displayName,mail,mailNickname,proxyAddresses,groupTypes,securityEnabled,mailEnabled,members";

/// A group's own properties as Graph lists them (and as a delta page shows them), before its
/// members are read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListedGroup {
    pub(crate) id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    mail: Option<String>,
    #[serde(default)]
    mail_nickname: Option<String>,
    #[serde(default)]
    proxy_addresses: Vec<String>,
    #[serde(default)]
    group_types: Vec<String>,
    #[serde(default)]
    security_enabled: Option<bool>,
    #[serde(default)]
    mail_enabled: Option<bool>,
}

impl ListedGroup {
    /// The group with these members.
    pub(crate) fn into_group(self, members: Vec<String>) -> DirectoryGroup {
        DirectoryGroup {
            display_name: self.display_name.unwrap_or_default(),
            id: self.id,
            mail: self.mail,
            mail_nickname: self.mail_nickname.map(MailNickname::from),
            proxy_addresses: self.proxy_addresses,
            group_types: self.group_types,
            security_enabled: self.security_enabled.unwrap_or(false),
            mail_enabled: self.mail_enabled.unwrap_or(false),
            members: members.into_iter().map(SharedStr::from).collect(),
        }
    }
}

#[derive(Deserialize)]
struct Member {
    id: String,
    #[serde(rename = "@odata.type", default)]
    odata_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Organization {
    id: String,
    #[serde(default)]
    verified_domains: Vec<VerifiedDomain>,
}

#[derive(Deserialize)]
struct VerifiedDomain {
    name: String,
}

impl GraphClient {
    /// Every group with its kind's properties and its direct user members.
    pub async fn list_groups(&self) -> Result<Vec<DirectoryGroup>, ApiError> {
        let url = self.url(&format!("/groups?$select={GROUP_SELECT}&$top=999"));
        let (listed, _) = self.collect::<ListedGroup>(url).await?;
        let mut groups = Vec::with_capacity(listed.len());
        for group in listed {
            let members = self.group_members(&group.id).await?;
            groups.push(group.into_group(members));
        }
        Ok(groups)
    }

    /// A group's direct members that are users (nested groups, devices and contacts are left
    /// out, as the snapshot holds users only).
    pub async fn group_members(&self, group_id: &str) -> Result<Vec<String>, ApiError> {
        let url = self.url(&format!(
            "/groups/{}/members?$select=id&$top=999",
            encode(group_id)
        ));
        let (members, _) = self.collect::<Member>(url).await?;
        Ok(members
            .into_iter()
            .filter(|m| {
                m.odata_type
                    .as_deref()
                    .is_none_or(|t| t == "#microsoft.graph.user")
            })
            .map(|m| m.id)
            .collect())
    }

    /// Groups changed since `delta_link` (or every group with every member when `None`): their
    /// properties, the members added and removed, the groups deleted, and the next delta link.
    /// A link Graph no longer knows fails with [`ApiError::is_resync_required`]: start over
    /// with `None`.
    pub async fn groups_delta(&self, delta_link: Option<&str>) -> Result<GroupDelta, ApiError> {
        let url = match delta_link {
            Some(link) => link.to_owned(),
            None => self.url(&format!("/groups/delta?$select={GROUP_DELTA_SELECT}")),
        };
        let mut round = GroupRound::default();
        let link = self
            .delta_round(url, "GET /groups/delta", |item| round.take(item))
            .await?;
        Ok(round.finish(link))
    }

    /// The licenses the tenant owns.
    pub async fn subscribed_skus(&self) -> Result<Vec<SubscribedSku>, ApiError> {
        let url = self.url("/subscribedSkus?$select=skuId,skuPartNumber,servicePlans");
        Ok(self.collect(url).await?.0)
    }

    /// The tenant's id and verified domains (`GET /organization`).
    pub async fn tenant(&self) -> Result<Tenant, ApiError> {
        let url = self.url("/organization?$select=id,verifiedDomains");
        let (organizations, _) = self.collect::<Organization>(url).await?;
        let organization = organizations.into_iter().next();
        Ok(Tenant {
            id: organization.as_ref().map(|o| o.id.clone()),
            verified_domains: organization
                .map(|o| o.verified_domains.into_iter().map(|d| d.name).collect())
                .unwrap_or_default(),
        })
    }
}
