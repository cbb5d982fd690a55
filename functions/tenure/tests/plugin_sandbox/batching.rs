use tenure::plugin::{MapItem, PluginHost, STANDARD_MAPPER, SandboxLimits};

use super::helpers::{TestResult, domains, echo, items, upn, worker};

/// More workers than three batches hold.
const WORKERS: usize = 1_600;

#[test]
fn many_batches_keep_their_order_and_only_the_guilty_fail() -> TestResult {
    let ids: Vec<String> = (0..WORKERS)
        .map(|i| match i {
            5 => "panic".to_owned(),
            700 => "loop".to_owned(),
            1_250 => "grow".to_owned(),
            _ => format!("w{i}"),
        })
        .collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let outcome = echo()?.map_all(&items(&ids), &domains(), "{}");
    assert_eq!(outcome.results.len(), ids.len());
    for (id, result) in ids.iter().zip(&outcome.results) {
        if id.starts_with('w') {
            let expected = format!("{id}@contoso.com");
            assert_eq!(
                result.as_ref().ok().and_then(upn),
                Some(expected.as_str()),
                "{id}"
            );
        } else {
            assert!(result.is_err(), "{id}");
        }
    }
    Ok(())
}

#[test]
fn each_batch_is_handed_over_once_with_its_first_workers_position() -> TestResult {
    let ids: Vec<String> = (0..WORKERS)
        .map(|i| match i {
            900 => "panic".to_owned(),
            _ => format!("w{i}"),
        })
        .collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let workers = items(&ids);
    let plugin = echo()?;
    let handed = std::sync::Mutex::new(Vec::new());
    plugin.map_each(&workers, &domains(), "{}", &|start, mapped| {
        handed.lock().expect("not poisoned").push((start, mapped));
    });
    let mut handed = handed.into_inner().expect("not poisoned");
    handed.sort_by_key(|(start, _)| *start);
    // Batches of 512, back to back, each once, covering every worker.
    let starts: Vec<usize> = handed.iter().map(|(start, _)| *start).collect();
    assert_eq!(starts, (0..WORKERS).step_by(512).collect::<Vec<_>>());
    let mut results = Vec::new();
    let mut fuel = 0;
    for (_, mapped) in handed {
        fuel += mapped.fuel_consumed;
        results.extend(mapped.results);
    }
    // The same answers, and the same fuel, as mapping them all at once.
    let at_once = plugin.map_all(&workers, &domains(), "{}");
    assert_eq!(results, at_once.results);
    assert_eq!(fuel, at_once.fuel_consumed);
    assert!(results[900].is_err());
    Ok(())
}

#[test]
fn the_work_beside_the_mapping_runs_once_even_with_nothing_to_map() -> TestResult {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let plugin = echo()?;
    let ran = AtomicUsize::new(0);
    plugin.map_each_beside(
        &[],
        &domains(),
        "{}",
        &|_, _| panic!("nothing to hand over"),
        || {
            ran.fetch_add(1, Ordering::Relaxed);
        },
    );
    assert_eq!(ran.load(Ordering::Relaxed), 1);
    let ids: Vec<String> = (0..WORKERS).map(|i| format!("w{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let handed = AtomicUsize::new(0);
    plugin.map_each_beside(
        &items(&ids),
        &domains(),
        "{}",
        &|_, mapped| {
            handed.fetch_add(mapped.results.len(), Ordering::Relaxed);
        },
        || {
            ran.fetch_add(1, Ordering::Relaxed);
        },
    );
    assert_eq!(ran.load(Ordering::Relaxed), 2);
    assert_eq!(handed.load(Ordering::Relaxed), WORKERS);
    Ok(())
}

#[test]
#[should_panic(expected = "the work beside failed")]
fn a_panic_beside_the_mapping_is_raised_once_the_mapping_is_done() {
    let ids: Vec<String> = (0..WORKERS).map(|i| format!("w{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let plugin = echo().expect("the echo plugin");
    plugin.map_each_beside(&items(&ids), &domains(), "{}", &|_, _| {}, || {
        panic!("the work beside failed")
    });
}

#[test]
fn fuel_is_deterministic() -> TestResult {
    let plugin = echo()?;
    let ids: Vec<String> = (0..200)
        .map(|i| {
            if i == 77 {
                "loop".to_owned()
            } else {
                format!("w{i}")
            }
        })
        .collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let workers = items(&ids);
    let first = plugin.map_all(&workers, &domains(), "{}");
    let second = plugin.map_all(&workers, &domains(), "{}");
    assert!(first.fuel_consumed > 0);
    assert_eq!(first.fuel_consumed, second.fuel_consumed);
    assert_eq!(first.results, second.results);
    Ok(())
}

#[test]
fn no_workers_no_calls() -> TestResult {
    let outcome = echo()?.map_all(&[], &domains(), "{}");
    assert!(outcome.results.is_empty());
    assert_eq!(outcome.fuel_consumed, 0);
    Ok(())
}

/// The standard mapper never frees inside an instance (each call gets a fresh one): a whole batch
/// of workers with long values still fits the default memory limit. Were a batch to run out, its
/// workers would be mapped again one by one and the run would burn more fuel than mapping each
/// worker alone, configuration check included (checked: with a 4 MiB limit this test fails).
#[test]
fn the_standard_mapper_maps_whole_batches_of_long_records_within_the_default_limits() -> TestResult
{
    let plugin = PluginHost::new(SandboxLimits::default(), None)?.load(STANDARD_MAPPER)?;
    let config = r#"{"upn_domain": "contoso.com",
        "attributes": {"jobTitle": "{job_title}", "department": "{department}",
                       "officeLocation": "{custom:notes}", "companyName": "{custom:notes}"},
        "rules": [{"security_groups": ["All Staff"], "licenses": ["ENTERPRISEPACK"]}]}"#;
    let notes = "n".repeat(4_000);
    let workers: Vec<_> = (0..WORKERS)
        .map(|i| {
            let mut worker = worker(&format!("w{i}"));
            worker.job_title = Some("t".repeat(500).into());
            worker.custom.push(("notes".into(), notes.clone()));
            worker
        })
        .collect();
    let items: Vec<MapItem<'_>> = workers
        .iter()
        .map(|worker| MapItem {
            worker,
            today: jiff::civil::date(2025, 6, 1),
            has_account: false,
        })
        .collect();
    let batched = plugin.map_all(&items, &domains(), config);
    assert!(batched.results.iter().all(Result::is_ok));
    let one_by_one: u64 = items
        .iter()
        .map(|item| {
            plugin
                .map_all(std::slice::from_ref(item), &domains(), config)
                .fuel_consumed
        })
        .sum();
    assert!(
        batched.fuel_consumed < one_by_one,
        "batched {} fuel, one by one {one_by_one}: a batch was mapped again worker by worker",
        batched.fuel_consumed
    );
    Ok(())
}
