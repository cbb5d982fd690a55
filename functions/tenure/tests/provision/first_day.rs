//! First-day access end to end: provisioning on the worker's start day (in their zone) makes a
//! Temporary Access Pass and mails it to the manager from the configured sender; the emulated
//! sign-in page takes it once; a pre-hire gets it on the start day, not at creation; a start
//! gets one pass however often it is provisioned; US Government clouds and a connection
//! without the permission get a first password instead; the secret is in that one mail only.

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use jiff::{SignedDuration, Timestamp};
use sha2::Digest as _;
use tenure::clock::Clock;
use tenure::microsoft::NationalCloud;
use tenure::queue::WorkItem;
use tenure::service::provision::provision;
use tenure::service::settings::MappingSettings;
use tenure::store::objects::Condition;
use tenure_emulator::{RegisteredClient, SentMail, TenantConfig};

use super::helpers::{CLIENT, Env, Error, TestResult, worker_row};
use crate::support::samples;

const SENDER: &str = "laura.fischer@contoso.com";
const MANAGER: &str = "olivia.bennett@contoso.com";
const ZONE: &str = "America/Los_Angeles";
const APP: &str = "6b1f7c2a-3d4e-4f50-8a9b-0c1d2e3f4a5b";
const CALLBACK: &str = "https://app.example.com/cb";

/// The sample configuration with first-day access on, sent from [`SENDER`].
async fn with_first_day(env: &Env) -> TestResult {
    let mut config = samples::mapper_config()?;
    config["notifications"] = serde_json::json!({
        "sender": SENDER,
        "first_day_access": {"lifetime_minutes": 480, "usable_once": true, "usable_from": "00:00"},
    });
    let (_, version) =
        MappingSettings::load(env.services.objects.as_ref(), &env.connection).await?;
    MappingSettings::standard(config)
        .save(
            env.services.objects.as_ref(),
            &env.connection,
            Condition::Matches(version),
        )
        .await?;
    Ok(())
}

/// A tenant (in `cloud`) whose sign-in page the test can use, first-day access configured, the
/// services' clock at `now`.
async fn env_in(cloud: NationalCloud, now: Timestamp) -> Result<Env, Error> {
    let mut env = Env::local_in(Duration::from_secs(1), cloud, |c: TenantConfig| {
        c.with_app(RegisteredClient::with_secret(APP, "app-secret~1").redirect_uris(&[CALLBACK]))
    })
    .await?;
    with_first_day(&env).await?;
    env.services.clock = Clock::manual(now);
    Ok(env)
}

/// A worker reporting to Olivia Bennett (1001), starting on `start` in Los Angeles.
fn starter(
    env: &Env,
    delivery: &str,
    id: &str,
    start: jiff::civil::Date,
) -> Result<WorkItem, Error> {
    let worker = worker_row(&format!(
        "{id},Robin,Starter{id},,,robin.{id}@example.net,Analyst,Engineering,Products,CC-200,Seattle,US,1001,active,,employee,{start},,{ZONE},"
    ))?;
    let mut items = WorkItem::split(&env.connection, delivery, vec![worker])?;
    Ok(items.remove(0))
}

/// Today in Los Angeles.
fn today_in_zone(now: Timestamp) -> jiff::civil::Date {
    now.in_tz(ZONE).map(|z| z.date()).unwrap_or_default()
}

/// The secret between `<code>` and `</code>` in a first-day mail (as its reader sees it: the
/// HTML unescaped).
fn secret_of(mail: &SentMail) -> Result<String, Error> {
    let after = mail
        .content
        .split("<code>")
        .nth(1)
        .ok_or("no <code> in the mail")?;
    let html = after.split("</code>").next().unwrap_or_default();
    Ok(html
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&"))
}

/// Signs in on the emulated sign-in page with a UPN and a secret; whether it was accepted.
async fn signs_in(env: &Env, upn: &str, secret: &str) -> Result<bool, Error> {
    let verifier = "a-verifier-of-enough-length-for-pkce-0123456789abcdef";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let authorize = format!(
        "{}/{}/oauth2/v2.0/authorize",
        env.tenant.uri(),
        env.tenant.tenant_id()
    );
    let page = browser
        .get(authorize)
        .query(&[
            ("client_id", APP),
            ("response_type", "code"),
            ("redirect_uri", CALLBACK),
            ("scope", "openid offline_access"),
            ("state", "s"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await?
        .text()
        .await?;
    let context = page
        .split("name=\"ctx\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or_else(|| format!("no sign-in form: {page}"))?;
    let answer = browser
        .post(format!(
            "{}/{}/login",
            env.tenant.uri(),
            env.tenant.tenant_id()
        ))
        .form(&[
            ("ctx", context),
            ("login", upn),
            ("passwd", secret),
            ("consent", "accept"),
        ])
        .send()
        .await?;
    if answer.status() == reqwest::StatusCode::FOUND {
        return Ok(true);
    }
    let page = answer.text().await?;
    let problem = page
        .split("id=\"problem\" role=\"alert\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or("no problem shown");
    eprintln!("sign-in of {upn} refused: {problem}");
    Ok(false)
}

/// Every mail in the outbox, and those to the manager.
fn to_manager(env: &Env) -> Vec<SentMail> {
    env.tenant
        .handle()
        .outbox()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t == MANAGER))
        .collect()
}

/// A buffer every log line of this thread goes to.
#[derive(Clone, Default)]
pub(super) struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// A buffer, and the guard that sends this thread's log lines (every level) to it.
    pub(super) fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(
            &self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_owned()
    }
}

/// Fails if `secret` is anywhere but in the one mail meant for it: objects (audit, plans,
/// known records, first-day records), the tenant's directory, the logs, other mails.
pub(super) async fn only_in_its_mail(env: &Env, secret: &str, logs: &Logs) -> TestResult {
    assert!(secret.len() >= 8, "a real secret: {secret:?}");
    for (key, text) in env.all_objects().await? {
        assert!(!text.contains(secret), "{key} holds the secret");
    }
    let dump = serde_json::to_string(&env.tenant.state())?;
    assert!(!dump.contains(secret), "the directory holds the secret");
    assert!(!logs.text().contains(secret), "a log line holds the secret");
    let carrying: Vec<_> = env
        .tenant
        .handle()
        .outbox()
        .into_iter()
        .filter(|m| {
            m.content.contains(secret)
                || m.content.contains(&tenure::html::escape_html(secret))
                || m.subject.contains(secret)
        })
        .collect();
    assert_eq!(carrying.len(), 1, "the secret is in exactly one mail");
    assert!(!carrying[0].subject.contains(secret));
    Ok(())
}

#[tokio::test(flavor = "current_thread")]
async fn a_pre_hire_gets_a_pass_on_the_start_day_once_and_it_signs_in_once() -> TestResult {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let now = Timestamp::now();
    let start = today_in_zone(now);
    let env = env_in(NationalCloud::Global, now - SignedDuration::from_hours(48)).await?;

    // Two days ahead: created disabled, nobody is mailed.
    let report = provision(&env.services, &[starter(&env, "d-early", "9401", start)?]).await?;
    let user = env.user("9401").ok_or("the pre-hire has no account")?;
    assert!(!user.account_enabled);
    assert!(
        env.tenant.handle().outbox().is_empty(),
        "no pass at creation"
    );
    let planned_early = format!("{:?}", report.applied);
    assert!(!planned_early.contains("deliver_first_day_access"));

    // The start day: switched on, and the manager gets the pass.
    env.services.clock.advance(SignedDuration::from_hours(48));
    provision(&env.services, &[starter(&env, "d-start", "9401", start)?]).await?;
    let user = env.user("9401").ok_or("account gone")?;
    assert!(user.account_enabled);
    let mails = to_manager(&env);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].from, SENDER);
    assert!(
        mails[0].content.contains("Robin Starter9401"),
        "{}",
        mails[0].content
    );
    assert!(mails[0].content.contains(user.user_principal_name.as_str()));
    let pass = secret_of(&mails[0])?;

    // Provisioned again the same day (a webhook resent): no second pass.
    provision(&env.services, &[starter(&env, "d-again", "9401", start)?]).await?;
    assert_eq!(to_manager(&env).len(), 1, "one pass per start");

    assert!(!signs_in(&env, &user.user_principal_name, "wrong-pass-123").await?);
    assert!(
        signs_in(&env, &user.user_principal_name, &pass).await?,
        "the pass signs in"
    );
    assert!(
        !signs_in(&env, &user.user_principal_name, &pass).await?,
        "once"
    );
    assert!(
        logs.text().contains("provisioned"),
        "the logs were captured"
    );
    only_in_its_mail(&env, &pass, &logs).await?;
    Ok(())
}

#[tokio::test]
async fn a_joiner_created_on_the_start_day_gets_the_pass_and_the_audit_says_so_without_it()
-> TestResult {
    let now = Timestamp::now();
    let env = env_in(NationalCloud::Global, now).await?;
    let report = provision(
        &env.services,
        &[starter(&env, "d-join", "9402", today_in_zone(now))?],
    )
    .await?;
    let mails = to_manager(&env);
    assert_eq!(mails.len(), 1);
    let pass = secret_of(&mails[0])?;
    let mut audit = String::new();
    for key in &report.audit {
        let (bytes, _) = env.services.objects.get(key).await?.ok_or("audit gone")?;
        audit.push_str(&String::from_utf8(bytes)?);
    }
    assert!(audit.contains("deliver_first_day_access"), "{audit}");
    assert!(audit.contains(MANAGER));
    assert!(!audit.contains(&pass));
    Ok(())
}

#[tokio::test]
async fn gcc_high_and_a_connection_without_the_permission_mail_a_first_password() -> TestResult {
    let now = Timestamp::now();
    let gov = env_in(NationalCloud::UsGovHigh, now).await?;
    provision(
        &gov.services,
        &[starter(&gov, "d-gov", "9403", today_in_zone(now))?],
    )
    .await?;
    let mails = to_manager(&gov);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0].content.contains("first password"),
        "{}",
        mails[0].content
    );
    let password = secret_of(&mails[0])?;
    let user = gov.user("9403").ok_or("no account")?;
    assert!(signs_in(&gov, &user.user_principal_name, &password).await?);
    assert!(
        !gov.tenant
            .requests()
            .iter()
            .any(|r| r.path.contains("temporaryAccessPassMethods")),
        "no pass is asked for where there are none"
    );
    for (key, text) in gov.all_objects().await? {
        assert!(!text.contains(&password), "{key} holds the password");
    }

    let refused = env_in(NationalCloud::Global, now).await?;
    for permission in [
        "UserAuthenticationMethod.ReadWrite.All",
        "UserAuthMethod-TAP.ReadWrite.All",
    ] {
        refused
            .tenant
            .handle()
            .set_permission(CLIENT, permission, false);
    }
    provision(
        &refused.services,
        &[starter(&refused, "d-no-tap", "9404", today_in_zone(now))?],
    )
    .await?;
    let mails = to_manager(&refused);
    assert_eq!(mails.len(), 1);
    assert!(mails[0].content.contains("first password"));
    let user = refused.user("9404").ok_or("no account")?;
    assert!(signs_in(&refused, &user.user_principal_name, &secret_of(&mails[0])?).await?);
    Ok(())
}

#[tokio::test]
async fn without_mail_send_the_action_fails_and_the_next_run_delivers() -> TestResult {
    let now = Timestamp::now();
    let env = env_in(NationalCloud::Global, now).await?;
    env.tenant
        .handle()
        .set_permission(CLIENT, "Mail.Send", false);
    let failed = provision(
        &env.services,
        &[starter(&env, "d-1", "9405", today_in_zone(now))?],
    )
    .await;
    let error = failed.err().ok_or("a refused mail went unreported")?;
    assert!(
        error.to_string().contains("deliver_first_day_access"),
        "{error}"
    );
    assert!(
        error.to_string().contains("consent again") && error.to_string().contains("Mail.Send"),
        "the refusal says what to do: {error}"
    );
    assert!(
        env.user("9405").is_some_and(|u| u.account_enabled),
        "the account is there"
    );
    assert!(env.tenant.handle().outbox().is_empty());

    env.tenant
        .handle()
        .set_permission(CLIENT, "Mail.Send", true);
    provision(
        &env.services,
        &[starter(&env, "d-2", "9405", today_in_zone(now))?],
    )
    .await?;
    assert_eq!(to_manager(&env).len(), 1, "delivered by the next run, once");
    Ok(())
}

#[tokio::test]
async fn a_plan_says_who_gets_the_pass_and_never_holds_one() -> TestResult {
    let now = Timestamp::now();
    let env = env_in(NationalCloud::Global, now).await?;
    let report = provision(
        &env.services,
        &[starter(&env, "d-plan", "9406", today_in_zone(now))?],
    )
    .await?;
    let applied = report.applied.ok_or("nothing applied")?;
    assert!(
        applied
            .outcomes
            .iter()
            .any(|o| o.kind == "deliver_first_day_access")
    );
    let pass = secret_of(&to_manager(&env)[0])?;
    let mut sink = Vec::new();
    writeln!(sink, "{applied:?}")?;
    assert!(!String::from_utf8_lossy(&sink).contains(&pass));
    Ok(())
}
