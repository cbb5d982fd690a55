//! The table agrees with the plugin contract and the HR reference: the WIT `worker` record has
//! exactly the fields the table says it has, in the table's order, and docs/hr.md names every one.

use std::path::Path;

use tenure_hr_fields::HrField;

/// The field names of `record worker { … }` in the WIT file, in kebab-case.
fn worker_record_fields(wit: &str) -> Vec<String> {
    let start = wit
        .find("record worker {")
        .expect("the WIT file declares record worker");
    let body = &wit[start + "record worker {".len()..];
    let body = &body[..body.find('}').expect("record worker is closed")];
    body.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("//"))
        .filter_map(|line| line.split_once(':').map(|(name, _)| name.trim().to_owned()))
        .collect()
}

#[test]
fn the_table_names_the_wit_worker_records_fields_in_order() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/wit/mapper.wit");
    let wit = std::fs::read_to_string(&path).expect("plugins/wit/mapper.wit is readable");
    let mut in_wit = worker_record_fields(&wit);
    assert_eq!(in_wit.pop().as_deref(), Some("custom"), "custom comes last");
    let in_table: Vec<String> = HrField::ALL
        .iter()
        .filter(|f| f.in_plugin_record())
        .map(|f| f.name().replace('_', "-"))
        .collect();
    assert_eq!(in_table, in_wit);
}

#[test]
fn every_field_is_documented_in_the_hr_reference() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/hr.md");
    let docs = std::fs::read_to_string(&path).expect("docs/hr.md is readable");
    let missing: Vec<&str> = HrField::ALL
        .iter()
        .map(|f| f.name())
        .filter(|name| !docs.contains(&format!("`{name}`")))
        .collect();
    assert!(missing.is_empty(), "docs/hr.md does not name {missing:?}");
}
