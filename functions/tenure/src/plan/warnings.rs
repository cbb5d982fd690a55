//! Configuration warnings named after the configuration's own rules, when the configuration is
//! the standard mapper's (rules with `distribution_lists` and `mail_enabled_security_groups`).

use serde_json::Value;

use super::ConfigWarning;
use crate::desired::GroupKind;
use crate::directory::Snapshot;

/// Names, in each warning about a group, the rules of `config` (the standard mapper's JSON)
/// that give the group, as `rules[2]` or `rules[2] (description)`, and says so in the message.
/// A configuration of another shape leaves the warnings as they are.
pub fn name_rules(warnings: &mut [ConfigWarning], config: &str, directory: &Snapshot) {
    let Ok(Value::Object(config)) = serde_json::from_str::<Value>(config) else {
        return;
    };
    let Some(Value::Array(rules)) = config.get("rules") else {
        return;
    };
    for warning in warnings {
        let Some(group) = warning
            .group_id
            .as_deref()
            .and_then(|id| directory.groups.iter().find(|g| g.id == id))
        else {
            continue;
        };
        let key = match group.kind() {
            GroupKind::Distribution => "distribution_lists",
            GroupKind::MailEnabledSecurity => "mail_enabled_security_groups",
            _ => continue,
        };
        let names = [
            Some(group.id.as_str()),
            Some(group.display_name.as_str()),
            group.mail.as_deref(),
        ];
        for (i, rule) in rules.iter().enumerate() {
            let gives = rule
                .get(key)
                .and_then(Value::as_array)
                .is_some_and(|listed| {
                    listed.iter().filter_map(Value::as_str).any(|name| {
                        names
                            .iter()
                            .flatten()
                            .any(|n| n.eq_ignore_ascii_case(name.trim()))
                    })
                });
            if gives {
                warning
                    .rules
                    .push(match rule.get("description").and_then(Value::as_str) {
                        Some(description) => format!("rules[{i}] ({description})"),
                        None => format!("rules[{i}]"),
                    });
            }
        }
        if !warning.rules.is_empty() {
            warning.message = format!("{}: {}", warning.rules.join(", "), warning.message);
        }
    }
}
