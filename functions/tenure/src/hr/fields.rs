//! One raw HR record (column name → text) to a normalised [`Worker`].

use crate::worker::{
    EmployeeId, EmploymentStatus, TimeZoneName, Worker, parse_country, parse_hr_date,
};

/// The columns Tenure understands by name; any other column becomes a custom attribute.
pub const KNOWN_COLUMNS: [&str; 21] = [
    "employee_id",
    "first_name",
    "last_name",
    "preferred_name",
    "middle_name",
    "personal_email",
    "job_title",
    "department",
    "division",
    "cost_center",
    "location",
    "country",
    "manager_employee_id",
    "employment_status",
    "leave_type",
    "employment_type",
    "hire_date",
    "termination_date",
    "time_zone",
    "mobile_phone",
    "work_email",
];

/// Turns `(column, value)` pairs into a worker. Blank values count as absent.
///
/// On failure returns the employee id if one could be read, and the first problem found.
pub(super) fn to_worker<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Worker, (Option<String>, String)> {
    let mut raw = RawWorker::default();
    for (column, value) in pairs {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let key = column.trim();
        // Most headers are lower case already: only the others pay for a lower-cased copy.
        let lower;
        let name = if key.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = key.to_ascii_lowercase();
            lower.as_str()
        } else {
            key
        };
        let slot = match name {
            "employee_id" => &mut raw.employee_id,
            "first_name" => &mut raw.first_name,
            "last_name" => &mut raw.last_name,
            "preferred_name" => &mut raw.preferred_name,
            "middle_name" => &mut raw.middle_name,
            "personal_email" => &mut raw.personal_email,
            "job_title" => &mut raw.job_title,
            "department" => &mut raw.department,
            "division" => &mut raw.division,
            "cost_center" => &mut raw.cost_center,
            "location" => &mut raw.location,
            "country" => &mut raw.country,
            "manager_employee_id" => &mut raw.manager_employee_id,
            "employment_status" => &mut raw.employment_status,
            "leave_type" => &mut raw.leave_type,
            "employment_type" => &mut raw.employment_type,
            "hire_date" => &mut raw.hire_date,
            "termination_date" => &mut raw.termination_date,
            "time_zone" => &mut raw.time_zone,
            "mobile_phone" => &mut raw.mobile_phone,
            "work_email" => &mut raw.work_email,
            _ => {
                raw.custom.push((key.to_owned(), value.to_owned()));
                continue;
            }
        };
        *slot = Some(value.to_owned());
    }
    raw.build()
}

#[derive(Default)]
struct RawWorker {
    employee_id: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    preferred_name: Option<String>,
    middle_name: Option<String>,
    personal_email: Option<String>,
    job_title: Option<String>,
    department: Option<String>,
    division: Option<String>,
    cost_center: Option<String>,
    location: Option<String>,
    country: Option<String>,
    manager_employee_id: Option<String>,
    employment_status: Option<String>,
    leave_type: Option<String>,
    employment_type: Option<String>,
    hire_date: Option<String>,
    termination_date: Option<String>,
    time_zone: Option<String>,
    mobile_phone: Option<String>,
    work_email: Option<String>,
    custom: Vec<(String, String)>,
}

impl RawWorker {
    fn build(self) -> Result<Worker, (Option<String>, String)> {
        let Some(raw_id) = self.employee_id else {
            return Err((None, "employee_id is missing".into()));
        };
        let employee_id = EmployeeId::parse(&raw_id).map_err(|e| (None, e))?;
        let id = Some(employee_id.as_str().to_owned());
        let fail = |message: String| (id.clone(), message);
        let employment_status = match self.employment_status.as_deref() {
            Some(raw) => EmploymentStatus::parse(raw).map_err(fail)?,
            None => return Err(fail("employment_status is missing".into())),
        };
        let date = |field: &str, raw: &Option<String>| {
            raw.as_deref().map(|v| parse_hr_date(field, v)).transpose()
        };
        let hire_date = date("hire_date", &self.hire_date).map_err(fail)?;
        let termination_date = date("termination_date", &self.termination_date).map_err(fail)?;
        if let (Some(hire), Some(end)) = (hire_date, termination_date)
            && end < hire
        {
            return Err(fail(format!(
                "termination_date {end} is before hire_date {hire}"
            )));
        }
        let country = self
            .country
            .as_deref()
            .map(parse_country)
            .transpose()
            .map_err(fail)?;
        let time_zone = self
            .time_zone
            .as_deref()
            .map(TimeZoneName::parse)
            .transpose()
            .map_err(fail)?;
        let manager_employee_id = self
            .manager_employee_id
            .as_deref()
            .map(|m| EmployeeId::parse(m).map_err(|e| format!("manager_{e}")))
            .transpose()
            .map_err(fail)?;
        for (field, address) in [
            ("personal_email", &self.personal_email),
            ("work_email", &self.work_email),
        ] {
            if let Some(address) = address
                && !looks_like_email(address)
            {
                return Err(fail(format!(
                    "{field} {address:?} is not an e-mail address"
                )));
            }
        }
        Ok(Worker {
            employee_id,
            first_name: self.first_name,
            last_name: self.last_name,
            preferred_name: self.preferred_name,
            middle_name: self.middle_name,
            personal_email: self.personal_email,
            job_title: self.job_title,
            department: self.department,
            division: self.division,
            cost_center: self.cost_center,
            location: self.location,
            country,
            manager_employee_id,
            employment_status,
            leave_type: self.leave_type,
            employment_type: self.employment_type,
            hire_date,
            termination_date,
            time_zone,
            mobile_phone: self.mobile_phone,
            work_email: self.work_email,
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
