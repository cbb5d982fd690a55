//! A tenant of 40 accounts without an `employeeId` (one of them deleted), connected for the
//! first time: no worker with a certain or probable match gets a second account, certain matches
//! are adopted (as configured), probable and ambiguous ones are held until a reviewer confirms
//! them, the returning worker's deleted account is restored, and accounts nobody matched are
//! left exactly as they were.

use serde_json::Value;
use tenure::directory::{
    DirectoryGroup, DirectoryUser, Mailbox, MailboxType, ObjectRef, Snapshot, SubscribedSku, Tenant,
};

use super::harness::{Onboarding, account, hr_row, user, users_of};

const E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";

/// (employee id, given name, surname): workers whose account has exactly the UPN Tenure would
/// give them.
const SAME_UPN: [(&str, &str, &str); 12] = [
    ("1001", "Amy", "Adams"),
    ("1002", "Brian", "Baker"),
    ("1003", "Cathy", "Cole"),
    ("1004", "Derek", "Diaz"),
    ("1005", "Erin", "Evans"),
    ("1006", "Frank", "Fox"),
    ("1007", "Gina", "Gray"),
    ("1008", "Hugo", "Hall"),
    ("1009", "Iris", "Irwin"),
    ("1010", "Jack", "Jones"),
    ("1011", "Kate", "King"),
    ("1012", "Leo", "Lane"),
];

/// Workers whose account has another UPN but their address as `mail`: (id, given, surname, UPN).
const SAME_MAIL: [(&str, &str, &str, &str); 4] = [
    ("1013", "Mia", "Moore", "mmoore@contoso.com"),
    ("1014", "Ned", "Nash", "nnash@contoso.com"),
    ("1015", "Olga", "Ortiz", "oortiz@contoso.com"),
    ("1016", "Paul", "Price", "pprice@contoso.com"),
];

/// Accounts no worker is: service accounts, rooms, a former contractor.
const NOBODY: [(&str, &str, &str); 14] = [
    ("admin@contoso.onmicrosoft.com", "Tenant", "Admin"),
    ("svc-backup@contoso.com", "Backup", "Service"),
    ("svc-sync@contoso.com", "Sync", "Service"),
    ("scanner@contoso.com", "Scanner", ""),
    ("room-101@contoso.com", "Room", "101"),
    ("room-102@contoso.com", "Room", "102"),
    ("it-archive@contoso.com", "IT", "Archive"),
    ("helpdesk@contoso.com", "Help", "Desk"),
    ("reception@contoso.com", "Reception", ""),
    ("printer@contoso.com", "Printer", ""),
    ("teams-bot@contoso.com", "Teams", "Bot"),
    ("tom.hardy@contoso.com", "Tom", "Hardy"),
    ("test.user@contoso.com", "Test", "User"),
    ("conference@contoso.com", "Conference", "Line"),
];

fn with_department(mut user: DirectoryUser, department: &str) -> DirectoryUser {
    user.department = Some(department.into());
    user
}

fn upn_of(given: &str, surname: &str) -> String {
    format!(
        "{}.{}@contoso.com",
        given.to_lowercase(),
        surname.to_lowercase()
    )
}

/// The tenant before Tenure: 39 accounts and one deleted one, none with an `employeeId` but the
/// deleted former employee's.
fn tenant() -> Snapshot {
    let mut users = Vec::new();
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    for (_, given, surname) in SAME_UPN {
        users.push(account(next(), &upn_of(given, surname), given, surname));
    }
    let amy = users[0].id.clone();
    for (_, given, surname, upn) in SAME_MAIL {
        let mut user = account(next(), upn, given, surname);
        user.mail = Some(upn_of(given, surname).into());
        users.push(user);
    }
    let mut bruce = account(next(), "bwong@contoso.com", "Bruce", "Wong");
    bruce.mail = Some("bwong@contoso.com".into());
    bruce.proxy_addresses = vec![
        "SMTP:bwong@contoso.com".into(),
        "smtp:bruce.wong@contoso.com".into(),
    ];
    users.push(bruce);
    // Carla married since: HR says Smith, the account still Jones.
    let mut carla = with_department(
        account(next(), "carla.jones@contoso.com", "Carla", "Jones"),
        "Finance",
    );
    carla.manager = Some(ObjectRef { id: amy.clone() });
    carla.mobile_phone = Some("+1 206 555 0118".into());
    users.push(carla);
    // Bob in HR (his preferred name), Robert in the directory.
    users.push(with_department(
        account(next(), "rmiller@contoso.com", "Robert", "Miller"),
        "Sales",
    ));
    // Müller in HR, spelt Mueller in the directory.
    users.push(with_department(
        account(next(), "jose.mueller@contoso.com", "Jose", "Mueller"),
        "Engineering",
    ));
    // Two Alex Kims, told apart by their departments.
    users.push(with_department(
        account(next(), "alex.kim@contoso.com", "Alex", "Kim"),
        "Sales",
    ));
    users.push(with_department(
        account(next(), "alex.kim2@contoso.com", "Alex", "Kim"),
        "Engineering",
    ));
    // Two accounts that could both be Sam Patel.
    users.push(with_department(
        account(next(), "spatel@contoso.com", "Sam", "Patel"),
        "Finance",
    ));
    users.push(with_department(
        account(next(), "sam.patel.finance@contoso.com", "Sam", "Patel"),
        "Finance",
    ));
    let support = account(next(), "support@contoso.com", "Support", "Desk");
    let support_id = support.id.clone();
    users.push(support);
    for (upn, given, surname) in NOBODY {
        users.push(account(next(), upn, given, surname));
    }
    let mut dana = account(next(), "dana.white@contoso.com", "Dana", "White");
    dana.employee_id = Some("1024".into());
    dana.account_enabled = false;
    dana.usage_location = Some("US".into());
    Snapshot {
        tenant: Tenant {
            id: Some("4c7e0a51-8d1f-4c36-9e52-0b6a1d2f3e4c".into()),
            verified_domains: vec!["contoso.com".into(), "contoso.onmicrosoft.com".into()],
        },
        subscribed_skus: vec![SubscribedSku {
            sku_id: E3.into(),
            sku_part_number: "ENTERPRISEPACK".into(),
            service_plans: Vec::new(),
        }],
        groups: vec![DirectoryGroup {
            id: "0000bbbb-0000-4000-8000-000000000001".into(),
            display_name: "All Staff".into(),
            mail: None,
            mail_nickname: None,
            proxy_addresses: Vec::new(),
            group_types: Vec::new(),
            security_enabled: true,
            mail_enabled: false,
            members: Vec::new(),
        }],
        mailboxes: vec![Mailbox {
            external_directory_object_id: support_id,
            user_principal_name: "support@contoso.com".into(),
            recipient_type_details: MailboxType::SharedMailbox,
            hidden_from_address_lists_enabled: false,
            full_access: Vec::new(),
        }],
        users,
        deleted_users: vec![dana],
    }
}

fn hr() -> Vec<String> {
    let mut rows = Vec::new();
    for (id, given, surname) in SAME_UPN {
        let manager = if id == "1001" { "" } else { "1001" };
        rows.push(hr_row(
            id,
            (given, surname, ""),
            "",
            "Operations",
            manager,
            "",
        ));
    }
    for (id, given, surname, _) in SAME_MAIL {
        rows.push(hr_row(
            id,
            (given, surname, ""),
            "",
            "Operations",
            "1001",
            "",
        ));
    }
    rows.push(hr_row(
        "1017",
        ("Bruce", "Wong", ""),
        "",
        "Operations",
        "1001",
        "",
    ));
    rows.push(hr_row(
        "1018",
        ("Carla", "Smith", ""),
        "",
        "Finance",
        "1001",
        "+1 (206) 555-0118",
    ));
    rows.push(hr_row(
        "1019",
        ("Robert", "Miller", "Bob"),
        "",
        "Sales",
        "1001",
        "",
    ));
    rows.push(hr_row(
        "1020",
        ("José", "Müller", ""),
        "",
        "Engineering",
        "1001",
        "",
    ));
    rows.push(hr_row("1021", ("Alex", "Kim", ""), "", "Sales", "1001", ""));
    rows.push(hr_row(
        "1022",
        ("Alex", "Kim", ""),
        "",
        "Engineering",
        "1001",
        "",
    ));
    rows.push(hr_row(
        "1023",
        ("Sam", "Patel", ""),
        "",
        "Finance",
        "1001",
        "",
    ));
    rows.push(hr_row(
        "1024",
        ("Dana", "White", ""),
        "",
        "Operations",
        "1001",
        "",
    ));
    rows.push(hr_row(
        "1025",
        ("Nina", "Brandt", ""),
        "",
        "Sales",
        "1001",
        "",
    ));
    rows.push(hr_row(
        "1026",
        ("Omar", "Haddad", ""),
        "",
        "Engineering",
        "1001",
        "",
    ));
    rows
}

const CONFIG: &str = r#"{
  "upn_domain": "contoso.com",
  "rules": [{"when": {}, "security_groups": ["All Staff"], "licenses": ["ENTERPRISEPACK"]}],
  "matching": {"auto_confirm": true, "exclude_accounts": ["svc-backup@contoso.com"]}
}"#;

/// Workers held after the first sync, and the account the reviewer confirms for each.
const HELD: [(&str, &str); 6] = [
    ("1018", "carla.jones@contoso.com"),
    ("1019", "rmiller@contoso.com"),
    ("1020", "jose.mueller@contoso.com"),
    ("1021", "alex.kim@contoso.com"),
    ("1022", "alex.kim2@contoso.com"),
    ("1023", "spatel@contoso.com"),
];

#[tokio::test]
async fn a_tenant_with_people_is_connected_without_a_duplicate() {
    let before = tenant();
    assert_eq!(before.users.len() + before.deleted_users.len(), 40);
    let run = Onboarding::start(before.clone(), &hr(), CONFIG).await;

    let first = run.sync().await;
    assert!(first.contains("Existing accounts adopted (17)"), "{first}");
    assert!(first.contains("Held: possible existing account"), "{first}");
    assert!(
        first.contains("possible existing account: carla.jones@contoso.com"),
        "{first}"
    );
    let after = run.state();

    // Nobody has two accounts, and the only new ones are the two new hires'.
    for row in hr() {
        let id = row.split(',').next().unwrap_or_default();
        assert!(
            users_of(&after, id).len() <= 1,
            "worker {id} has two accounts"
        );
    }
    let known: Vec<&str> = before
        .users
        .iter()
        .chain(&before.deleted_users)
        .map(|u| u.id.as_str())
        .collect();
    let mut made: Vec<&str> = after
        .users
        .iter()
        .filter(|u| !known.contains(&u.id.as_str()))
        .map(|u| u.user_principal_name.as_str())
        .collect();
    made.sort_unstable();
    assert_eq!(made, ["nina.brandt@contoso.com", "omar.haddad@contoso.com"]);
    assert_eq!(after.users.len(), 39 + 1 + 2);

    // Certain matches (the UPN, the mail, a proxy address) are adopted.
    for (id, given, surname) in SAME_UPN {
        assert_eq!(
            user(&after, &upn_of(given, surname)).employee_id.as_deref(),
            Some(id)
        );
    }
    for (id, _, _, upn) in SAME_MAIL {
        assert_eq!(user(&after, upn).employee_id.as_deref(), Some(id));
    }
    assert_eq!(
        user(&after, "bwong@contoso.com").employee_id.as_deref(),
        Some("1017")
    );
    // An adopted account is reconciled in the same run: licensed, in its group, manager set.
    let brian = user(&after, "brian.baker@contoso.com");
    assert!(brian.assigned_licenses.iter().any(|l| l.sku_id == E3));
    assert_eq!(brian.department.as_deref(), Some("Operations"));
    let amy = user(&after, "amy.adams@contoso.com").id.clone();
    assert_eq!(
        brian.manager.as_ref().map(|m| m.id.as_str()),
        Some(amy.as_str())
    );

    // Probable and ambiguous matches are held: no account made, the candidates untouched.
    for (id, upn) in HELD {
        assert!(users_of(&after, id).is_empty(), "worker {id} was held");
        assert_eq!(
            user(&after, upn),
            user(&before, upn),
            "{upn} is left alone while held"
        );
    }

    // The former employee's deleted account is back, not a second one.
    assert!(after.deleted_users.is_empty());
    let dana = user(&after, "dana.white@contoso.com");
    assert_eq!(dana.employee_id.as_deref(), Some("1024"));
    assert!(dana.account_enabled);

    // Accounts nobody matched are exactly as they were.
    for upn in NOBODY
        .iter()
        .map(|(upn, ..)| *upn)
        .chain(["support@contoso.com", "sam.patel.finance@contoso.com"])
    {
        assert_eq!(user(&after, upn), user(&before, upn), "{upn} was changed");
    }

    let second = run.sync().await;
    assert!(second.contains("Nothing to apply"), "{second}");

    // The report lists the held workers with their candidates and the unmatched accounts.
    let text = run.match_command(&[]).await;
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(text.contains("Probable matches (review) (5)"), "{text}");
    assert!(text.contains("Several candidates (review) (1)"), "{text}");
    assert!(text.contains("the given name agrees"), "{text}");
    assert!(
        text.contains("svc-backup@contoso.com (Backup Service): excluded"),
        "{text}"
    );
    assert!(
        text.contains("support@contoso.com (Support Desk): a shared mailbox"),
        "{text}"
    );

    // The reviewer confirms the held matches (picking one of Sam Patel's two accounts).
    let json = run.match_command(&["--format", "json"]).await;
    assert!(json.status.success());
    let mut report: Value = serde_json::from_slice(&json.stdout).expect("the report is JSON");
    for worker in report["workers"].as_array_mut().into_iter().flatten() {
        let Some((_, upn)) = HELD.iter().find(|(id, _)| worker["employee_id"] == *id) else {
            continue;
        };
        for candidate in worker["candidates"].as_array_mut().into_iter().flatten() {
            if candidate["user_principal_name"] == *upn {
                candidate["adopt"] = Value::Bool(true);
            }
        }
    }
    let reviewed = run.path("reviewed.json");
    std::fs::write(&reviewed, serde_json::to_vec_pretty(&report).expect("JSON"))
        .expect("report written");
    let reviewed = reviewed.display().to_string();
    let confirmed = run.match_command(&["--confirm", &reviewed]).await;
    assert!(
        confirmed.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&confirmed.stdout),
        String::from_utf8_lossy(&confirmed.stderr)
    );
    let adopted = run.state();
    for (id, upn) in HELD {
        assert_eq!(
            user(&adopted, upn).employee_id.as_deref(),
            Some(id),
            "{upn}"
        );
    }
    assert_eq!(
        user(&adopted, "sam.patel.finance@contoso.com").employee_id,
        None
    );
    // Confirming the same report again changes nothing.
    let again = run.match_command(&["--confirm", &reviewed]).await;
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("No account to adopt"));

    // The adopted accounts are then reconciled like any other, and the tenant settles.
    let third = run.sync().await;
    assert!(third.contains("Movers"), "{third}");
    let fourth = run.sync().await;
    assert!(fourth.contains("Nothing to apply"), "{fourth}");
    assert!(users_of(&run.state(), "1018").len() == 1);
}

#[tokio::test]
async fn without_auto_confirm_even_certain_matches_wait_for_review() {
    let config = CONFIG.replace("\"auto_confirm\": true", "\"auto_confirm\": false");
    let run = Onboarding::start(tenant(), &hr(), &config).await;
    let first = run.sync().await;
    assert!(!first.contains("Existing accounts adopted"), "{first}");
    let after = run.state();
    for (id, _, _) in SAME_UPN {
        assert!(
            users_of(&after, id).is_empty(),
            "worker {id} is held, not adopted"
        );
    }
    let csv = run.match_command(&["--format", "csv"]).await;
    let csv = String::from_utf8_lossy(&csv.stdout).into_owned();
    assert!(
        csv.starts_with("match,employee_id,worker,user_principal_name"),
        "{csv}"
    );
    assert!(
        csv.contains("certain,1001,Amy Adams,amy.adams@contoso.com"),
        "{csv}"
    );
    assert!(
        csv.contains("unmatched_account,,,tom.hardy@contoso.com"),
        "{csv}"
    );
}
