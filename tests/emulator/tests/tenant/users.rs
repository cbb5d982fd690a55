//! Users: create with the required properties, read, update, delete, manager, sessions.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestResult, new_user, spawn};

const OLIVIA: &str = "40000000-0000-4000-8000-000000001001";
const MARCUS: &str = "40000000-0000-4000-8000-000000001002";

#[tokio::test]
async fn a_created_user_gets_an_id_and_can_be_read_by_id_and_upn() -> TestResult {
    let t = spawn().await?;
    let created = t
        .graph(
            Method::POST,
            "/users",
            Some(new_user("quinn.newhire", "2001")),
        )
        .await?;
    assert_eq!(created.status, StatusCode::CREATED);
    assert!(created.header("request-id").is_some());
    let id = created.body["id"].as_str().ok_or("no id")?;
    assert_eq!(uuid::Uuid::parse_str(id)?.to_string(), id);
    assert_eq!(
        created.body["userPrincipalName"],
        "quinn.newhire@contoso.com"
    );
    let by_upn = t
        .get("/users/quinn.newhire@contoso.com?$select=id,employeeId,accountEnabled")
        .await?;
    assert_eq!(by_upn.status, StatusCode::OK);
    assert_eq!(by_upn.body["id"], id);
    assert_eq!(by_upn.body["employeeId"], "2001");
    assert_eq!(by_upn.body["accountEnabled"], true);
    assert!(
        by_upn.body.get("displayName").is_none(),
        "only the selected properties"
    );
    assert_eq!(t.tenant.handle().password_changes(id), 1);
    Ok(())
}

#[tokio::test]
async fn create_refuses_missing_unknown_and_invalid_properties() -> TestResult {
    let t = spawn().await?;
    let mut missing = new_user("a", "1");
    missing
        .as_object_mut()
        .ok_or("object")?
        .remove("mailNickname");
    let mut unknown = new_user("b", "2");
    unknown["favouriteColour"] = json!("blue");
    let mut weak = new_user("c", "3");
    weak["passwordProfile"]["password"] = json!("password");
    let mut typed = new_user("d", "4");
    typed["accountEnabled"] = json!("yes");
    for body in [missing, unknown, weak, typed] {
        let answer = t.graph(Method::POST, "/users", Some(body.clone())).await?;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.error_code(), "Request_BadRequest", "{}", answer.body);
    }
    assert_eq!(t.tenant.state().users.len(), 39, "nothing was created");
    Ok(())
}

#[tokio::test]
async fn create_refuses_unverified_domains_taken_upns_and_non_json() -> TestResult {
    let t = spawn().await?;
    let mut foreign = new_user("jane", "1");
    foreign["userPrincipalName"] = json!("jane@fabrikam.com");
    let answer = t.graph(Method::POST, "/users", Some(foreign)).await?;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.error_message(),
        "Property userPrincipalName is invalid."
    );
    assert_eq!(
        answer.body["error"]["details"][0]["target"],
        "userPrincipalName"
    );
    assert_eq!(answer.body["error"]["details"][0]["code"], "InvalidValue");

    let mut taken = new_user("olivia", "1");
    taken["userPrincipalName"] = json!("Olivia.Bennett@contoso.com");
    let answer = t.graph(Method::POST, "/users", Some(taken)).await?;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.error_message(),
        "Another object with the same value for property userPrincipalName already exists."
    );

    let token = t.token(crate::helpers::GRAPH_SCOPE).await?;
    let text = t
        .http
        .post(format!("{}/v1.0/users", t.tenant.uri()))
        .bearer_auth(token)
        .header("content-type", "text/plain")
        .body(new_user("x", "9").to_string())
        .send()
        .await?;
    assert_eq!(text.status(), StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn patch_updates_attributes_and_the_password_and_unknown_ids_are_404() -> TestResult {
    let t = spawn().await?;
    let patch = json!({
        "accountEnabled": false,
        "jobTitle": "Chief Cartographer",
        "department": null,
        "passwordProfile": {"password": "N3w!scrambled-pass", "forceChangePasswordNextSignIn": true},
    });
    let answer = t
        .graph(Method::PATCH, &format!("/users/{MARCUS}"), Some(patch))
        .await?;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    let state = t.tenant.state();
    let marcus = state
        .users
        .iter()
        .find(|u| u.id == MARCUS)
        .ok_or("marcus")?;
    assert!(!marcus.account_enabled);
    assert_eq!(marcus.job_title.as_deref(), Some("Chief Cartographer"));
    assert_eq!(marcus.department, None);
    assert_eq!(t.tenant.handle().password_changes(MARCUS), 1);

    let bad = t
        .graph(
            Method::PATCH,
            &format!("/users/{MARCUS}"),
            Some(json!({"usageLocation": "USA"})),
        )
        .await?;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let missing = t.get("/users/00000000-0000-0000-0000-000000000000").await?;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "Request_ResourceNotFound");
    Ok(())
}

#[tokio::test]
async fn the_manager_is_set_by_reference_and_expanded_on_read() -> TestResult {
    let t = spawn().await?;
    let id = t.create_user("new.hire", "3001").await?;
    let reference =
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/users/{OLIVIA}")});
    let put = t
        .graph(
            Method::PUT,
            &format!("/users/{id}/manager/$ref"),
            Some(reference),
        )
        .await?;
    assert_eq!(put.status, StatusCode::NO_CONTENT);
    let read = t
        .get(&format!(
            "/users/{id}?$select=id&$expand=manager($select=id)"
        ))
        .await?;
    assert_eq!(read.body["manager"]["id"], OLIVIA);
    let manager = t.get(&format!("/users/{id}/manager")).await?;
    assert_eq!(manager.body["id"], OLIVIA);
    let unknown = json!({"@odata.id": "https://graph.microsoft.com/v1.0/users/00000000-0000-0000-0000-000000000000"});
    let answer = t
        .graph(
            Method::PUT,
            &format!("/users/{id}/manager/$ref"),
            Some(unknown),
        )
        .await?;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn revoking_sessions_answers_true_and_is_counted() -> TestResult {
    let t = spawn().await?;
    let answer = t
        .graph(
            Method::POST,
            &format!("/users/{MARCUS}/revokeSignInSessions"),
            None,
        )
        .await?;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["value"], true);
    assert_eq!(t.tenant.handle().sessions_revoked(MARCUS), 1);
    Ok(())
}

#[tokio::test]
async fn a_deleted_user_leaves_its_groups() -> TestResult {
    let t = spawn().await?;
    let answer = t
        .graph(Method::DELETE, &format!("/users/{MARCUS}"), None)
        .await?;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    let state = t.tenant.state();
    assert!(state.users.iter().all(|u| u.id != MARCUS));
    assert!(
        state
            .groups
            .iter()
            .all(|g| !g.members.iter().any(|m| m == MARCUS))
    );
    Ok(())
}

#[tokio::test]
async fn a_renamed_user_is_found_by_its_new_upn_only() -> TestResult {
    let t = spawn().await?;
    let rename = json!({"userPrincipalName": "marcus.l@contoso.com"});
    let answer = t
        .graph(Method::PATCH, &format!("/users/{MARCUS}"), Some(rename))
        .await?;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get("/users/marcus.l@contoso.com").await?.body["id"],
        MARCUS
    );
    let old = t.get("/users/marcus.lindqvist@contoso.com").await?;
    assert_eq!(old.status, StatusCode::NOT_FOUND);
    let reuse = t
        .graph(
            Method::POST,
            "/users",
            Some({
                let mut body = new_user("marcus.lindqvist", "1");
                body["employeeId"] = json!("9999");
                body
            }),
        )
        .await?;
    // Free as a UPN, but still the renamed user's address: as in Entra, a new UPN may not be
    // another object's proxy address.
    assert_eq!(reuse.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reuse.body["error"]["message"],
        "Another object with the same value for property proxyAddresses already exists."
    );
    Ok(())
}
