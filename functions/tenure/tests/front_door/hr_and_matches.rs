//! The automation routes behind the layer: an HR system uploading its export (`hr:write`),
//! checked by the HR readers and stored where the scheduled sync reads it; and a reviewed match
//! report confirmed (`plans:approve`), so that the next plan adopts the confirmed accounts.

use tenure::directory::Snapshot;
use tenure::microsoft::{CachedDirectory, DeltaState};
use tenure::plan::{Change, Plan};
use tenure::plugin::{PluginHost, STANDARD_MAPPER, SandboxLimits};
use tenure::service::settings::MappingSettings;
use tenure::store::objects::{Condition, ObjectKey};
use tenure::today::Today;

use super::api_tokens::{bearer, token};
use super::helpers::{ADMIN, Door, Error, TestResult, post};
use crate::support::ApiEvent;

const EXPORT: &str = "/connections/contoso/hr/export";

fn put(path: &str) -> ApiEvent {
    ApiEvent::new("PUT", "$default", path).domain(tenure_test_support::admin::DOMAIN)
}

fn company_csv() -> Result<Vec<u8>, Error> {
    tenure_test_support::samples::read("company.csv")
}

async fn stored(door: &Door, name: &str) -> Result<Option<Vec<u8>>, Error> {
    let key = ObjectKey::parse(&format!("connections/contoso/hr/{name}"))?;
    Ok(door.services.objects.get(&key).await?.map(|(b, _)| b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hr_token_uploads_the_export_where_the_scheduled_sync_reads_it() -> TestResult {
    let door = Door::new().await?;
    let mut admin = door.signed_in(ADMIN).await?;
    let (hr, _) = token(&door.router, &mut admin, "contoso", &["hr:write"]).await?;
    let (reader, _) = token(&door.router, &mut admin, "contoso", &["plans:read"]).await?;
    let csv = company_csv()?;

    let refused = bearer(put(EXPORT).header("content-type", "text/csv"), &reader)
        .body(&csv)
        .send(&door.router)
        .await?;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(stored(&door, "workers.csv").await?, None);

    let uploaded = bearer(put(EXPORT).header("content-type", "text/csv"), &hr)
        .body(&csv)
        .send(&door.router)
        .await?;
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    assert_eq!(
        uploaded.json()?["key"],
        "connections/contoso/hr/workers.csv"
    );
    assert!(
        uploaded.json()?["workers"].as_u64() > Some(10),
        "{}",
        uploaded.body
    );
    assert_eq!(stored(&door, "workers.csv").await?, Some(csv.clone()));

    // The sample's bad records are set aside, each named by line, as every run does.
    let quarantined = uploaded.json()?["quarantined"].to_string();
    assert!(
        quarantined.contains("workers.csv:51: hire_date"),
        "{quarantined}"
    );

    // What the readers cannot read at all is refused with its place, and nothing is stored.
    for (content_type, body, place) in [
        ("text/csv", "id,name\n1,Ada\n", "employee_id"),
        ("application/json", "[{\"employee_id\": \"1\",", "line 1"),
    ] {
        let answer = bearer(post(EXPORT).header("content-type", content_type), &hr)
            .body(body.as_bytes())
            .send(&door.router)
            .await?;
        assert_eq!(answer.status, 400, "{}", answer.body);
        assert!(answer.error()?.contains(place), "{}", answer.body);
    }
    assert_eq!(stored(&door, "workers.csv").await?, Some(csv.clone()));
    assert_eq!(stored(&door, "workers.json").await?, None);

    let other = bearer(put(EXPORT).header("content-type", "application/xml"), &hr)
        .body(b"<workers/>")
        .send(&door.router)
        .await?;
    assert_eq!(other.status, 415, "{}", other.body);

    // A JSON export replaces the CSV one, so the scheduled run reads what came last.
    let json = tenure_test_support::samples::read("company.json")?;
    let answer = bearer(put(EXPORT).header("content-type", "application/json"), &hr)
        .body(&json)
        .send(&door.router)
        .await?;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(stored(&door, "workers.json").await?, Some(json));
    assert_eq!(stored(&door, "workers.csv").await?, None);
    Ok(())
}

/// The sample tenant with Marcus Lindqvist's account (1002) left without its `employeeId`, and
/// 1003's account renamed beyond what any rule matches (`legacy.account@contoso.com`), as the
/// connection's cached directory; the sample company as its HR export; the sample mapper.
async fn tenant_with_an_unmatched_account(door: &Door) -> Result<Snapshot, Error> {
    let mut directory = tenure_test_support::samples::directory()?;
    let marcus = directory
        .users
        .iter_mut()
        .find(|u| u.employee_id.as_deref() == Some("1002"))
        .ok_or("no 1002")?;
    marcus.employee_id = None;
    let legacy = directory
        .users
        .iter_mut()
        .find(|u| u.employee_id.as_deref() == Some("1003"))
        .ok_or("no 1003")?;
    legacy.employee_id = None;
    legacy.user_principal_name = "legacy.account@contoso.com".into();
    legacy.mail = None;
    legacy.mail_nickname = Some("legacy.account".into());
    legacy.proxy_addresses = Vec::new();
    legacy.given_name = Some("Legacy".into());
    legacy.surname = Some("Account".into());
    legacy.display_name = Some("Legacy Account".into());
    legacy.mobile_phone = None;
    let (record, _) = door
        .services
        .connections
        .get(&door.connection)
        .await?
        .ok_or("no connection")?;
    let delta = DeltaState {
        users_link: "https://graph.example/users/delta".into(),
        groups_link: "https://graph.example/groups/delta".into(),
        mailboxes: None,
        full_access: false,
    };
    let cache = CachedDirectory::encode(&directory, &delta, &record.endpoints().graph)?;
    let key = ObjectKey::parse("connections/contoso/directory-cache.json")?;
    door.services
        .objects
        .put(&key, cache, Condition::Always)
        .await?;
    let key = ObjectKey::parse("connections/contoso/hr/workers.csv")?;
    door.services
        .objects
        .put(&key, company_csv()?, Condition::Always)
        .await?;
    MappingSettings::standard(tenure_test_support::samples::mapper_config()?)
        .save(
            door.services.objects.as_ref(),
            &door.connection,
            Condition::Absent,
        )
        .await?;
    Ok(directory)
}

/// What provisioning would plan now with the connection's settings.
async fn plan_now(door: &Door, directory: &Snapshot) -> Result<Plan, Error> {
    let (settings, _) =
        MappingSettings::load(door.services.objects.as_ref(), &door.connection).await?;
    let host = PluginHost::new(SandboxLimits::default(), None)?;
    let plugin = host.load(STANDARD_MAPPER)?;
    let hr = tenure::hr::read_csv(&company_csv()?, "workers.csv".into())?;
    Ok(tenure::pipeline::plan(tenure::pipeline::PlanRequest {
        hr,
        directory,
        plugin: &plugin,
        plugin_config: &settings.config_json(),
        today: Today::parse("2026-12-01")?,
        guard: tenure::guard::GuardPolicy::default(),
        first_day_delivered: Default::default(),
    })?)
}

fn change_of(plan: &Plan, employee_id: &str) -> Option<Change> {
    plan.workers
        .iter()
        .find(|w| w.employee_id == employee_id)
        .map(|w| w.change)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_match_is_kept_and_the_next_plan_adopts_the_account() -> TestResult {
    let door = Door::new().await?;
    let directory = tenant_with_an_unmatched_account(&door).await?;
    assert_eq!(
        change_of(&plan_now(&door, &directory).await?, "1002"),
        Some(Change::Held),
        "without confirmation the worker must be held, never given a second account"
    );
    let mut admin = door.signed_in(ADMIN).await?;
    let (reader, _) = token(&door.router, &mut admin, "contoso", &["plans:read"]).await?;
    let (approver, _) = token(&door.router, &mut admin, "contoso", &["plans:approve"]).await?;
    let confirm = "/connections/contoso/matches/confirm";
    // 1002 as the report found it; 1003 paired by the reviewer with an account no rule found.
    let reviewed = "employee_id,user_principal_name,user_id,adopt\n\
                    1002,marcus.lindqvist@contoso.com,,yes\n\
                    1003,legacy.account@contoso.com,,yes\n";

    let refused = bearer(post(confirm), &reader)
        .header("content-type", "text/csv")
        .body(reviewed.as_bytes())
        .send(&door.router)
        .await?;
    assert_eq!(refused.status, 403, "{}", refused.body);

    // A pair naming a worker who is not in the export: nothing is kept.
    let wrong = format!("{reviewed}9999,olivia.bennett@contoso.com,,yes\n");
    let answer = bearer(post(confirm), &approver)
        .header("content-type", "text/csv")
        .body(wrong.as_bytes())
        .send(&door.router)
        .await?;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.error()?.contains("9999"), "{}", answer.body);
    assert_eq!(
        change_of(&plan_now(&door, &directory).await?, "1002"),
        Some(Change::Held)
    );

    let answer = bearer(post(confirm), &approver)
        .header("content-type", "text/csv")
        .body(reviewed.as_bytes())
        .send(&door.router)
        .await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let adopted = answer.json()?["adopt"].clone();
    assert_eq!(adopted[0]["employee_id"], "1002", "{adopted}");
    assert_eq!(
        adopted[0]["user_principal_name"],
        "marcus.lindqvist@contoso.com"
    );

    assert_eq!(adopted[1]["employee_id"], "1003", "{adopted}");

    let plan = plan_now(&door, &directory).await?;
    assert_eq!(change_of(&plan, "1002"), Some(Change::Adopt));
    assert_eq!(change_of(&plan, "1003"), Some(Change::Adopt));
    let legacy = plan
        .workers
        .iter()
        .find(|w| w.employee_id == "1003")
        .ok_or("no plan for 1003")?;
    assert_eq!(
        legacy.user_principal_name.as_deref(),
        Some("legacy.account@contoso.com"),
        "1003 is given another account than the confirmed one"
    );
    Ok(())
}
