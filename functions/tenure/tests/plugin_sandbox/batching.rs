use super::helpers::{TestResult, domains, echo, items, upn};

#[test]
fn many_batches_keep_their_order_and_only_the_guilty_fail() -> TestResult {
    let ids: Vec<String> = (0..300)
        .map(|i| match i {
            5 => "panic".to_owned(),
            130 => "loop".to_owned(),
            250 => "grow".to_owned(),
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
