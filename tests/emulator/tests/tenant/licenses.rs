//! Licenses: `assignLicense` needs a usage location and a SKU the tenant owns.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{ENTERPRISEPACK, TestResult, spawn};

#[tokio::test]
async fn subscribed_skus_list_the_tenant_licenses() -> TestResult {
    let t = spawn().await?;
    let skus = t.get("/subscribedSkus").await?;
    assert_eq!(skus.status, StatusCode::OK);
    let values = skus.body["value"].as_array().ok_or("value")?;
    assert_eq!(values.len(), 3);
    assert!(
        values
            .iter()
            .any(|s| s["skuId"] == ENTERPRISEPACK && s["skuPartNumber"] == "ENTERPRISEPACK")
    );
    Ok(())
}

#[tokio::test]
async fn a_license_needs_a_usage_location_and_a_known_sku() -> TestResult {
    let t = spawn().await?;
    let id = t.create_user("licensed", "5001").await?;
    let assign = json!({"addLicenses": [{"skuId": ENTERPRISEPACK, "disabledPlans": []}], "removeLicenses": []});
    let path = format!("/users/{id}/assignLicense");
    let without_location = t.graph(Method::POST, &path, Some(assign.clone())).await?;
    assert_eq!(without_location.status, StatusCode::BAD_REQUEST);
    assert_eq!(without_location.error_code(), "Request_BadRequest");

    t.graph(
        Method::PATCH,
        &format!("/users/{id}"),
        Some(json!({"usageLocation": "US"})),
    )
    .await?;
    let unknown = json!({"addLicenses": [{"skuId": "00000000-0000-0000-0000-000000000001", "disabledPlans": []}], "removeLicenses": []});
    let answer = t.graph(Method::POST, &path, Some(unknown)).await?;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);

    let answer = t.graph(Method::POST, &path, Some(assign)).await?;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["id"], id.as_str());
    let user = t
        .get(&format!("/users/{id}?$select=assignedLicenses"))
        .await?;
    assert_eq!(user.body["assignedLicenses"][0]["skuId"], ENTERPRISEPACK);

    let remove = json!({"addLicenses": [], "removeLicenses": [ENTERPRISEPACK]});
    let answer = t.graph(Method::POST, &path, Some(remove.clone())).await?;
    assert_eq!(answer.status, StatusCode::OK);
    let again = t.graph(Method::POST, &path, Some(remove)).await?;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    Ok(())
}
