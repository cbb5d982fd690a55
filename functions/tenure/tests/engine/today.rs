//! "Today" is judged in each worker's time zone.

use tenure::today::Today;
use tenure::worker::TimeZoneName;

#[test]
fn an_instant_is_a_different_date_in_different_zones() {
    let today = Today::parse("2026-11-30T20:00:00Z").expect("an instant");
    let tokyo = TimeZoneName::parse("Asia/Tokyo").expect("a zone");
    let seattle = TimeZoneName::parse("America/Los_Angeles").expect("a zone");
    assert_eq!(today.in_zone(Some(&tokyo)).to_string(), "2026-12-01");
    assert_eq!(today.in_zone(Some(&seattle)).to_string(), "2026-11-30");
    assert_eq!(today.in_zone(None).to_string(), "2026-11-30");
}

#[test]
fn a_date_is_the_same_everywhere_and_garbage_is_refused() {
    let today = Today::parse("2026-12-01").expect("a date");
    let tokyo = TimeZoneName::parse("Asia/Tokyo").expect("a zone");
    assert_eq!(today.in_zone(Some(&tokyo)).to_string(), "2026-12-01");
    let error = Today::parse("yesterday").expect_err("not a date");
    assert!(
        error
            .to_string()
            .contains("neither a date (YYYY-MM-DD) nor an instant"),
        "{error}"
    );
}
