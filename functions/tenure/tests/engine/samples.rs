//! The sample company through the whole pipeline with the real standard mapper.

use std::path::{Path, PathBuf};

use tenure::directory::Snapshot;
use tenure::guard::GuardPolicy;
use tenure::pipeline::{PlanRequest, plan};
use tenure::plugin::{PluginHost, STANDARD_MAPPER, SandboxLimits};
use tenure::today::Today;

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samplesdata")
}

fn plan_samples(directory: &Snapshot) -> tenure::plan::Plan {
    let host = PluginHost::new(SandboxLimits::default(), None).expect("engine");
    let plugin = host
        .load(STANDARD_MAPPER)
        .expect("the standard mapper loads");
    let config = std::fs::read_to_string(samples().join("mapper.json")).expect("config");
    plan(PlanRequest {
        hr: tenure::hr::read_file(&samples().join("company.csv")).expect("hr"),
        directory,
        plugin: &plugin,
        plugin_config: &config,
        today: Today::parse("2026-12-01").expect("date"),
        guard: GuardPolicy::default(),
    })
    .expect("plans")
}

#[test]
fn applying_the_sample_plan_converges_and_creates_nobody_twice() {
    let mut directory = Snapshot::read(&samples().join("directory.json")).expect("sample tenant");
    let users_before = directory.users.len();
    let first = plan_samples(&directory);
    let mut created = 0;
    directory
        .apply_plan(&first, &mut |id| {
            created += 1;
            format!("new-{id}")
        })
        .expect("applies");
    assert_eq!(created, 8, "seven joiners and one pre-hire");
    // New accounts get their mailboxes with their licenses; only then can mailbox settings follow.
    let second = plan_samples(&directory);
    directory
        .apply_plan(&second, &mut |id| panic!("{id} created twice"))
        .expect("applies");
    let third = plan_samples(&directory);
    assert!(
        third.is_empty(),
        "{:#?}",
        third
            .workers
            .iter()
            .filter(|w| !w.actions.is_empty())
            .collect::<Vec<_>>()
    );
    assert_eq!(directory.users.len(), users_before + 8);
    let book_club = directory
        .groups
        .iter()
        .find(|g| g.display_name == "Book Club")
        .expect("group");
    assert_eq!(book_club.members.len(), 1, "hand-made memberships stay");
}

#[test]
fn the_committed_sample_tenant_is_what_replaying_the_history_gives() {
    // samplesdata/directory.json is rebuilt by `cargo run -p tenure --example sample_directory`;
    // this keeps it honest: the replay of the history must still give the same users and groups.
    let s = samples();
    let tenant = Snapshot::read(&s.join("history/tenant.json")).expect("tenant");
    let config = std::fs::read_to_string(s.join("mapper.json")).expect("config");
    let history = ["2026-01-05", "2026-07-01", "2026-11-24"]
        .iter()
        .map(|day| {
            let hr = tenure::hr::read_file(&s.join(format!("history/{day}.csv"))).expect("history");
            (day.parse().expect("date"), hr)
        })
        .collect();
    let replayed = tenure::synthetic::replay(tenant, history, &config).expect("replays");
    let committed = Snapshot::read(&s.join("directory.json")).expect("sample tenant");
    assert_eq!(
        replayed.users,
        committed
            .users
            .iter()
            .map(|u| {
                let mut u = u.clone();
                u.assigned_licenses
                    .retain(|l| l.sku_id != "f8a1db68-be16-40ed-86d5-cb42ce701560");
                u
            })
            .collect::<Vec<_>>(),
        "users differ: rerun the sample_directory example"
    );
    assert_eq!(replayed.mailboxes, committed.mailboxes);
}
