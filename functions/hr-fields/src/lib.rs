//! The HR columns Tenure reads by name, in one table ([`HrField`]): the engine's HR readers, the
//! standard mapper plugin's configuration and the plugin contract's `worker` record all take their
//! names from it, so a new column is added here first.
//!
//! `no_std` and without dependencies, so that the WebAssembly plugins can use it too.

#![no_std]

/// Declares [`HrField`] from one row per column: variant, column name, how messages name it, and
/// whether the plugin contract's `worker` record carries it.
macro_rules! hr_fields {
    ($( $(#[doc = $doc:literal])* $variant:ident = $name:literal, $describe:literal, $in_record:literal; )*) => {
        /// An HR column Tenure understands by name. Any other column is a custom attribute.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum HrField {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl HrField {
            /// Every field, in the order of the plugin contract's `worker` record (fields the
            /// record lacks come last).
            pub const ALL: &'static [HrField] = &[$(HrField::$variant,)*];

            /// The column's name in HR files and in configuration, in snake_case.
            pub const fn name(self) -> &'static str {
                match self { $(HrField::$variant => $name,)* }
            }

            /// How messages name the field, as in "job title".
            pub const fn describe(self) -> &'static str {
                match self { $(HrField::$variant => $describe,)* }
            }

            /// Whether the plugin contract's `worker` record has this field (as the kebab-case
            /// form of [`HrField::name`]).
            pub const fn in_plugin_record(self) -> bool {
                match self { $(HrField::$variant => $in_record,)* }
            }
        }
    };
}

hr_fields! {
    /// The key to the directory user; required.
    EmployeeId = "employee_id", "employee id", true;
    /// Legal first name.
    FirstName = "first_name", "first name", true;
    /// Legal last name.
    LastName = "last_name", "last name", true;
    /// The name the worker goes by, if not the first name.
    PreferredName = "preferred_name", "preferred name", true;
    /// Middle name(s).
    MiddleName = "middle_name", "middle name", true;
    /// A private address, for delivering the first password.
    PersonalEmail = "personal_email", "personal e-mail", true;
    /// Job title.
    JobTitle = "job_title", "job title", true;
    /// Department.
    Department = "department", "department", true;
    /// Division.
    Division = "division", "division", true;
    /// Cost center.
    CostCenter = "cost_center", "cost center", true;
    /// Office or site.
    Location = "location", "location", true;
    /// ISO 3166 alpha-2 country code.
    Country = "country", "country", true;
    /// The manager's employee id.
    ManagerEmployeeId = "manager_employee_id", "manager", true;
    /// `active`, `leave` or `terminated`; required.
    EmploymentStatus = "employment_status", "employment status", true;
    /// Kind of leave, when on leave.
    LeaveType = "leave_type", "leave type", true;
    /// Employee, contractor, intern…
    EmploymentType = "employment_type", "employment type", true;
    /// First working day, `YYYY-MM-DD`.
    HireDate = "hire_date", "hire date", true;
    /// Last working day, `YYYY-MM-DD`.
    TerminationDate = "termination_date", "termination date", true;
    /// IANA time zone; the worker's dates are judged in it.
    TimeZone = "time_zone", "time zone", true;
    /// Mobile phone number.
    MobilePhone = "mobile_phone", "mobile phone", true;
    /// The address the worker already has at work, for matching existing accounts.
    WorkEmail = "work_email", "work e-mail", false;
    /// First day of a leave, `YYYY-MM-DD`: the worker counts as on leave from then.
    LeaveStartDate = "leave_start_date", "leave start date", false;
    /// First day back from a leave, `YYYY-MM-DD`: the worker counts as active again from then.
    LeaveEndDate = "leave_end_date", "leave end date", false;
}

impl HrField {
    /// The number of fields.
    pub const COUNT: usize = Self::ALL.len();

    /// The field named exactly `name` (snake_case, as configuration writes it).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// The field an HR column header names: its name in any ASCII case, around spaces.
    pub fn from_header(header: &str) -> Option<Self> {
        let header = header.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|f| f.name().eq_ignore_ascii_case(header))
    }

    /// The field's position in [`HrField::ALL`], for tables indexed by field.
    pub const fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::HrField;

    #[test]
    fn every_field_is_found_by_its_name_and_its_position() {
        for (position, field) in HrField::ALL.iter().copied().enumerate() {
            assert_eq!(HrField::from_name(field.name()), Some(field));
            assert_eq!(field.index(), position);
        }
    }

    #[test]
    fn headers_are_read_in_any_case_but_names_exactly() {
        assert_eq!(HrField::from_header(" Hire_Date "), Some(HrField::HireDate));
        assert_eq!(HrField::from_name("Hire_Date"), None);
        assert_eq!(HrField::from_header("Shirt Size"), None);
    }

    #[test]
    fn the_record_fields_come_first() {
        let first_absent = HrField::ALL.iter().position(|f| !f.in_plugin_record());
        if let Some(first_absent) = first_absent {
            assert!(
                HrField::ALL[first_absent..]
                    .iter()
                    .all(|f| !f.in_plugin_record())
            );
        }
    }
}
