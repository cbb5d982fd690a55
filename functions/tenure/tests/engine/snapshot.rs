//! The directory snapshot format: parsing, kinds, and the checks on references.

use tenure::desired::GroupKind;
use tenure::directory::Snapshot;

#[test]
fn group_kinds_follow_graph_properties() {
    let json = br#"{"groups":[
      {"id":"1","displayName":"S","securityEnabled":true,"mailEnabled":false},
      {"id":"2","displayName":"U","securityEnabled":false,"mailEnabled":true,"groupTypes":["Unified"]},
      {"id":"3","displayName":"D","securityEnabled":false,"mailEnabled":true,"mail":"d@x.com"},
      {"id":"4","displayName":"M","securityEnabled":true,"mailEnabled":true,"mail":"m@x.com"}]}"#;
    let snapshot = Snapshot::parse(json, "s.json").expect("valid");
    let kinds: Vec<GroupKind> = snapshot.groups.iter().map(|g| g.kind()).collect();
    assert_eq!(
        kinds,
        [
            GroupKind::Security,
            GroupKind::Microsoft365,
            GroupKind::Distribution,
            GroupKind::MailEnabledSecurity
        ]
    );
}

#[test]
fn unknown_top_level_keys_and_dangling_references_are_errors() {
    let typo = Snapshot::parse(br#"{"user": []}"#, "s.json").expect_err("typo");
    assert!(typo.to_string().contains("unknown field `user`"), "{typo}");
    let dangling = Snapshot::parse(
        br#"{"users":[{"id":"u1","userPrincipalName":"a@x.com","accountEnabled":true,"manager":{"id":"ghost"}}]}"#,
        "s.json",
    )
    .expect_err("dangling manager");
    assert!(
        dangling
            .to_string()
            .contains("has manager ghost, which is not a user"),
        "{dangling}"
    );
    let member = Snapshot::parse(
        br#"{"groups":[{"id":"g","displayName":"G","securityEnabled":true,"mailEnabled":false,"members":["nobody"]}]}"#,
        "s.json",
    )
    .expect_err("dangling member");
    assert!(
        member.to_string().contains("lists member nobody"),
        "{member}"
    );
}

#[test]
fn the_sample_directory_round_trips() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samplesdata/directory.json");
    let snapshot = Snapshot::read(&path).expect("the sample directory is valid");
    let text = serde_json::to_string(&snapshot).expect("serialises");
    assert_eq!(
        Snapshot::parse(text.as_bytes(), "again").expect("parses"),
        snapshot
    );
}
