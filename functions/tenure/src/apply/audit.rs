//! The audit trail: one record per applied change.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::plan::{Action, Op, WorkerPlan};

/// One applied change: when, for whom, what changed (before and after), why, and Microsoft's
/// request id. Written as one JSON line. Holds no secret: passwords are never part of an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When it was applied (RFC 3339, UTC).
    pub at: String,
    /// The worker.
    pub employee_id: String,
    /// The directory user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The action's kind.
    pub action: String,
    /// The state before, as far as the action concerns it.
    pub before: Value,
    /// The state after.
    pub after: Value,
    /// Why, from the plan.
    pub reason: String,
    /// Microsoft's request id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Written for a run that was killed while applying: the change was intended, that run
    /// left no record of it, and its retry no longer needed it, so it may have reached the
    /// tenant (when, and Microsoft's request id, are unknown; `at` is when it was recovered).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
}

impl AuditRecord {
    /// The record of `action` of `worker` applied at `at` (its user, when known beyond the
    /// plan's, and Microsoft's request id).
    pub fn of(
        worker: &WorkerPlan,
        user_id: Option<String>,
        action: &Action,
        at: &str,
        request_id: Option<String>,
    ) -> Self {
        let (before, after) = before_after(&action.op);
        Self {
            at: at.to_owned(),
            employee_id: worker.employee_id.clone(),
            user_id: user_id.or_else(|| worker.user_id.as_deref().map(str::to_owned)),
            action: action.op.kind().to_owned(),
            before,
            after,
            reason: action.reason.clone(),
            request_id,
            interrupted: false,
        }
    }
}

/// Before and after, for an action.
fn before_after(op: &Op) -> (Value, Value) {
    match op {
        Op::CreateUser {
            user_principal_name,
            display_name,
            account_enabled,
            attributes,
            ..
        } => (
            Value::Null,
            json!({"userPrincipalName": user_principal_name, "displayName": display_name,
                   "accountEnabled": account_enabled, "attributes": attributes}),
        ),
        Op::UpdateUser { changes } => (
            changes
                .iter()
                .map(|(k, v)| (k.clone(), json!(v.from)))
                .collect(),
            changes
                .iter()
                .map(|(k, v)| (k.clone(), json!(v.to)))
                .collect(),
        ),
        Op::EnableUser => (
            json!({"accountEnabled": false}),
            json!({"accountEnabled": true}),
        ),
        Op::AdoptUser { employee_id } => (
            json!({"employeeId": null}),
            json!({"employeeId": employee_id}),
        ),
        Op::RestoreUser => (json!({"deleted": true}), json!({"deleted": false})),
        Op::DisableUser => (
            json!({"accountEnabled": true}),
            json!({"accountEnabled": false}),
        ),
        Op::SetManager {
            manager_employee_id,
            manager_user_id,
        } => (
            Value::Null,
            json!({"manager": {"employeeId": manager_employee_id, "id": manager_user_id}}),
        ),
        Op::AddGroupMember { group, group_id }
        | Op::AddDistributionListMember {
            group, group_id, ..
        } => (
            json!({"member": false, "group": group, "groupId": group_id}),
            json!({"member": true, "group": group, "groupId": group_id}),
        ),
        Op::RemoveGroupMember { group, group_id }
        | Op::RemoveDistributionListMember {
            group, group_id, ..
        } => (
            json!({"member": true, "group": group, "groupId": group_id}),
            json!({"member": false, "group": group, "groupId": group_id}),
        ),
        Op::AssignLicense { sku, sku_id } => (
            json!({"license": false, "sku": sku, "skuId": sku_id}),
            json!({"license": true, "sku": sku, "skuId": sku_id}),
        ),
        Op::RemoveLicense { sku, sku_id } => (
            json!({"license": true, "sku": sku, "skuId": sku_id}),
            json!({"license": false, "sku": sku, "skuId": sku_id}),
        ),
        Op::RevokeSessions => (Value::Null, json!({"sessionsRevoked": true})),
        Op::ResetPassword => (Value::Null, json!({"passwordReplaced": true})),
        Op::ConvertToSharedMailbox => (
            json!({"type": "UserMailbox"}),
            json!({"type": "SharedMailbox"}),
        ),
        Op::ConvertToUserMailbox => (
            json!({"type": "SharedMailbox"}),
            json!({"type": "UserMailbox"}),
        ),
        Op::GrantMailboxAccess { trustee } => (Value::Null, json!({"fullAccess": trustee})),
        Op::HideFromAddressList { hidden } => (
            json!({"hiddenFromAddressListsEnabled": !hidden}),
            json!({"hiddenFromAddressListsEnabled": hidden}),
        ),
        // Who was sent access for which start; never the pass or password itself.
        Op::DeliverFirstDayAccess { start_date, to, .. } => (
            Value::Null,
            json!({"firstDayAccess": {"startDate": start_date, "to": to.address, "role": to.role}}),
        ),
    }
}
