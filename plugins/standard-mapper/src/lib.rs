//! Tenure's standard mapping plugin: a WebAssembly component that maps an HR worker to the state of
//! their Entra ID account and Exchange Online mailbox, driven by a JSON configuration rather than code.
//!
//! The configuration format is documented in this crate's README. The code is plain Rust, tested
//! natively; only this file knows about the component model:
//!
//! - `config`: reads and checks the JSON once, into the parsed pieces below;
//! - `template`, `fields`, `fold`: placeholders, how worker fields are read, how names are folded;
//! - `identity`, `attributes`, `rules`: candidate UPNs, Graph properties, groups and licenses;
//! - `lifecycle`: the phase on a given day, and the leave and leaver policies;
//! - `desired`: one worker's desired state from all of the above;
//! - `cache`: the parsed configuration kept between calls.

mod attributes;
mod cache;
mod config;
mod desired;
mod error;
mod fields;
mod fold;
mod identity;
mod lifecycle;
mod rules;
mod template;

#[allow(unsafe_code, unreachable_pub, missing_docs)]
mod bindings {
    wit_bindgen::generate!({ path: "../wit", world: "plugin", additional_derives: [PartialEq, Eq] });

    // Only a component exports the functions: their names (`tenure:mapper/mapping@1.1.0#map`) are
    // not symbols a native linker accepts, and native builds exist to run the tests.
    #[cfg(target_arch = "wasm32")]
    use super::StandardMapper;
    #[cfg(target_arch = "wasm32")]
    export!(StandardMapper);
}

/// The component's allocator: a bump allocator that never frees. Tenure gives every call a fresh
/// instance that is thrown away with its memory afterwards (one batch of workers, or one
/// configuration check), so freeing inside it is wasted work: with the standard library's
/// allocator, allocating and freeing was half the instructions of mapping a worker. Memory grows
/// by what one call allocates (a few KiB per worker), well within the sandbox's limit; a call that
/// went past it would fail and its workers be mapped again one by one.
#[cfg(target_arch = "wasm32")]
#[allow(
    unsafe_code,
    reason = "a global allocator is an unsafe trait; the component is single-threaded"
)]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::LeakingAllocator> =
    // SAFETY: a wasm32-wasip2 component has one thread.
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::LeakingAllocator::new()) };

use bindings::exports::tenure::mapper::mapping::Guest;
use bindings::tenure::mapper::types;
use types::{BatchItem, Context, DesiredState, Managed, MappingError, Worker};

/// The component's implementation of `tenure:mapper/mapping`.
#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(dead_code, reason = "exported only from the component")
)]
struct StandardMapper;

impl Guest for StandardMapper {
    fn validate_config(config: String, domains: Vec<String>) -> Result<Managed, MappingError> {
        cache::config(&config, &domains)
            .as_ref()
            .as_ref()
            .map(config::Config::managed)
            .map_err(Clone::clone)
    }

    fn map(worker: Worker, context: Context) -> Result<DesiredState, MappingError> {
        let config = cache::config(&context.config, &context.domains);
        let config = config.as_ref().as_ref().map_err(Clone::clone)?;
        desired::map(config, &worker, context.today, context.has_account)
    }

    fn map_batch(
        items: Vec<BatchItem>,
        domains: Vec<String>,
        config: String,
    ) -> Vec<Result<DesiredState, MappingError>> {
        let config = cache::config(&config, &domains);
        items
            .iter()
            .map(|item| match config.as_ref() {
                Ok(config) => desired::map(config, &item.worker, item.today, item.has_account),
                Err(refusal) => Err(refusal.clone()),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    //! The exported functions, called as the host calls them.

    use super::*;
    use types::{Date, EmploymentStatus, GroupKind, GroupRef, Phase};

    const CONFIG: &str = r#"{"upn_domain": "contoso.com",
        "rules": [{"security_groups": ["All Staff"], "licenses": ["ENTERPRISEPACK"]}]}"#;
    const TODAY: Date = Date {
        year: 2025,
        month: 3,
        day: 10,
    };

    fn domains() -> Vec<String> {
        vec!["contoso.com".into()]
    }

    fn worker(employee_id: &str, first: &str, last: &str) -> Worker {
        let mut worker = fields::tests::worker(employee_id);
        worker.first_name = Some(first.into());
        worker.last_name = Some(last.into());
        worker
    }

    #[test]
    fn validate_config_says_what_is_managed() -> Result<(), MappingError> {
        let managed = StandardMapper::validate_config(CONFIG.into(), domains())?;
        let all_staff = GroupRef {
            kind: GroupKind::Security,
            name: "All Staff".into(),
        };
        assert_eq!(
            managed,
            Managed {
                groups: vec![all_staff],
                licenses: vec!["ENTERPRISEPACK".into()]
            }
        );
        Ok(())
    }

    #[test]
    fn validate_config_refuses_with_the_path() {
        let refusal = StandardMapper::validate_config(
            r#"{"upn_domain": "contoso.com", "prehire_days": 999}"#.into(),
            domains(),
        );
        assert_eq!(
            refusal.err().and_then(|e| e.field).as_deref(),
            Some("prehire_days")
        );
    }

    #[test]
    fn map_maps_one_worker() -> Result<(), MappingError> {
        let context = Context {
            today: TODAY,
            has_account: false,
            domains: domains(),
            config: CONFIG.into(),
        };
        let state = StandardMapper::map(worker("1", "Jane", "Doe"), context)?;
        assert_eq!(state.phase, Phase::Active);
        let upn = state
            .account
            .map(|a| a.identities[0].user_principal_name.clone());
        assert_eq!(upn.as_deref(), Some("jane.doe@contoso.com"));
        Ok(())
    }

    #[test]
    fn map_batch_answers_every_item_in_order_each_on_its_own_day() {
        let mut leaver = worker("3", "Gone", "Soon");
        leaver.employment_status = EmploymentStatus::Terminated;
        leaver.termination_date = Some(TODAY);
        let items = vec![
            BatchItem {
                worker: worker("1", "Jane", "Doe"),
                today: TODAY,
                has_account: false,
            },
            BatchItem {
                worker: worker("2", "", ""),
                today: TODAY,
                has_account: false,
            },
            BatchItem {
                worker: leaver.clone(),
                today: TODAY,
                has_account: false,
            },
            BatchItem {
                worker: leaver,
                today: Date {
                    year: 2025,
                    month: 3,
                    day: 11,
                },
                has_account: true,
            },
        ];
        let answers = StandardMapper::map_batch(items, domains(), CONFIG.into());
        let phases: Vec<Option<Phase>> = answers
            .iter()
            .map(|a| a.as_ref().ok().map(|s| s.phase))
            .collect();
        assert_eq!(
            phases,
            [
                Some(Phase::Active),
                None,
                Some(Phase::Active),
                Some(Phase::Terminated)
            ]
        );
        let refusal = answers[1].as_ref().err().and_then(|e| e.field.as_deref());
        assert_eq!(refusal, Some("identity_patterns"));
    }

    #[test]
    fn map_batch_with_a_bad_configuration_refuses_every_item() {
        let items = vec![
            BatchItem {
                worker: worker("1", "Jane", "Doe"),
                today: TODAY,
                has_account: false,
            },
            BatchItem {
                worker: worker("2", "John", "Roe"),
                today: TODAY,
                has_account: false,
            },
        ];
        let answers = StandardMapper::map_batch(items, vec!["fabrikam.com".into()], CONFIG.into());
        assert_eq!(answers.len(), 2);
        for answer in answers {
            assert_eq!(
                answer.err().and_then(|e| e.field).as_deref(),
                Some("upn_domain")
            );
        }
    }
}
