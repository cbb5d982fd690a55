//! Builders shared by the engine tests.

use std::sync::Arc;

use tenure::desired::{
    Account, DesiredState, GroupKind, GroupRef, Identity, MailboxState, OnDisable, Phase,
};
use tenure::directory::{
    DirectoryGroup, DirectoryUser, Snapshot, SubscribedSku, Tenant, UserAttribute,
};
use tenure::hr::{HrBatch, read_csv};

pub(crate) const E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";

pub(crate) fn csv(text: &str) -> HrBatch {
    read_csv(text.as_bytes(), Arc::from("hr.csv")).expect("the header is valid")
}

pub(crate) fn reasons(batch: &HrBatch) -> Vec<(u64, String)> {
    batch
        .quarantined
        .iter()
        .map(|q| (q.source.line, q.reason.clone()))
        .collect()
}

pub(crate) fn tenant() -> Snapshot {
    let group = |id: &str, name: &str, kind: GroupKind| DirectoryGroup {
        id: id.into(),
        display_name: name.into(),
        mail: kind
            .is_exchange_managed()
            .then(|| format!("{}@contoso.com", name.to_lowercase())),
        mail_nickname: None,
        proxy_addresses: vec![],
        group_types: if kind == GroupKind::Microsoft365 {
            vec!["Unified".into()]
        } else {
            vec![]
        },
        security_enabled: matches!(kind, GroupKind::Security | GroupKind::MailEnabledSecurity),
        mail_enabled: !matches!(kind, GroupKind::Security),
        members: vec![],
    };
    Snapshot {
        tenant: Tenant {
            id: Some("t".into()),
            verified_domains: vec!["contoso.com".into()],
        },
        subscribed_skus: vec![SubscribedSku {
            sku_id: E3.into(),
            sku_part_number: "ENTERPRISEPACK".into(),
            service_plans: vec![],
        }],
        groups: vec![
            group("g-eng", "Engineering", GroupKind::Security),
            group("g-sales", "Sales", GroupKind::Security),
            group("g-dl", "Everyone", GroupKind::Distribution),
            group("g-club", "Book Club", GroupKind::Security),
        ],
        ..Snapshot::default()
    }
}

pub(crate) fn user(id: &str, employee_id: &str, upn: &str) -> DirectoryUser {
    DirectoryUser {
        id: id.into(),
        user_principal_name: upn.into(),
        employee_id: Some(employee_id.into()),
        account_enabled: true,
        display_name: Some(upn.split('@').next().unwrap_or_default().into()),
        mail_nickname: Some(upn.split('@').next().unwrap_or_default().into()),
        usage_location: Some("US".into()),
        ..DirectoryUser::default()
    }
}

pub(crate) fn group(kind: GroupKind, name: &str) -> GroupRef {
    GroupRef {
        kind,
        name: name.into(),
    }
}

/// An active worker's desired account, named after `local`.
pub(crate) fn active(local: &str, display: &str) -> DesiredState {
    DesiredState {
        phase: Phase::Active,
        account: Some(Account {
            enabled: true,
            identities: vec![
                Identity {
                    user_principal_name: format!("{local}@contoso.com"),
                    mail_nickname: local.into(),
                },
                Identity {
                    user_principal_name: format!("{local}2@contoso.com"),
                    mail_nickname: format!("{local}2"),
                },
            ],
            display_name: display.into(),
            attributes: vec![(UserAttribute::UsageLocation, Some("US".into()))],
            manager_employee_id: None,
            groups: vec![],
            licenses: vec![],
            mailbox: Some(MailboxState {
                shared: false,
                hidden_from_address_lists: false,
                full_access: vec![],
            }),
            on_disable: OnDisable::default(),
        }),
    }
}

/// A leaver's desired account: everything taken away, mailbox kept for the manager.
pub(crate) fn leaver(display: &str) -> DesiredState {
    let mut state = active("unused", display);
    state.phase = Phase::Terminated;
    if let Some(account) = state.account.as_mut() {
        account.enabled = false;
        account.on_disable = OnDisable {
            revoke_sessions: true,
            scramble_password: true,
        };
        account.mailbox = Some(MailboxState {
            shared: true,
            hidden_from_address_lists: true,
            full_access: vec![tenure::desired::Principal::Manager],
        });
    }
    state
}

/// The sample data folder.
pub(crate) fn samples() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samplesdata")
}

/// The sample tenant.
pub(crate) fn sample_directory() -> Snapshot {
    Snapshot::read(&samples().join("directory.json")).expect("sample tenant")
}

/// The sample company planned against `directory` on 2026-12-01 with the standard mapper.
pub(crate) fn plan_samples(directory: &Snapshot) -> tenure::plan::Plan {
    use tenure::plugin::{PluginHost, STANDARD_MAPPER, SandboxLimits};
    let host = PluginHost::new(SandboxLimits::default(), None).expect("engine");
    let plugin = host
        .load(STANDARD_MAPPER)
        .expect("the standard mapper loads");
    let config = std::fs::read_to_string(samples().join("mapper.json")).expect("config");
    tenure::pipeline::plan(tenure::pipeline::PlanRequest {
        hr: tenure::hr::read_file(&samples().join("company.csv")).expect("hr"),
        directory,
        plugin: &plugin,
        plugin_config: &config,
        today: tenure::today::Today::parse("2026-12-01").expect("date"),
        guard: tenure::guard::GuardPolicy::default(),
        first_day_delivered: Default::default(),
    })
    .expect("plans")
}
