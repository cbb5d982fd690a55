//! A new account's name must be free everywhere mail can go: not another user's proxy
//! address, not a group's address, not a deleted user's. And a name longer than Microsoft
//! allows is shortened, still unique.

use tenure::directory::{DirectoryGroup, Snapshot, SubscribedSku, Tenant};

use super::harness::{Onboarding, account, hr_row, users_of};

const CONFIG: &str = r#"{"upn_domain": "contoso.com"}"#;

/// A first name and a surname that fold to a 70-character local part.
const LONG_FIRST: &str = "Bartolomeo-Alexander";
const LONG_LAST: &str = "Papadopoulos-Konstantinidis-Vanderbilt-Montgomery";

fn tenant() -> Snapshot {
    // Each account belongs to someone HR does not list, so none of them is matched.
    let owner = |n: u32, upn: &str| {
        let mut user = account(n, upn, "Someone", "Else");
        user.employee_id = Some(format!("90{n:02}"));
        user
    };
    let mut proxy = owner(1, "a.lee@contoso.com");
    proxy.proxy_addresses = vec![
        "SMTP:a.lee@contoso.com".into(),
        "smtp:ann.lee@contoso.com".into(),
    ];
    let mut deleted = owner(2, "cy.diaz@contoso.com");
    deleted.mail = Some("cy.diaz@contoso.com".into());
    let long = owner(
        3,
        "bartolomeo-alexander.papadopoulos-konstantinidis-vanderbilt@contoso.com",
    );
    Snapshot {
        tenant: Tenant {
            id: Some("6a2f4c1e-3b5d-4e7f-8a9b-0c1d2e3f4a5b".into()),
            verified_domains: vec!["contoso.com".into()],
        },
        subscribed_skus: vec![SubscribedSku {
            sku_id: "6fd2c87f-b296-42f0-b197-1e91e994b900".into(),
            sku_part_number: "ENTERPRISEPACK".into(),
            service_plans: Vec::new(),
        }],
        users: vec![proxy, long],
        groups: vec![DirectoryGroup {
            id: "0000bbbb-0000-4000-8000-000000000002".into(),
            display_name: "Bo Chan's list".into(),
            mail: Some("bo.chan@contoso.com".into()),
            mail_nickname: Some("bochanlist".into()),
            proxy_addresses: vec!["SMTP:bo.chan@contoso.com".into()],
            group_types: Vec::new(),
            security_enabled: false,
            mail_enabled: true,
            members: Vec::new(),
        }],
        deleted_users: vec![deleted],
        ..Snapshot::default()
    }
}

#[tokio::test]
async fn a_taken_address_anywhere_moves_a_new_hire_to_the_next_candidate() {
    let hr = vec![
        hr_row("2001", ("Ann", "Lee", ""), "", "Sales", "", ""),
        hr_row("2002", ("Bo", "Chan", ""), "", "Sales", "", ""),
        hr_row("2003", ("Cy", "Diaz", ""), "", "Sales", "", ""),
        hr_row("2004", (LONG_FIRST, LONG_LAST, ""), "", "Sales", "", ""),
    ];
    let run = Onboarding::start(tenant(), &hr, CONFIG).await;
    let first = run.sync().await;
    let state = run.state();
    let upn = |id: &str| {
        let users = users_of(&state, id);
        assert_eq!(users.len(), 1, "worker {id} has one account:\n{first}");
        users[0].user_principal_name.clone()
    };
    // Another user's proxy address, a group's mail, a deleted user's address: all taken.
    assert_eq!(upn("2001"), "ann.lee2@contoso.com");
    assert_eq!(upn("2002"), "bo.chan2@contoso.com");
    assert_eq!(upn("2003"), "cy.diaz2@contoso.com");
    // 70 characters, shortened at a word boundary to fit 64, and the shortened name is taken
    // too: the next candidate keeps its number.
    let long = upn("2004");
    assert_eq!(
        long,
        "bartolomeo-alexander.papadopoulos-konstantinidis-vanderbilt2@contoso.com"
    );
    let local = long.split('@').next().unwrap_or_default();
    assert!(local.len() <= 64);
    let nickname = users_of(&state, "2004")[0].mail_nickname.clone();
    assert_eq!(nickname.as_deref(), Some(local));
    assert!(
        first.contains("so it is shortened"),
        "the plan says the name was shortened:\n{first}"
    );
    let second = run.sync().await;
    assert!(second.contains("Nothing to apply"), "{second}");
}
