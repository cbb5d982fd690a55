//! The reference mapping plugin in Rust: the contractors policy of `plugins/examples/README.md`,
//! the same as the JavaScript and Python examples beside it.

wit_bindgen::generate!({ path: "../../wit", world: "plugin" });

use exports::tenure::mapper::mapping::Guest;
use tenure::mapper::types::{
    Account, Attribute, BatchItem, Context, Date, DesiredState, EmploymentStatus, GroupKind,
    GroupRef, Identity, Managed, MappingError, OnDisable, Phase, Worker,
};

struct Contractors;

impl Guest for Contractors {
    fn validate_config(config: String, domains: Vec<String>) -> Result<Managed, MappingError> {
        domain(&config, &domains)?;
        Ok(Managed {
            groups: [ALL_STAFF, LAB].map(security_group).to_vec(),
            licenses: vec![EMPLOYEE_LICENSE.into(), CONTRACTOR_LICENSE.into()],
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
            .map(|item| {
                desired_state(
                    &item.worker,
                    &item.today,
                    domain.as_ref().map_err(Clone::clone)?,
                )
            })
            .collect()
    }
}

export!(Contractors);

const ALL_STAFF: &str = "All Staff";
const LAB: &str = "Secure Lab Access";
/// The custom HR column that grants lab access.
const CLEARANCE: &str = "Security Clearance";
const EMPLOYEE_LICENSE: &str = "ENTERPRISEPACK";
const CONTRACTOR_LICENSE: &str = "SPE_F1";

/// The configuration's `domain`, else the tenant's first verified domain.
fn domain(config: &str, domains: &[String]) -> Result<String, MappingError> {
    let config: serde_json::Value = serde_json::from_str(config)
        .map_err(|error| refusal(None, &format!("the configuration is not JSON: {error}")))?;
    let Some(config) = config.as_object() else {
        return Err(refusal(None, "the configuration must be a JSON object"));
    };
    match config.get("domain") {
        None => domains
            .first()
            .cloned()
            .ok_or_else(|| refusal(Some("domain"), "the tenant has no verified domain")),
        Some(serde_json::Value::String(domain)) => domains
            .iter()
            .find(|verified| verified.eq_ignore_ascii_case(domain))
            .cloned()
            .ok_or_else(|| {
                refusal(
                    Some("domain"),
                    &format!("{domain} is not one of the tenant's verified domains"),
                )
            }),
        Some(_) => Err(refusal(Some("domain"), "must be a string")),
    }
}

fn desired_state(
    worker: &Worker,
    today: &Date,
    domain: &str,
) -> Result<DesiredState, MappingError> {
    let first = worker
        .preferred_name
        .as_deref()
        .or(worker.first_name.as_deref())
        .ok_or_else(|| {
            refusal(
                Some("first_name"),
                "a first name is needed for the user principal name",
            )
        })?;
    let last = worker.last_name.as_deref().ok_or_else(|| {
        refusal(
            Some("last_name"),
            "a last name is needed for the user principal name",
        )
    })?;
    let contractor = worker
        .employment_type
        .as_deref()
        .is_some_and(|kind| kind.eq_ignore_ascii_case("contractor"));
    let local = format!(
        "{}{}.{}",
        if contractor { "c-" } else { "" },
        upn_part(first),
        upn_part(last)
    );
    let identities = [local.clone(), format!("{local}.{}", worker.employee_id)]
        .map(|local| Identity {
            user_principal_name: format!("{local}@{domain}"),
            mail_nickname: local,
        })
        .to_vec();
    let leaving = worker.employment_status == EmploymentStatus::Terminated
        || worker
            .termination_date
            .as_ref()
            .is_some_and(|end| key(end) <= key(today));
    let phase = if leaving {
        Phase::Terminated
    } else if worker
        .hire_date
        .as_ref()
        .is_some_and(|start| key(start) > key(today))
    {
        Phase::PreHire
    } else if worker.employment_status == EmploymentStatus::Leave {
        Phase::OnLeave
    } else {
        Phase::Active
    };
    let (groups, licenses) = if leaving {
        (Vec::new(), Vec::new())
    } else if contractor {
        // Contractors never get lab access, whatever their clearance.
        (
            vec![security_group(ALL_STAFF)],
            vec![CONTRACTOR_LICENSE.to_owned()],
        )
    } else {
        let cleared = worker
            .custom
            .iter()
            .any(|(column, value)| column == CLEARANCE && value.eq_ignore_ascii_case("high"));
        let groups = if cleared {
            vec![ALL_STAFF, LAB]
        } else {
            vec![ALL_STAFF]
        };
        (
            groups.into_iter().map(security_group).collect(),
            vec![EMPLOYEE_LICENSE.to_owned()],
        )
    };
    let office = [worker.location.as_deref(), worker.country.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    Ok(DesiredState {
        phase,
        account: Some(Account {
            enabled: matches!(phase, Phase::Active | Phase::OnLeave),
            identities,
            display_name: format!(
                "{first} {last}{}",
                if contractor { " (Contractor)" } else { "" }
            ),
            attributes: vec![
                attribute("givenName", Some(first)),
                attribute("surname", Some(last)),
                attribute("jobTitle", worker.job_title.as_deref()),
                attribute("department", worker.department.as_deref()),
                attribute("employeeType", worker.employment_type.as_deref()),
                attribute("usageLocation", worker.country.as_deref()),
                attribute(
                    "officeLocation",
                    Some(office.as_str()).filter(|o| !o.is_empty()),
                ),
            ],
            manager_employee_id: worker.manager_employee_id.clone(),
            groups,
            licenses,
            mailbox: None,
            on_disable: OnDisable {
                revoke_sessions: true,
                scramble_password: true,
            },
        }),
    })
}

/// A name as it goes into a user principal name: lower case, common accented letters folded
/// (`ø` → `o`, `ß` → `ss`), anything but `a-z`, `0-9` and `-` left out.
fn upn_part(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        match FOLDS.iter().find(|(letters, _)| letters.contains(c)) {
            Some((_, folded)) => out.push_str(folded),
            None if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' => out.push(c),
            None => {}
        }
    }
    out
}

/// Accented letters and what they fold to; the JavaScript and Python examples have the same table.
const FOLDS: &[(&str, &str)] = &[
    ("àáâãäå", "a"),
    ("æ", "ae"),
    ("ç", "c"),
    ("èéêë", "e"),
    ("ìíîï", "i"),
    ("ñ", "n"),
    ("òóôõöø", "o"),
    ("ùúûü", "u"),
    ("ýÿ", "y"),
    ("ß", "ss"),
];

fn key(date: &Date) -> (i16, u8, u8) {
    (date.year, date.month, date.day)
}

fn security_group(name: &str) -> GroupRef {
    GroupRef {
        kind: GroupKind::Security,
        name: name.to_owned(),
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
