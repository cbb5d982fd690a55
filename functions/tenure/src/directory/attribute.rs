//! The user properties a plugin may set, by their Microsoft Graph names.

use serde::{Deserialize, Serialize};

use super::DirectoryUser;

/// A writable Graph user property that Tenure manages on a plugin's say. Its JSON form is the
/// Graph property name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)] // Each variant is the Graph property of the same name.
pub enum UserAttribute {
    GivenName,
    Surname,
    JobTitle,
    Department,
    CompanyName,
    OfficeLocation,
    UsageLocation,
    EmployeeType,
    EmployeeHireDate,
    MobilePhone,
    City,
    State,
    Country,
    StreetAddress,
    PostalCode,
    PreferredLanguage,
}

impl UserAttribute {
    /// Every attribute, in the order plans list them.
    pub const ALL: [Self; 16] = [
        Self::GivenName,
        Self::Surname,
        Self::JobTitle,
        Self::Department,
        Self::CompanyName,
        Self::OfficeLocation,
        Self::UsageLocation,
        Self::EmployeeType,
        Self::EmployeeHireDate,
        Self::MobilePhone,
        Self::City,
        Self::State,
        Self::Country,
        Self::StreetAddress,
        Self::PostalCode,
        Self::PreferredLanguage,
    ];

    /// The Graph property name.
    pub fn graph_name(self) -> &'static str {
        match self {
            Self::GivenName => "givenName",
            Self::Surname => "surname",
            Self::JobTitle => "jobTitle",
            Self::Department => "department",
            Self::CompanyName => "companyName",
            Self::OfficeLocation => "officeLocation",
            Self::UsageLocation => "usageLocation",
            Self::EmployeeType => "employeeType",
            Self::EmployeeHireDate => "employeeHireDate",
            Self::MobilePhone => "mobilePhone",
            Self::City => "city",
            Self::State => "state",
            Self::Country => "country",
            Self::StreetAddress => "streetAddress",
            Self::PostalCode => "postalCode",
            Self::PreferredLanguage => "preferredLanguage",
        }
    }

    /// Looks a Graph property name up (exact spelling, as Graph is case-sensitive in JSON).
    pub fn from_graph_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.graph_name() == name)
    }

    /// The user's current value.
    pub fn get(self, user: &DirectoryUser) -> Option<&str> {
        let value = match self {
            Self::GivenName => &user.given_name,
            Self::Surname => &user.surname,
            Self::JobTitle => &user.job_title,
            Self::Department => &user.department,
            Self::CompanyName => &user.company_name,
            Self::OfficeLocation => &user.office_location,
            Self::UsageLocation => &user.usage_location,
            Self::EmployeeType => &user.employee_type,
            Self::EmployeeHireDate => &user.employee_hire_date,
            Self::MobilePhone => &user.mobile_phone,
            Self::City => &user.city,
            Self::State => &user.state,
            Self::Country => &user.country,
            Self::StreetAddress => &user.street_address,
            Self::PostalCode => &user.postal_code,
            Self::PreferredLanguage => &user.preferred_language,
        };
        value.as_deref()
    }

    /// Sets the user's value (used by the emulated tenant and by tests).
    pub fn set(self, user: &mut DirectoryUser, value: Option<String>) {
        let slot = match self {
            Self::GivenName => &mut user.given_name,
            Self::Surname => &mut user.surname,
            Self::JobTitle => &mut user.job_title,
            Self::Department => &mut user.department,
            Self::CompanyName => &mut user.company_name,
            Self::OfficeLocation => &mut user.office_location,
            Self::UsageLocation => &mut user.usage_location,
            Self::EmployeeType => &mut user.employee_type,
            Self::EmployeeHireDate => &mut user.employee_hire_date,
            Self::MobilePhone => &mut user.mobile_phone,
            Self::City => &mut user.city,
            Self::State => &mut user.state,
            Self::Country => &mut user.country,
            Self::StreetAddress => &mut user.street_address,
            Self::PostalCode => &mut user.postal_code,
            Self::PreferredLanguage => &mut user.preferred_language,
        };
        *slot = value.map(crate::SharedStr::from);
    }

    /// Whether two values mean the same. `employeeHireDate` is a timestamp, compared as one.
    pub fn same_value(self, current: Option<&str>, wanted: Option<&str>) -> bool {
        match (self, current, wanted) {
            // The same text is the same moment: only different texts are parsed.
            (Self::EmployeeHireDate, Some(a), Some(b)) if a != b => {
                match (a.parse::<jiff::Timestamp>(), b.parse::<jiff::Timestamp>()) {
                    (Ok(a), Ok(b)) => a == b,
                    _ => a == b,
                }
            }
            (_, a, b) => a == b,
        }
    }
}
