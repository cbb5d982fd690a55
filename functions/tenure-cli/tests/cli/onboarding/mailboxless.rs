//! A rule that gives a distribution list to workers who will never have a mailbox (their
//! license has no Exchange Online plan) is a configuration problem: one warning, no action,
//! and the tenant settles.

use tenure::directory::{DirectoryGroup, Snapshot, SubscribedSku, Tenant};

use super::harness::{Onboarding, hr_row, users_of};

const POWER_BI_PRO: &str = "f8a1db68-be16-40ed-86d5-cb42ce701560";

const CONFIG: &str = r#"{
  "upn_domain": "contoso.com",
  "rules": [{"description": "Everyone", "when": {}, "licenses": ["POWER_BI_PRO"],
             "distribution_lists": ["all-staff@contoso.com"]}]
}"#;

fn tenant() -> Snapshot {
    Snapshot {
        tenant: Tenant {
            id: Some("7b3e5d2f-4c6e-4f80-9bac-1d2e3f4a5b6c".into()),
            verified_domains: vec!["contoso.com".into()],
        },
        // Power BI Pro's plans (the emulated tenant lists Microsoft's) include Exchange
        // Foundation, which gives no mailbox.
        subscribed_skus: vec![SubscribedSku {
            sku_id: POWER_BI_PRO.into(),
            sku_part_number: "POWER_BI_PRO".into(),
            service_plans: Vec::new(),
        }],
        groups: vec![DirectoryGroup {
            id: "0000bbbb-0000-4000-8000-000000000003".into(),
            display_name: "All Staff".into(),
            mail: Some("all-staff@contoso.com".into()),
            mail_nickname: Some("all-staff".into()),
            proxy_addresses: vec!["SMTP:all-staff@contoso.com".into()],
            group_types: Vec::new(),
            security_enabled: false,
            mail_enabled: true,
            members: Vec::new(),
        }],
        ..Snapshot::default()
    }
}

#[tokio::test]
async fn a_list_without_a_mailbox_coming_is_one_warning_and_no_action() {
    let hr = vec![
        hr_row("3001", ("Ivy", "Stone", ""), "", "Sales", "", ""),
        hr_row("3002", ("Jon", "Reed", ""), "", "Sales", "", ""),
    ];
    let run = Onboarding::start(tenant(), &hr, CONFIG).await;
    let first = run.sync().await;
    assert!(first.contains("Configuration warnings (1)"), "{first}");
    assert!(
        first.contains("rules[0] (Everyone): the rules give the distribution list \"all-staff@contoso.com\" to 2 workers without a mailbox"),
        "{first}"
    );
    assert!(!first.contains("add to distribution group"), "{first}");
    let state = run.state();
    assert_eq!(users_of(&state, "3001").len(), 1);
    assert!(state.mailboxes.is_empty(), "Power BI Pro brings no mailbox");
    assert!(state.groups[0].members.is_empty());
    let second = run.sync().await;
    assert!(second.contains("Nothing to apply"), "{second}");
    assert!(second.contains("Configuration warnings (1)"), "{second}");
}
