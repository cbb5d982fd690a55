//! A well-behaved test plugin that misbehaves on purpose for a few employee ids.
//!
//! Every worker maps to an active account `<employee-id>@<first domain>`, except these ids:
//! `loop` spins forever, `panic` panics, `trap` executes `unreachable`, `grow` allocates without
//! end, `huge` answers with a 1 MiB desired state, `refuse` returns the
//! plugin's own mapping error, `file` reads `/etc/passwd`, `sleep` sleeps for an hour, `exit`
//! exits with status 3, and `env` reports the environment it sees (names and values) and its
//! arguments as attributes. `leak` writes the worker's names, title and department to stderr
//! and panics with them; `leak-answer` answers with an attribute named after the worker's last
//! name (which breaks the contract), so that a host's error would quote it.
//! A configuration containing `"refuse"` is refused by `validate-config`.

wit_bindgen::generate!({ path: "../../wit", world: "plugin" });

use exports::tenure::mapper::mapping::Guest;
use tenure::mapper::types::{
    Account, BatchItem, Context, DesiredState, GroupKind, GroupRef, Identity, Managed,
    MappingError, OnDisable, Phase, Worker,
};

struct Echo;

impl Guest for Echo {
    fn validate_config(config: String, _domains: Vec<String>) -> Result<Managed, MappingError> {
        if config.contains("\"refuse\"") {
            return Err(MappingError {
                field: Some("refuse".into()),
                message: "this configuration is refused on purpose".into(),
            });
        }
        Ok(Managed {
            groups: vec![GroupRef {
                kind: GroupKind::Security,
                name: "Everyone".into(),
            }],
            licenses: vec!["ENTERPRISEPACK".into()],
        })
    }

    fn map(worker: Worker, context: Context) -> Result<DesiredState, MappingError> {
        map_one(worker, &context.domains)
    }

    fn map_batch(
        items: Vec<BatchItem>,
        domains: Vec<String>,
        _config: String,
    ) -> Vec<Result<DesiredState, MappingError>> {
        items
            .into_iter()
            .map(|item| map_one(item.worker, &domains))
            .collect()
    }
}

fn map_one(worker: Worker, domains: &[String]) -> Result<DesiredState, MappingError> {
    let id = worker.employee_id;
    let mut attributes = Vec::new();
    match id.as_str() {
        "loop" => spin(),
        "panic" => panic!("the echo plugin panics on purpose"),
        "trap" => core::arch::wasm32::unreachable(),
        "grow" => grow(),
        "huge" => return Ok(huge(&id)),
        "refuse" => {
            return Err(MappingError {
                field: Some("employee_id".into()),
                message: "this worker is refused on purpose".into(),
            });
        }
        "file" => {
            let text = std::fs::read_to_string("/etc/passwd").map_err(|error| MappingError {
                field: None,
                message: error.to_string(),
            })?;
            attributes.push(("jobTitle".into(), Some(text)));
        }
        "odd-attribute" => attributes.push(("favouriteColour".into(), Some("blue".into()))),
        "leak" => {
            let said = format!(
                "{} {} {} {}",
                worker.first_name.unwrap_or_default(),
                worker.last_name.unwrap_or_default(),
                worker.job_title.unwrap_or_default(),
                worker.department.unwrap_or_default()
            );
            eprintln!("leaking {said}");
            panic!("leaking {said}");
        }
        "leak-answer" => attributes.push((worker.last_name.unwrap_or_default(), Some("x".into()))),
        "sleep" => std::thread::sleep(std::time::Duration::from_secs(3600)),
        "exit" => std::process::exit(3),
        "env" => {
            // What the plugin sees of the environment, reported through a property Tenure accepts.
            let vars: Vec<String> = std::env::vars()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            let args: Vec<String> = std::env::args().collect();
            attributes.push((
                "jobTitle".into(),
                Some(format!(
                    "vars=[{}] args=[{}]",
                    vars.join(" "),
                    args.join(" ")
                )),
            ));
        }
        _ => {}
    }
    let domain = domains.first().map(String::as_str).unwrap_or("example.com");
    Ok(account(&id, domain, attributes))
}

fn account(id: &str, domain: &str, attributes: Vec<(String, Option<String>)>) -> DesiredState {
    DesiredState {
        phase: Phase::Active,
        account: Some(Account {
            enabled: true,
            identities: vec![Identity {
                user_principal_name: format!("{id}@{domain}"),
                mail_nickname: id.to_owned(),
            }],
            display_name: id.to_owned(),
            attributes: attributes
                .into_iter()
                .map(|(name, value)| tenure::mapper::types::Attribute { name, value })
                .collect(),
            manager_employee_id: None,
            groups: vec![GroupRef {
                kind: GroupKind::Security,
                name: "Everyone".into(),
            }],
            licenses: vec!["ENTERPRISEPACK".into()],
            mailbox: None,
            on_disable: OnDisable {
                revoke_sessions: true,
                scramble_password: true,
            },
        }),
    }
}

/// Spins without end, in a way the optimiser cannot remove.
fn spin() -> ! {
    let mut counter: u64 = 0;
    loop {
        counter = std::hint::black_box(counter.wrapping_add(1));
    }
}

/// Reserves memory in large blocks until something stops it (cheap in fuel: nothing is touched).
fn grow() -> ! {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(Vec::with_capacity(8 << 20));
        std::hint::black_box(&hoard);
    }
}

/// About 1 MiB of group names: within memory limits, beyond any sane output limit.
fn huge(id: &str) -> DesiredState {
    let mut state = account(id, "example.com", Vec::new());
    if let Some(account) = state.account.as_mut() {
        let name = "g".repeat(1024);
        account.groups = vec![
            GroupRef {
                kind: GroupKind::Security,
                name
            };
            1024
        ];
    }
    state
}

export!(Echo);
