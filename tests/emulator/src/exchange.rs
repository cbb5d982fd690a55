//! Exchange Online's `POST /adminapi/beta/{tenant}/InvokeCommand`: the distribution-group and
//! mailbox cmdlets Tenure needs, with Exchange's answers, errors and throttling headers.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};
use tenure::desired::GroupKind;
use tenure::directory::{DirectoryUser, Mailbox, MailboxType};

use crate::apps::ExchangeRole;
use crate::auth::{Api, check_bearer};
use crate::mailbox_filter::ChangedSince;
use crate::state::{Directory, Principal, TenantState};

/// The most objects one answer holds; more come through `@odata.nextLink`.
const PAGE: usize = 1_000;

/// The Exchange routes.
pub(crate) fn router() -> Router<TenantState> {
    Router::new().route("/adminapi/beta/{tenant}/InvokeCommand", post(invoke))
}

/// A cmdlet that failed, as Exchange reports it.
#[derive(Debug)]
pub(crate) struct CmdletError {
    exception: &'static str,
    message: String,
}

impl CmdletError {
    fn new(exception: &'static str, message: impl Into<String>) -> Self {
        Self {
            exception,
            message: message.into(),
        }
    }

    fn not_found(identity: &str) -> Self {
        Self::new(
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
            format!(
                "Couldn't find object \"{identity}\". Please make sure that it was spelled correctly or specify a different object."
            ),
        )
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(
            "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
            message,
        )
    }
}

impl IntoResponse for CmdletError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": {
                "code": "BadRequest",
                "message": self.message,
                "details": [{
                    "code": "Context",
                    "target": "",
                    "message": format!("Ex6F9304|{}|{}", self.exception, self.message),
                }],
            }
        });
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    }
}

/// Exchange's `429`, with `Rate-Limit-Remaining` and `Rate-Limit-Reset`.
pub(crate) fn throttled(reset_in: Duration) -> Response {
    let reset = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::try_from(reset_in).unwrap_or_default())
        .unwrap_or_else(|_| jiff::Timestamp::now())
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let body = json!({"error": {"code": "TooManyRequests", "message": "Too many concurrent requests. Please retry after some time."}});
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert("rate-limit-remaining", HeaderValue::from(0));
    if let Ok(reset) = HeaderValue::from_str(&reset) {
        headers.insert("rate-limit-reset", reset);
    }
    response
}

/// Exchange's `503`.
pub(crate) fn unavailable() -> Response {
    let body = json!({"error": {"code": "ServiceUnavailable", "message": "The service is currently unavailable."}});
    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
}

/// What the caller of a token may run: an app by client id, a user by UPN.
fn exchange_role(state: &TenantState, principal: &Principal) -> ExchangeRole {
    let name = match principal {
        Principal::App { client_id } => client_id.clone(),
        Principal::User { user_id, .. } => state
            .shared
            .directory()
            .user(user_id)
            .map_or_else(|| user_id.clone(), |u| u.user_principal_name.to_string()),
    };
    state.shared.login().exchange_role(&name)
}

/// Exchange's answer to a caller whose management roles do not include the cmdlet: `401`
/// with `Unauthorized`, as its REST endpoint answers (`User is not allowed to call …`).
fn not_allowed(cmdlet: &str) -> Response {
    let message = format!("User is not allowed to call {cmdlet}");
    let body = json!({
        "error": {
            "code": "Unauthorized",
            "message": message,
            "innererror": {
                "message": message,
                "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
            },
        }
    });
    (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
}

/// `POST /adminapi/beta/{tenant}/InvokeCommand`.
async fn invoke(
    State(state): State<TenantState>,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(principal) = check_bearer(&state, &headers, Api::Exchange) else {
        let mut response = StatusCode::UNAUTHORIZED.into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer client_id=\"00000002-0000-0ff1-ce00-000000000000\", trusted_issuers=\"00000001-0000-0000-c000-000000000000@*\""),
        );
        return response;
    };
    let role = exchange_role(&state, &principal);
    if !state.shared.is_tenant(&tenant) {
        return CmdletError::bad_request(format!("The tenant '{tenant}' could not be found."))
            .into_response();
    }
    let remaining = match state.shared.throttle().admit_exchange(Instant::now()) {
        Ok(remaining) => remaining,
        Err(refusal) => return throttled(refusal.reset_in),
    };
    let mut response = match answer(&state, &tenant, query.as_deref(), &headers, &body, &role) {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    response
        .headers_mut()
        .insert("rate-limit-remaining", HeaderValue::from(remaining));
    response
}

fn answer(
    state: &TenantState,
    tenant: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
    role: &ExchangeRole,
) -> Result<Response, CmdletError> {
    let offset = match form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "$skiptoken")
    {
        None => 0,
        Some((_, token)) => token
            .strip_prefix("exo")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| CmdletError::bad_request("The page token is not valid."))?,
    };
    if headers.get("x-anchormailbox").is_none() {
        return Err(CmdletError::bad_request(
            "The X-AnchorMailbox header is required.",
        ));
    }
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    let request: Value = serde_json::from_slice(body)
        .ok()
        .filter(|_| json_body)
        .ok_or_else(|| CmdletError::bad_request("The request body is not valid JSON."))?;
    let input = request
        .get("CmdletInput")
        .and_then(Value::as_object)
        .ok_or_else(|| CmdletError::bad_request("The request must contain 'CmdletInput'."))?;
    let name = input
        .get("CmdletName")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            CmdletError::bad_request("The request must contain 'CmdletInput.CmdletName'.")
        })?;
    if !role.allows(name) {
        return Ok(not_allowed(name));
    }
    let empty = Map::new();
    let parameters = match input.get("Parameters") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(p)) => p,
        Some(_) => return Err(CmdletError::bad_request("'Parameters' must be an object.")),
    };
    let mut directory = state.shared.directory();
    let value = run(&mut directory, name, parameters)?;
    drop(directory);
    let base = crate::auth::base_url(headers);
    let total = value.len();
    let value: Vec<Value> = value.into_iter().skip(offset).take(PAGE).collect();
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(format!(
            "{base}/adminapi/beta/{tenant}/$metadata#Collection(Exchange.GenericHashTable)"
        )),
    );
    out.insert("adminapi.warnings".into(), json!([]));
    if offset.saturating_add(PAGE) < total {
        // The caller posts the same body again to the next link.
        out.insert(
            "@odata.nextLink".into(),
            json!(format!(
                "{base}/adminapi/beta/{tenant}/InvokeCommand?$skiptoken=exo{}",
                offset + PAGE
            )),
        );
    }
    out.insert("value".into(), Value::Array(value));
    Ok(axum::Json(Value::Object(out)).into_response())
}

/// PowerShell's refusal of parameters it cannot bind.
fn binding_error(message: impl Into<String>) -> CmdletError {
    CmdletError::new(
        "System.Management.Automation.ParameterBindingException",
        message,
    )
}

/// The parameters a cmdlet accepts, and the ones it requires.
fn check_parameters(
    parameters: &Map<String, Value>,
    allowed: &[&str],
    required: &[&str],
) -> Result<(), CmdletError> {
    if let Some(unknown) = parameters
        .keys()
        .find(|k| !allowed.iter().any(|a| a.eq_ignore_ascii_case(k)))
    {
        return Err(CmdletError::new(
            "System.Management.Automation.ParameterBindingException",
            format!("A parameter cannot be found that matches parameter name '{unknown}'."),
        ));
    }
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|r| parameter(parameters, r).is_none())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(CmdletError::new(
            "System.Management.Automation.ParameterBindingException",
            format!(
                "Cannot process command because of one or more missing mandatory parameters: {}.",
                missing.join(" ")
            ),
        ))
    }
}

fn parameter<'p>(parameters: &'p Map<String, Value>, name: &str) -> Option<&'p Value> {
    parameters
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

fn text_parameter(
    parameters: &Map<String, Value>,
    name: &str,
) -> Result<Option<String>, CmdletError> {
    match parameter(parameters, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(CmdletError::bad_request(format!(
            "Cannot bind parameter '{name}'. Cannot convert value \"{other}\" to type \"System.String\"."
        ))),
    }
}

fn required_text(parameters: &Map<String, Value>, name: &str) -> Result<String, CmdletError> {
    text_parameter(parameters, name)?
        .ok_or_else(|| CmdletError::bad_request(format!("'{name}' is required.")))
}

fn bool_parameter(
    parameters: &Map<String, Value>,
    name: &str,
) -> Result<Option<bool>, CmdletError> {
    match parameter(parameters, name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s))
            if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("$true") =>
        {
            Ok(Some(true))
        }
        Some(Value::String(s))
            if s.eq_ignore_ascii_case("false") || s.eq_ignore_ascii_case("$false") =>
        {
            Ok(Some(false))
        }
        Some(other) => Err(CmdletError::bad_request(format!(
            "Cannot process argument transformation on parameter '{name}'. Cannot convert value \"{other}\" to type \"System.Boolean\"."
        ))),
    }
}

/// Runs one cmdlet.
fn run(
    directory: &mut Directory,
    name: &str,
    parameters: &Map<String, Value>,
) -> Result<Vec<Value>, CmdletError> {
    match name {
        "Get-DistributionGroupMember" => get_distribution_group_member(directory, parameters),
        "Add-DistributionGroupMember" => {
            change_distribution_group_member(directory, parameters, true)
        }
        "Remove-DistributionGroupMember" => {
            change_distribution_group_member(directory, parameters, false)
        }
        "Get-Mailbox" => get_mailbox(directory, parameters),
        "Set-Mailbox" => set_mailbox(directory, parameters),
        "Get-MailboxPermission" => get_mailbox_permission(directory, parameters),
        "Add-MailboxPermission" => add_mailbox_permission(directory, parameters),
        other => Err(CmdletError::new(
            "System.Management.Automation.CommandNotFoundException",
            format!(
                "The term '{other}' is not recognized as a name of a cmdlet, function, script file, or executable program."
            ),
        )),
    }
}

/// The members of a distribution list or mail-enabled security group.
fn get_distribution_group_member(
    directory: &Directory,
    parameters: &Map<String, Value>,
) -> Result<Vec<Value>, CmdletError> {
    check_parameters(parameters, &["Identity", "ResultSize"], &["Identity"])?;
    let group = mail_group(directory, &required_text(parameters, "Identity")?)?;
    let members = directory
        .snapshot
        .groups
        .get(group)
        .map(|g| g.members.clone())
        .unwrap_or_default();
    Ok(members
        .iter()
        .filter_map(|id| directory.user(id))
        .map(|u| recipient_json(u, mailbox_of(directory, &u.id)))
        .collect())
}

/// Adds a member to a group (`adding`) or removes one; as Exchange, a member added twice or removed while absent is an error.
fn change_distribution_group_member(
    directory: &mut Directory,
    parameters: &Map<String, Value>,
    adding: bool,
) -> Result<Vec<Value>, CmdletError> {
    check_parameters(
        parameters,
        &[
            "Identity",
            "Member",
            "BypassSecurityGroupManagerCheck",
            "Confirm",
        ],
        &["Identity", "Member"],
    )?;
    let identity = required_text(parameters, "Identity")?;
    let member = required_text(parameters, "Member")?;
    let group = mail_group(directory, &identity)?;
    let user_id = mailbox_user(directory, &member)?;
    let Some(group) = directory.snapshot.groups.get(group) else {
        return Err(CmdletError::not_found(&identity));
    };
    let (group_id, group_name) = (group.id.clone(), group.display_name.clone());
    let present = group.members.iter().any(|m| *m == user_id);
    match (adding, present) {
        (true, true) => Err(CmdletError::new(
            "Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException",
            format!(
                "The recipient \"{member}\" is already a member of the group \"{group_name}\"."
            ),
        )),
        (false, false) => Err(CmdletError::new(
            "Microsoft.Exchange.Management.Tasks.MemberNotFoundException",
            format!("The recipient \"{member}\" isn't a member of the group \"{group_name}\"."),
        )),
        (true, false) => {
            directory.add_member(&group_id, &user_id);
            Ok(Vec::new())
        }
        (false, true) => {
            directory.remove_member(&group_id, &user_id);
            Ok(Vec::new())
        }
    }
}

/// One mailbox by identity, or all of them (those changed since a `-Filter` date).
fn get_mailbox(
    directory: &Directory,
    parameters: &Map<String, Value>,
) -> Result<Vec<Value>, CmdletError> {
    check_parameters(parameters, &["Identity", "ResultSize", "Filter"], &[])?;
    let filter = text_parameter(parameters, "Filter")?
        .map(|f| ChangedSince::parse(&f))
        .transpose()
        .map_err(|reason| {
            binding_error(format!(
                "Cannot bind parameter 'Filter' to the target. Exception setting \"Filter\": \"{reason}\""
            ))
        })?;
    match (text_parameter(parameters, "Identity")?, filter) {
        (Some(_), Some(_)) => Err(binding_error(
            "Parameter set cannot be resolved using the specified named parameters.",
        )),
        (Some(identity), None) => {
            let id = mailbox_user(directory, &identity)?;
            Ok(directory
                .user(&id)
                .map(|u| mailbox_json(directory, u))
                .into_iter()
                .collect())
        }
        (None, filter) => Ok(directory
            .snapshot
            .mailboxes
            .iter()
            .filter(|m| {
                filter.is_none_or(|f| {
                    directory
                        .journal()
                        .mailbox_stamp(&m.external_directory_object_id)
                        .is_some_and(|stamp| f.matches(stamp))
                })
            })
            .filter_map(|m| directory.user(&m.external_directory_object_id))
            .map(|u| mailbox_json(directory, u))
            .collect()),
    }
}

/// Converts a mailbox (shared or regular) and hides it from the address lists or shows it.
fn set_mailbox(
    directory: &mut Directory,
    parameters: &Map<String, Value>,
) -> Result<Vec<Value>, CmdletError> {
    check_parameters(
        parameters,
        &[
            "Identity",
            "Type",
            "HiddenFromAddressListsEnabled",
            "Confirm",
        ],
        &["Identity"],
    )?;
    let id = mailbox_user(directory, &required_text(parameters, "Identity")?)?;
    let kind = match text_parameter(parameters, "Type")?.as_deref() {
        None => None,
        Some(t) if t.eq_ignore_ascii_case("Shared") => Some(MailboxType::SharedMailbox),
        Some(t) if t.eq_ignore_ascii_case("Regular") => Some(MailboxType::UserMailbox),
        Some(t) => {
            return Err(CmdletError::bad_request(format!(
                "Cannot process argument transformation on parameter 'Type'. Cannot convert value \"{t}\" to type \"Microsoft.Exchange.Management.RecipientTasks.ConvertibleMailboxSubType\"."
            )));
        }
    };
    let hidden = bool_parameter(parameters, "HiddenFromAddressListsEnabled")?;
    let mut changed = false;
    if let Some(mailbox) = directory.mailbox_mut(&id) {
        if let Some(kind) = kind {
            changed |= mailbox.recipient_type_details != kind;
            mailbox.recipient_type_details = kind;
        }
        if let Some(hidden) = hidden {
            changed |= mailbox.hidden_from_address_lists_enabled != hidden;
            mailbox.hidden_from_address_lists_enabled = hidden;
        }
    }
    if changed {
        directory.stamp_mailbox(&id);
    }
    Ok(Vec::new())
}

/// A mailbox's permissions: its owner's own, then every FullAccess holder.
fn get_mailbox_permission(
    directory: &Directory,
    parameters: &Map<String, Value>,
) -> Result<Vec<Value>, CmdletError> {
    check_parameters(
        parameters,
        &["Identity", "User", "ResultSize"],
        &["Identity"],
    )?;
    let identity = required_text(parameters, "Identity")?;
    let id = mailbox_user(directory, &identity)?;
    // Every mailbox lists its owner's own access first, as Exchange does.
    let mut rows = vec![json!({
        "Identity": identity,
        "User": "NT AUTHORITY\\SELF",
        "AccessRights": ["FullAccess", "ReadPermission"],
        "IsInherited": false,
        "Deny": false,
        "InheritanceType": "All",
    })];
    if let Some(mailbox) = mailbox_of(directory, &id) {
        rows.extend(mailbox.full_access.iter().map(|holder| {
            json!({
                "Identity": identity,
                "User": holder,
                "AccessRights": ["FullAccess"],
                "IsInherited": false,
                "Deny": false,
                "InheritanceType": "All",
            })
        }));
    }
    Ok(rows)
}

/// Gives a user FullAccess to a mailbox (the only right this tenant supports).
fn add_mailbox_permission(
    directory: &mut Directory,
    parameters: &Map<String, Value>,
) -> Result<Vec<Value>, CmdletError> {
    check_parameters(
        parameters,
        &[
            "Identity",
            "User",
            "AccessRights",
            "InheritanceType",
            "AutoMapping",
            "Confirm",
        ],
        &["Identity", "User", "AccessRights"],
    )?;
    let identity = required_text(parameters, "Identity")?;
    let id = mailbox_user(directory, &identity)?;
    let user = required_text(parameters, "User")?;
    let holder = directory
        .user(&user)
        .map(|u| u.user_principal_name.clone())
        .ok_or_else(|| CmdletError::not_found(&user))?;
    let rights = match parameter(parameters, "AccessRights") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    if rights.len() != 1 || !rights.iter().all(|r| r.eq_ignore_ascii_case("FullAccess")) {
        return Err(CmdletError::bad_request(
            "Only 'FullAccess' access rights are supported by this tenant.",
        ));
    }
    let inheritance =
        text_parameter(parameters, "InheritanceType")?.unwrap_or_else(|| "All".to_owned());
    if let Some(mailbox) = directory.mailbox_mut(&id)
        && !mailbox
            .full_access
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&holder))
    {
        mailbox.full_access.push(holder.to_string());
        directory.stamp_mailbox(&id);
    }
    Ok(vec![json!({
        "Identity": identity,
        "User": holder,
        "AccessRights": ["FullAccess"],
        "IsInherited": false,
        "Deny": false,
        "InheritanceType": inheritance,
    })])
}

/// A distribution list or mail-enabled security group by mail, alias, name or id.
fn mail_group(directory: &Directory, identity: &str) -> Result<usize, CmdletError> {
    directory
        .snapshot
        .groups
        .iter()
        .position(|g| {
            matches!(
                g.kind(),
                GroupKind::Distribution | GroupKind::MailEnabledSecurity
            ) && (g.id.eq_ignore_ascii_case(identity)
                || g.display_name.eq_ignore_ascii_case(identity)
                || g.mail
                    .as_deref()
                    .is_some_and(|m| m.eq_ignore_ascii_case(identity))
                || g.mail_nickname
                    .as_deref()
                    .is_some_and(|m| m.eq_ignore_ascii_case(identity)))
        })
        .ok_or_else(|| CmdletError::not_found(identity))
}

fn mailbox_of<'d>(directory: &'d Directory, user_id: &str) -> Option<&'d Mailbox> {
    directory.mailbox(user_id)
}

/// The object id of a user that has a mailbox, by UPN or id (quickly), or address or alias.
fn mailbox_user(directory: &Directory, identity: &str) -> Result<String, CmdletError> {
    if let Some(user) = directory.user(identity)
        && directory.mailbox(&user.id).is_some()
    {
        return Ok(user.id.to_string());
    }
    directory
        .snapshot
        .users
        .iter()
        .find(|u| {
            mailbox_of(directory, &u.id).is_some()
                && (u.id.eq_ignore_ascii_case(identity)
                    || u.user_principal_name.eq_ignore_ascii_case(identity)
                    || u.mail
                        .as_deref()
                        .is_some_and(|m| m.eq_ignore_ascii_case(identity))
                    || u.mail_nickname
                        .as_deref()
                        .is_some_and(|m| m.eq_ignore_ascii_case(identity)))
        })
        .map(|u| u.id.to_string())
        .ok_or_else(|| CmdletError::not_found(identity))
}

/// A mailbox as `Get-Mailbox` shows it: the recipient with `WhenChangedUTC`.
fn mailbox_json(directory: &Directory, user: &DirectoryUser) -> Value {
    let mut out = recipient_json(user, mailbox_of(directory, &user.id));
    if let Some(stamp) = directory.journal().mailbox_stamp(&user.id) {
        out["WhenChangedUTC"] = json!(stamp.to_string());
    }
    out
}

fn recipient_json(user: &DirectoryUser, mailbox: Option<&Mailbox>) -> Value {
    let details = match mailbox.map(|m| m.recipient_type_details) {
        Some(MailboxType::SharedMailbox) => "SharedMailbox",
        Some(MailboxType::UserMailbox) => "UserMailbox",
        None => "User",
    };
    json!({
        "Identity": user.user_principal_name,
        "Name": user.mail_nickname.as_deref().unwrap_or(&user.id),
        "Alias": user.mail_nickname,
        "DisplayName": user.display_name,
        "UserPrincipalName": user.user_principal_name,
        "PrimarySmtpAddress": user.mail.as_deref().unwrap_or(&user.user_principal_name),
        "ExternalDirectoryObjectId": user.id,
        "RecipientType": if mailbox.is_some() { "UserMailbox" } else { "User" },
        "RecipientTypeDetails": details,
        "HiddenFromAddressListsEnabled": mailbox.is_some_and(|m| m.hidden_from_address_lists_enabled),
    })
}
