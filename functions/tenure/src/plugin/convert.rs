//! Tenure's domain types to and from the contract's generated types.
//!
//! Workers are lent to the plugin (the generated parameter types borrow), so their strings are
//! copied once, into the plugin's memory; answers are moved, never cloned, but for the values
//! many workers share (attributes, group names, licenses), which are kept once (`interned`).

use jiff::civil::Date;

use super::PluginError;
use super::bindings::tenure::mapper::types as wit;
use super::mapping::MapItem;
use crate::desired::{
    Account, DesiredState, GroupKind, GroupRef, Identity, MailboxState, Managed, MappingError,
    OnDisable, Phase, Principal,
};
use crate::directory::UserAttribute;
use crate::interned;
use crate::worker::{EmploymentStatus, Worker};

/// A worker's custom columns as borrowed pairs: the one part of a worker that needs a new
/// allocation (of pointers, not text) before it can be lent. The contract (1.0) has no
/// `work_email` field, so a plugin sees it as the custom column it was before Tenure knew it.
pub(crate) fn custom_columns(worker: &Worker) -> Vec<(&str, &str)> {
    let work_email = worker.work_email.as_deref().map(|e| ("work_email", e));
    worker
        .custom
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .chain(work_email)
        .collect()
}

/// One item of a batch; `custom` comes from [`custom_columns`] of the same worker.
pub(crate) fn batch_item<'a>(
    item: &MapItem<'a>,
    custom: &'a [(&'a str, &'a str)],
) -> wit::BatchItem<'a> {
    wit::BatchItem {
        worker: lend_worker(item.worker, custom),
        today: date(item.today),
        has_account: item.has_account,
    }
}

fn lend_worker<'a>(worker: &'a Worker, custom: &'a [(&'a str, &'a str)]) -> wit::Worker<'a> {
    wit::Worker {
        employee_id: worker.employee_id.as_str(),
        first_name: worker.first_name.as_deref(),
        last_name: worker.last_name.as_deref(),
        preferred_name: worker.preferred_name.as_deref(),
        middle_name: worker.middle_name.as_deref(),
        personal_email: worker.personal_email.as_deref(),
        job_title: worker.job_title.as_deref(),
        department: worker.department.as_deref(),
        division: worker.division.as_deref(),
        cost_center: worker.cost_center.as_deref(),
        location: worker.location.as_deref(),
        country: worker.country.as_deref(),
        manager_employee_id: worker.manager_employee_id.as_ref().map(|id| id.as_str()),
        employment_status: match worker.employment_status {
            EmploymentStatus::Active => wit::EmploymentStatus::Active,
            EmploymentStatus::Leave => wit::EmploymentStatus::Leave,
            EmploymentStatus::Terminated => wit::EmploymentStatus::Terminated,
        },
        leave_type: worker.leave_type.as_deref(),
        employment_type: worker.employment_type.as_deref(),
        hire_date: worker.hire_date.map(date),
        termination_date: worker.termination_date.map(date),
        time_zone: worker.time_zone.as_ref().map(|zone| zone.as_str()),
        mobile_phone: worker.mobile_phone.as_deref(),
        custom,
    }
}

fn date(date: Date) -> wit::Date {
    // jiff keeps months in 1..=12 and days in 1..=31, so the unsigned values are the same.
    wit::Date {
        year: date.year(),
        month: date.month().unsigned_abs(),
        day: date.day().unsigned_abs(),
    }
}

/// The size [`SandboxLimits::output_bytes`](super::SandboxLimits) limits: the bytes of every
/// string, plus 16 for every list entry.
pub(crate) fn desired_state_size(state: &wit::DesiredState) -> usize {
    let Some(account) = &state.account else {
        return 0;
    };
    let identities: usize = account
        .identities
        .iter()
        .map(|identity| ENTRY + identity.user_principal_name.len() + identity.mail_nickname.len())
        .sum();
    let attributes: usize = account
        .attributes
        .iter()
        .map(|attribute| {
            ENTRY + attribute.name.len() + attribute.value.as_ref().map_or(0, String::len)
        })
        .sum();
    let mailbox = account.mailbox.as_ref().map_or(0, |mailbox| {
        mailbox
            .full_access
            .iter()
            .map(|principal| ENTRY + principal_size(principal))
            .sum()
    });
    identities
        + attributes
        + mailbox
        + account.display_name.len()
        + account.manager_employee_id.as_ref().map_or(0, String::len)
        + groups_size(&account.groups)
        + strings_size(&account.licenses)
}

/// The size of a configuration summary, counted as [`desired_state_size`] counts.
pub(crate) fn managed_size(managed: &wit::Managed) -> usize {
    groups_size(&managed.groups) + strings_size(&managed.licenses)
}

/// What one list entry counts for besides its strings.
const ENTRY: usize = 16;

fn groups_size(groups: &[wit::GroupRef]) -> usize {
    groups.iter().map(|group| ENTRY + group.name.len()).sum()
}

fn strings_size(strings: &[String]) -> usize {
    strings.iter().map(|text| ENTRY + text.len()).sum()
}

fn principal_size(principal: &wit::Principal) -> usize {
    match principal {
        wit::Principal::Manager => 0,
        wit::Principal::Employee(id) => id.len(),
        wit::Principal::User(upn) => upn.len(),
    }
}

/// Takes a plugin's desired state; an attribute Tenure does not set is refused here, at the edge.
pub(crate) fn desired_state(state: wit::DesiredState) -> Result<DesiredState, PluginError> {
    Ok(DesiredState {
        phase: phase(state.phase),
        account: state.account.map(account).transpose()?,
    })
}

fn attribute(
    attribute: wit::Attribute,
) -> Result<(UserAttribute, Option<crate::SharedStr>), PluginError> {
    match UserAttribute::from_graph_name(&attribute.name) {
        Some(known) => Ok((known, attribute.value.as_deref().map(interned::share))),
        None => {
            let known: Vec<&str> = UserAttribute::ALL.iter().map(|a| a.graph_name()).collect();
            let mut name = attribute.name;
            name.truncate(name.floor_char_boundary(64));
            Err(PluginError::InvalidOutput {
                reason: format!(
                    "attribute {name:?} is not a user property Tenure sets (it sets: {})",
                    known.join(", ")
                ),
            })
        }
    }
}

fn phase(phase: wit::Phase) -> Phase {
    match phase {
        wit::Phase::NotYet => Phase::NotYet,
        wit::Phase::PreHire => Phase::PreHire,
        wit::Phase::Active => Phase::Active,
        wit::Phase::OnLeave => Phase::OnLeave,
        wit::Phase::Terminated => Phase::Terminated,
    }
}

fn account(account: wit::Account) -> Result<Account, PluginError> {
    Ok(Account {
        enabled: account.enabled,
        identities: account
            .identities
            .into_iter()
            .map(|identity| Identity {
                user_principal_name: identity.user_principal_name,
                mail_nickname: identity.mail_nickname,
            })
            .collect(),
        display_name: account.display_name,
        attributes: attributes(account.attributes)?,
        manager_employee_id: account.manager_employee_id,
        groups: groups(account.groups),
        licenses: account
            .licenses
            .iter()
            .map(|license| interned::share(license))
            .collect(),
        mailbox: account.mailbox.map(|mailbox| MailboxState {
            shared: mailbox.shared,
            hidden_from_address_lists: mailbox.hidden_from_address_lists,
            full_access: mailbox.full_access.into_iter().map(principal).collect(),
        }),
        on_disable: OnDisable {
            revoke_sessions: account.on_disable.revoke_sessions,
            scramble_password: account.on_disable.scramble_password,
        },
    })
}

/// The attributes, in a list of their own size. (Collected from the plugin's list in place, they
/// would keep its allocation, three times as large: 40 MB more for 100,000 workers.)
fn attributes(
    attributes: Vec<wit::Attribute>,
) -> Result<Vec<(UserAttribute, Option<crate::SharedStr>)>, PluginError> {
    let mut taken = Vec::with_capacity(attributes.len());
    for given in attributes {
        taken.push(attribute(given)?);
    }
    Ok(taken)
}

/// The groups, in a list of their own size (see [`attributes`]).
fn groups(groups: Vec<wit::GroupRef>) -> Vec<GroupRef> {
    let mut taken = Vec::with_capacity(groups.len());
    taken.extend(groups.into_iter().map(|group| GroupRef {
        kind: match group.kind {
            wit::GroupKind::Security => GroupKind::Security,
            wit::GroupKind::Microsoft365 => GroupKind::Microsoft365,
            wit::GroupKind::Distribution => GroupKind::Distribution,
            wit::GroupKind::MailEnabledSecurity => GroupKind::MailEnabledSecurity,
        },
        name: interned::share(&group.name),
    }));
    taken
}

fn principal(principal: wit::Principal) -> Principal {
    match principal {
        wit::Principal::Manager => Principal::Manager,
        wit::Principal::Employee(id) => Principal::Employee(id),
        wit::Principal::User(upn) => Principal::User(upn),
    }
}

/// Takes a plugin's configuration summary.
pub(crate) fn managed(managed: wit::Managed) -> Managed {
    Managed {
        groups: groups(managed.groups),
        licenses: managed.licenses,
    }
}

/// Takes a plugin's refusal.
pub(crate) fn mapping_error(error: wit::MappingError) -> MappingError {
    MappingError {
        field: error.field,
        message: error.message,
    }
}

/// The size of a plugin's refusal, counted as [`desired_state_size`] counts.
pub(crate) fn mapping_error_size(error: &wit::MappingError) -> usize {
    error.message.len() + error.field.as_ref().map_or(0, String::len)
}

#[cfg(test)]
mod tests {
    use super::{account, wit};

    #[test]
    fn an_answers_lists_are_kept_at_their_own_size_not_the_plugins() {
        let attribute = |name: &str| wit::Attribute {
            name: name.to_owned(),
            value: Some("Sales".to_owned()),
        };
        let group = |name: &str| wit::GroupRef {
            kind: wit::GroupKind::Security,
            name: name.to_owned(),
        };
        let answer = wit::Account {
            enabled: true,
            identities: Vec::new(),
            display_name: "Jane Doe".to_owned(),
            attributes: vec![
                attribute("department"),
                attribute("jobTitle"),
                attribute("city"),
            ],
            manager_employee_id: None,
            groups: vec![group("All Staff"), group("Sales")],
            licenses: Vec::new(),
            mailbox: None,
            on_disable: wit::OnDisable {
                revoke_sessions: true,
                scramble_password: false,
            },
        };
        let taken = account(answer).expect("a valid answer");
        assert_eq!(taken.attributes.len(), 3);
        assert_eq!(taken.attributes.capacity(), 3);
        assert_eq!(taken.groups.len(), 2);
        assert_eq!(taken.groups.capacity(), 2);
    }
}
