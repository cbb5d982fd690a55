//! The configuration as an admin writes it: JSON, every key known (a misspelt key is an error, not a
//! silent default), defaults for whatever is left out.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

/// The top level.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConfigFile {
    pub(super) upn_domain: String,
    #[serde(default = "default_identity_patterns")]
    pub(super) identity_patterns: Vec<String>,
    #[serde(default = "default_max_suffix")]
    pub(super) max_suffix: u16,
    #[serde(default = "default_display_name")]
    pub(super) display_name: OneOrMany,
    /// `None`: the defaults; a JSON `null` value: always clear that property.
    #[serde(default)]
    pub(super) attributes: Option<BTreeMap<String, Option<String>>>,
    #[serde(default)]
    pub(super) rules: Vec<Object<RuleFile>>,
    #[serde(default = "default_prehire_days")]
    pub(super) prehire_days: u16,
    #[serde(default)]
    pub(super) leave: Object<LeaveFile>,
    #[serde(default)]
    pub(super) leaver: Object<LeaverFile>,
    /// How Tenure matches workers to accounts that already exist (Tenure reads and checks this
    /// section itself; the mapper only lets it through).
    #[serde(default, rename = "matching")]
    pub(super) _matching: Option<serde_json::Map<String, serde_json::Value>>,
    /// Who Tenure mails, from which mailbox, with which templates, and how first-day access is
    /// delivered (Tenure reads and checks this section itself; the mapper only lets it through).
    #[serde(default, rename = "notifications")]
    pub(super) _notifications: Option<serde_json::Map<String, serde_json::Value>>,
}

/// One rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RuleFile {
    /// A note for people reading the configuration; ignored.
    #[serde(default, rename = "description")]
    pub(super) _description: Option<String>,
    #[serde(default)]
    pub(super) when: BTreeMap<String, OneOrMany>,
    #[serde(default)]
    pub(super) security_groups: Vec<String>,
    #[serde(default)]
    pub(super) microsoft365_groups: Vec<String>,
    #[serde(default)]
    pub(super) distribution_lists: Vec<String>,
    #[serde(default)]
    pub(super) mail_enabled_security_groups: Vec<String>,
    #[serde(default)]
    pub(super) licenses: Vec<String>,
}

/// What leave does.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct LeaveFile {
    pub(super) disable_by_default: bool,
    pub(super) revoke_sessions_by_default: bool,
    pub(super) types: BTreeMap<String, Object<LeaveTypeFile>>,
}

/// What one leave type does.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LeaveTypeFile {
    pub(super) disable: bool,
    #[serde(default)]
    pub(super) revoke_sessions: bool,
}

/// What happens to leavers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct LeaverFile {
    pub(super) disable: bool,
    pub(super) revoke_sessions: bool,
    pub(super) scramble_password: bool,
    pub(super) remove_groups: bool,
    pub(super) remove_licenses: bool,
    pub(super) convert_mailbox_to_shared: bool,
    pub(super) hide_from_address_list: bool,
    pub(super) full_access: Vec<String>,
}

impl Default for LeaverFile {
    /// Everything a leaver checklist asks for, except handing the mailbox to anyone: that is a
    /// decision about someone's mail and is never made by default.
    fn default() -> Self {
        Self {
            disable: true,
            revoke_sessions: true,
            scramble_password: true,
            remove_groups: true,
            remove_licenses: true,
            convert_mailbox_to_shared: true,
            hide_from_address_list: true,
            full_access: Vec::new(),
        }
    }
}

pub(super) const DEFAULT_IDENTITY_PATTERNS: [&str; 3] = [
    "{first}.{last}",
    "{first}.{middle_initial}.{last}",
    "{first}.{last}{n}",
];
pub(super) const DEFAULT_DISPLAY_NAME: [&str; 3] = ["{first} {last}", "{first}", "{last}"];
pub(super) const DEFAULT_MAX_SUFFIX: u16 = 9;
pub(super) const DEFAULT_PREHIRE_DAYS: u16 = 7;

fn default_identity_patterns() -> Vec<String> {
    DEFAULT_IDENTITY_PATTERNS.map(String::from).to_vec()
}

fn default_display_name() -> OneOrMany {
    OneOrMany(DEFAULT_DISPLAY_NAME.map(String::from).to_vec())
}

fn default_max_suffix() -> u16 {
    DEFAULT_MAX_SUFFIX
}

fn default_prehire_days() -> u16 {
    DEFAULT_PREHIRE_DAYS
}

/// A string, or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct OneOrMany(pub(super) Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor;

        impl<'de> Visitor<'de> for OneOrManyVisitor {
            type Value = OneOrMany;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a string or a list of strings")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![value.to_owned()]))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(value) = seq.next_element::<String>()? {
                    values.push(value);
                }
                Ok(OneOrMany(values))
            }
        }

        deserializer.deserialize_any(OneOrManyVisitor)
    }
}

/// A section that must be written as a JSON object. Serde also reads a struct from a list of its
/// values in field order, which would let `"leaver": [true, false]` through unchecked.
#[derive(Debug, Default)]
pub(super) struct Object<T>(pub(super) T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }

        deserializer
            .deserialize_map(ObjectVisitor(PhantomData))
            .map(Object)
    }
}
