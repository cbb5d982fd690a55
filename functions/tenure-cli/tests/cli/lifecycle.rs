//! Every lifecycle case of the sample company, as `tenure plan --format json` reports it.

use crate::helpers::{groups, kinds, sample_plan, worker};

const TODAY: &str = "2026-12-01";

#[test]
fn the_summary_counts_every_case() {
    let plan = sample_plan(TODAY);
    let s = &plan["summary"];
    assert_eq!(s["workers"], 46);
    assert_eq!(s["joiners"], 8);
    assert_eq!(s["pre_hires"], 2);
    assert_eq!(s["movers"], 4);
    assert_eq!(s["leave"], 2);
    assert_eq!(s["leavers"], 3);
    assert_eq!(s["rehires"], 1);
    assert_eq!(s["unchanged"], 26);
    assert_eq!(s["quarantined"], 10);
    assert_eq!(plan["today"], TODAY);
    assert_eq!(plan["guard"]["allowed"], true);
}

#[test]
fn joiners_get_folded_unique_names_and_everything_their_rules_give() {
    let plan = sample_plan(TODAY);
    let jose = worker(&plan, "1050");
    assert_eq!(jose["change"], "joiner");
    assert_eq!(jose["user_principal_name"], "jose.muller@contoso.com");
    let create = &jose["actions"][0];
    assert_eq!(create["kind"], "create_user");
    assert_eq!(create["mail_nickname"], "jose.muller");
    assert_eq!(create["display_name"], "José Müller");
    assert_eq!(create["account_enabled"], true);
    assert_eq!(create["attributes"]["usageLocation"], "DE");
    assert_eq!(
        create["attributes"]["employeeHireDate"],
        "2026-11-30T00:00:00Z"
    );
    assert_eq!(
        kinds(jose),
        [
            "create_user",
            "set_manager",
            "assign_license",
            "add_group_member",
            "add_group_member",
            "add_group_member",
            "add_distribution_list_member"
        ]
    );
    assert_eq!(
        groups(jose, "add_group_member"),
        ["All Staff", "Engineering", "Engineering Team"]
    );
    assert_eq!(groups(jose, "add_distribution_list_member"), ["All Berlin"]);
    assert_eq!(
        worker(&plan, "1053")["user_principal_name"],
        "zoe.obrien-smith@contoso.com"
    );
    let contractor = worker(&plan, "1056");
    let license = contractor["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["kind"] == "assign_license"))
        .cloned();
    assert_eq!(license.map(|l| l["sku"].clone()), Some("SPE_F1".into()));
}

#[test]
fn two_jane_does_and_the_existing_one_never_collide() {
    let plan = sample_plan(TODAY);
    // jane.doe@ is taken by 1020; 1051 has a middle name, 1052 does not.
    assert_eq!(
        worker(&plan, "1051")["user_principal_name"],
        "jane.m.doe@contoso.com"
    );
    assert_eq!(
        worker(&plan, "1052")["user_principal_name"],
        "jane.doe2@contoso.com"
    );
    assert_eq!(worker(&plan, "1020")["change"], "unchanged");
}

#[test]
fn a_new_manager_is_created_before_its_new_report_points_at_it() {
    let plan = sample_plan(TODAY);
    let order: Vec<&str> = plan["workers"]
        .as_array()
        .map(|ws| {
            ws.iter()
                .filter_map(|w| w["employee_id"].as_str())
                .collect()
        })
        .unwrap_or_default();
    let at = |id: &str| order.iter().position(|x| *x == id).unwrap_or(usize::MAX);
    assert!(at("1054") < at("1055"), "{order:?}");
    let set = worker(&plan, "1055")["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["kind"] == "set_manager"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(set["manager_employee_id"], "1054");
    assert!(
        set.get("manager_user_id").is_none(),
        "the manager has no id until created"
    );
}

#[test]
fn pre_hires_are_created_disabled_inside_the_window_and_not_before() {
    let plan = sample_plan(TODAY);
    let soon = worker(&plan, "1060");
    assert_eq!(soon["change"], "pre_hire");
    assert_eq!(soon["actions"][0]["kind"], "create_user");
    assert_eq!(soon["actions"][0]["account_enabled"], false);
    let later = worker(&plan, "1061");
    assert_eq!(later["change"], "pre_hire");
    assert!(kinds(later).is_empty());
    // Made disabled last week, started yesterday: switched on, and counted as a joiner.
    let started = worker(&plan, "1062");
    assert_eq!(started["change"], "joiner");
    assert_eq!(kinds(started), ["enable_user"]);
}

#[test]
fn movers_change_attributes_manager_and_only_rule_given_memberships() {
    let plan = sample_plan(TODAY);
    let ben = worker(&plan, "1010");
    assert_eq!(ben["change"], "mover");
    assert_eq!(ben["actions"][0]["changes"]["department"]["from"], "Sales");
    assert_eq!(
        ben["actions"][0]["changes"]["department"]["to"],
        "Engineering"
    );
    assert_eq!(
        groups(ben, "add_group_member"),
        ["Engineering", "Engineering Team"]
    );
    assert_eq!(groups(ben, "remove_group_member"), ["Sales", "Sales Team"]);
    let ingrid = worker(&plan, "1011");
    assert_eq!(
        groups(ingrid, "add_distribution_list_member"),
        ["All Berlin"]
    );
    assert_eq!(
        groups(ingrid, "remove_distribution_list_member"),
        ["All Seattle"]
    );
    assert_eq!(ingrid["actions"][0]["changes"]["usageLocation"]["to"], "DE");
    assert_eq!(kinds(worker(&plan, "1012")), ["set_manager"]);
    let laura = worker(&plan, "1013");
    assert_eq!(
        laura["actions"][0]["changes"]["surname"]["to"],
        "Fischer-Weber"
    );
    assert_eq!(
        laura["user_principal_name"], "laura.fischer@contoso.com",
        "the UPN stays"
    );
    // Tomás is in the Book Club by hand and Yuki has a POWER_BI_PRO license by hand: untouched.
    assert_eq!(worker(&plan, "1021")["change"], "unchanged");
    assert_eq!(worker(&plan, "1022")["change"], "unchanged");
}

#[test]
fn leave_follows_the_policy_of_its_type() {
    let plan = sample_plan(TODAY);
    assert_eq!(
        worker(&plan, "1030")["change"],
        "unchanged",
        "parental leave keeps sign-in"
    );
    let suspended = worker(&plan, "1031");
    assert_eq!(suspended["change"], "leave");
    assert_eq!(kinds(suspended), ["disable_user", "revoke_sessions"]);
    let back = worker(&plan, "1032");
    assert_eq!(back["change"], "leave");
    assert_eq!(kinds(back), ["enable_user"]);
}

#[test]
fn leavers_lose_access_in_a_safe_order_once_the_last_day_is_over() {
    let plan = sample_plan(TODAY);
    let sam = worker(&plan, "1040");
    assert_eq!(sam["change"], "leaver");
    assert_eq!(
        kinds(sam),
        [
            "disable_user",
            "revoke_sessions",
            "reset_password",
            "convert_to_shared_mailbox",
            "grant_mailbox_access",
            "hide_from_address_list",
            "remove_group_member",
            "remove_group_member",
            "remove_group_member",
            "remove_distribution_list_member",
            "remove_license"
        ]
    );
    let grant = sam["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["kind"] == "grant_mailbox_access"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(grant["trustee"], "daniel.park@contoso.com", "the manager");
    // Status still active, but the termination date has passed.
    assert_eq!(worker(&plan, "1042")["change"], "leaver");
    // The last day is today: not yet.
    assert_eq!(worker(&plan, "1041")["change"], "unchanged");
    // Left in March and already processed: nothing twice.
    assert_eq!(worker(&plan, "1043")["change"], "unchanged");
}

#[test]
fn a_termination_takes_effect_at_the_end_of_the_last_day_where_the_worker_is() {
    // 20:00 UTC on the 30th is already 1 December in Tokyo but still the 30th in Seattle.
    let plan = sample_plan("2026-11-30T20:00:00Z");
    assert_eq!(worker(&plan, "1046")["change"], "leaver", "Tokyo");
    assert_eq!(worker(&plan, "1040")["change"], "unchanged", "Seattle");
}

#[test]
fn a_rehire_gets_the_same_account_back() {
    let plan = sample_plan(TODAY);
    let diego = worker(&plan, "1045");
    assert_eq!(diego["change"], "rehire");
    assert!(diego["user_id"].is_string());
    let k = kinds(diego);
    assert!(!k.contains(&"create_user".to_owned()), "{k:?}");
    assert_eq!(
        k[..4],
        [
            "update_user",
            "enable_user",
            "convert_to_user_mailbox",
            "hide_from_address_list"
        ]
    );
    assert!(k.contains(&"assign_license".to_owned()));
}

#[test]
fn bad_rows_are_quarantined_with_file_line_and_reason() {
    let plan = sample_plan(TODAY);
    let quarantined = plan["quarantined"].as_array().cloned().unwrap_or_default();
    let lines: Vec<(String, String)> = quarantined
        .iter()
        .map(|q| {
            (
                q["source"].as_str().unwrap_or_default().to_owned(),
                q["reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expect = [
        (48, "employee_id is missing"),
        (49, "duplicate employee_id 1070"),
        (50, "duplicate employee_id 1070"),
        (51, "not a day of the calendar"),
        (52, "\"fired\" is not one of active, leave, terminated"),
        (53, "manager_employee_id 9999 does not exist"),
        (54, "manager loop: 1080 → 1081 → 1080"),
        (55, "manager loop"),
        (56, "country \"Germany\""),
        (57, "time_zone \"Mars/Olympus\""),
    ];
    assert_eq!(lines.len(), expect.len(), "{lines:#?}");
    for ((source, reason), (line, text)) in lines.iter().zip(expect) {
        assert!(source.ends_with(&format!("company.csv:{line}")), "{source}");
        assert!(reason.contains(text), "{source}: {reason}");
    }
}

#[test]
fn no_plan_ever_carries_a_password() {
    fn keys(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    out.push(k.to_lowercase());
                    keys(v, out);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
            _ => {}
        }
    }
    let plan = sample_plan(TODAY);
    let mut all = Vec::new();
    keys(&plan, &mut all);
    assert!(all.iter().any(|k| k == "kind"), "the walk sees the actions");
    let secretive: Vec<&String> = all
        .iter()
        .filter(|k| k.contains("password") || k.contains("secret"))
        .collect();
    assert!(secretive.is_empty(), "{secretive:?}");
    assert!(
        kinds(worker(&plan, "1040")).contains(&"reset_password".to_owned()),
        "the action is there, without a value"
    );
}
