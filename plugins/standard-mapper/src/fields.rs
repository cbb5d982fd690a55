//! A worker's fields as the configuration names them, read the same way everywhere: trimmed, a blank
//! value counts as absent, and custom HR columns are found by header, ignoring case.

use std::borrow::Cow;

use tenure_hr_fields::HrField;

use crate::types::{Date, EmploymentStatus, Worker};

/// A field of the worker record, by its snake_case name, or a custom HR column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WorkerField {
    /// A field of the plugin contract's `worker` record.
    Record(HrField),
    /// A custom HR column: the header as the configuration wrote it, and in lower case for lookups.
    Custom { header: String, key: String },
}

/// The prefix that names a custom HR column, as in `custom:Badge Number`.
pub(crate) const CUSTOM_PREFIX: &str = "custom:";

/// The fields of the worker record, in the record's order.
pub(crate) fn record_fields() -> impl Iterator<Item = HrField> {
    HrField::ALL
        .iter()
        .copied()
        .filter(|f| f.in_plugin_record())
}

impl WorkerField {
    /// Parses a field name: a field of the worker record or `custom:<header>`.
    pub(crate) fn parse(name: &str) -> Result<Self, String> {
        if let Some(header) = name.strip_prefix(CUSTOM_PREFIX) {
            return Self::custom(header);
        }
        match HrField::from_name(name).filter(|f| f.in_plugin_record()) {
            Some(field) => Ok(Self::Record(field)),
            None => {
                let names: Vec<&str> = record_fields().map(HrField::name).collect();
                Err(format!(
                    "unknown worker field {name:?}; expected one of {}, or custom:<HR column header>",
                    names.join(", ")
                ))
            }
        }
    }

    /// A custom HR column by its header.
    pub(crate) fn custom(header: &str) -> Result<Self, String> {
        let header = header.trim();
        if header.is_empty() {
            return Err(
                "custom: needs an HR column header after it, as in custom:Badge Number".into(),
            );
        }
        Ok(Self::Custom {
            header: header.to_owned(),
            key: lowercase(header),
        })
    }

    /// The worker's value for this field, trimmed; `None` when absent or blank.
    ///
    /// Dates read as `YYYY-MM-DD`; the employment status as `active`, `leave` or `terminated`.
    pub(crate) fn value<'w>(&self, worker: &'w Worker) -> Option<Cow<'w, str>> {
        let field = match self {
            Self::Record(field) => *field,
            Self::Custom { key, .. } => return custom_value(worker, key).map(Cow::Borrowed),
        };
        let text = match field {
            HrField::EmployeeId => present(&worker.employee_id),
            HrField::FirstName => text(&worker.first_name),
            HrField::LastName => text(&worker.last_name),
            HrField::PreferredName => text(&worker.preferred_name),
            HrField::MiddleName => text(&worker.middle_name),
            HrField::PersonalEmail => text(&worker.personal_email),
            HrField::JobTitle => text(&worker.job_title),
            HrField::Department => text(&worker.department),
            HrField::Division => text(&worker.division),
            HrField::CostCenter => text(&worker.cost_center),
            HrField::Location => text(&worker.location),
            HrField::Country => text(&worker.country),
            HrField::ManagerEmployeeId => text(&worker.manager_employee_id),
            HrField::EmploymentStatus => Some(status_name(worker.employment_status)),
            HrField::LeaveType => text(&worker.leave_type),
            HrField::EmploymentType => text(&worker.employment_type),
            HrField::HireDate => return worker.hire_date.map(|d| Cow::Owned(iso_date(d))),
            HrField::TerminationDate => {
                return worker.termination_date.map(|d| Cow::Owned(iso_date(d)));
            }
            HrField::TimeZone => text(&worker.time_zone),
            HrField::MobilePhone => text(&worker.mobile_phone),
            // Not in the plugin contract's record: `parse` never makes one (Tenure applies the
            // leave dates to the employment status before the plugin sees the worker).
            HrField::WorkEmail | HrField::LeaveStartDate | HrField::LeaveEndDate => None,
        };
        text.map(Cow::Borrowed)
    }

    /// How messages name the field: `job title`, `custom column "Badge Number"`.
    pub(crate) fn describe(&self) -> Cow<'static, str> {
        match self {
            Self::Record(field) => Cow::Borrowed(field.describe()),
            Self::Custom { header, .. } => Cow::Owned(format!("custom column {header:?}")),
        }
    }
}

/// The name the worker goes by: the preferred name if there is one, else the legal first name.
pub(crate) fn first_name(worker: &Worker) -> Option<&str> {
    text(&worker.preferred_name).or_else(|| text(&worker.first_name))
}

/// An optional HR value, trimmed; blank counts as absent.
pub(crate) fn text(value: &Option<String>) -> Option<&str> {
    value.as_deref().and_then(present)
}

fn present(value: &str) -> Option<&str> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then_some(trimmed)
}

fn custom_value<'w>(worker: &'w Worker, key: &str) -> Option<&'w str> {
    worker
        .custom
        .iter()
        .find(|(header, _)| eq_ignore_case(header, key))
        .and_then(|(_, value)| present(value))
}

/// `text` in lower case, a character at a time, the way [`eq_ignore_case`] compares.
///
/// (`str::to_lowercase` writes a final capital sigma as `ς`, which a character at a time is `σ`.)
pub(crate) fn lowercase(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

/// Whether `value`, trimmed, equals `lower` ignoring case. `lower` must already be in lower case.
///
/// Compares character by character so that matching a worker allocates nothing. An ASCII
/// value (most HR values) lowers to ASCII of the same length, so it is compared byte by byte and
/// a value of another length is told apart at once: rules compare every worker with every value
/// they accept.
pub(crate) fn eq_ignore_case(value: &str, lower: &str) -> bool {
    trimmed_eq_ignore_case(value.trim(), lower)
}

/// [`eq_ignore_case`] for a value already trimmed, such as [`WorkerField::value`] gives.
pub(crate) fn trimmed_eq_ignore_case(value: &str, lower: &str) -> bool {
    if value.is_ascii() {
        return value.len() == lower.len()
            && value
                .bytes()
                .zip(lower.bytes())
                .all(|(v, l)| v.to_ascii_lowercase() == l);
    }
    value.chars().flat_map(char::to_lowercase).eq(lower.chars())
}

/// The name of an employment status as configurations and messages spell it.
pub(crate) fn status_name(status: EmploymentStatus) -> &'static str {
    match status {
        EmploymentStatus::Active => "active",
        EmploymentStatus::Leave => "leave",
        EmploymentStatus::Terminated => "terminated",
    }
}

/// `YYYY-MM-DD`.
pub(crate) fn iso_date(date: Date) -> String {
    let mut text = String::with_capacity(20);
    if date.year < 0 {
        text.push('-');
    }
    push_decimal(&mut text, u32::from(date.year.unsigned_abs()), 4);
    text.push('-');
    push_decimal(&mut text, u32::from(date.month), 2);
    text.push('-');
    push_decimal(&mut text, u32::from(date.day), 2);
    text
}

/// Appends `value` in decimal, padded with zeros to `width` digits.
///
/// Numbers are written for every worker (dates, identity suffixes); `format!` costs several times
/// as much in WebAssembly.
pub(crate) fn push_decimal(out: &mut String, value: u32, width: usize) {
    if width > 1 || value >= 10 {
        push_decimal(out, value / 10, width.saturating_sub(1));
    }
    out.push(char::from(b'0' + (value % 10) as u8));
}

/// Parses `YYYY-MM-DD`, a real day of the Gregorian calendar.
pub(crate) fn parse_iso_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    let well_formed = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !well_formed {
        return None;
    }
    let year: i16 = text[..4].parse().ok()?;
    let month: u8 = text[5..7].parse().ok()?;
    let day: u8 = text[8..].parse().ok()?;
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days_in_month)
        .contains(&day)
        .then_some(Date { year, month, day })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A worker with only the fields every record has; tests fill in the rest.
    pub(crate) fn worker(employee_id: &str) -> Worker {
        Worker {
            employee_id: employee_id.into(),
            first_name: None,
            last_name: None,
            preferred_name: None,
            middle_name: None,
            personal_email: None,
            job_title: None,
            department: None,
            division: None,
            cost_center: None,
            location: None,
            country: None,
            manager_employee_id: None,
            employment_status: EmploymentStatus::Active,
            leave_type: None,
            employment_type: None,
            hire_date: None,
            termination_date: None,
            time_zone: None,
            mobile_phone: None,
            custom: Vec::new(),
        }
    }

    #[test]
    fn blank_values_count_as_absent() {
        let mut jane = worker("1001");
        jane.job_title = Some("   ".into());
        jane.department = Some(" Sales ".into());
        assert_eq!(WorkerField::Record(HrField::JobTitle).value(&jane), None);
        assert_eq!(
            WorkerField::Record(HrField::Department)
                .value(&jane)
                .as_deref(),
            Some("Sales")
        );
    }

    #[test]
    fn custom_columns_are_found_by_header_ignoring_case() -> Result<(), String> {
        let mut jane = worker("1001");
        jane.custom = vec![
            ("Badge Number".into(), "B-17".into()),
            ("Empty".into(), "".into()),
        ];
        assert_eq!(
            WorkerField::parse("custom:badge number")?
                .value(&jane)
                .as_deref(),
            Some("B-17")
        );
        assert_eq!(WorkerField::parse("custom:Empty")?.value(&jane), None);
        assert_eq!(WorkerField::parse("custom:Missing")?.value(&jane), None);
        Ok(())
    }

    proptest::proptest! {
        /// The ASCII shortcut answers as the character-by-character comparison does, whatever
        /// the value and the accepted text (the Kelvin sign lowers to an ASCII `k`, `İ` to two
        /// characters).
        #[test]
        fn the_ascii_shortcut_agrees_with_comparing_characters(
            value in "[ \tAaKkİi\u{212A}ΣσςZz]{0,6}",
            accepted in "[ aAkKiİσςzZ\u{307}]{0,6}",
        ) {
            let lower = lowercase(accepted.trim());
            let by_characters = value.trim().chars().flat_map(char::to_lowercase).eq(lower.chars());
            proptest::prop_assert_eq!(eq_ignore_case(&value, &lower), by_characters);
            let lower_of_value = lowercase(value.trim());
            proptest::prop_assert!(eq_ignore_case(&value, &lower_of_value));
        }
    }

    #[test]
    fn case_is_ignored_the_same_way_on_both_sides() {
        assert!(eq_ignore_case(" ΟΔΟΣ ", &lowercase("ΟΔΟΣ")));
        assert!(eq_ignore_case("ENGINEERING", &lowercase("Engineering")));
    }

    #[test]
    fn dates_and_status_read_as_text() {
        let mut jane = worker("1001");
        jane.hire_date = Some(Date {
            year: 2025,
            month: 3,
            day: 1,
        });
        assert_eq!(
            WorkerField::Record(HrField::HireDate)
                .value(&jane)
                .as_deref(),
            Some("2025-03-01")
        );
        assert_eq!(
            WorkerField::Record(HrField::EmploymentStatus)
                .value(&jane)
                .as_deref(),
            Some("active")
        );
    }

    #[test]
    fn iso_dates_are_written_with_zeros() {
        assert_eq!(
            iso_date(Date {
                year: 2025,
                month: 3,
                day: 1
            }),
            "2025-03-01"
        );
        assert_eq!(
            iso_date(Date {
                year: 987,
                month: 12,
                day: 31
            }),
            "0987-12-31"
        );
        let mut number = String::new();
        push_decimal(&mut number, 120, 1);
        assert_eq!(number, "120");
    }

    #[test]
    fn iso_dates_are_parsed_strictly() {
        assert_eq!(
            parse_iso_date("2024-02-29"),
            Some(Date {
                year: 2024,
                month: 2,
                day: 29
            })
        );
        assert_eq!(parse_iso_date("2025-02-29"), None);
        assert_eq!(parse_iso_date("2025-13-01"), None);
        assert_eq!(parse_iso_date("2025-3-1"), None);
        assert_eq!(parse_iso_date("01/03/2025"), None);
    }

    #[test]
    fn the_preferred_name_wins_over_the_legal_one() {
        let mut jane = worker("1001");
        jane.first_name = Some("Janet".into());
        assert_eq!(first_name(&jane), Some("Janet"));
        jane.preferred_name = Some("Jane".into());
        assert_eq!(first_name(&jane), Some("Jane"));
    }

    #[test]
    fn unknown_field_names_are_refused() {
        let error = WorkerField::parse("departmnet").err().unwrap_or_default();
        assert!(
            error.contains("unknown worker field \"departmnet\""),
            "{error}"
        );
        assert!(WorkerField::parse("custom:").is_err());
    }
}
