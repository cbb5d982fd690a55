//! A Tenure mapping plugin: the starting policy of this project's README, to change into yours.
//!
//! Tenure calls `map_batch` with the workers of an HR file and `validate_config` with the
//! connection's configuration; the types come from `wit/mapper.wit`, the contract.

wit_bindgen::generate!({ path: "wit", world: "plugin" });

use exports::tenure::mapper::mapping::Guest;
use tenure::mapper::types::{
    Account, Attribute, BatchItem, Context, Date, DesiredState, EmploymentStatus, GroupKind,
    GroupRef, Identity, Managed, MappingError, OnDisable, Phase, Worker,
};

/// The one group this plugin manages: only its memberships are ever added or taken away.
const ALL_STAFF: &str = "All Staff";

struct Plugin;

impl Guest for Plugin {
    fn validate_config(config: String, domains: Vec<String>) -> Result<Managed, MappingError> {
        domain(&config, &domains)?;
        Ok(Managed {
            groups: vec![all_staff()],
            licenses: Vec::new(),
        })
    }

    fn map(worker: Worker, context: Context) -> Result<DesiredState, MappingError> {
        let domain = domain(&context.config, &context.domains)?;
        desired_state(&worker, &context.today, &domain)
    }

    fn map_batch(
        items: Vec<BatchItem>,
        domains: Vec<String>,
        config: String,
    ) -> Vec<Result<DesiredState, MappingError>> {
        let domain = domain(&config, &domains);
        items
            .iter()
            .map(|item| desired_state(&item.worker, &item.today, domain.as_ref().map_err(Clone::clone)?))
            .collect()
    }
}

export!(Plugin);

/// The configuration (a JSON object) may name the UPN domain, `{"domain": "contoso.com"}`,
/// which must be one of the tenant's verified domains; else the first verified domain.
fn domain(config: &str, domains: &[String]) -> Result<String, MappingError> {
    let config: serde_json::Value = serde_json::from_str(config)
        .map_err(|error| refusal(None, &format!("the configuration is not JSON: {error}")))?;
    match config.get("domain") {
        None => domains
            .first()
            .cloned()
            .ok_or_else(|| refusal(Some("domain"), "the tenant has no verified domain")),
        Some(serde_json::Value::String(wanted)) => domains
            .iter()
            .find(|verified| verified.eq_ignore_ascii_case(wanted))
            .cloned()
            .ok_or_else(|| {
                refusal(Some("domain"), &format!("{wanted} is not a verified domain of the tenant"))
            }),
        Some(_) => Err(refusal(Some("domain"), "must be a string")),
    }
}

fn desired_state(worker: &Worker, today: &Date, domain: &str) -> Result<DesiredState, MappingError> {
    let first = worker
        .preferred_name
        .as_deref()
        .or(worker.first_name.as_deref())
        .ok_or_else(|| refusal(Some("first_name"), "a first name is needed for the user principal name"))?;
    let last = worker
        .last_name
        .as_deref()
        .ok_or_else(|| refusal(Some("last_name"), "a last name is needed for the user principal name"))?;
    let local = format!("{}.{}", upn_part(first), upn_part(last));
    // The first candidate whose UPN and mail nickname are both free is taken.
    let identities = [local.clone(), format!("{local}.{}", worker.employee_id)]
        .map(|nickname| Identity {
            user_principal_name: format!("{nickname}@{domain}"),
            mail_nickname: nickname,
        })
        .to_vec();
    let leaving = worker.employment_status == EmploymentStatus::Terminated
        || worker.termination_date.as_ref().is_some_and(|end| key(end) <= key(today));
    let phase = if leaving {
        Phase::Terminated
    } else if worker.hire_date.as_ref().is_some_and(|start| key(start) > key(today)) {
        Phase::PreHire
    } else if worker.employment_status == EmploymentStatus::Leave {
        Phase::OnLeave
    } else {
        Phase::Active
    };
    Ok(DesiredState {
        phase,
        account: Some(Account {
            enabled: matches!(phase, Phase::Active | Phase::OnLeave),
            identities,
            display_name: format!("{first} {last}"),
            attributes: vec![
                attribute("givenName", Some(first)),
                attribute("surname", Some(last)),
                attribute("jobTitle", worker.job_title.as_deref()),
                attribute("department", worker.department.as_deref()),
            ],
            manager_employee_id: worker.manager_employee_id.clone(),
            groups: if leaving { Vec::new() } else { vec![all_staff()] },
            licenses: Vec::new(),
            // None leaves the mailbox as it is.
            mailbox: None,
            on_disable: OnDisable {
                revoke_sessions: true,
                scramble_password: true,
            },
        }),
    })
}

/// A name as it goes into a user principal name: lower case, only `a-z`, `0-9` and `-`.
fn upn_part(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect()
}

fn key(date: &Date) -> (i16, u8, u8) {
    (date.year, date.month, date.day)
}

fn all_staff() -> GroupRef {
    GroupRef {
        kind: GroupKind::Security,
        name: ALL_STAFF.to_owned(),
    }
}

fn attribute(name: &str, value: Option<&str>) -> Attribute {
    Attribute {
        name: name.to_owned(),
        value: value.map(str::to_owned),
    }
}

fn refusal(field: Option<&str>, message: &str) -> MappingError {
    MappingError {
        field: field.map(str::to_owned),
        message: message.to_owned(),
    }
}
