//! Rules: the groups and licenses a worker gets, from conditions on the worker's fields. Rules add up;
//! a rule whose conditions all hold gives everything it lists.

use tenure_hr_fields::HrField;

use crate::fields::{self, WorkerField, trimmed_eq_ignore_case};
use crate::types::{GroupKind, GroupRef, Managed, Worker};

/// One condition of a rule: the field has one of the accepted values, ignoring case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Condition {
    field: WorkerField,
    /// In lower case; dates as `YYYY-MM-DD`.
    accepted: Vec<String>,
}

impl Condition {
    /// Parses `field: value` or `field: [values]` from a rule's `when`.
    pub(crate) fn parse(field: &str, values: &[String]) -> Result<Self, String> {
        let field = WorkerField::parse(field)?;
        if values.is_empty() {
            return Err("expected at least one value to match".into());
        }
        let mut accepted = Vec::with_capacity(values.len());
        for value in values {
            let value = value.trim();
            if value.is_empty() {
                return Err(
                    "an empty value never matches; leave the field out to match everyone".into(),
                );
            }
            let is_status = || {
                ["active", "leave", "terminated"]
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(value))
            };
            match field {
                WorkerField::Record(HrField::EmploymentStatus) if !is_status() => {
                    return Err(format!(
                        "{value:?} is not an employment status; expected active, leave or terminated"
                    ));
                }
                WorkerField::Record(HrField::HireDate)
                | WorkerField::Record(HrField::TerminationDate)
                    if fields::parse_iso_date(value).is_none() =>
                {
                    return Err(format!("{value:?} is not a date of the form YYYY-MM-DD"));
                }
                _ => {}
            }
            accepted.push(fields::lowercase(value));
        }
        Ok(Self { field, accepted })
    }

    fn holds(&self, worker: &Worker) -> bool {
        self.field.value(worker).is_some_and(|value| {
            self.accepted
                .iter()
                .any(|accepted| trimmed_eq_ignore_case(&value, accepted))
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    conditions: Vec<Condition>,
    /// Indexes into [`Rules::groups`] and [`Rules::licenses`].
    groups: Vec<usize>,
    licenses: Vec<usize>,
}

/// Every rule of a configuration, and every distinct group and license they can give.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Rules {
    rules: Vec<Rule>,
    groups: Vec<GroupRef>,
    /// Where each group was first listed, to point at it when the same name comes with another kind.
    group_origins: Vec<String>,
    licenses: Vec<String>,
}

/// What the rules give one worker, in the order the configuration first lists each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Grants {
    pub(crate) groups: Vec<GroupRef>,
    pub(crate) licenses: Vec<String>,
}

/// A rule being added: its conditions, then the groups and licenses it gives.
pub(crate) struct RuleBuilder<'r> {
    rules: &'r mut Rules,
    rule: Rule,
}

impl Rules {
    /// Starts a rule with these conditions (none: everyone).
    pub(crate) fn rule(&mut self, conditions: Vec<Condition>) -> RuleBuilder<'_> {
        RuleBuilder {
            rules: self,
            rule: Rule {
                conditions,
                groups: Vec::new(),
                licenses: Vec::new(),
            },
        }
    }

    /// Whatever every matching rule gives, each group and license once.
    pub(crate) fn grants(&self, worker: &Worker) -> Grants {
        let mut group_given = vec![false; self.groups.len()];
        let mut license_given = vec![false; self.licenses.len()];
        for rule in &self.rules {
            if rule
                .conditions
                .iter()
                .all(|condition| condition.holds(worker))
            {
                rule.groups.iter().for_each(|&g| group_given[g] = true);
                rule.licenses.iter().for_each(|&l| license_given[l] = true);
            }
        }
        Grants {
            groups: pick(&self.groups, &group_given),
            licenses: pick(&self.licenses, &license_given),
        }
    }

    /// Every group and license any rule can give.
    pub(crate) fn managed(&self) -> Managed {
        Managed {
            groups: self.groups.clone(),
            licenses: self.licenses.clone(),
        }
    }
}

fn pick<T: Clone>(all: &[T], given: &[bool]) -> Vec<T> {
    all.iter()
        .zip(given)
        .filter(|(_, given)| **given)
        .map(|(item, _)| item.clone())
        .collect()
}

impl RuleBuilder<'_> {
    /// Adds a group; `at` is its place in the configuration, for messages.
    ///
    /// Names compare ignoring case, as the directory does; the same name may not be two kinds.
    pub(crate) fn group(&mut self, kind: GroupKind, name: &str, at: &str) -> Result<(), String> {
        let name = name.trim();
        if name.is_empty() {
            return Err("a group name must not be empty".into());
        }
        let known = self
            .rules
            .groups
            .iter()
            .position(|g| g.name.to_lowercase() == name.to_lowercase());
        let index = match known {
            Some(index) if self.rules.groups[index].kind == kind => index,
            Some(index) => {
                return Err(format!(
                    "{name:?} is already listed as a {} at {}; a group has one kind",
                    describe(self.rules.groups[index].kind),
                    self.rules.group_origins[index]
                ));
            }
            None => {
                self.rules.groups.push(GroupRef {
                    kind,
                    name: name.to_owned(),
                });
                self.rules.group_origins.push(at.to_owned());
                self.rules.groups.len() - 1
            }
        };
        if !self.rule.groups.contains(&index) {
            self.rule.groups.push(index);
        }
        Ok(())
    }

    /// Adds a license by SKU part number, such as `ENTERPRISEPACK`; compared ignoring case.
    pub(crate) fn license(&mut self, sku: &str) -> Result<(), String> {
        let sku = sku.trim();
        if sku.is_empty() || sku.contains(char::is_whitespace) {
            return Err(format!(
                "{sku:?} is not a license SKU part number such as ENTERPRISEPACK"
            ));
        }
        let index = match self
            .rules
            .licenses
            .iter()
            .position(|l| l.eq_ignore_ascii_case(sku))
        {
            Some(index) => index,
            None => {
                self.rules.licenses.push(sku.to_owned());
                self.rules.licenses.len() - 1
            }
        };
        if !self.rule.licenses.contains(&index) {
            self.rule.licenses.push(index);
        }
        Ok(())
    }

    /// Whether the rule gives anything yet.
    pub(crate) fn gives_anything(&self) -> bool {
        !self.rule.groups.is_empty() || !self.rule.licenses.is_empty()
    }

    /// Adds the rule.
    pub(crate) fn finish(self) {
        self.rules.rules.push(self.rule);
    }
}

/// A group kind as messages name it.
pub(crate) fn describe(kind: GroupKind) -> &'static str {
    match kind {
        GroupKind::Security => "security group",
        GroupKind::Microsoft365 => "Microsoft 365 group",
        GroupKind::Distribution => "distribution list",
        GroupKind::MailEnabledSecurity => "mail-enabled security group",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::tests::worker;

    fn condition(field: &str, values: &[&str]) -> Result<Condition, String> {
        Condition::parse(
            field,
            &values.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
        )
    }

    fn group(kind: GroupKind, name: &str) -> GroupRef {
        GroupRef {
            kind,
            name: name.into(),
        }
    }

    /// All staff get a license and a group; engineers in the US or Canada get more.
    fn contoso() -> Result<Rules, String> {
        let mut rules = Rules::default();
        let mut everyone = rules.rule(vec![]);
        everyone.group(GroupKind::Security, "All Staff", "rules[0]")?;
        everyone.license("ENTERPRISEPACK")?;
        everyone.finish();
        let mut engineers = rules.rule(vec![
            condition("department", &["Engineering", "R&D"])?,
            condition("country", &["US", "CA"])?,
        ]);
        engineers.group(GroupKind::Security, "Engineering", "rules[1]")?;
        engineers.group(GroupKind::Microsoft365, "Eng Team", "rules[1]")?;
        engineers.group(GroupKind::Security, "all staff", "rules[1]")?;
        engineers.license("enterprisepack")?;
        engineers.finish();
        let mut contractors = rules.rule(vec![condition("custom:Worker Kind", &["contractor"])?]);
        contractors.license("SPE_F1")?;
        contractors.finish();
        Ok(rules)
    }

    #[test]
    fn an_empty_when_matches_everyone() -> Result<(), String> {
        let grants = contoso()?.grants(&worker("1"));
        assert_eq!(grants.groups, [group(GroupKind::Security, "All Staff")]);
        assert_eq!(grants.licenses, ["ENTERPRISEPACK"]);
        Ok(())
    }

    #[test]
    fn every_condition_must_hold_and_values_match_ignoring_case() -> Result<(), String> {
        let rules = contoso()?;
        let mut engineer = worker("2");
        engineer.department = Some("r&d".into());
        engineer.country = Some("CA".into());
        assert_eq!(
            rules.grants(&engineer).groups,
            [
                group(GroupKind::Security, "All Staff"),
                group(GroupKind::Security, "Engineering"),
                group(GroupKind::Microsoft365, "Eng Team"),
            ]
        );
        engineer.country = Some("DE".into());
        assert_eq!(rules.grants(&engineer).groups.len(), 1);
        engineer.country = None;
        assert_eq!(rules.grants(&engineer).groups.len(), 1);
        Ok(())
    }

    #[test]
    fn rules_add_up_and_each_grant_appears_once() -> Result<(), String> {
        let mut contractor = worker("3");
        contractor.custom = vec![("worker kind".into(), "Contractor".into())];
        assert_eq!(
            contoso()?.grants(&contractor).licenses,
            ["ENTERPRISEPACK", "SPE_F1"]
        );
        Ok(())
    }

    #[test]
    fn the_managed_set_is_everything_any_rule_gives() -> Result<(), String> {
        let managed = contoso()?.managed();
        assert_eq!(managed.groups.len(), 3);
        assert_eq!(managed.licenses, ["ENTERPRISEPACK", "SPE_F1"]);
        Ok(())
    }

    #[test]
    fn statuses_and_dates_are_checked() -> Result<(), String> {
        let mut gone = worker("4");
        gone.employment_status = crate::types::EmploymentStatus::Terminated;
        assert!(condition("employment_status", &["Terminated"])?.holds(&gone));
        assert!(
            condition("employment_status", &["fired"])
                .is_err_and(|e| e.contains("not an employment status"))
        );
        gone.hire_date = crate::fields::parse_iso_date("2025-03-01");
        assert!(condition("hire_date", &["2025-03-01"])?.holds(&gone));
        assert!(condition("hire_date", &["1 March"]).is_err_and(|e| e.contains("YYYY-MM-DD")));
        Ok(())
    }

    #[test]
    fn bad_conditions_and_grants_are_refused() -> Result<(), String> {
        assert!(
            condition("departmnet", &["Sales"]).is_err_and(|e| e.contains("unknown worker field"))
        );
        assert!(condition("department", &[]).is_err());
        assert!(condition("department", &[" "]).is_err());
        let mut rules = Rules::default();
        let mut rule = rules.rule(vec![]);
        rule.group(
            GroupKind::Security,
            "Engineering",
            "rules[0].security_groups[0]",
        )?;
        assert_eq!(
            rule.group(GroupKind::Microsoft365, "engineering", "rules[0].microsoft365_groups[0]"),
            Err("\"engineering\" is already listed as a security group at rules[0].security_groups[0]; a group has one kind".into())
        );
        assert!(rule.group(GroupKind::Security, "  ", "x").is_err());
        assert!(rule.license("OFFICE 365").is_err());
        Ok(())
    }
}
