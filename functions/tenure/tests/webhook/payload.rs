//! Payload parsing on its own: formats, sources and the BambooHR field table.

use tenure::webhook::WebhookError;
use tenure::webhook::payload::{BAMBOOHR_FIELDS, PayloadFormat, parse};

use super::helpers::{TestResult, sample};

#[test]
fn sources_are_webhook_and_the_index() -> TestResult {
    let delivery = parse(PayloadFormat::Generic, &sample("generic.json")?)?;
    let sources: Vec<String> = delivery
        .workers
        .iter()
        .map(|w| w.source.to_string())
        .collect();
    assert_eq!(sources, ["webhook:0", "webhook:1"]);
    Ok(())
}

/// An upsert is the worker's whole record; a terminate carries only what the leaving changes,
/// and BambooHR sends every monitored field.
#[test]
fn terminate_events_are_partial_records() -> TestResult {
    let delivery = parse(PayloadFormat::Generic, &sample("generic.json")?)?;
    assert_eq!(delivery.partial, [false, true]);
    let delivery = parse(PayloadFormat::BambooHr, &sample("bamboohr.json")?)?;
    assert!(!delivery.partial.is_empty() && delivery.partial.iter().all(|p| !p));
    Ok(())
}

#[test]
fn a_manager_outside_the_delivery_is_fine() -> TestResult {
    // The delivery names manager 1001 without carrying that record: provisioning judges managers.
    let delivery = parse(PayloadFormat::Generic, &sample("generic.json")?)?;
    assert_eq!(
        delivery.workers[0]
            .worker
            .manager_employee_id
            .as_ref()
            .map(|m| m.as_str()),
        Some("1001")
    );
    Ok(())
}

#[test]
fn an_unknown_event_type_is_named() {
    let body = br#"{"events":[{"type":"hire","worker":{}}]}"#;
    let error = parse(PayloadFormat::Generic, body).err();
    assert!(
        matches!(&error, Some(WebhookError::Malformed { path, .. }) if path == "$.events[0].type"),
        "{error:?}"
    );
}

#[test]
fn the_bamboohr_table_targets_known_hr_fields() {
    for (_, tenure_field) in BAMBOOHR_FIELDS {
        assert!(
            tenure::hr::KNOWN_COLUMNS.contains(&tenure_field),
            "{tenure_field}"
        );
    }
}
