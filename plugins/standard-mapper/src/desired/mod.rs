//! One worker's desired state: the phase, and for every phase but not-yet the account with its
//! identities, names, attributes, memberships, licenses and mailbox as the configuration says.

use crate::config::Config;
use crate::error::{in_words, is_are};
use crate::fields;
use crate::lifecycle;
use crate::rules::Grants;
use crate::types::{
    Account, Attribute, Date, DesiredState, Mailbox, MappingError, OnDisable, Phase, Principal,
    Worker,
};

/// Maps a worker on `today` (a date in the worker's time zone). A worker who already has an
/// account needs no identity candidates: they are only used to create one.
pub(crate) fn map(
    config: &Config,
    worker: &Worker,
    today: Date,
    has_account: bool,
) -> Result<DesiredState, MappingError> {
    let phase = lifecycle::phase(worker, today, config.prehire_days);
    if phase == Phase::NotYet {
        return Ok(DesiredState {
            phase,
            account: None,
        });
    }
    let identities = if has_account {
        Vec::new()
    } else {
        config
            .identities
            .candidates(worker)
            .map_err(|message| MappingError::at("identity_patterns", message))?
    };
    let display_name = display_name(config, worker)?;
    let attributes = attributes(config, worker)?;
    let Grants { groups, licenses } = config.rules.grants(worker);
    let working = Some(Mailbox {
        shared: false,
        hidden_from_address_lists: false,
        full_access: Vec::new(),
    });
    let nothing_on_disable = OnDisable {
        revoke_sessions: false,
        scramble_password: false,
    };
    let mut account = Account {
        enabled: true,
        identities,
        display_name,
        attributes,
        manager_employee_id: fields::text(&worker.manager_employee_id).map(str::to_owned),
        groups,
        licenses,
        mailbox: working,
        on_disable: nothing_on_disable,
    };
    match phase {
        Phase::NotYet | Phase::Active => {}
        Phase::PreHire => account.enabled = false,
        Phase::OnLeave => {
            let policy = config.leave.for_type(fields::text(&worker.leave_type));
            account.enabled = !policy.disable;
            account.on_disable = OnDisable {
                revoke_sessions: policy.revoke_sessions,
                scramble_password: false,
            };
        }
        Phase::Terminated => {
            let leaver = &config.leaver;
            account.enabled = !leaver.disable;
            account.on_disable = leaver.on_disable;
            if leaver.remove_groups {
                account.groups.clear();
            }
            if leaver.remove_licenses {
                account.licenses.clear();
            }
            // "The manager" means nobody for a worker without one.
            let has_manager = account.manager_employee_id.is_some();
            account.mailbox = Some(Mailbox {
                shared: leaver.convert_mailbox_to_shared,
                hidden_from_address_lists: leaver.hide_from_address_list,
                full_access: leaver
                    .full_access
                    .iter()
                    .filter(|who| has_manager || **who != Principal::Manager)
                    .cloned()
                    .collect(),
            });
        }
    }
    Ok(DesiredState {
        phase,
        account: Some(account),
    })
}

/// The first display name template the worker has every value for.
fn display_name(config: &Config, worker: &Worker) -> Result<String, MappingError> {
    let mut missing = Vec::new();
    for template in &config.display_name {
        match template.render(worker) {
            Ok(name) if !name.trim().is_empty() => return Ok(name.trim().to_owned()),
            Ok(_) => {}
            Err(placeholder) => {
                let what = placeholder.describe();
                if !missing.contains(&what) {
                    missing.push(what);
                }
            }
        }
    }
    let reason = if missing.is_empty() {
        "every template comes out empty".to_owned()
    } else {
        format!("{} {} missing", in_words(&missing), is_are(&missing))
    };
    Err(MappingError::at(
        "display_name",
        format!(
            "no display name could be made for worker {}: {reason}",
            worker.employee_id.trim()
        ),
    ))
}

fn attributes(config: &Config, worker: &Worker) -> Result<Vec<Attribute>, MappingError> {
    config
        .attributes
        .iter()
        .map(|attribute| {
            attribute.render(worker).map_err(|message| {
                MappingError::at(format!("attributes.{}", attribute.name()), message)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
