//! One raw HR record (column name → text) to a normalised [`Worker`].

use tenure_hr_fields::HrField;

use crate::interned;

use crate::worker::{
    EmployeeId, EmploymentStatus, HrValueError, TimeZoneName, Worker, parse_country, parse_hr_date,
};

/// The columns Tenure understands by name ([`HrField`]'s names); any other column becomes a
/// custom attribute.
pub const KNOWN_COLUMNS: [&str; HrField::COUNT] = {
    let mut names = [""; HrField::COUNT];
    let mut i = 0;
    while i < HrField::COUNT {
        names[i] = HrField::ALL[i].name();
        i += 1;
    }
    names
};

/// A column of an HR record: a field Tenure knows, or a custom attribute by its name.
#[derive(Debug, Clone, Copy)]
pub(super) enum Column<'h> {
    /// A field Tenure understands.
    Field(HrField),
    /// Any other column, by its trimmed name.
    Custom(&'h str),
}

impl<'h> Column<'h> {
    /// The column a header names (case-insensitively, surrounding spaces ignored).
    pub(super) fn of(header: &'h str) -> Self {
        let name = header.trim();
        HrField::from_header(name).map_or(Column::Custom(name), Column::Field)
    }
}

/// Turns `(column, value)` pairs into a worker. Blank values count as absent.
///
/// On failure returns the employee id if one could be read, and the first problem found.
pub(super) fn to_worker<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Worker, (Option<String>, String)> {
    to_worker_by_column(
        pairs
            .into_iter()
            .map(|(header, value)| (Column::of(header), value)),
    )
}

/// As [`to_worker`], with each column already known: a file's header row is read once, not
/// once per record.
pub(super) fn to_worker_by_column<'a>(
    pairs: impl IntoIterator<Item = (Column<'a>, &'a str)>,
) -> Result<Worker, (Option<String>, String)> {
    let mut raw = RawWorker {
        values: [None; HrField::COUNT],
        custom: Vec::new(),
    };
    for (column, value) in pairs {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match column {
            Column::Field(field) => raw.values[field.index()] = Some(value),
            Column::Custom(name) => raw.custom.push((name.to_owned(), value.to_owned())),
        }
    }
    raw.build()
}

/// One record's values by [`HrField`], before they are checked: borrowed from the record, so
/// that only the values a worker keeps are copied (a date or a status is parsed and dropped).
struct RawWorker<'a> {
    values: [Option<&'a str>; HrField::COUNT],
    custom: Vec<(String, String)>,
}

impl<'a> RawWorker<'a> {
    /// Takes the value of `field` out of the record.
    fn take(&mut self, field: HrField) -> Option<&'a str> {
        self.values[field.index()].take()
    }

    /// Takes the value of `field` out of the record, as the worker keeps it.
    fn take_owned(&mut self, field: HrField) -> Option<String> {
        self.take(field).map(str::to_owned)
    }

    /// Takes the value of `field` out of the record, shared with the workers that have it too.
    fn take_shared(&mut self, field: HrField) -> Option<crate::SharedStr> {
        self.take(field).map(interned::share)
    }

    fn build(mut self) -> Result<Worker, (Option<String>, String)> {
        let Some(raw_id) = self.take(HrField::EmployeeId) else {
            return Err((None, "employee_id is missing".into()));
        };
        let employee_id = EmployeeId::parse(raw_id).map_err(|e| (None, e.to_string()))?;
        // The id is copied for an error only: most records have none.
        let id = || Some(employee_id.as_str().to_owned());
        let fail = |message: String| (id(), message);
        let refused = |error: HrValueError| (id(), error.to_string());
        let employment_status = match self.take(HrField::EmploymentStatus) {
            Some(raw) => EmploymentStatus::parse(raw).map_err(refused)?,
            None => return Err(fail("employment_status is missing".into())),
        };
        let mut date = |field: HrField| {
            self.take(field)
                .map(|v| parse_hr_date(field.name(), v))
                .transpose()
        };
        let hire_date = date(HrField::HireDate).map_err(refused)?;
        let termination_date = date(HrField::TerminationDate).map_err(refused)?;
        let leave_start_date = date(HrField::LeaveStartDate).map_err(refused)?;
        let leave_end_date = date(HrField::LeaveEndDate).map_err(refused)?;
        if let (Some(start), Some(end)) = (leave_start_date, leave_end_date)
            && end <= start
        {
            return Err(fail(format!(
                "leave_end_date {end} is not after leave_start_date {start}"
            )));
        }
        if let (Some(hire), Some(end)) = (hire_date, termination_date)
            && end < hire
        {
            return Err(fail(format!(
                "termination_date {end} is before hire_date {hire}"
            )));
        }
        let country = self
            .take(HrField::Country)
            .map(parse_country)
            .transpose()
            .map_err(refused)?;
        let time_zone = self
            .take(HrField::TimeZone)
            .map(TimeZoneName::parse)
            .transpose()
            .map_err(refused)?;
        let manager_employee_id = self
            .take(HrField::ManagerEmployeeId)
            .map(|m| EmployeeId::parse_field(HrField::ManagerEmployeeId.name(), m))
            .transpose()
            .map_err(refused)?;
        for field in [HrField::PersonalEmail, HrField::WorkEmail] {
            if let Some(address) = self.values[field.index()]
                && !looks_like_email(address)
            {
                return Err(fail(format!(
                    "{} {address:?} is not an e-mail address",
                    field.name()
                )));
            }
        }
        Ok(Worker {
            employee_id,
            first_name: self.take_shared(HrField::FirstName),
            last_name: self.take_shared(HrField::LastName),
            preferred_name: self.take_shared(HrField::PreferredName),
            middle_name: self.take_shared(HrField::MiddleName),
            personal_email: self.take_owned(HrField::PersonalEmail),
            job_title: self.take_shared(HrField::JobTitle),
            department: self.take_shared(HrField::Department),
            division: self.take_shared(HrField::Division),
            cost_center: self.take_shared(HrField::CostCenter),
            location: self.take_shared(HrField::Location),
            country,
            manager_employee_id,
            employment_status,
            leave_type: self.take_shared(HrField::LeaveType),
            employment_type: self.take_shared(HrField::EmploymentType),
            hire_date,
            termination_date,
            time_zone,
            mobile_phone: self.take_owned(HrField::MobilePhone),
            work_email: self.take_owned(HrField::WorkEmail),
            leave_start_date,
            leave_end_date,
            custom: self.custom,
        })
    }
}

fn looks_like_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !text.chars().any(char::is_whitespace)
        }
        None => false,
    }
}
