//! A tenant of the test's own making, served by the emulated tenant, with an HR file and a
//! mapper configuration in a temporary folder; `tenure sync` and `tenure match` against it.

use std::path::PathBuf;
use std::process::Output;

use tenure::directory::{DirectoryUser, Snapshot};
use tenure_emulator::{EmulatedTenant, TenantConfig};

const SECRET: &str = "onboarding-test-secret-Qm4k2";
const CLIENT: &str = "tenure-onboarding-tests";
pub(crate) const TODAY: &str = "2026-12-01";

/// The HR header every test file uses.
pub(crate) const HR_HEADER: &str = "employee_id,first_name,last_name,preferred_name,work_email,job_title,department,location,country,manager_employee_id,employment_status,employment_type,hire_date,mobile_phone";

pub(crate) struct Onboarding {
    pub(crate) tenant: EmulatedTenant,
    dir: tempfile::TempDir,
    hr: PathBuf,
    config: PathBuf,
}

impl Onboarding {
    /// The tenant holding `snapshot`, HR rows (after [`HR_HEADER`]) and a mapper configuration.
    pub(crate) async fn start(snapshot: Snapshot, hr_rows: &[String], config: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let hr = dir.path().join("hr.csv");
        let mut text = format!("{HR_HEADER}\n");
        for row in hr_rows {
            text.push_str(row);
            text.push('\n');
        }
        std::fs::write(&hr, text).expect("HR file written");
        let config_path = dir.path().join("mapper.json");
        std::fs::write(&config_path, config).expect("config written");
        let tenant =
            EmulatedTenant::start(TenantConfig::new(snapshot).with_client_secret(CLIENT, SECRET))
                .await
                .expect("tenant starts");
        Self {
            tenant,
            dir,
            hr,
            config: config_path,
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn command(&self, subcommand: &str, extra: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tenure"));
        let cache = std::env::temp_dir().join(format!("tenure-cli-tests-{}", std::process::id()));
        command
            .env("TENURE_CACHE_DIR", cache)
            .arg(subcommand)
            .arg("--hr")
            .arg(&self.hr)
            .arg("--config")
            .arg(&self.config)
            .args(["--today", TODAY, "--tenant", self.tenant.tenant_id()])
            .args(["--client-id", CLIENT, "--endpoint", &self.tenant.uri()])
            .args(["--exchange-anchor", "admin@contoso.com"])
            .arg("--state-dir")
            .arg(self.dir.path())
            .args(extra)
            .env("TENURE_CLIENT_SECRET", SECRET);
        command
    }

    async fn run(&self, subcommand: &str, extra: &[&str]) -> Output {
        let mut command = self.command(subcommand, extra);
        tokio::task::spawn_blocking(move || command.output().expect("tenure runs"))
            .await
            .expect("joins")
    }

    /// `tenure sync`, which must succeed; its standard output.
    pub(crate) async fn sync(&self) -> String {
        let output = self.run("sync", &[]).await;
        let out = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "sync failed:\n{out}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        out
    }

    /// `tenure match` with these arguments; its output.
    pub(crate) async fn match_command(&self, extra: &[&str]) -> Output {
        self.run("match", extra).await
    }

    /// The directory as the tenant holds it now.
    pub(crate) fn state(&self) -> Snapshot {
        self.tenant.state()
    }
}

/// A user of the snapshot by UPN.
pub(crate) fn user<'s>(snapshot: &'s Snapshot, upn: &str) -> &'s DirectoryUser {
    snapshot
        .users
        .iter()
        .find(|u| u.user_principal_name.eq_ignore_ascii_case(upn))
        .unwrap_or_else(|| panic!("{upn} is a user of the tenant"))
}

/// The users carrying an employee id.
pub(crate) fn users_of<'s>(snapshot: &'s Snapshot, employee_id: &str) -> Vec<&'s DirectoryUser> {
    snapshot
        .users
        .iter()
        .filter(|u| u.employee_id.as_deref() == Some(employee_id))
        .collect()
}

/// A user without an `employeeId`, as an admin would have made it by hand.
pub(crate) fn account(id: u32, upn: &str, given: &str, surname: &str) -> DirectoryUser {
    DirectoryUser {
        id: format!("0000aaaa-0000-4000-8000-{id:012}").into(),
        user_principal_name: upn.into(),
        account_enabled: true,
        display_name: Some(format!("{given} {surname}").trim().to_owned()),
        mail_nickname: upn.split('@').next().map(Into::into),
        given_name: (!given.is_empty()).then(|| given.into()),
        surname: (!surname.is_empty()).then(|| surname.into()),
        ..DirectoryUser::default()
    }
}

/// One HR row in [`HR_HEADER`]'s order: id, first, last, preferred, work e-mail, title,
/// department, location, manager; active US employees hired in 2020.
pub(crate) fn hr_row(
    id: &str,
    (first, last, preferred): (&str, &str, &str),
    work_email: &str,
    department: &str,
    manager: &str,
    mobile: &str,
) -> String {
    format!(
        "{id},{first},{last},{preferred},{work_email},Specialist,{department},Seattle,US,{manager},active,employee,2020-01-06,{mobile}"
    )
}
