//! `GET /organization`: the tenant itself, with its verified domains.

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::errors::GraphError;
use crate::graph::paging::Place;
use crate::state::TenantState;

/// `GET /organization`: one organization, the tenant, with its id and verified domains (the
/// first listed is the default).
pub(crate) async fn get(
    State(state): State<TenantState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, GraphError> {
    let tenant_id = state.tenant_id().to_owned();
    let directory = state.shared.directory();
    let domains: Vec<Value> = directory
        .snapshot
        .tenant
        .verified_domains
        .iter()
        .enumerate()
        .map(|(i, name)| {
            json!({
                "name": name,
                "isDefault": i == 0,
                "isInitial": name.ends_with(".onmicrosoft.com"),
                "type": "Managed",
                "capabilities": "Email, OfficeCommunicationsOnline",
            })
        })
        .collect();
    drop(directory);
    let context = Place::of(&headers, &uri).context("organization");
    let organization = json!({"id": tenant_id, "verifiedDomains": domains});
    Ok(axum::Json(json!({"@odata.context": context, "value": [organization]})).into_response())
}
