//! Templates such as `{first} {last}`: parsed into segments once, when the configuration is read, so
//! that rendering one for a worker is a walk over a short list.

use tenure_hr_fields::HrField;

use std::borrow::Cow;

use crate::fields::{self, CUSTOM_PREFIX, WorkerField};
use crate::types::Worker;

/// Every placeholder name a template accepts, for messages. `{n}` only in identity patterns.
pub(crate) const PLACEHOLDER_NAMES: [&str; 19] = [
    "first",
    "legal_first",
    "last",
    "middle",
    "first_initial",
    "middle_initial",
    "last_initial",
    "employee_id",
    "job_title",
    "department",
    "division",
    "cost_center",
    "location",
    "country",
    "employment_type",
    "mobile_phone",
    "personal_email",
    "hire_date",
    "hire_datetime",
];

/// A value a template can take from the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Placeholder {
    /// `{first}`: the preferred name if there is one, else the legal first name.
    First,
    /// A field read as it is, such as `{department}` or `{custom:Badge Number}`.
    Field(WorkerField),
    /// The first letter of a name, in upper case.
    Initial(Name),
    /// `{hire_datetime}`: the hire date as midnight UTC, the form Graph's `employeeHireDate` takes.
    HireDateTime,
    /// `{n}`: the number that tells two identities apart; identity patterns only.
    Suffix,
}

/// The names an initial can be taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Name {
    First,
    Middle,
    Last,
}

impl Placeholder {
    /// A field of the worker record, read as it is.
    fn record(field: HrField) -> Self {
        Self::Field(WorkerField::Record(field))
    }

    fn parse(name: &str, allow_suffix: bool) -> Result<Self, String> {
        if let Some(header) = name.strip_prefix(CUSTOM_PREFIX) {
            return WorkerField::custom(header).map(Self::Field);
        }
        let placeholder = match name {
            "first" => Self::First,
            "legal_first" => Self::record(HrField::FirstName),
            "last" => Self::record(HrField::LastName),
            "middle" => Self::record(HrField::MiddleName),
            "first_initial" => Self::Initial(Name::First),
            "middle_initial" => Self::Initial(Name::Middle),
            "last_initial" => Self::Initial(Name::Last),
            "employee_id" => Self::record(HrField::EmployeeId),
            "job_title" => Self::record(HrField::JobTitle),
            "department" => Self::record(HrField::Department),
            "division" => Self::record(HrField::Division),
            "cost_center" => Self::record(HrField::CostCenter),
            "location" => Self::record(HrField::Location),
            "country" => Self::record(HrField::Country),
            "employment_type" => Self::record(HrField::EmploymentType),
            "mobile_phone" => Self::record(HrField::MobilePhone),
            "personal_email" => Self::record(HrField::PersonalEmail),
            "hire_date" => Self::record(HrField::HireDate),
            "hire_datetime" => Self::HireDateTime,
            "n" if allow_suffix => Self::Suffix,
            "n" => {
                return Err(
                    "{n} (the number that tells two people apart) only works in identity_patterns"
                        .into(),
                );
            }
            _ => {
                let known: Vec<String> = PLACEHOLDER_NAMES
                    .iter()
                    .map(|p| format!("{{{p}}}"))
                    .collect();
                return Err(format!(
                    "unknown placeholder {{{name}}}; the placeholders are {} and {{custom:<HR column header>}}",
                    known.join(", ")
                ));
            }
        };
        Ok(placeholder)
    }

    /// The worker's value; `None` when the worker lacks it. `{n}` has no value of its own.
    pub(crate) fn value<'w>(&self, worker: &'w Worker) -> Option<Cow<'w, str>> {
        match self {
            Self::First => fields::first_name(worker).map(Cow::Borrowed),
            Self::Field(field) => field.value(worker),
            Self::Initial(name) => {
                let from = match name {
                    Name::First => fields::first_name(worker),
                    Name::Middle => fields::text(&worker.middle_name),
                    Name::Last => fields::text(&worker.last_name),
                }?;
                from.chars()
                    .next()
                    .map(|c| Cow::Owned(c.to_uppercase().collect()))
            }
            Self::HireDateTime => worker.hire_date.map(|date| {
                let mut text = fields::iso_date(date);
                text.push_str("T00:00:00Z");
                Cow::Owned(text)
            }),
            Self::Suffix => None,
        }
    }

    /// How messages name what is missing: `first name`, `custom column "Badge Number"`.
    pub(crate) fn describe(&self) -> Cow<'static, str> {
        match self {
            Self::First | Self::Initial(Name::First) => Cow::Borrowed("first name"),
            Self::Initial(Name::Middle) => Cow::Borrowed("middle name"),
            Self::Initial(Name::Last) => Cow::Borrowed("last name"),
            Self::Field(field) => field.describe(),
            Self::HireDateTime => Cow::Borrowed("hire date"),
            Self::Suffix => Cow::Borrowed("number suffix"),
        }
    }
}

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Literal(String),
    Placeholder(Placeholder),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    segments: Vec<Segment>,
}

impl Template {
    /// Parses `text`. `{{` and `}}` stand for literal braces; `allow_suffix` admits `{n}`.
    ///
    /// The error says what is wrong, without the configuration path, which the caller knows.
    pub(crate) fn parse(text: &str, allow_suffix: bool) -> Result<Self, String> {
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(at) = rest.find(['{', '}']) {
            literal.push_str(&rest[..at]);
            let brace = &rest[at..];
            if let Some(after) = brace
                .strip_prefix("{{")
                .or_else(|| brace.strip_prefix("}}"))
            {
                literal.push_str(&brace[..1]);
                rest = after;
                continue;
            }
            if brace.starts_with('}') {
                return Err(format!(
                    "{text:?} has a }} without a {{ before it; write }}}} for a literal brace"
                ));
            }
            let inner = &brace[1..];
            let end = inner
                .find(['{', '}'])
                .filter(|&end| inner.as_bytes()[end] == b'}');
            let Some(end) = end else {
                return Err(format!(
                    "{text:?} has a {{ that is never closed; write {{{{ for a literal brace"
                ));
            };
            if !literal.is_empty() {
                segments.push(Segment::Literal(std::mem::take(&mut literal)));
            }
            segments.push(Segment::Placeholder(Placeholder::parse(
                &inner[..end],
                allow_suffix,
            )?));
            rest = &inner[end + 1..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        Ok(Self { segments })
    }

    /// The segments, in order.
    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The placeholders, in order.
    pub(crate) fn placeholders(&self) -> impl Iterator<Item = &Placeholder> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Placeholder(placeholder) => Some(placeholder),
            Segment::Literal(_) => None,
        })
    }

    /// The text, if the template has no placeholders.
    pub(crate) fn as_literal(&self) -> Option<String> {
        let mut text = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Literal(literal) => text.push_str(literal),
                Segment::Placeholder(_) => return None,
            }
        }
        Some(text)
    }

    /// Renders the template for a worker, or names the first placeholder the worker has no value for.
    pub(crate) fn render<'t>(&'t self, worker: &Worker) -> Result<String, &'t Placeholder> {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Literal(literal) => out.push_str(literal),
                Segment::Placeholder(placeholder) => {
                    out.push_str(&placeholder.value(worker).ok_or(placeholder)?);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::tests::worker;
    use crate::types::Date;

    fn jose() -> Worker {
        let mut jose = worker("1042");
        jose.first_name = Some("José".into());
        jose.last_name = Some("Müller".into());
        jose.middle_name = Some("maría".into());
        jose.department = Some("Engineering".into());
        jose.hire_date = Some(Date {
            year: 2025,
            month: 3,
            day: 1,
        });
        jose.custom = vec![("Badge Number".into(), "B-17".into())];
        jose
    }

    fn render(text: &str, worker: &Worker) -> Result<String, String> {
        let template = Template::parse(text, false)?;
        template
            .render(worker)
            .map_err(|missing| missing.describe().into_owned())
    }

    #[test]
    fn placeholders_are_filled_from_the_worker() -> Result<(), String> {
        let jose = jose();
        assert_eq!(render("{first} {last}", &jose)?, "José Müller");
        assert_eq!(
            render("{last}, {first} {middle_initial}.", &jose)?,
            "Müller, José M."
        );
        assert_eq!(render("{first_initial}{last_initial}", &jose)?, "JM");
        assert_eq!(
            render("{department} ({employee_id})", &jose)?,
            "Engineering (1042)"
        );
        assert_eq!(render("{custom:badge number}", &jose)?, "B-17");
        Ok(())
    }

    #[test]
    fn hire_dates_render_as_a_date_or_as_graphs_date_and_time() -> Result<(), String> {
        let jose = jose();
        assert_eq!(render("{hire_date}", &jose)?, "2025-03-01");
        assert_eq!(render("{hire_datetime}", &jose)?, "2025-03-01T00:00:00Z");
        Ok(())
    }

    #[test]
    fn the_preferred_name_is_first_and_the_legal_one_stays_reachable() -> Result<(), String> {
        let mut jose = jose();
        jose.preferred_name = Some("Pepe".into());
        assert_eq!(render("{first} / {legal_first}", &jose)?, "Pepe / José");
        Ok(())
    }

    #[test]
    fn a_missing_value_is_named() {
        let jose = jose();
        assert_eq!(
            render("{first} {job_title}", &jose),
            Err("job title".into())
        );
        assert_eq!(
            render("{custom:Shoe Size}", &jose),
            Err("custom column \"Shoe Size\"".into())
        );
    }

    #[test]
    fn literal_templates_always_render() -> Result<(), String> {
        let template = Template::parse("Contoso {{Ltd}}", false)?;
        assert_eq!(template.as_literal().as_deref(), Some("Contoso {Ltd}"));
        assert_eq!(render("Contoso {{Ltd}}", &worker("1"))?, "Contoso {Ltd}");
        Ok(())
    }

    #[test]
    fn malformed_templates_are_refused() {
        let error = |text: &str| Template::parse(text, false).err().unwrap_or_default();
        assert!(
            error("{frist} {last}")
                .starts_with("unknown placeholder {frist}; the placeholders are {first}")
        );
        assert!(error("{first").contains("never closed"));
        assert!(error("{first {last}").contains("never closed"));
        assert!(error("first}").contains("without a {"));
        assert!(error("{}").contains("unknown placeholder {}"));
        assert!(error("{custom:}").contains("needs an HR column header"));
        assert!(error("{first}{n}").contains("only works in identity_patterns"));
    }

    #[test]
    fn the_suffix_is_allowed_where_asked_for() -> Result<(), String> {
        let template = Template::parse("{first}.{last}{n}", true)?;
        assert_eq!(template.placeholders().last(), Some(&Placeholder::Suffix));
        Ok(())
    }
}
