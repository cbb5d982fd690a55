//! Notices after a run: one digest to the connection's admins with everything that needs them
//! (quarantined records, changes the guard holds for approval, possible existing accounts to
//! review), the manager of a leaver told, and a mail that cannot be sent (after the transport's
//! retries) reported without failing the run.

use std::time::Duration;

use tenure::hr::{SourcedWorker, read_csv};
use tenure::queue::WorkItem;
use tenure::service::provision::provision;
use tenure::service::settings::{GuardSettings, MappingSettings};
use tenure::store::objects::Condition;
use tenure_emulator::Faults;

use super::helpers::{Env, Error, TestResult};
use crate::support::samples;

pub(super) const SENDER: &str = "laura.fischer@contoso.com";
pub(super) const ADMIN: &str = "it-ops@contoso.com";
const HEADER: &str = "employee_id,first_name,last_name,preferred_name,middle_name,personal_email,job_title,department,division,cost_center,location,country,manager_employee_id,employment_status,leave_type,employment_type,hire_date,termination_date,time_zone,mobile_phone,work_email";
const OLIVIA: &str = "1001,Olivia,Bennett,,,olivia.1001@example.net,Chief Executive Officer,Executive,Corporate,CC-100,Seattle,US,,active,,employee,2015-03-02,,America/Los_Angeles,+1 206 555 1001,";
const MARCUS: &str = "1002,Marcus,Lindqvist,,,marcus.1002@example.net,Chief Technology Officer,Engineering,Products,CC-200,Seattle,US,1001,active,,employee,2016-01-11,,America/Los_Angeles,+1 206 555 1002,";

/// Mail from [`SENDER`], the digest to [`ADMIN`], and the guard given.
pub(super) async fn configure(env: &Env, guard: GuardSettings) -> TestResult {
    let mut config = samples::mapper_config()?;
    config["notifications"] = serde_json::json!({"sender": SENDER, "admins": [ADMIN]});
    let (_, version) =
        MappingSettings::load(env.services.objects.as_ref(), &env.connection).await?;
    let mut settings = MappingSettings::standard(config);
    settings.guard = guard;
    settings
        .save(
            env.services.objects.as_ref(),
            &env.connection,
            Condition::Matches(version),
        )
        .await?;
    Ok(())
}

/// The rows (under [`HEADER`], beside Olivia Bennett and Marcus Lindqvist) as one delivery.
pub(super) fn delivery(env: &Env, id: &str, rows: &[&str]) -> Result<Vec<WorkItem>, Error> {
    let csv = format!("{HEADER}\n{OLIVIA}\n{MARCUS}\n{}\n", rows.join("\n"));
    let batch = read_csv(csv.as_bytes(), "webhook".into())?;
    if let Some(q) = batch.quarantined.first() {
        return Err(format!("a test row is quarantined: {}", q.reason).into());
    }
    let workers: Vec<SourcedWorker> = batch.workers;
    Ok(WorkItem::split(&env.connection, id, workers)?)
}

pub(super) fn mails_to(env: &Env, address: &str) -> Vec<tenure_emulator::SentMail> {
    env.tenant
        .handle()
        .outbox()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t == address))
        .collect()
}

/// Gives a second account Henrik Sørensen's employee id (1004): his record is quarantined.
pub(super) fn duplicate_henrik(env: &Env) {
    let mut snapshot = env.tenant.state();
    if let Some(admin) = snapshot
        .users
        .iter_mut()
        .find(|u| u.user_principal_name == "admin@contoso.onmicrosoft.com")
    {
        admin.employee_id = Some("1004".into());
    }
    env.tenant.load(snapshot);
}

#[tokio::test]
async fn one_digest_per_run_names_every_kind_of_item_that_needs_an_admin() -> TestResult {
    let env = Env::local(Duration::from_secs(1)).await?;
    configure(
        &env,
        GuardSettings {
            max_share: 0.0,
            min_users: 0,
            ..GuardSettings::default()
        },
    )
    .await?;
    duplicate_henrik(&env);
    let items = delivery(
        &env,
        "d-digest",
        &[
            // Quarantined: two accounts carry 1004.
            "1004,Henrik,Sørensen,,,henrik.1004@example.net,Chief Financial Officer,Finance,Corporate,CC-400,Berlin,DE,1001,active,,employee,2018-02-01,,Europe/Berlin,+1 206 555 1004,",
            // Held for approval: the guard allows no disable at all.
            "1006,Daniel,Park,,,daniel.1006@example.net,Engineering Manager,Engineering,Products,CC-200,Seattle,US,1002,terminated,,employee,2019-04-01,2020-01-31,America/Los_Angeles,+1 206 555 1006,",
            // To review: an account without an employee id has this worker's work address.
            "9601,Ida,Archive,,,ida.9601@example.net,Archivist,Engineering,Products,CC-200,Seattle,US,1001,active,,employee,2020-01-06,,America/Los_Angeles,,it-archive@contoso.com",
        ],
    )?;
    let report = provision(&env.services, &items).await?;
    assert!(report.held.is_some(), "the guard held the leaver");
    let digests = mails_to(&env, ADMIN);
    assert_eq!(digests.len(), 1, "one digest per run: {digests:?}");
    let digest = &digests[0];
    assert_eq!(digest.from, SENDER);
    for kind in ["quarantined", "held for approval", "match to review"] {
        assert!(
            digest.content.contains(kind),
            "{kind} missing: {}",
            digest.content
        );
    }
    assert!(digest.content.contains("1004"));
    assert!(digest.content.contains("9601"));
    assert_eq!(report.mail.sent, 1);
    assert!(report.mail.failed.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_leavers_manager_is_told_and_a_quiet_run_sends_nothing() -> TestResult {
    let env = Env::local(Duration::from_secs(1)).await?;
    configure(&env, GuardSettings::default()).await?;
    let quiet = delivery(&env, "d-quiet", &[])?;
    provision(&env.services, &quiet).await?;
    assert!(
        env.tenant.handle().outbox().is_empty(),
        "nothing needs anyone"
    );

    let items = delivery(
        &env,
        "d-leaver",
        &[
            "1006,Daniel,Park,,,daniel.1006@example.net,Engineering Manager,Engineering,Products,CC-200,Seattle,US,1002,terminated,,employee,2019-04-01,2020-01-31,America/Los_Angeles,+1 206 555 1006,",
        ],
    )?;
    let report = provision(&env.services, &items).await?;
    assert!(env.user("1006").is_some_and(|u| !u.account_enabled));
    let to_marcus = mails_to(&env, "marcus.lindqvist@contoso.com");
    assert_eq!(to_marcus.len(), 1, "{:?}", env.tenant.handle().outbox());
    assert!(to_marcus[0].subject.contains("Daniel Park"));
    assert!(
        to_marcus[0]
            .content
            .contains("Full access to their mailbox was given to")
    );
    assert!(
        mails_to(&env, ADMIN).is_empty(),
        "no digest when nothing needs an admin"
    );
    assert_eq!(report.mail.sent, 1);

    // Planned again: nothing changes, nobody is told twice.
    provision(&env.services, &delivery(&env, "d-again", &[])?).await?;
    assert_eq!(mails_to(&env, "marcus.lindqvist@contoso.com").len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_failing_send_mail_is_retried_and_reported_and_the_run_still_succeeds() -> TestResult {
    let env = Env::local(Duration::from_secs(1)).await?;
    configure(&env, GuardSettings::default()).await?;
    duplicate_henrik(&env);
    env.tenant.set_faults(Faults {
        send_mail_failures: 1.0,
        ..Faults::default()
    });
    let items = delivery(
        &env,
        "d-fail",
        &[
            "1004,Henrik,Sørensen,,,henrik.1004@example.net,Chief Financial Officer,Finance,Corporate,CC-400,Berlin,DE,1001,active,,employee,2018-02-01,,Europe/Berlin,+1 206 555 1004,",
            "9602,Noor,Hire,,,noor.9602@example.net,Analyst,Engineering,Products,CC-200,Seattle,US,1001,active,,employee,2020-01-06,,America/Los_Angeles,,",
        ],
    )?;
    let report = provision(&env.services, &items).await?;
    assert!(env.user("9602").is_some(), "the run's work is done");
    assert_eq!(report.mail.sent, 0);
    assert_eq!(report.mail.failed.len(), 1, "{:?}", report.mail);
    assert!(report.mail.failed[0].contains("digest mail to it-ops@contoso.com"));
    let attempts = env
        .tenant
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/sendMail"))
        .count();
    assert!(attempts > 1, "sendMail was retried: {attempts} attempt(s)");
    assert!(env.tenant.handle().outbox().is_empty());
    Ok(())
}
