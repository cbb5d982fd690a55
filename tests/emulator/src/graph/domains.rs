//! `GET /domains` and `GET /domains/{id}`: the tenant's verified domains, the first listed the
//! default, the `.onmicrosoft.com` one the initial.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::errors::GraphError;
use crate::graph::paging::Place;
use crate::state::TenantState;

fn domain_json(name: &str, default: bool) -> Map<String, Value> {
    let initial = name.to_ascii_lowercase().ends_with(".onmicrosoft.com");
    let Value::Object(out) = json!({
        "authenticationType": "Managed",
        "availabilityStatus": null,
        "id": name,
        "isAdminManaged": true,
        "isDefault": default,
        "isInitial": initial,
        "isRoot": true,
        "isVerified": true,
        "passwordNotificationWindowInDays": 14,
        "passwordValidityPeriodInDays": 2_147_483_647,
        "supportedServices": ["Email", "OfficeCommunicationsOnline"],
        "state": null,
    }) else {
        return Map::new();
    };
    out
}

/// `GET /domains`.
pub(crate) async fn list(
    State(state): State<TenantState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, GraphError> {
    let domains: Vec<Value> = state
        .shared
        .directory()
        .snapshot
        .tenant
        .verified_domains
        .iter()
        .enumerate()
        .map(|(i, name)| Value::Object(domain_json(name, i == 0)))
        .collect();
    let context = Place::of(&headers, &uri).context("domains");
    Ok(axum::Json(json!({"@odata.context": context, "value": domains})).into_response())
}

/// `GET /domains/{id}`.
pub(crate) async fn get(
    State(state): State<TenantState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, GraphError> {
    let directory = state.shared.directory();
    let domains = &directory.snapshot.tenant.verified_domains;
    let at = domains
        .iter()
        .position(|d| d.eq_ignore_ascii_case(&id))
        .ok_or_else(|| GraphError::not_found(&id))?;
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(Place::of(&headers, &uri).context("domains/$entity")),
    );
    out.extend(domain_json(&domains[at], at == 0));
    Ok(axum::Json(Value::Object(out)).into_response())
}
