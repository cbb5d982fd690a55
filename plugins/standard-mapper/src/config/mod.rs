//! The plugin's configuration: read from JSON once, checked through, and turned into the parsed
//! templates, rules and policies that mapping a worker needs. Every error names the path at fault,
//! as in `rules[2].when.department`.

mod file;

use crate::attributes::{self, AttributeTemplate};
use crate::identity::{self, IdentityPatterns};
use crate::lifecycle::{self, LeavePolicies, LeavePolicy, LeaverPolicy};
use crate::rules::{Condition, Rules};
use crate::template::Template;
use crate::types::{GroupKind, Managed, MappingError, OnDisable};

use file::{ConfigFile, LeaveFile, LeaverFile, Object, RuleFile};

/// Bounds on numbers an admin may choose.
const MAX_SUFFIX_RANGE: std::ops::RangeInclusive<u16> = 2..=99;
const MAX_PREHIRE_DAYS: u16 = 365;

/// A checked configuration.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) identities: IdentityPatterns,
    /// Tried in order; the first the worker has every value for wins.
    pub(crate) display_name: Vec<Template>,
    pub(crate) attributes: Vec<AttributeTemplate>,
    pub(crate) rules: Rules,
    pub(crate) prehire_days: u16,
    pub(crate) leave: LeavePolicies,
    pub(crate) leaver: LeaverPolicy,
}

impl Config {
    /// Reads and checks a configuration. `domains` are the tenant's verified domains; when there
    /// are none, `upn_domain` is not checked against them.
    pub(crate) fn parse(text: &str, domains: &[String]) -> Result<Self, MappingError> {
        let file = read(text)?;
        let upn_domain = upn_domain(&file.upn_domain, domains)?;
        if !MAX_SUFFIX_RANGE.contains(&file.max_suffix) {
            return Err(MappingError::at(
                "max_suffix",
                format!(
                    "{} is out of range: {{n}} counts from 2, up to at most {}",
                    file.max_suffix,
                    MAX_SUFFIX_RANGE.end()
                ),
            ));
        }
        if file.prehire_days > MAX_PREHIRE_DAYS {
            return Err(MappingError::at(
                "prehire_days",
                format!(
                    "{} is more than a year ({MAX_PREHIRE_DAYS} days)",
                    file.prehire_days
                ),
            ));
        }
        Ok(Self {
            identities: IdentityPatterns::new(
                &identity_patterns(&file.identity_patterns)?,
                file.max_suffix,
                upn_domain,
            ),
            display_name: display_name(&file.display_name.0)?,
            attributes: attribute_templates(file.attributes)?,
            rules: rules(&file.rules)?,
            prehire_days: file.prehire_days,
            leave: leave(file.leave.0)?,
            leaver: leaver(file.leaver.0)?,
        })
    }

    /// Every group and license the rules can give: only these are ever taken away.
    pub(crate) fn managed(&self) -> Managed {
        self.rules.managed()
    }
}

/// Reads the JSON into its file shape, with the path of the first error.
fn read(text: &str) -> Result<ConfigFile, MappingError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let file: Object<ConfigFile> =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let path = error.path().to_string();
            let message = error.inner().to_string();
            // serde names the object that lacks a key; the admin wants the key itself.
            if let Some((key, _)) = message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split_once('`'))
            {
                let field = if path == "." {
                    key.to_owned()
                } else {
                    format!("{path}.{key}")
                };
                return MappingError::at(field, "this key is required");
            }
            if path == "." {
                MappingError::whole(format!("the configuration is not valid: {message}"))
            } else {
                MappingError::at(path, message)
            }
        })?;
    deserializer
        .end()
        .map_err(|error| MappingError::whole(format!("the configuration is not valid: {error}")))?;
    Ok(file.0)
}

fn upn_domain(domain: &str, verified: &[String]) -> Result<String, MappingError> {
    let domain = domain.trim().to_ascii_lowercase();
    let well_formed = !domain.is_empty()
        && domain.contains('.')
        && !domain.starts_with(['.', '-'])
        && !domain.ends_with(['.', '-'])
        && domain
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'));
    if !well_formed {
        return Err(MappingError::at(
            "upn_domain",
            format!("{domain:?} is not a domain name such as contoso.com"),
        ));
    }
    if !verified.is_empty()
        && !verified
            .iter()
            .any(|v| v.trim().eq_ignore_ascii_case(&domain))
    {
        return Err(MappingError::at(
            "upn_domain",
            format!(
                "{domain} is not one of the tenant's verified domains: {}",
                verified.join(", ")
            ),
        ));
    }
    Ok(domain)
}

fn identity_patterns(texts: &[String]) -> Result<Vec<Template>, MappingError> {
    if texts.is_empty() {
        return Err(MappingError::at(
            "identity_patterns",
            "needs at least one pattern, such as \"{first}.{last}\"",
        ));
    }
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            Template::parse(text, true)
                .and_then(|pattern| identity::check_pattern(&pattern).map(|()| pattern))
                .map_err(|message| MappingError::at(format!("identity_patterns[{i}]"), message))
        })
        .collect()
}

fn display_name(texts: &[String]) -> Result<Vec<Template>, MappingError> {
    if texts.is_empty() {
        return Err(MappingError::at(
            "display_name",
            "needs at least one template, such as \"{first} {last}\"",
        ));
    }
    let many = texts.len() > 1;
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let path = if many {
                format!("display_name[{i}]")
            } else {
                "display_name".into()
            };
            if text.trim().is_empty() {
                return Err(MappingError::at(
                    path,
                    "a display name template must not be empty",
                ));
            }
            Template::parse(text, false).map_err(|message| MappingError::at(path, message))
        })
        .collect()
}

fn attribute_templates(
    attributes: Option<std::collections::BTreeMap<String, Option<String>>>,
) -> Result<Vec<AttributeTemplate>, MappingError> {
    let Some(attributes) = attributes else {
        return attributes::DEFAULTS
            .iter()
            .map(|(name, text)| {
                AttributeTemplate::parse(name, Some(text))
                    .map_err(|message| MappingError::at("attributes", message))
            })
            .collect();
    };
    attributes
        .iter()
        .map(|(name, text)| {
            AttributeTemplate::parse(name, text.as_deref())
                .map_err(|message| MappingError::at(format!("attributes.{name}"), message))
        })
        .collect()
}

fn rules(files: &[Object<RuleFile>]) -> Result<Rules, MappingError> {
    let mut rules = Rules::default();
    for (i, Object(file)) in files.iter().enumerate() {
        let conditions = file
            .when
            .iter()
            .map(|(field, values)| {
                Condition::parse(field, &values.0).map_err(|message| {
                    MappingError::at(format!("rules[{i}].when.{field}"), message)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut rule = rules.rule(conditions);
        let kinds = [
            (
                "security_groups",
                GroupKind::Security,
                &file.security_groups,
            ),
            (
                "microsoft365_groups",
                GroupKind::Microsoft365,
                &file.microsoft365_groups,
            ),
            (
                "distribution_lists",
                GroupKind::Distribution,
                &file.distribution_lists,
            ),
            (
                "mail_enabled_security_groups",
                GroupKind::MailEnabledSecurity,
                &file.mail_enabled_security_groups,
            ),
        ];
        for (key, kind, names) in kinds {
            for (j, name) in names.iter().enumerate() {
                let path = format!("rules[{i}].{key}[{j}]");
                rule.group(kind, name, &path)
                    .map_err(|message| MappingError::at(path, message))?;
            }
        }
        for (j, sku) in file.licenses.iter().enumerate() {
            rule.license(sku).map_err(|message| {
                MappingError::at(format!("rules[{i}].licenses[{j}]"), message)
            })?;
        }
        if !rule.gives_anything() {
            return Err(MappingError::at(
                format!("rules[{i}]"),
                "gives nothing: list security_groups, microsoft365_groups, distribution_lists, \
                 mail_enabled_security_groups or licenses",
            ));
        }
        rule.finish();
    }
    Ok(rules)
}

fn leave(file: LeaveFile) -> Result<LeavePolicies, MappingError> {
    let mut types: Vec<(String, LeavePolicy)> = Vec::with_capacity(file.types.len());
    for (name, Object(policy)) in file.types {
        let key = crate::fields::lowercase(name.trim());
        if key.is_empty() {
            return Err(MappingError::at(
                "leave.types",
                "a leave type must have a name",
            ));
        }
        if types.iter().any(|(known, _)| *known == key) {
            return Err(MappingError::at(
                format!("leave.types.{name}"),
                "is listed twice (leave types match ignoring case)",
            ));
        }
        types.push((
            key,
            LeavePolicy {
                disable: policy.disable,
                revoke_sessions: policy.revoke_sessions,
            },
        ));
    }
    Ok(LeavePolicies {
        default: LeavePolicy {
            disable: file.disable_by_default,
            revoke_sessions: file.revoke_sessions_by_default,
        },
        types,
    })
}

fn leaver(file: LeaverFile) -> Result<LeaverPolicy, MappingError> {
    let full_access = file
        .full_access
        .iter()
        .enumerate()
        .map(|(i, text)| {
            lifecycle::parse_principal(text)
                .map_err(|message| MappingError::at(format!("leaver.full_access[{i}]"), message))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(LeaverPolicy {
        disable: file.disable,
        on_disable: OnDisable {
            revoke_sessions: file.revoke_sessions,
            scramble_password: file.scramble_password,
        },
        remove_groups: file.remove_groups,
        remove_licenses: file.remove_licenses,
        convert_mailbox_to_shared: file.convert_mailbox_to_shared,
        hide_from_address_list: file.hide_from_address_list,
        full_access,
    })
}

#[cfg(test)]
pub(crate) mod tests;
