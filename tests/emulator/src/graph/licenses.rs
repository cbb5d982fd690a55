//! Licenses: `POST /users/{id}/assignLicense` and `GET /subscribedSkus`. Assigning a license
//! starts the user's mailbox, which appears after the configured delay.

use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tenure::directory::AssignedLicense;

use crate::errors::GraphError;
use crate::graph::body::{JsonObject, unknown_property};
use crate::graph::paging::Place;
use crate::graph::user_json::{USER_DEFAULTS, project, user_json};
use crate::state::TenantState;

fn invalid(property: &str) -> GraphError {
    GraphError::invalid_value(property, "assignLicense")
}

/// The licenses to add, read from `addLicenses`.
fn additions(value: &Value) -> Result<Vec<AssignedLicense>, GraphError> {
    let items = value.as_array().ok_or_else(|| invalid("addLicenses"))?;
    items
        .iter()
        .map(|item| {
            let item = item.as_object().ok_or_else(|| invalid("addLicenses"))?;
            if let Some(extra) = item.keys().find(|k| *k != "skuId" && *k != "disabledPlans") {
                return Err(unknown_property(extra));
            }
            let sku_id = item
                .get("skuId")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("skuId"))?
                .to_owned();
            let disabled_plans = match item.get("disabledPlans") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(plans)) => plans
                    .iter()
                    .map(|p| {
                        p.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| invalid("disabledPlans"))
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(invalid("disabledPlans")),
            };
            Ok(AssignedLicense {
                sku_id: sku_id.into(),
                disabled_plans,
            })
        })
        .collect()
}

/// `POST /users/{id}/assignLicense`: `200` with the user.
pub(crate) async fn assign(
    State(state): State<TenantState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    JsonObject(body): JsonObject,
) -> Result<Response, GraphError> {
    if let Some(extra) = body
        .keys()
        .find(|k| *k != "addLicenses" && *k != "removeLicenses")
    {
        return Err(unknown_property(extra));
    }
    let add = additions(
        body.get("addLicenses")
            .ok_or_else(|| invalid("addLicenses"))?,
    )?;
    let remove: Vec<String> = body
        .get("removeLicenses")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("removeLicenses"))?
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| invalid("removeLicenses"))
        })
        .collect::<Result<_, _>>()?;
    let delay = state.shared.mailbox_delay;
    let mut directory = state.shared.directory();
    let user = directory
        .user(&id)
        .cloned()
        .ok_or_else(|| GraphError::not_found(&id))?;
    if !add.is_empty() && user.usage_location.is_none() {
        return Err(GraphError::bad_request(
            "License assignment cannot be done for user with invalid usage location.",
        ));
    }
    for license in &add {
        if !directory
            .snapshot
            .subscribed_skus
            .iter()
            .any(|s| s.sku_id.eq_ignore_ascii_case(&license.sku_id))
        {
            return Err(GraphError::bad_request(format!(
                "License {} does not correspond to a valid company License.",
                license.sku_id
            )));
        }
    }
    for sku in &remove {
        if !user
            .assigned_licenses
            .iter()
            .any(|l| l.sku_id.eq_ignore_ascii_case(sku))
        {
            return Err(GraphError::bad_request(
                "User does not have a corresponding license.",
            ));
        }
    }
    let Some(target) = directory.user_mut(&user.id) else {
        return Err(GraphError::not_found(&id));
    };
    target
        .assigned_licenses
        .retain(|l| !remove.iter().any(|r| r.eq_ignore_ascii_case(&l.sku_id)));
    for license in add.iter().cloned() {
        target
            .assigned_licenses
            .retain(|l| !l.sku_id.eq_ignore_ascii_case(&license.sku_id));
        target.assigned_licenses.push(license);
    }
    let full = user_json(target);
    // Only a license with an Exchange Online plan (not switched off) brings a mailbox.
    let mailbox = add.iter().any(|license| {
        directory
            .snapshot
            .subscribed_skus
            .iter()
            .find(|s| s.sku_id.eq_ignore_ascii_case(&license.sku_id))
            .is_some_and(|sku| crate::skus::gives_mailbox(sku, &license.disabled_plans))
    });
    if mailbox {
        directory.schedule_mailbox(&user.id, Instant::now() + delay);
    }
    drop(directory);
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(Place::of(&headers, &uri).context("users/$entity")),
    );
    out.extend(project(&full, None, &USER_DEFAULTS));
    Ok(axum::Json(Value::Object(out)).into_response())
}

/// `GET /subscribedSkus`.
pub(crate) async fn subscribed(
    State(state): State<TenantState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, GraphError> {
    let tenant_id = state.tenant_id().to_owned();
    let directory = state.shared.directory();
    let value: Vec<Value> = directory
        .snapshot
        .subscribed_skus
        .iter()
        .map(|sku| {
            let consumed = directory
                .snapshot
                .users
                .iter()
                .filter(|u| u.assigned_licenses.iter().any(|l| l.sku_id == sku.sku_id))
                .count();
            json!({
                "accountId": tenant_id,
                "appliesTo": "User",
                "capabilityStatus": "Enabled",
                "consumedUnits": consumed,
                "id": format!("{tenant_id}_{}", sku.sku_id),
                "skuId": sku.sku_id,
                "skuPartNumber": sku.sku_part_number,
                "prepaidUnits": {"enabled": 1_000_000, "suspended": 0, "warning": 0, "lockedOut": 0},
                "servicePlans": crate::skus::service_plans(sku)
                    .iter()
                    .map(|p| json!({
                        "servicePlanId": p.service_plan_id,
                        "servicePlanName": p.service_plan_name,
                        "provisioningStatus": p.provisioning_status.as_deref().unwrap_or("Success"),
                        "appliesTo": p.applies_to.as_deref().unwrap_or("User"),
                    }))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    drop(directory);
    let context = Place::of(&headers, &uri).context("subscribedSkus");
    Ok(axum::Json(json!({"@odata.context": context, "value": value})).into_response())
}
