//! The pipeline plans while the plugin answers, batch by batch: the plan must be the one the
//! planner makes from every answer at once.

use std::sync::Arc;

use tenure::correlate::MatchingConfig;
use tenure::directory::Snapshot;
use tenure::guard::GuardPolicy;
use tenure::hr::HrBatch;
use tenure::pipeline::{PlanRequest, apply_leave_dates, map_items};
use tenure::plan::{Change, Op, Plan, PlanInput, build_plan};
use tenure::plugin::{Plugin, PluginHost, STANDARD_MAPPER, SandboxLimits};
use tenure::today::Today;

/// Workers enough for many batches of the plugin and two planning threads.
const WORKERS: usize = 6_000;

/// Every 500th existing worker reports to one of this week's joiners.
fn reports_to_a_joiner(row: usize) -> Option<String> {
    (row % 500 == 7).then(|| format!("E{:07}", WORKERS + 1 + row / 500))
}

/// The synthetic company, its existing workers reporting to joiners now and then, and one
/// employee id on two accounts.
fn company() -> (String, Snapshot, String, Today) {
    let company = tenure::synthetic::company(WORKERS, 7).expect("the company");
    let mut lines: Vec<String> = company.hr_csv.lines().map(str::to_owned).collect();
    for (row, line) in lines.iter_mut().skip(1).take(WORKERS).enumerate() {
        if let Some(manager) = reports_to_a_joiner(row) {
            let mut cells: Vec<&str> = line.split(',').collect();
            cells[10] = &manager;
            *line = cells.join(",");
        }
    }
    let mut directory = company.directory;
    let mut twin = directory.users[99].clone();
    twin.id = "20000000-0000-4000-8000-000000000001".into();
    twin.user_principal_name = "twin@contoso.com".into();
    directory.users.push(twin);
    let today = Today::parse(&company.today.to_string()).expect("date");
    (
        lines.join("\n") + "\n",
        directory,
        company.mapper_config,
        today,
    )
}

fn hr(csv: &str) -> HrBatch {
    tenure::hr::read_csv(csv.as_bytes(), Arc::from("hr.csv")).expect("hr")
}

/// The plan from every answer at once, as `build_plan` makes it.
fn planned_at_once(
    csv: &str,
    directory: &Snapshot,
    plugin: &Plugin,
    config: &str,
    today: Today,
) -> Plan {
    let domains = directory.tenant.verified_domains.clone();
    let managed = plugin.validate_config(config, &domains).expect("config");
    let mut hr = hr(csv);
    apply_leave_dates(&mut hr.workers, today);
    let items = map_items(&hr.workers, directory, today);
    let desired = plugin
        .map_all(&items, &domains, config)
        .results
        .into_iter()
        .map(|result| result.map_err(|error| error.to_string()))
        .collect();
    build_plan(PlanInput {
        today,
        workers: &hr.workers,
        desired,
        quarantined: hr.quarantined,
        managed: &managed,
        directory,
        matching: &MatchingConfig::from_plugin_config(config).expect("matching"),
        first_day: None,
    })
    .expect("plans")
}

#[test]
fn a_plan_made_while_the_plugin_answers_is_the_plan_made_from_every_answer_at_once() {
    let (csv, directory, config, today) = company();
    let host = PluginHost::new(SandboxLimits::default(), None).expect("engine");
    let plugin = host.load(STANDARD_MAPPER).expect("the standard mapper");

    let batched = tenure::pipeline::plan(PlanRequest {
        hr: hr(&csv),
        directory: &directory,
        plugin: &plugin,
        plugin_config: &config,
        today,
        guard: GuardPolicy::default(),
        first_day_delivered: Default::default(),
    })
    .expect("plans");
    let at_once = planned_at_once(&csv, &directory, &plugin, &config, today);

    assert_eq!(batched.workers, at_once.workers);
    assert_eq!(batched.quarantined, at_once.quarantined);
    assert_eq!(batched.warnings, at_once.warnings);
    assert_eq!(batched.matching, at_once.matching);
    assert_eq!(batched.summary, at_once.summary);

    // What makes the comparison worth making: joiners, workers the directory knows pointed at
    // a joiner's account that does not exist yet (and planned after it), and a worker refused
    // for their twin account.
    assert_eq!(batched.summary.joiners, WORKERS / 100);
    let at = |employee_id: &str| {
        batched
            .workers
            .iter()
            .position(|w| w.employee_id == employee_id)
    };
    let mut pointed = 0;
    for row in 0..WORKERS {
        let Some(joiner) = reports_to_a_joiner(row) else {
            continue;
        };
        let report = at(&format!("E{:07}", row + 1)).expect("planned");
        if batched.workers[report].change == Change::Leaver {
            continue;
        }
        let set_manager = batched.workers[report].actions.iter().any(|action| {
            matches!(&action.op, Op::SetManager { manager_employee_id, manager_user_id: None }
                if *manager_employee_id == joiner)
        });
        assert!(set_manager, "{:#?}", batched.workers[report]);
        assert!(at(&joiner).expect("planned") < report, "row {row}");
        pointed += 1;
    }
    assert!(pointed >= 10, "{pointed}");
    let twin = &directory.users[99];
    assert!(
        batched
            .quarantined
            .iter()
            .any(|q| q.employee_id == twin.employee_id && q.reason.contains("twin@contoso.com")),
        "{:#?}",
        batched.quarantined
    );
}
