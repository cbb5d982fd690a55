//! The normalised HR worker record, and the small types parsed once at the edge.

use std::fmt;
use std::sync::Arc;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::interned::{self, SharedStr};

/// Why an HR value was refused; the message names the column and quotes the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HrValueError {
    /// An employee id (of the worker, or of their manager) is blank.
    #[error("{field} is empty")]
    EmptyEmployeeId {
        /// `employee_id` or `manager_employee_id`.
        field: &'static str,
    },
    /// An employee id is longer than Microsoft Graph allows.
    #[error("{field} {value:?} is longer than {max} characters", max = EmployeeId::MAX_LEN)]
    LongEmployeeId {
        /// `employee_id` or `manager_employee_id`.
        field: &'static str,
        /// The value, trimmed.
        value: String,
    },
    /// An employee id holds a control character.
    #[error("{field} {value:?} contains a control character")]
    ControlInEmployeeId {
        /// `employee_id` or `manager_employee_id`.
        field: &'static str,
        /// The value, trimmed.
        value: String,
    },
    /// The employment status is none Tenure knows.
    #[error("employment_status {0:?} is not one of active, leave, terminated")]
    UnknownStatus(String),
    /// The time zone is not in the IANA database.
    #[error("time_zone {0:?} is not an IANA time zone name")]
    UnknownTimeZone(String),
    /// A date is not written `YYYY-MM-DD`.
    #[error("{field} {value:?} is not a date of the form YYYY-MM-DD")]
    DateForm {
        /// The column (or argument) the date came from.
        field: &'static str,
        /// The value, trimmed.
        value: String,
    },
    /// A date is written `YYYY-MM-DD` but is no day of the calendar.
    #[error("{field} {value:?} is not a day of the calendar")]
    NoSuchDay {
        /// The column (or argument) the date came from.
        field: &'static str,
        /// The value, trimmed.
        value: String,
    },
    /// A country is not a two-letter code.
    #[error("country {0:?} is not an ISO 3166 alpha-2 code such as US or DE")]
    Country(String),
}

/// An HR system's identifier for a person: the key that ties an HR record to a directory user
/// (`employeeId` in Microsoft Graph). Non-empty, trimmed, at most 16 characters as Graph allows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmployeeId(String);

impl EmployeeId {
    /// Longest `employeeId` Microsoft Graph accepts.
    pub const MAX_LEN: usize = 16;

    /// Parses an employee id, trimming surrounding white space.
    pub fn parse(raw: &str) -> Result<Self, HrValueError> {
        Self::parse_field("employee_id", raw)
    }

    /// Parses an employee id read from `field` (as `manager_employee_id`), which errors name.
    pub fn parse_field(field: &'static str, raw: &str) -> Result<Self, HrValueError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(HrValueError::EmptyEmployeeId { field });
        }
        let value = || trimmed.to_owned();
        if trimmed.chars().count() > Self::MAX_LEN {
            return Err(HrValueError::LongEmployeeId {
                field,
                value: value(),
            });
        }
        if trimmed.chars().any(char::is_control) {
            return Err(HrValueError::ControlInEmployeeId {
                field,
                value: value(),
            });
        }
        Ok(Self(value()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmployeeId {
    type Error = HrValueError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmployeeId> for String {
    fn from(value: EmployeeId) -> Self {
        value.0
    }
}

impl fmt::Display for EmployeeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the HR system says about a worker's employment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmploymentStatus {
    /// Working, or hired for a later start date.
    Active,
    /// On leave of some type (see `leave_type`).
    Leave,
    /// Leaving or gone; effective after `termination_date` if one is given.
    Terminated,
}

impl EmploymentStatus {
    /// Parses the HR value, case-insensitively.
    pub fn parse(raw: &str) -> Result<Self, HrValueError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "active" => Ok(Self::Active),
            "leave" => Ok(Self::Leave),
            "terminated" => Ok(Self::Terminated),
            other => Err(HrValueError::UnknownStatus(other.to_owned())),
        }
    }
}

/// An IANA time zone name that Tenure's time zone database knows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZoneName(SharedStr);

impl TimeZoneName {
    /// Checks the name against the bundled time zone database.
    pub fn parse(raw: &str) -> Result<Self, HrValueError> {
        let name = raw.trim();
        jiff::tz::TimeZone::get(name)
            .map(|_| Self(interned::share(name)))
            .map_err(|_| HrValueError::UnknownTimeZone(name.to_owned()))
    }

    /// The zone's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The zone itself.
    pub fn zone(&self) -> jiff::tz::TimeZone {
        // The name was checked when parsed; the bundled database cannot lose it since.
        jiff::tz::TimeZone::get(&self.0).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

impl TryFrom<String> for TimeZoneName {
    type Error = HrValueError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TimeZoneName> for String {
    fn from(value: TimeZoneName) -> Self {
        value.0.to_string()
    }
}

/// Parses an HR date: `YYYY-MM-DD`, and a real day of the calendar.
pub fn parse_hr_date(field: &'static str, raw: &str) -> Result<Date, HrValueError> {
    let raw = raw.trim();
    let well_formed = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !well_formed {
        return Err(HrValueError::DateForm {
            field,
            value: raw.to_owned(),
        });
    }
    raw.parse::<Date>().map_err(|_| HrValueError::NoSuchDay {
        field,
        value: raw.to_owned(),
    })
}

/// Parses an ISO 3166 alpha-2 country code (two letters), returned upper case.
pub fn parse_country(raw: &str) -> Result<SharedStr, HrValueError> {
    let code = raw.trim();
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(interned::share(&code.to_ascii_uppercase()))
    } else {
        Err(HrValueError::Country(code.to_owned()))
    }
}

/// Where a record came from: file and line (CSV: the physical line; JSON: the array index or line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    /// The file's path as given.
    pub file: Arc<str>,
    /// Line number, from 1 (for a JSON array, the record's position in it, from 1).
    pub line: u64,
}

impl Worker {
    /// An active worker known only by `employee_id`: every other field empty (a starting point
    /// for synthetic records, with struct update syntax).
    pub fn active(employee_id: EmployeeId) -> Self {
        Self {
            employee_id,
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
            work_email: None,
            leave_start_date: None,
            leave_end_date: None,
            custom: Vec::new(),
        }
    }

    /// The employment status on `today` (the worker's local date), with the leave dates
    /// applied: an active worker whose leave has started (and not ended) is on leave; a worker
    /// on leave whose leave has not started yet, or has ended, is active. A terminated worker
    /// stays terminated.
    pub fn status_on(&self, today: Date) -> EmploymentStatus {
        let started = self.leave_start_date.is_none_or(|start| start <= today);
        let ended = self.leave_end_date.is_some_and(|end| end <= today);
        match self.employment_status {
            EmploymentStatus::Terminated => EmploymentStatus::Terminated,
            EmploymentStatus::Leave if !started || ended => EmploymentStatus::Active,
            EmploymentStatus::Active if self.leave_start_date.is_some() && started && !ended => {
                EmploymentStatus::Leave
            }
            status => status,
        }
    }

    /// Fills what this record leaves out from an earlier, fuller record of the same worker:
    /// every absent field takes `known`'s value, and the custom attributes are `known`'s when
    /// this record has none. What this record says wins, including its employment status.
    pub fn fill_from(&mut self, known: &Worker) {
        fn fill<T: Clone>(field: &mut Option<T>, known: &Option<T>) {
            if field.is_none() {
                field.clone_from(known);
            }
        }
        fill(&mut self.first_name, &known.first_name);
        fill(&mut self.last_name, &known.last_name);
        fill(&mut self.preferred_name, &known.preferred_name);
        fill(&mut self.middle_name, &known.middle_name);
        fill(&mut self.personal_email, &known.personal_email);
        fill(&mut self.job_title, &known.job_title);
        fill(&mut self.department, &known.department);
        fill(&mut self.division, &known.division);
        fill(&mut self.cost_center, &known.cost_center);
        fill(&mut self.location, &known.location);
        fill(&mut self.country, &known.country);
        fill(&mut self.manager_employee_id, &known.manager_employee_id);
        fill(&mut self.leave_type, &known.leave_type);
        fill(&mut self.employment_type, &known.employment_type);
        fill(&mut self.hire_date, &known.hire_date);
        fill(&mut self.termination_date, &known.termination_date);
        fill(&mut self.time_zone, &known.time_zone);
        fill(&mut self.mobile_phone, &known.mobile_phone);
        fill(&mut self.work_email, &known.work_email);
        fill(&mut self.leave_start_date, &known.leave_start_date);
        fill(&mut self.leave_end_date, &known.leave_end_date);
        if self.custom.is_empty() {
            self.custom.clone_from(&known.custom);
        }
    }
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One worker, normalised: every value trimmed, empty values absent, dates and codes checked.
///
/// The values many workers share (names, job title, department, location, country…) are shared
/// strings: a file read by [`crate::hr`] keeps each distinct value once, however many workers
/// have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Worker {
    /// The key to the directory user.
    pub employee_id: EmployeeId,
    /// Legal first name.
    pub first_name: Option<SharedStr>,
    /// Legal last name.
    pub last_name: Option<SharedStr>,
    /// The name the worker goes by, if not the first name.
    pub preferred_name: Option<SharedStr>,
    /// Middle name(s).
    pub middle_name: Option<SharedStr>,
    /// A private address, for delivering the first password.
    pub personal_email: Option<String>,
    /// Job title.
    pub job_title: Option<SharedStr>,
    /// Department.
    pub department: Option<SharedStr>,
    /// Division.
    pub division: Option<SharedStr>,
    /// Cost center.
    pub cost_center: Option<SharedStr>,
    /// Office or site.
    pub location: Option<SharedStr>,
    /// ISO 3166 alpha-2, upper case.
    pub country: Option<SharedStr>,
    /// The manager's employee id; checked to exist among the records.
    pub manager_employee_id: Option<EmployeeId>,
    /// Employment status.
    pub employment_status: EmploymentStatus,
    /// Kind of leave, when on leave.
    pub leave_type: Option<SharedStr>,
    /// Employee, contractor, intern…
    pub employment_type: Option<SharedStr>,
    /// First working day.
    pub hire_date: Option<Date>,
    /// Last working day.
    pub termination_date: Option<Date>,
    /// The worker's IANA time zone; dates are judged in it.
    pub time_zone: Option<TimeZoneName>,
    /// Mobile phone number.
    pub mobile_phone: Option<String>,
    /// The address the worker already has at work (optional): matched against existing
    /// accounts' `userPrincipalName`, `mail` and `proxyAddresses` when a tenant is onboarded.
    #[serde(default)]
    pub work_email: Option<String>,
    /// First day of a leave (optional): from then the worker counts as on leave.
    #[serde(default)]
    pub leave_start_date: Option<Date>,
    /// First day back from a leave (optional): from then the worker counts as active again.
    #[serde(default)]
    pub leave_end_date: Option<Date>,
    /// Every other column, by header, in file order.
    pub custom: Vec<(String, String)>,
}
