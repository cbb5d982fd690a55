//! "Today", judged in each worker's time zone.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::Date;

use crate::worker::TimeZoneName;

/// The moment a plan is made for.
///
/// A plain date means that calendar day for every worker. An instant is turned into each
/// worker's local date, so a termination takes effect at the end of the last day where the
/// worker is, not where the server is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Today {
    /// The same calendar date for everyone.
    Date(Date),
    /// An instant, judged in each worker's zone (UTC when the worker has none).
    Instant(Timestamp),
}

/// A "today" that is neither a date nor an instant; it quotes what was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is neither a date (YYYY-MM-DD) nor an instant (2026-11-26T23:30:00Z)")]
pub struct InvalidToday(pub String);

impl Today {
    /// The current instant.
    pub fn now() -> Self {
        Self::Instant(Timestamp::now())
    }

    /// Parses `YYYY-MM-DD` or an RFC 3339 instant such as `2026-11-26T23:30:00Z`.
    pub fn parse(text: &str) -> Result<Self, InvalidToday> {
        let text = text.trim();
        if let Ok(date) = crate::worker::parse_hr_date("today", text) {
            return Ok(Self::Date(date));
        }
        text.parse::<Timestamp>()
            .map(Self::Instant)
            .map_err(|_| InvalidToday(text.to_owned()))
    }

    /// Today's date in a worker's time zone.
    pub fn in_zone(&self, zone: Option<&TimeZoneName>) -> Date {
        match self {
            Self::Date(date) => *date,
            Self::Instant(instant) => {
                let tz = zone.map_or(jiff::tz::TimeZone::UTC, TimeZoneName::zone);
                instant.to_zoned_datetime(tz).date()
            }
        }
    }
}

impl fmt::Display for Today {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Date(date) => write!(f, "{date}"),
            Self::Instant(instant) => write!(f, "{instant}"),
        }
    }
}
