//! The JSON readers: an array, or JSON lines, with the same checks as CSV.

use std::sync::Arc;

use tenure::hr::read_json;

#[test]
fn an_array_of_records_is_read_with_numbers_as_text() {
    let batch = read_json(
        br#"[{"employee_id": 1001, "first_name": "Ann", "employment_status": "active", "hire_date": null, "Shirt Size": "M"}]"#,
        Arc::from("hr.json"),
    )
    .expect("valid JSON");
    let worker = &batch.workers[0].worker;
    assert_eq!(worker.employee_id.as_str(), "1001");
    assert_eq!(worker.hire_date, None);
    assert_eq!(
        worker.custom,
        vec![("Shirt Size".to_owned(), "M".to_owned())]
    );
    assert_eq!(batch.workers[0].source.line, 1);
}

#[test]
fn json_lines_quarantine_a_bad_line_and_read_the_rest() {
    let text = "{\"employee_id\":\"1\",\"employment_status\":\"active\"}\n\nnot json\n{\"employee_id\":\"2\",\"employment_status\":\"active\",\"team\":{\"a\":1}}\n[1]\n{\"employee_id\":\"3\",\"employment_status\":\"leave\"}\n";
    let batch =
        read_json(text.as_bytes(), Arc::from("hr.jsonl")).expect("lines are read one by one");
    let ids: Vec<&str> = batch
        .workers
        .iter()
        .map(|w| w.worker.employee_id.as_str())
        .collect();
    assert_eq!(ids, ["1", "3"]);
    let got: Vec<(u64, &str)> = batch
        .quarantined
        .iter()
        .map(|q| (q.source.line, q.reason.as_str()))
        .collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].0, 3);
    assert!(
        got[0].1.starts_with("the line is not a JSON object"),
        "{got:?}"
    );
    assert_eq!(got[1].0, 4);
    assert!(
        got[1].1.contains("field \"team\" holds an object"),
        "{got:?}"
    );
    assert_eq!(got[2].0, 5);
    assert!(
        got[2].1.contains("expected a JSON object, found an array"),
        "{got:?}"
    );
}

#[test]
fn a_broken_array_is_an_error_naming_the_file_and_position() {
    let error = read_json(b"[{\"employee_id\": 1},", Arc::from("hr.json")).expect_err("truncated");
    let message = error.to_string();
    assert!(
        message.starts_with("HR file hr.json: not a JSON array of records"),
        "{message}"
    );
    assert!(message.contains("line 1"), "{message}");
}

#[test]
fn the_sample_company_reads_the_same_from_csv_json_and_json_lines() {
    let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samplesdata");
    let from_csv = tenure::hr::read_file(&samples.join("company.csv")).expect("csv");
    let from_json = tenure::hr::read_file(&samples.join("company.json")).expect("json");
    let from_lines = tenure::hr::read_file(&samples.join("company.jsonl")).expect("jsonl");
    let workers = |b: &tenure::hr::HrBatch| {
        b.workers
            .iter()
            .map(|w| w.worker.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(workers(&from_json), workers(&from_lines));
    assert_eq!(workers(&from_csv), workers(&from_json));
    assert_eq!(
        from_csv.quarantined.len(),
        10,
        "{:#?}",
        from_csv.quarantined
    );
    assert!(from_json.quarantined.is_empty());
}
