//! Exchange `InvokeCommand`: distribution-group members, mailboxes, permissions, and the mailbox
//! that appears only some time after the license.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{ENTERPRISEPACK, SEATTLE_DL, TestResult, eventually, spawn, spawn_with};

#[tokio::test]
async fn distribution_group_members_are_added_listed_and_removed() -> TestResult {
    let t = spawn().await?;
    let member = "henrik.sorensen@contoso.com";
    let add = t
        .cmdlet("Add-DistributionGroupMember", json!({"Identity": SEATTLE_DL, "Member": member, "BypassSecurityGroupManagerCheck": true}))
        .await?;
    assert_eq!(add.status, StatusCode::OK, "{}", add.body);
    assert!(add.body["value"].is_array());
    let twice = t
        .cmdlet(
            "Add-DistributionGroupMember",
            json!({"Identity": SEATTLE_DL, "Member": member}),
        )
        .await?;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);
    assert!(
        twice.body["error"]["details"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("MemberAlreadyExistsException"))
    );
    let members = t
        .cmdlet(
            "Get-DistributionGroupMember",
            json!({"Identity": SEATTLE_DL}),
        )
        .await?;
    let values = members.body["value"].as_array().ok_or("value")?;
    assert!(values.iter().any(|m| m["PrimarySmtpAddress"] == member));
    let remove = t
        .cmdlet(
            "Remove-DistributionGroupMember",
            json!({"Identity": "All Seattle", "Member": member, "Confirm": false}),
        )
        .await?;
    assert_eq!(remove.status, StatusCode::OK);
    let again = t
        .cmdlet(
            "Remove-DistributionGroupMember",
            json!({"Identity": SEATTLE_DL, "Member": member}),
        )
        .await?;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn a_member_without_a_mailbox_is_not_found() -> TestResult {
    let t = spawn().await?;
    let answer = t
        .cmdlet(
            "Add-DistributionGroupMember",
            json!({"Identity": SEATTLE_DL, "Member": "admin@contoso.onmicrosoft.com"}),
        )
        .await?;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let detail = answer.body["error"]["details"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        detail.contains("Couldn't find object \"admin@contoso.onmicrosoft.com\""),
        "{detail}"
    );
    let unknown = t
        .cmdlet(
            "Get-Mailbox",
            json!({"Identity": "nobody@contoso.com", "Bogus": 1}),
        )
        .await?;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn a_leaver_mailbox_becomes_shared_hidden_with_full_access() -> TestResult {
    let t = spawn().await?;
    let leaver = "marcus.lindqvist@contoso.com";
    let set = t
        .cmdlet(
            "Set-Mailbox",
            json!({"Identity": leaver, "Type": "Shared", "HiddenFromAddressListsEnabled": true}),
        )
        .await?;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let grant = t
        .cmdlet("Add-MailboxPermission", json!({"Identity": leaver, "User": "olivia.bennett@contoso.com", "AccessRights": ["FullAccess"], "InheritanceType": "All", "AutoMapping": false}))
        .await?;
    assert_eq!(grant.status, StatusCode::OK, "{}", grant.body);
    let mailbox = t.cmdlet("Get-Mailbox", json!({"Identity": leaver})).await?;
    assert_eq!(
        mailbox.body["value"][0]["RecipientTypeDetails"],
        "SharedMailbox"
    );
    assert_eq!(
        mailbox.body["value"][0]["HiddenFromAddressListsEnabled"],
        true
    );
    let state = t.tenant.state();
    let stored = state
        .mailboxes
        .iter()
        .find(|m| m.user_principal_name == leaver)
        .ok_or("mailbox")?;
    assert_eq!(stored.full_access, ["olivia.bennett@contoso.com"]);
    Ok(())
}

#[tokio::test]
async fn a_new_mailbox_appears_only_after_the_license_and_its_delay() -> TestResult {
    let t = spawn_with(|c| c.with_mailbox_delay(Duration::from_millis(300))).await?;
    let id = t.create_user("new.mailbox", "8001").await?;
    let upn = "new.mailbox@contoso.com";
    let before = t.cmdlet("Get-Mailbox", json!({"Identity": upn})).await?;
    assert_eq!(before.status, StatusCode::BAD_REQUEST);
    t.graph(
        Method::PATCH,
        &format!("/users/{id}"),
        Some(json!({"usageLocation": "US"})),
    )
    .await?;
    let license = json!({"addLicenses": [{"skuId": ENTERPRISEPACK}], "removeLicenses": []});
    let assigned = t
        .graph(
            Method::POST,
            &format!("/users/{id}/assignLicense"),
            Some(license),
        )
        .await?;
    assert_eq!(assigned.status, StatusCode::OK);
    eventually(Duration::from_secs(10), || async {
        let answer = t.cmdlet("Get-Mailbox", json!({"Identity": upn})).await?;
        Ok(answer.status == StatusCode::OK)
    })
    .await?;
    let add = t
        .cmdlet(
            "Add-DistributionGroupMember",
            json!({"Identity": SEATTLE_DL, "Member": upn}),
        )
        .await?;
    assert_eq!(add.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn exchange_wants_an_exchange_token() -> TestResult {
    let t = spawn().await?;
    let graph_token = t.token(crate::helpers::GRAPH_SCOPE).await?;
    let url = format!(
        "{}/adminapi/beta/{}/InvokeCommand",
        t.tenant.uri(),
        t.tenant.tenant_id()
    );
    let answer = t
        .http
        .post(url)
        .bearer_auth(graph_token)
        .header("X-AnchorMailbox", "UPN:admin@contoso.com")
        .json(&json!({"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {}}}))
        .send()
        .await?;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    Ok(())
}

#[tokio::test]
async fn long_answers_page_with_a_next_link_posted_again() -> TestResult {
    let t = spawn().await?;
    let mut snapshot = crate::helpers::sample()?;
    for n in 0..1_001 {
        let id = format!("50000000-0000-4000-8000-{n:012}");
        let upn = format!("bulk{n}@contoso.com");
        snapshot.users.push(tenure::directory::DirectoryUser {
            id: id.clone().into(),
            user_principal_name: upn.clone().into(),
            account_enabled: true,
            ..Default::default()
        });
        snapshot.mailboxes.push(tenure::directory::Mailbox {
            external_directory_object_id: id.into(),
            user_principal_name: upn.into(),
            recipient_type_details: tenure::directory::MailboxType::UserMailbox,
            hidden_from_address_lists_enabled: false,
            full_access: Vec::new(),
        });
    }
    let total = snapshot.mailboxes.len();
    t.tenant.load(snapshot);
    let first = t
        .cmdlet("Get-Mailbox", json!({"ResultSize": "Unlimited"}))
        .await?;
    assert_eq!(first.body["value"].as_array().map(Vec::len), Some(1_000));
    let next = first.body["@odata.nextLink"].as_str().ok_or("next link")?;
    let token = t.token(crate::helpers::EXCHANGE_SCOPE).await?;
    let second = t
        .http
        .post(next)
        .bearer_auth(token)
        .header("X-AnchorMailbox", "UPN:admin@contoso.com")
        .json(&json!({"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {"ResultSize": "Unlimited"}}}))
        .send()
        .await?;
    let second = crate::helpers::answer(second).await?;
    assert_eq!(
        second.body["value"].as_array().map(Vec::len),
        Some(total - 1_000)
    );
    assert!(second.body.get("@odata.nextLink").is_none());
    Ok(())
}
