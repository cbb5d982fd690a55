//! The Exchange Online client: cmdlets through `POST {exchange}/adminapi/beta/{tenant}/InvokeCommand`.

use std::sync::Arc;

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::cloud::Endpoints;
use super::error::{Api, ApiError};
use super::graph::Written;
use super::token::TokenSource;
use super::transport::{ClientOptions, Request, Transport};
use crate::directory::{Mailbox, MailboxType};

/// An Exchange Online client for one tenant. Cheap to clone.
#[derive(Clone)]
pub struct ExchangeClient {
    transport: Transport,
    url: String,
    anchor: String,
}

impl std::fmt::Debug for ExchangeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExchangeClient")
            .field("url", &self.url)
            .field("anchor", &self.anchor)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    value: Vec<Value>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

/// A mailbox with when it last changed (Exchange's `WhenChangedUTC`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampedMailbox {
    /// The mailbox (`full_access` empty: see [`ExchangeClient::full_access`]).
    pub mailbox: Mailbox,
    /// `WhenChangedUTC`; `None` when Exchange did not say (then treat it as changed).
    pub when_changed: Option<jiff::Timestamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Recipient {
    #[serde(default)]
    external_directory_object_id: Option<String>,
    #[serde(default)]
    user_principal_name: Option<String>,
    #[serde(default)]
    recipient_type_details: Option<String>,
    #[serde(default)]
    hidden_from_address_lists_enabled: Option<bool>,
    #[serde(default, rename = "WhenChangedUTC")]
    when_changed_utc: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Permission {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    access_rights: Vec<String>,
    #[serde(default)]
    is_inherited: bool,
    #[serde(default)]
    deny: bool,
}

impl ExchangeClient {
    /// A client for `tenant` (id or domain) at the endpoints' Exchange, with tokens for the
    /// cloud's Exchange scope. `anchor` is the UPN of the admin (or the app's service account)
    /// that Exchange routes by (`X-AnchorMailbox: UPN:<anchor>`).
    pub fn new(
        endpoints: &Endpoints,
        tokens: Arc<TokenSource>,
        anchor: &str,
        options: ClientOptions,
    ) -> Result<Self, ApiError> {
        let scope = endpoints.cloud.exchange_scope();
        let tenant = tokens.tenant().to_owned();
        Ok(Self {
            transport: Transport::new(Api::Exchange, &endpoints.exchange, tokens, scope, options)?,
            url: format!(
                "{}/adminapi/beta/{tenant}/InvokeCommand",
                endpoints.exchange
            ),
            anchor: format!("UPN:{anchor}"),
        })
    }

    /// This client, giving up on a retry whose wait would end after `at` with
    /// [`ApiError::OutOfTime`] rather than wait for it, as
    /// [`crate::microsoft::GraphClient::give_up_waiting_after`].
    #[must_use]
    pub fn give_up_waiting_after(mut self, at: std::time::Instant) -> Self {
        self.transport.give_up_at = Some(at);
        self
    }

    /// Runs a cmdlet and returns every object it answers with (following `@odata.nextLink`),
    /// and the request id of the last call.
    pub async fn invoke(
        &self,
        cmdlet: &str,
        parameters: Map<String, Value>,
    ) -> Result<(Vec<Value>, Option<String>), ApiError> {
        let body = json!({"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters}});
        let mut items = Vec::new();
        let mut next = Some(self.url.clone());
        let mut request_id = None;
        while let Some(url) = next.take() {
            let request = Request::new(Method::POST, url, cmdlet.to_owned())
                .json(body.clone())
                .header("X-AnchorMailbox", self.anchor.clone())
                // The cmdlets Tenure runs set a state; running one twice changes nothing more.
                .idempotent(true);
            let reply = self.transport.send(&request).await?;
            request_id = reply.request_id.clone().or(request_id);
            if reply.body.is_empty() {
                break;
            }
            let page: Page = reply.json(Api::Exchange, cmdlet)?;
            if let Some(link) = &page.next_link {
                self.transport
                    .check_origin(link, "@odata.nextLink", cmdlet)?;
            }
            items.extend(page.value);
            next = page.next_link;
        }
        Ok((items, request_id))
    }

    async fn write(&self, cmdlet: &str, parameters: Value) -> Result<Written, ApiError> {
        let parameters = match parameters {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let (_, request_id) = self.invoke(cmdlet, parameters).await?;
        Ok(Written {
            request_id,
            already_done: false,
        })
    }

    /// Every user and shared mailbox, with type and address-list flag (`full_access` empty: see
    /// [`Self::full_access`]).
    pub async fn list_mailboxes(&self) -> Result<Vec<Mailbox>, ApiError> {
        let mut parameters = Map::new();
        parameters.insert("ResultSize".into(), json!("Unlimited"));
        let (items, _) = self.invoke("Get-Mailbox", parameters).await?;
        let mut mailboxes = Vec::with_capacity(items.len());
        for item in items {
            if let Some(mailbox) = to_mailbox(parse(item, "Get-Mailbox")?) {
                mailboxes.push(mailbox);
            }
        }
        Ok(mailboxes)
    }

    /// The user and shared mailboxes changed at or after `since` (to the second below: Exchange
    /// compares whole seconds), or every mailbox when `None`, in one `Get-Mailbox` call (more
    /// only past 1,000 mailboxes), each with its `WhenChangedUTC`.
    pub async fn mailboxes_changed_since(
        &self,
        since: Option<jiff::Timestamp>,
    ) -> Result<Vec<StampedMailbox>, ApiError> {
        let mut parameters = Map::new();
        parameters.insert("ResultSize".into(), json!("Unlimited"));
        if let Some(since) = since {
            let second = since.strftime("%Y-%m-%dT%H:%M:%SZ");
            parameters.insert(
                "Filter".into(),
                json!(format!("WhenChangedUTC -ge '{second}'")),
            );
        }
        let (items, _) = self.invoke("Get-Mailbox", parameters).await?;
        let mut mailboxes = Vec::with_capacity(items.len());
        for item in items {
            let mut recipient: Recipient = parse(item, "Get-Mailbox")?;
            let when_changed = recipient
                .when_changed_utc
                .take()
                .and_then(|t| exchange_time(&t));
            if let Some(mailbox) = to_mailbox(recipient) {
                mailboxes.push(StampedMailbox {
                    mailbox,
                    when_changed,
                });
            }
        }
        Ok(mailboxes)
    }

    /// One mailbox by UPN, address or object id; `None` when the user has no mailbox (yet).
    pub async fn get_mailbox(&self, identity: &str) -> Result<Option<Mailbox>, ApiError> {
        let mut parameters = Map::new();
        parameters.insert("Identity".into(), json!(identity));
        match self.invoke("Get-Mailbox", parameters).await {
            Ok((items, _)) => Ok(items
                .into_iter()
                .filter_map(|i| parse(i, "Get-Mailbox").ok())
                .find_map(to_mailbox)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The UPNs (or names) holding explicit `FullAccess` on a mailbox (`Get-MailboxPermission`).
    pub async fn full_access(&self, identity: &str) -> Result<Vec<String>, ApiError> {
        let mut parameters = Map::new();
        parameters.insert("Identity".into(), json!(identity));
        let (items, _) = self.invoke("Get-MailboxPermission", parameters).await?;
        let mut holders = Vec::new();
        for item in items {
            let permission: Permission = parse(item, "Get-MailboxPermission")?;
            let full = permission
                .access_rights
                .iter()
                .any(|r| r.eq_ignore_ascii_case("FullAccess"));
            if full
                && !permission.is_inherited
                && !permission.deny
                && let Some(user) = permission.user
                && !user.starts_with("NT AUTHORITY")
            {
                holders.push(user);
            }
        }
        Ok(holders)
    }

    /// `Set-Mailbox -Type Shared|Regular`.
    pub async fn set_mailbox_type(
        &self,
        identity: &str,
        kind: MailboxType,
    ) -> Result<Written, ApiError> {
        let kind = match kind {
            MailboxType::SharedMailbox => "Shared",
            MailboxType::UserMailbox => "Regular",
        };
        self.write("Set-Mailbox", json!({"Identity": identity, "Type": kind}))
            .await
    }

    /// `Set-Mailbox -HiddenFromAddressListsEnabled`.
    pub async fn set_hidden_from_address_lists(
        &self,
        identity: &str,
        hidden: bool,
    ) -> Result<Written, ApiError> {
        self.write(
            "Set-Mailbox",
            json!({"Identity": identity, "HiddenFromAddressListsEnabled": hidden}),
        )
        .await
    }

    /// `Add-MailboxPermission -AccessRights FullAccess`.
    pub async fn add_full_access(
        &self,
        identity: &str,
        trustee: &str,
    ) -> Result<Written, ApiError> {
        self.write(
            "Add-MailboxPermission",
            json!({"Identity": identity, "User": trustee, "AccessRights": ["FullAccess"], "InheritanceType": "All"}),
        )
        .await
    }

    /// The members of a distribution list or mail-enabled security group, as their objects'
    /// `ExternalDirectoryObjectId`s.
    pub async fn group_members(&self, group: &str) -> Result<Vec<String>, ApiError> {
        let mut parameters = Map::new();
        parameters.insert("Identity".into(), json!(group));
        parameters.insert("ResultSize".into(), json!("Unlimited"));
        let (items, _) = self
            .invoke("Get-DistributionGroupMember", parameters)
            .await?;
        Ok(items
            .iter()
            .filter_map(|i| i.get("ExternalDirectoryObjectId").and_then(Value::as_str))
            .map(str::to_owned)
            .collect())
    }

    /// `Add-DistributionGroupMember`; a member already there is `already_done`.
    pub async fn add_group_member(&self, group: &str, member: &str) -> Result<Written, ApiError> {
        self.member_change("Add-DistributionGroupMember", group, member)
            .await
    }

    /// `Remove-DistributionGroupMember`; a member already gone is `already_done`.
    pub async fn remove_group_member(
        &self,
        group: &str,
        member: &str,
    ) -> Result<Written, ApiError> {
        self.member_change("Remove-DistributionGroupMember", group, member)
            .await
    }

    async fn member_change(
        &self,
        cmdlet: &str,
        group: &str,
        member: &str,
    ) -> Result<Written, ApiError> {
        let mut parameters =
            json!({"Identity": group, "Member": member, "BypassSecurityGroupManagerCheck": true});
        if cmdlet.starts_with("Remove") {
            parameters["Confirm"] = json!(false);
        }
        match self.write(cmdlet, parameters).await {
            Err(e) if e.is_already_done() => Ok(Written {
                request_id: e.request_id().map(str::to_owned),
                already_done: true,
            }),
            other => other,
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(item: Value, cmdlet: &str) -> Result<T, ApiError> {
    serde_json::from_value(item).map_err(|e| ApiError::Unexpected {
        api: Api::Exchange,
        operation: cmdlet.to_owned(),
        status: 200,
        message: e.to_string(),
    })
}

/// A time as Exchange writes it: RFC 3339, a date and time without offset (UTC, as the
/// property says), or `/Date(milliseconds)/`.
fn exchange_time(text: &str) -> Option<jiff::Timestamp> {
    if let Ok(timestamp) = text.parse::<jiff::Timestamp>() {
        return Some(timestamp);
    }
    if let Ok(civil) = text.parse::<jiff::civil::DateTime>() {
        return jiff::tz::TimeZone::UTC.to_timestamp(civil).ok();
    }
    let millis = text
        .strip_prefix("/Date(")?
        .strip_suffix(")/")?
        .parse::<i64>()
        .ok()?;
    jiff::Timestamp::from_millisecond(millis).ok()
}

fn to_mailbox(recipient: Recipient) -> Option<Mailbox> {
    let kind = match recipient.recipient_type_details.as_deref() {
        Some("UserMailbox") => MailboxType::UserMailbox,
        Some("SharedMailbox") => MailboxType::SharedMailbox,
        _ => return None,
    };
    Some(Mailbox {
        external_directory_object_id: recipient.external_directory_object_id?.into(),
        user_principal_name: recipient.user_principal_name?.into(),
        recipient_type_details: kind,
        hidden_from_address_lists_enabled: recipient
            .hidden_from_address_lists_enabled
            .unwrap_or(false),
        full_access: Vec::new(),
    })
}
