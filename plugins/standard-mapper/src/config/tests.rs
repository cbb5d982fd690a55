//! Reading configurations: defaults, the example from the README, and every error naming its path.

use super::*;
use crate::types::GroupRef;

/// The example configuration of the README.
pub(crate) const EXAMPLE: &str = include_str!("../../samples/contoso.json");

fn domains() -> Vec<String> {
    vec!["contoso.com".into(), "contoso.onmicrosoft.com".into()]
}

/// The refusal of a configuration, as `path: message`.
fn refusal(text: &str) -> String {
    match Config::parse(text, &domains()) {
        Ok(_) => "accepted".into(),
        Err(error) => match error.field {
            Some(field) => format!("{field}: {}", error.message),
            None => error.message,
        },
    }
}

/// The refusal of `{"upn_domain": "contoso.com", <extra>}`.
fn refusal_with(extra: &str) -> String {
    refusal(&format!(r#"{{"upn_domain": "contoso.com", {extra}}}"#))
}

fn group(kind: GroupKind, name: &str) -> GroupRef {
    GroupRef {
        kind,
        name: name.into(),
    }
}

#[test]
fn the_example_is_accepted_and_says_what_it_manages() -> Result<(), MappingError> {
    let config = Config::parse(EXAMPLE, &domains())?;
    let managed = config.managed();
    assert_eq!(
        managed.groups,
        [
            group(GroupKind::Security, "All Staff"),
            group(GroupKind::Distribution, "all@contoso.com"),
            group(GroupKind::Security, "Engineering"),
            group(GroupKind::Microsoft365, "Eng Team"),
            group(GroupKind::MailEnabledSecurity, "eng-sec@contoso.com"),
        ]
    );
    assert_eq!(managed.licenses, ["ENTERPRISEPACK", "SPE_F1"]);
    assert_eq!(config.attributes.len(), 10);
    assert_eq!(config.leaver.full_access.len(), 3);
    assert_eq!(config.leave.types.len(), 2);
    Ok(())
}

#[test]
fn a_minimal_configuration_takes_the_defaults() -> Result<(), MappingError> {
    let config = Config::parse(r#"{"upn_domain": "Contoso.com"}"#, &domains())?;
    assert_eq!(config.prehire_days, 7);
    assert_eq!(config.display_name.len(), 3);
    let defaults: Vec<&str> = config.attributes.iter().map(|a| a.name()).collect();
    assert_eq!(defaults, attributes::DEFAULTS.map(|(name, _)| name));
    assert_eq!(
        config.managed(),
        Managed {
            groups: vec![],
            licenses: vec![]
        }
    );
    assert!(!config.leave.default.disable);
    let leaver = &config.leaver;
    assert!(
        leaver.disable && leaver.on_disable.revoke_sessions && leaver.on_disable.scramble_password
    );
    assert!(leaver.remove_groups && leaver.remove_licenses && leaver.convert_mailbox_to_shared);
    assert!(leaver.hide_from_address_list && leaver.full_access.is_empty());
    Ok(())
}

#[test]
fn an_empty_attributes_object_manages_no_attributes() -> Result<(), MappingError> {
    let config = Config::parse(
        r#"{"upn_domain": "contoso.com", "attributes": {}}"#,
        &domains(),
    )?;
    assert!(config.attributes.is_empty());
    Ok(())
}

#[test]
fn the_upn_domain_must_be_a_verified_domain() {
    assert_eq!(
        refusal(r#"{"upn_domain": "fabrikam.com"}"#),
        "upn_domain: fabrikam.com is not one of the tenant's verified domains: contoso.com, contoso.onmicrosoft.com"
    );
    assert_eq!(
        refusal(r#"{"upn_domain": "@contoso"}"#),
        "upn_domain: \"@contoso\" is not a domain name such as contoso.com"
    );
}

#[test]
fn without_verified_domains_any_domain_is_accepted() {
    assert!(Config::parse(r#"{"upn_domain": "fabrikam.com"}"#, &[]).is_ok());
}

#[test]
fn a_missing_key_is_named() {
    assert_eq!(refusal("{}"), "upn_domain: this key is required");
    assert_eq!(
        refusal_with(r#""leave": {"types": {"medical": {}}}"#),
        "leave.types.medical.disable: this key is required"
    );
}

#[test]
fn unknown_keys_are_errors() {
    let top = refusal_with(r#""prehire_day": 3"#);
    assert!(
        top.starts_with("prehire_day: unknown field `prehire_day`, expected one of"),
        "{top}"
    );
    let nested = refusal_with(r#""leaver": {"disabel": true}"#);
    assert!(
        nested.starts_with("leaver.disabel: unknown field `disabel`"),
        "{nested}"
    );
    let in_rule = refusal_with(r#""rules": [{"security_group": ["x"]}]"#);
    assert!(
        in_rule.starts_with("rules[0].security_group: unknown field"),
        "{in_rule}"
    );
}

#[test]
fn a_when_value_must_be_a_string_or_a_list_of_strings() {
    let rules = r#""rules": [
        {"security_groups": ["a"]},
        {"security_groups": ["b"]},
        {"when": {"department": 3}, "security_groups": ["c"]}
    ]"#;
    let error = refusal_with(rules);
    assert!(
        error.starts_with(
            "rules[2].when.department: invalid type: integer `3`, \
             expected a string or a list of strings"
        ),
        "{error}"
    );
    let in_list = refusal_with(r#""rules": [{"when": {"country": ["US", 1]}, "licenses": ["X"]}]"#);
    assert!(
        in_list.starts_with("rules[0].when.country[1]: invalid type"),
        "{in_list}"
    );
}

#[test]
fn when_fields_and_values_are_checked() {
    let error = refusal_with(r#""rules": [{"when": {"departmnet": "Sales"}, "licenses": ["X"]}]"#);
    assert!(
        error.starts_with("rules[0].when.departmnet: unknown worker field \"departmnet\""),
        "{error}"
    );
    assert_eq!(
        refusal_with(r#""rules": [{"when": {"employment_status": "fired"}, "licenses": ["X"]}]"#),
        "rules[0].when.employment_status: \"fired\" is not an employment status; expected active, leave or terminated"
    );
    assert_eq!(
        refusal_with(r#""rules": [{"when": {"custom:Badge": []}, "licenses": ["X"]}]"#),
        "rules[0].when.custom:Badge: expected at least one value to match"
    );
}

#[test]
fn a_rule_must_give_something() {
    assert_eq!(
        refusal_with(r#""rules": [{"when": {"country": "US"}}]"#),
        "rules[0]: gives nothing: list security_groups, microsoft365_groups, distribution_lists, \
         mail_enabled_security_groups or licenses"
    );
}

#[test]
fn groups_and_licenses_are_checked() {
    assert_eq!(
        refusal_with(
            r#""rules": [{"security_groups": ["Eng"]}, {"microsoft365_groups": ["ENG"]}]"#
        ),
        "rules[1].microsoft365_groups[0]: \"ENG\" is already listed as a security group at \
         rules[0].security_groups[0]; a group has one kind"
    );
    assert_eq!(
        refusal_with(r#""rules": [{"licenses": ["OFFICE 365"]}]"#),
        "rules[0].licenses[0]: \"OFFICE 365\" is not a license SKU part number such as ENTERPRISEPACK"
    );
}

#[test]
fn templates_are_checked_where_they_are() {
    let error = refusal_with(r#""display_name": "{frist} {last}""#);
    assert!(
        error
            .starts_with("display_name: unknown placeholder {frist}; the placeholders are {first}"),
        "{error}"
    );
    let error = refusal_with(r#""display_name": ["{first} {last}", "{nickname}"]"#);
    assert!(
        error.starts_with("display_name[1]: unknown placeholder {nickname}"),
        "{error}"
    );
    assert_eq!(
        refusal_with(r#""display_name": "{first}{n}""#),
        "display_name: {n} (the number that tells two people apart) only works in identity_patterns"
    );
    assert_eq!(
        refusal_with(r#""identity_patterns": ["{first}.{last}", "{first} {last}"]"#),
        "identity_patterns[1]: has the text \" \" between placeholders, but only a-z, 0-9, '.', '-' and '_' may be used there"
    );
    assert_eq!(
        refusal_with(r#""identity_patterns": []"#),
        "identity_patterns: needs at least one pattern, such as \"{first}.{last}\""
    );
    assert_eq!(
        refusal_with(r#""attributes": {"jobTitle": "{job_title"}"#),
        "attributes.jobTitle: \"{job_title\" has a { that is never closed; write {{ for a literal brace"
    );
}

#[test]
fn attributes_are_checked() {
    assert_eq!(
        refusal_with(r#""attributes": {"JobTitle": "{job_title}"}"#),
        "attributes.JobTitle: unknown attribute \"JobTitle\"; did you mean jobTitle?"
    );
    assert_eq!(
        refusal_with(r#""attributes": {"usageLocation": "United States"}"#),
        "attributes.usageLocation: \"United States\" is not a two-letter country code such as US"
    );
    let error = refusal_with(r#""attributes": {"givenName": 3}"#);
    assert!(
        error.starts_with("attributes.givenName: invalid type: integer `3`"),
        "{error}"
    );
}

#[test]
fn numbers_are_kept_in_range() {
    assert_eq!(
        refusal_with(r#""max_suffix": 1"#),
        "max_suffix: 1 is out of range: {n} counts from 2, up to at most 99"
    );
    assert_eq!(
        refusal_with(r#""prehire_days": 400"#),
        "prehire_days: 400 is more than a year (365 days)"
    );
    let negative = refusal_with(r#""prehire_days": -1"#);
    assert!(
        negative.starts_with("prehire_days: invalid value: integer `-1`"),
        "{negative}"
    );
}

#[test]
fn policies_are_checked() {
    assert_eq!(
        refusal_with(r#""leaver": {"full_access": ["manager", "boss"]}"#),
        "leaver.full_access[1]: \"boss\": expected \"manager\", \"user:<user principal name>\" or \"employee:<employee id>\""
    );
    assert_eq!(
        refusal_with(
            r#""leave": {"types": {"Medical": {"disable": true}, "medical": {"disable": false}}}"#
        ),
        "leave.types.medical: is listed twice (leave types match ignoring case)"
    );
}

#[test]
fn text_that_is_not_one_json_object_is_refused() {
    assert!(refusal("").starts_with("the configuration is not valid: EOF while parsing"));
    assert!(
        refusal(r#"{"upn_domain": "contoso.com"} {}"#)
            .starts_with("the configuration is not valid: trailing characters")
    );
    let list = refusal(r#"["contoso.com"]"#);
    assert!(
        list.starts_with(
            "the configuration is not valid: invalid type: sequence, expected an object"
        ),
        "{list}"
    );
    let section = refusal_with(r#""leaver": [true, true]"#);
    assert!(
        section.starts_with("leaver: invalid type: sequence, expected an object"),
        "{section}"
    );
}

#[test]
fn every_json_example_in_the_readme_is_accepted() -> Result<(), MappingError> {
    let readme = include_str!("../../README.md");
    let mut examples = 0;
    for block in readme.split("```json\n").skip(1) {
        let example = block.split("```").next().unwrap_or_default();
        Config::parse(example, &domains()).map_err(|error| MappingError {
            message: format!("{}\n{example}", error.message),
            ..error
        })?;
        examples += 1;
    }
    assert_eq!(examples, 5);
    Ok(())
}

#[test]
fn the_readme_example_is_the_sample() {
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains(EXAMPLE),
        "README's complete example differs from samples/contoso.json"
    );
}
