//! The OPATH filter `Get-Mailbox -Filter` understands here: `WhenChangedUTC -ge '<date>'` (or
//! `-gt`), optionally in parentheses, the date in RFC 3339 or in Exchange's US form
//! (`MM/dd/yyyy HH:mm:ss`, read as UTC since the property is UTC). Anything else is refused, as
//! Exchange refuses a filter it cannot parse.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// The one property that may be filtered on.
const PROPERTY: &str = "WhenChangedUTC";

/// Mailboxes changed since a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChangedSince {
    since: Timestamp,
    inclusive: bool,
}

impl ChangedSince {
    /// Parses a filter; the error is Exchange's reason, to be wrapped in its binding error.
    pub(crate) fn parse(filter: &str) -> Result<Self, String> {
        let syntax = |at: usize| {
            format!(
                "Invalid filter syntax. For a description of the filter parameter syntax see the command help.\n\"{filter}\" at position {at}."
            )
        };
        let trimmed = filter.trim();
        let inner = match trimmed.strip_prefix('(') {
            Some(rest) => rest.strip_suffix(')').ok_or_else(|| syntax(1))?.trim(),
            None => trimmed,
        };
        let mut words = inner.splitn(3, char::is_whitespace);
        let property = words.next().unwrap_or_default();
        if !property.eq_ignore_ascii_case(PROPERTY) {
            return Err(format!(
                "\"{property}\" is not a recognized filterable property. For a complete list of filterable properties see the command help.\n\"{filter}\" at position 1."
            ));
        }
        let inclusive = match words.next().map(str::to_ascii_lowercase).as_deref() {
            Some("-ge") => true,
            Some("-gt") => false,
            _ => return Err(syntax(property.len() + 2)),
        };
        let value = words.next().unwrap_or_default().trim();
        let date = ['\'', '"']
            .iter()
            .find_map(|q| value.strip_prefix(*q)?.strip_suffix(*q))
            .filter(|d| !d.contains(['\'', '"']))
            .ok_or_else(|| syntax(inner.len().saturating_sub(value.len()) + 1))?;
        let since = parse_date(date).ok_or_else(|| {
            format!(
                "The value \"{date}\" could not be converted to type System.DateTime.\n\"{filter}\" at position {}.",
                inner.len().saturating_sub(value.len()) + 1
            )
        })?;
        Ok(Self { since, inclusive })
    }

    /// Whether a mailbox changed at `stamp` passes.
    pub(crate) fn matches(&self, stamp: Timestamp) -> bool {
        if self.inclusive {
            stamp >= self.since
        } else {
            stamp > self.since
        }
    }
}

/// RFC 3339, or `M/d/yyyy[ H:mm[:ss]]` as UTC.
fn parse_date(text: &str) -> Option<Timestamp> {
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Some(timestamp);
    }
    let (date, time) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
    let numbers = |s: &str, sep: char| -> Option<Vec<i64>> {
        s.split(sep).map(|n| n.trim().parse::<i64>().ok()).collect()
    };
    let [month, day, year] = numbers(date, '/')?[..] else {
        return None;
    };
    let (hour, minute, second) = match numbers(time, ':').as_deref() {
        _ if time.trim().is_empty() => (0, 0, 0),
        Some([h, m]) => (*h, *m, 0),
        Some([h, m, s]) => (*h, *m, *s),
        _ => return None,
    };
    let civil = DateTime::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
        i8::try_from(hour).ok()?,
        i8::try_from(minute).ok()?,
        i8::try_from(second).ok()?,
        0,
    )
    .ok()?;
    TimeZone::UTC.to_timestamp(civil).ok()
}

#[cfg(test)]
mod tests {
    use super::ChangedSince;

    #[test]
    fn both_date_forms_are_read_and_compared() -> Result<(), String> {
        let iso = ChangedSince::parse("WhenChangedUTC -ge '2026-03-01T10:00:00Z'")?;
        let us = ChangedSince::parse("(whenchangedutc -GE \"03/01/2026 10:00:00\")")?;
        assert_eq!(iso, us);
        let at = "2026-03-01T10:00:00Z"
            .parse()
            .map_err(|e: jiff::Error| e.to_string())?;
        assert!(iso.matches(at));
        let strict = ChangedSince::parse("WhenChangedUTC -gt '2026-03-01T10:00:00Z'")?;
        assert!(!strict.matches(at));
        Ok(())
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "WhenChanged -ge '2026-03-01T10:00:00Z'",
            "WhenChangedUTC -eq '2026-03-01T10:00:00Z'",
            "WhenChangedUTC -ge 2026-03-01",
            "WhenChangedUTC -ge 'yesterday'",
            "WhenChangedUTC -ge '2026-03-01T10:00:00Z' -and Name -eq 'x'",
            "",
        ] {
            assert!(ChangedSince::parse(bad).is_err(), "{bad}");
        }
    }
}
