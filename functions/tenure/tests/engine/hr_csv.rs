//! The CSV reader: columns, normalisation, and every kind of bad record.

use tenure::worker::EmploymentStatus;

use super::helpers::{csv, reasons};

const HEADER: &str = "employee_id,first_name,last_name,employment_status,hire_date,termination_date,country,time_zone,manager_employee_id";

#[test]
fn reads_columns_and_keeps_unknown_ones_as_custom_attributes() {
    let batch = csv(
        "Employee_ID,First_Name,last_name,employment_status,Badge Colour\n 1001 , José ,Müller,Active,green\n",
    );
    assert!(batch.quarantined.is_empty(), "{:?}", batch.quarantined);
    let worker = &batch.workers[0].worker;
    assert_eq!(worker.employee_id.as_str(), "1001");
    assert_eq!(worker.first_name.as_deref(), Some("José"));
    assert_eq!(worker.employment_status, EmploymentStatus::Active);
    assert_eq!(
        worker.custom,
        vec![("Badge Colour".to_owned(), "green".to_owned())]
    );
    assert_eq!(batch.workers[0].source.line, 2);
}

#[test]
fn blank_values_are_absent_and_codes_are_normalised() {
    let batch = csv(&format!(
        "{HEADER}\n1001,Ann,Lee,active,2024-01-02,,de,Europe/Berlin,\n"
    ));
    let worker = &batch.workers[0].worker;
    assert_eq!(worker.country.as_deref(), Some("DE"));
    assert_eq!(worker.termination_date, None);
    assert_eq!(worker.manager_employee_id, None);
    assert_eq!(
        worker.time_zone.as_ref().map(|z| z.as_str()),
        Some("Europe/Berlin")
    );
}

#[test]
fn each_bad_record_is_quarantined_with_its_line_and_reason_and_the_rest_go_on() {
    let batch = csv(&format!(
        "{HEADER}\n\
         1001,Good,One,active,2024-01-02,,US,America/New_York,\n\
         ,No,Id,active,2024-01-02,,US,,\n\
         1003,Bad,Date,active,2024-02-30,,US,,\n\
         1004,Bad,Status,fired,2024-01-02,,US,,\n\
         1005,Bad,Country,active,2024-01-02,,Germany,,\n\
         1006,Bad,Zone,active,2024-01-02,,US,Mars/Olympus,\n\
         1007,Lost,Manager,active,2024-01-02,,US,,9999\n\
         1008,Short,Row\n\
         1009,Ends,Early,active,2024-05-01,2024-04-01,US,,\n"
    ));
    assert_eq!(batch.workers.len(), 1);
    assert_eq!(batch.workers[0].worker.employee_id.as_str(), "1001");
    let got = reasons(&batch);
    let expect = [
        (3, "employee_id is missing"),
        (4, "hire_date \"2024-02-30\" is not a day of the calendar"),
        (
            5,
            "employment_status \"fired\" is not one of active, leave, terminated",
        ),
        (6, "country \"Germany\" is not an ISO 3166 alpha-2 code"),
        (
            7,
            "time_zone \"Mars/Olympus\" is not an IANA time zone name",
        ),
        (8, "manager_employee_id 9999 does not exist in the HR data"),
        (9, "the row has 3 fields but the header has 9"),
        (
            10,
            "termination_date 2024-04-01 is before hire_date 2024-05-01",
        ),
    ];
    assert_eq!(got.len(), expect.len(), "{got:#?}");
    for ((line, reason), (want_line, want)) in got.iter().zip(expect) {
        assert_eq!(*line, want_line, "{reason}");
        assert!(
            reason.contains(want),
            "line {line}: {reason:?} should say {want:?}"
        );
    }
    assert!(
        batch
            .quarantined
            .iter()
            .all(|q| &*q.source.file == "hr.csv")
    );
}

#[test]
fn duplicate_ids_quarantine_every_copy_and_name_the_other_lines() {
    let batch = csv(&format!(
        "{HEADER}\n1001,A,One,active,,,,,\n1002,B,Two,active,,,,,\n1001,C,Three,active,,,,,\n"
    ));
    assert_eq!(batch.workers.len(), 1);
    let got = reasons(&batch);
    assert_eq!(got[0].0, 2);
    assert!(
        got[0]
            .1
            .contains("duplicate employee_id 1001: also on line 4"),
        "{got:?}"
    );
    assert_eq!(got[1].0, 4);
    assert!(got[1].1.contains("also on line 2"), "{got:?}");
}

#[test]
fn a_manager_loop_quarantines_its_members_but_not_their_reports() {
    let batch = csv(&format!(
        "{HEADER}\n1001,A,A,active,,,,,1002\n1002,B,B,active,,,,,1003\n1003,C,C,active,,,,,1001\n1004,D,D,active,,,,,1001\n1005,E,E,active,,,,,1005\n"
    ));
    let ids: Vec<&str> = batch
        .workers
        .iter()
        .map(|w| w.worker.employee_id.as_str())
        .collect();
    assert_eq!(ids, ["1004"]);
    let got = reasons(&batch);
    assert_eq!(got.len(), 4);
    assert!(
        got[..3]
            .iter()
            .all(|(_, r)| r.starts_with("manager loop: ")),
        "{got:?}"
    );
    assert!(got[0].1.contains("1001 → 1002 → 1003 → 1001"), "{got:?}");
    assert!(got[3].1.contains("manager loop: 1005 → 1005"), "{got:?}");
}

#[test]
fn a_header_without_employee_id_is_an_error_that_lists_the_columns() {
    let error = tenure::hr::read_csv(&b"id,name\n1,A\n"[..], "people.csv".into())
        .expect_err("no employee_id column");
    let message = error.to_string();
    assert!(message.contains("people.csv"), "{message}");
    assert!(
        message.contains("no employee_id column (columns: id, name)"),
        "{message}"
    );
}

#[test]
fn a_repeated_column_is_an_error() {
    let error = tenure::hr::read_csv(&b"employee_id,Department,department\n"[..], "x.csv".into())
        .expect_err("repeated column");
    assert!(
        error.to_string().contains("\"department\" appears twice"),
        "{error}"
    );
}

#[test]
fn quoted_fields_with_commas_and_newlines_are_read_and_lines_still_count() {
    let batch = csv(&format!(
        "{HEADER}\n1001,\"Lee, Jr.\",\"O'Neil\",active,,,,,\n1002,\"Multi\nLine\",X,active,,,,,\n1003,,,fired,,,,,\n"
    ));
    assert_eq!(
        batch.workers[0].worker.first_name.as_deref(),
        Some("Lee, Jr.")
    );
    assert_eq!(batch.workers.len(), 2);
    assert_eq!(reasons(&batch)[0].0, 5, "the third record starts on line 5");
}

#[test]
fn unknown_file_extensions_are_refused_by_read_file() -> Result<(), crate::support::Error> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("people.xlsx");
    std::fs::write(&path, "employee_id\n1\n")?;
    let error = tenure::hr::read_file(&path).expect_err("xlsx is not read");
    assert!(
        error
            .to_string()
            .contains("name it .csv, .json, .jsonl or .ndjson"),
        "{error}"
    );
    Ok(())
}

#[test]
fn crlf_files_with_a_byte_order_mark_read_the_same_and_count_lines_right() {
    let text = "\u{feff}employee_id,first_name,employment_status\r\n1001,Ann,active\r\n1002,Bo,fired\r\n1003,\"Multi\r\nLine\",active\r\n1004,Cy,fired\r\n";
    let batch = csv(text);
    let ids: Vec<&str> = batch
        .workers
        .iter()
        .map(|w| w.worker.employee_id.as_str())
        .collect();
    assert_eq!(ids, ["1001", "1003"]);
    let lines: Vec<u64> = batch.quarantined.iter().map(|q| q.source.line).collect();
    assert_eq!(lines, [3, 6]);
    assert_eq!(batch.workers[1].source.line, 4);
}
