//! Directory attributes: the Microsoft Graph user properties a configuration may set, each from a
//! template. A template that needs a value the worker lacks clears the property.

use tenure_hr_fields::HrField;

use crate::fields::WorkerField;
use crate::template::{Placeholder, Template};
use crate::types::{Attribute, Worker};

/// Graph user properties that hold one string and that an application may write: the ones Tenure's
/// planner sets (`UserAttribute` in the engine), so that a configuration is refused here rather than
/// a plan later.
///
/// `displayName`, `userPrincipalName`, `mailNickname` and `employeeId` are not here: they come from
/// `display_name`, `identity_patterns` and the worker record. Nested properties such as
/// `employeeOrgData` are not here either: an attribute is one top-level property.
pub(crate) const WRITABLE: [&str; 16] = [
    "city",
    "companyName",
    "country",
    "department",
    "employeeHireDate",
    "employeeType",
    "givenName",
    "jobTitle",
    "mobilePhone",
    "officeLocation",
    "postalCode",
    "preferredLanguage",
    "state",
    "streetAddress",
    "surname",
    "usageLocation",
];

/// The attributes a configuration sets when it says nothing about them.
pub(crate) const DEFAULTS: [(&str, &str); 8] = [
    ("givenName", "{first}"),
    ("surname", "{last}"),
    ("jobTitle", "{job_title}"),
    ("department", "{department}"),
    ("officeLocation", "{location}"),
    ("usageLocation", "{country}"),
    ("employeeType", "{employment_type}"),
    ("employeeHireDate", "{hire_datetime}"),
];

/// One attribute: a Graph property and the template for its value (`None`: always cleared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttributeTemplate {
    name: &'static str,
    template: Option<Template>,
}

impl AttributeTemplate {
    /// Parses one entry of `attributes`. `template` `None` (JSON `null`) or `""` always clears.
    pub(crate) fn parse(name: &str, template: Option<&str>) -> Result<Self, String> {
        let Some(&known) = WRITABLE.iter().find(|w| **w == name) else {
            return Err(unknown(name));
        };
        let template = match template {
            None | Some("") => None,
            Some(text) => Some(Template::parse(text, false)?),
        };
        if let Some(template) = &template {
            check(known, template)?;
        }
        Ok(Self {
            name: known,
            template,
        })
    }

    /// The attribute's value for a worker, or why the worker's value cannot be used.
    pub(crate) fn render(&self, worker: &Worker) -> Result<Attribute, String> {
        let value = self
            .template
            .as_ref()
            .and_then(|template| template.render(worker).ok())
            .and_then(trimmed);
        let value = match (self.name, value) {
            ("usageLocation", Some(code)) => Some(country_code(&code).ok_or_else(|| {
                format!(
                    "usageLocation must be a two-letter country code such as US, but worker {} gives {code:?}",
                    worker.employee_id.trim()
                )
            })?),
            (_, value) => value,
        };
        Ok(Attribute {
            name: self.name.to_owned(),
            value,
        })
    }

    /// The Graph property's name.
    pub(crate) fn name(&self) -> &'static str {
        self.name
    }
}

fn unknown(name: &str) -> String {
    let owned_elsewhere = match name {
        "displayName" => Some("it comes from display_name"),
        "userPrincipalName" | "mailNickname" => Some("it comes from identity_patterns"),
        "employeeId" => Some(
            "Tenure sets it from the worker's employee id, which ties the account to the worker",
        ),
        "accountEnabled" => Some("the lifecycle decides it"),
        _ => None,
    };
    if let Some(reason) = owned_elsewhere {
        return format!("{name} cannot be set here: {reason}");
    }
    if let Some(spelled) = WRITABLE.iter().find(|w| w.eq_ignore_ascii_case(name)) {
        return format!("unknown attribute {name:?}; did you mean {spelled}?");
    }
    format!(
        "unknown attribute {name:?}; the attributes that can be set are {}",
        WRITABLE.join(", ")
    )
}

/// Checks what Graph would refuse about a property's value, where the configuration already tells.
fn check(name: &str, template: &Template) -> Result<(), String> {
    match name {
        "usageLocation" => match template.as_literal() {
            Some(code) if country_code(&code).is_none() => Err(format!(
                "{code:?} is not a two-letter country code such as US"
            )),
            _ => Ok(()),
        },
        "employeeHireDate"
            if template
                .placeholders()
                .any(|p| *p == Placeholder::Field(WorkerField::Record(HrField::HireDate))) =>
        {
            Err(
                "Graph wants a date and time here: use {hire_datetime} rather than {hire_date}"
                    .into(),
            )
        }
        _ => Ok(()),
    }
}

/// The text without surrounding white space, `None` if nothing is left; copied only if need be.
fn trimmed(text: String) -> Option<String> {
    match text.trim() {
        "" => None,
        trimmed if trimmed.len() == text.len() => Some(text),
        trimmed => Some(trimmed.to_owned()),
    }
}

/// An ISO 3166 alpha-2 code in upper case, if `text` is two ASCII letters.
fn country_code(text: &str) -> Option<String> {
    (text.len() == 2 && text.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| text.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::tests::worker;

    fn value(
        name: &str,
        template: Option<&str>,
        worker: &Worker,
    ) -> Result<Option<String>, String> {
        Ok(AttributeTemplate::parse(name, template)?
            .render(worker)?
            .value)
    }

    #[test]
    fn values_come_from_the_worker_and_missing_ones_clear() -> Result<(), String> {
        let mut jane = worker("1001");
        jane.job_title = Some("Engineer".into());
        assert_eq!(
            value("jobTitle", Some("{job_title}"), &jane)?.as_deref(),
            Some("Engineer")
        );
        assert_eq!(value("department", Some("{department}"), &jane)?, None);
        assert_eq!(
            value("department", Some("Dept. {department}"), &jane)?,
            None
        );
        Ok(())
    }

    #[test]
    fn literal_templates_always_have_a_value_and_empty_ones_clear() -> Result<(), String> {
        let jane = worker("1001");
        assert_eq!(
            value("companyName", Some("Contoso"), &jane)?.as_deref(),
            Some("Contoso")
        );
        assert_eq!(value("mobilePhone", Some(""), &jane)?, None);
        assert_eq!(value("mobilePhone", None, &jane)?, None);
        Ok(())
    }

    #[test]
    fn usage_location_must_be_a_country_code() -> Result<(), String> {
        let mut jane = worker("1001");
        jane.country = Some("us".into());
        assert_eq!(
            value("usageLocation", Some("{country}"), &jane)?.as_deref(),
            Some("US")
        );
        jane.country = Some("USA".into());
        assert_eq!(
            value("usageLocation", Some("{country}"), &jane),
            Err("usageLocation must be a two-letter country code such as US, but worker 1001 gives \"USA\"".into())
        );
        assert!(AttributeTemplate::parse("usageLocation", Some("Germany")).is_err());
        assert!(AttributeTemplate::parse("usageLocation", Some("DE")).is_ok());
        Ok(())
    }

    #[test]
    fn only_writable_properties_are_accepted() {
        let error = |name: &str| {
            AttributeTemplate::parse(name, Some("x"))
                .err()
                .unwrap_or_default()
        };
        assert_eq!(
            error("jobtitle"),
            "unknown attribute \"jobtitle\"; did you mean jobTitle?"
        );
        assert!(error("shoeSize").starts_with(
            "unknown attribute \"shoeSize\"; the attributes that can be set are city"
        ));
        assert!(error("displayName").contains("display_name"));
        assert!(error("employeeId").contains("ties the account"));
    }

    #[test]
    fn the_hire_date_attribute_needs_a_time() {
        let error = AttributeTemplate::parse("employeeHireDate", Some("{hire_date}"))
            .err()
            .unwrap_or_default();
        assert!(error.contains("{hire_datetime}"), "{error}");
    }
}
