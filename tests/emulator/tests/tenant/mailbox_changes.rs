//! `Get-Mailbox -Filter "WhenChangedUTC -ge '…'"`: every mailbox carries `WhenChangedUTC`;
//! creation, `Set-Mailbox` and `Add-MailboxPermission` move it; filters the tenant does not
//! understand are refused in Exchange's error shape.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ENTERPRISEPACK, TestResult, spawn};

const OLIVIA: &str = "olivia.bennett@contoso.com";
const MARCUS: &str = "marcus.lindqvist@contoso.com";
const ARCHIVE: &str = "it-archive@contoso.com";
const ARCHIVE_ID: &str = "30000000-0000-4000-8000-000000000002";

fn stamp(mailbox: &Value) -> Result<jiff::Timestamp, Box<dyn std::error::Error>> {
    let text = mailbox["WhenChangedUTC"]
        .as_str()
        .ok_or_else(|| format!("no WhenChangedUTC: {mailbox}"))?;
    Ok(text.parse()?)
}

fn upns(answer: &Value) -> Vec<String> {
    let mut upns: Vec<String> = answer["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["UserPrincipalName"].as_str().map(str::to_owned))
        .collect();
    upns.sort();
    upns
}

#[tokio::test]
async fn only_mailboxes_changed_since_pass_the_filter() -> TestResult {
    let t = spawn().await?;
    let all = t
        .cmdlet("Get-Mailbox", json!({"ResultSize": "Unlimited"}))
        .await?;
    let mailboxes = all.body["value"].as_array().ok_or("value")?;
    assert_eq!(mailboxes.len(), 37);
    let mut newest = stamp(&mailboxes[0])?;
    for mailbox in mailboxes {
        newest = newest.max(stamp(mailbox)?);
    }

    let shared = t
        .cmdlet("Set-Mailbox", json!({"Identity": OLIVIA, "Type": "Shared"}))
        .await?;
    assert_eq!(shared.status, StatusCode::OK, "{}", shared.body);
    let delegated = t
        .cmdlet(
            "Add-MailboxPermission",
            json!({"Identity": MARCUS, "User": OLIVIA, "AccessRights": ["FullAccess"]}),
        )
        .await?;
    assert_eq!(delegated.status, StatusCode::OK, "{}", delegated.body);
    let license = json!({"addLicenses": [{"skuId": ENTERPRISEPACK}], "removeLicenses": []});
    t.graph(
        reqwest::Method::POST,
        &format!("/users/{ARCHIVE_ID}/assignLicense"),
        Some(license),
    )
    .await?;

    let filter = format!("WhenChangedUTC -gt '{newest}'");
    let changed = t
        .cmdlet(
            "Get-Mailbox",
            json!({"ResultSize": "Unlimited", "Filter": filter}),
        )
        .await?;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(upns(&changed.body), [ARCHIVE, MARCUS, OLIVIA]);
    let olivia = changed.body["value"]
        .as_array()
        .and_then(|v| v.iter().find(|m| m["UserPrincipalName"] == OLIVIA))
        .ok_or("Olivia")?;
    assert_eq!(olivia["RecipientTypeDetails"], "SharedMailbox");
    assert!(stamp(olivia)? > newest);

    t.cmdlet("Set-Mailbox", json!({"Identity": OLIVIA, "Type": "Shared"}))
        .await?;
    assert_eq!(
        olivia_stamp(&t).await?,
        stamp(olivia)?,
        "setting what is already set changes nothing"
    );

    let us_date = t
        .cmdlet(
            "Get-Mailbox",
            json!({"Filter": "WhenChangedUTC -ge '01/31/2000 13:00:00'"}),
        )
        .await?;
    assert_eq!(upns(&us_date.body).len(), 38);
    Ok(())
}

async fn olivia_stamp(
    t: &crate::helpers::TestTenant,
) -> Result<jiff::Timestamp, Box<dyn std::error::Error>> {
    let answer = t.cmdlet("Get-Mailbox", json!({"Identity": OLIVIA})).await?;
    stamp(&answer.body["value"][0])
}

#[tokio::test]
async fn filters_it_does_not_understand_are_refused() -> TestResult {
    let t = spawn().await?;
    for (parameters, expected) in [
        (
            json!({"Filter": "Name -eq 'olivia'"}),
            "is not a recognized filterable property",
        ),
        (
            json!({"Filter": "WhenChangedUTC -lt '2026-01-01T00:00:00Z'"}),
            "Invalid filter syntax",
        ),
        (
            json!({"Filter": "WhenChangedUTC -ge 'last tuesday'"}),
            "could not be converted to type System.DateTime",
        ),
        (
            json!({"Identity": OLIVIA, "Filter": "WhenChangedUTC -ge '2026-01-01T00:00:00Z'"}),
            "Parameter set cannot be resolved",
        ),
    ] {
        let answer = t.cmdlet("Get-Mailbox", parameters.clone()).await?;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{parameters}");
        let detail = answer.body["error"]["details"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            detail.contains("ParameterBindingException") && detail.contains(expected),
            "{parameters}: {detail}"
        );
    }
    Ok(())
}
