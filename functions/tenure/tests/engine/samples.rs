//! The sample company through the whole pipeline with the real standard mapper.

use tenure::directory::Snapshot;

use super::helpers::{plan_samples, sample_directory, samples};

#[test]
fn applying_the_sample_plan_converges_and_creates_nobody_twice() {
    let mut directory = sample_directory();
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
