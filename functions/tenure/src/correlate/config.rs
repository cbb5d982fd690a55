//! The matching rules, read from the `matching` section of the mapper configuration.

use serde::{Deserialize, Serialize};

use crate::config_section::read_section;

/// How sure a rule's matches are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// An exact address: adopted without review when `auto_confirm` is on.
    Certain,
    /// A name with other facts agreeing: always reviewed.
    Probable,
}

impl Confidence {
    /// The word for reports.
    pub fn word(self) -> &'static str {
        match self {
            Self::Certain => "certain",
            Self::Probable => "probable",
        }
    }
}

/// An address on the HR side of an address rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum HrAddress {
    /// The `work_email` column.
    WorkEmail,
    /// The UPN Tenure would give the worker (the plugin's first identity candidate).
    Identity,
    /// Another HR column, by header.
    Custom(String),
}

impl TryFrom<String> for HrAddress {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        match text.as_str() {
            "work_email" => Ok(Self::WorkEmail),
            "identity" => Ok(Self::Identity),
            other => match other.strip_prefix("custom:") {
                Some(header) if !header.trim().is_empty() => Ok(Self::Custom(header.to_owned())),
                _ => Err(format!(
                    "{other:?} is not an HR address: use \"work_email\", \"identity\" or \"custom:<column header>\""
                )),
            },
        }
    }
}

impl From<HrAddress> for String {
    fn from(value: HrAddress) -> Self {
        match value {
            HrAddress::WorkEmail => "work_email".into(),
            HrAddress::Identity => "identity".into(),
            HrAddress::Custom(header) => format!("custom:{header}"),
        }
    }
}

/// Where in the directory an address rule looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AddressField {
    /// The account's UPN.
    #[serde(rename = "userPrincipalName")]
    UserPrincipalName,
    /// The account's primary address.
    #[serde(rename = "mail")]
    Mail,
    /// Any SMTP address of the account.
    #[serde(rename = "proxyAddresses")]
    ProxyAddresses,
}

impl AddressField {
    /// Graph's name of the property.
    pub fn graph_name(self) -> &'static str {
        match self {
            Self::UserPrincipalName => "userPrincipalName",
            Self::Mail => "mail",
            Self::ProxyAddresses => "proxyAddresses",
        }
    }
}

/// Which names a name rule compares, folded (accents, case, spaces and punctuation aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameMatch {
    /// The given name (the HR first or preferred name) and the surname.
    Full,
    /// The given name only (a surname changed by marriage): ask for more agreeing facts.
    Given,
}

/// A fact that may agree between the HR record and the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    /// HR `department` = the account's `department`.
    Department,
    /// The HR manager's account is the account's manager.
    Manager,
    /// HR `location` = the account's `officeLocation`.
    Office,
    /// HR `mobile_phone` = the account's `mobilePhone` (digits compared).
    MobilePhone,
    /// HR `job_title` = the account's `jobTitle`.
    JobTitle,
}

impl Agreement {
    /// The name used in configurations and reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Department => "department",
            Self::Manager => "manager",
            Self::Office => "office",
            Self::MobilePhone => "mobile_phone",
            Self::JobTitle => "job_title",
        }
    }
}

/// One matching rule. It has an address, a name, or both; `agree` asks for more facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchRule {
    /// For the people reading the configuration and the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// An HR address that must equal one of the account's addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr: Option<HrAddress>,
    /// The account's addresses `hr` is compared with.
    #[serde(default = "every_address_field")]
    pub directory: Vec<AddressField>,
    /// Names that must agree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<NameMatch>,
    /// Facts of which at least `at_least` must agree.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agree: Vec<Agreement>,
    /// How many of `agree` must agree (default 1 when `agree` is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<usize>,
    /// Whether the rule's matches are certain or probable.
    pub confidence: Confidence,
}

impl MatchRule {
    /// How many agreeing facts the rule asks for.
    pub fn agreements_needed(&self) -> usize {
        match (self.agree.is_empty(), self.at_least) {
            (true, _) => 0,
            (false, None) => 1,
            (false, Some(n)) => n,
        }
    }
}

fn every_address_field() -> Vec<AddressField> {
    vec![
        AddressField::UserPrincipalName,
        AddressField::Mail,
        AddressField::ProxyAddresses,
    ]
}

/// How workers without an account are matched to accounts that exist without an
/// `employeeId`. With no configuration, [`MatchingConfig::default`] applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchingConfig {
    /// Adopt certain matches without review (as Okta's import rules can); off by default.
    #[serde(default)]
    pub auto_confirm: bool,
    /// The rules, strongest first.
    #[serde(default = "default_rules")]
    pub rules: Vec<MatchRule>,
    /// Accounts never matched (service accounts, rooms): UPNs or object ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_accounts: Vec<String>,
    /// Workers never matched, who get a new account (a match rejected on review): employee ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_workers: Vec<String>,
    /// Matches a reviewer confirmed (`POST /connections/{id}/matches/confirm` adds them): the
    /// next plan adopts each account that is still one of its worker's candidates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confirmed: Vec<ConfirmedMatch>,
}

/// A match a reviewer confirmed: the worker and the account (object id or UPN) to adopt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmedMatch {
    /// The worker's employee id.
    pub employee_id: String,
    /// The account, by object id or user principal name.
    pub account: String,
}

impl Default for MatchingConfig {
    fn default() -> Self {
        Self {
            auto_confirm: false,
            rules: default_rules(),
            exclude_accounts: Vec::new(),
            exclude_workers: Vec::new(),
            confirmed: Vec::new(),
        }
    }
}

/// The rules that apply without configuration.
pub fn default_rules() -> Vec<MatchRule> {
    let rule = |description: &str| MatchRule {
        description: Some(description.to_owned()),
        hr: None,
        directory: every_address_field(),
        name: None,
        agree: Vec::new(),
        at_least: None,
        confidence: Confidence::Certain,
    };
    let facts = vec![
        Agreement::Department,
        Agreement::Manager,
        Agreement::Office,
        Agreement::MobilePhone,
    ];
    vec![
        MatchRule {
            hr: Some(HrAddress::WorkEmail),
            ..rule("the HR work e-mail is an address of the account")
        },
        MatchRule {
            hr: Some(HrAddress::Identity),
            ..rule("the account has the name Tenure would give the worker")
        },
        MatchRule {
            name: Some(NameMatch::Full),
            agree: facts.clone(),
            at_least: Some(1),
            confidence: Confidence::Probable,
            ..rule("same given name and surname, and one more fact agrees")
        },
        MatchRule {
            name: Some(NameMatch::Given),
            agree: facts,
            at_least: Some(2),
            confidence: Confidence::Probable,
            ..rule("same given name, and two more facts agree (a changed surname)")
        },
    ]
}

/// A `matching` section that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("matching{path}: {message}")]
pub struct MatchingConfigError {
    /// Where, as a JSON path below `matching` (empty for the section itself).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl MatchingConfig {
    /// Reads the `matching` section of a mapper configuration (JSON text). A configuration
    /// without one, or that is not a JSON object (a custom plugin's), gets the defaults.
    pub fn from_plugin_config(config: &str) -> Result<Self, MatchingConfigError> {
        let parsed: Self = read_section(config, "matching").map_err(|e| MatchingConfigError {
            path: e.path,
            message: e.message,
        })?;
        parsed.check()?;
        Ok(parsed)
    }

    fn check(&self) -> Result<(), MatchingConfigError> {
        for (i, rule) in self.rules.iter().enumerate() {
            let fail = |message: String| MatchingConfigError {
                path: format!(".rules[{i}]"),
                message,
            };
            if rule.hr.is_none() && rule.name.is_none() {
                return Err(fail(
                    "a rule needs an address (\"hr\") or a name (\"name\") to match on".into(),
                ));
            }
            if rule.hr.is_some() && rule.directory.is_empty() {
                return Err(fail(
                    "\"directory\" lists no account property to compare the address with".into(),
                ));
            }
            if let Some(n) = rule.at_least
                && (n == 0 || n > rule.agree.len())
            {
                return Err(fail(format!(
                    "\"at_least\" is {n}, but must be between 1 and the {} facts of \"agree\"",
                    rule.agree.len()
                )));
            }
        }
        Ok(())
    }

    /// A rule's name for reports: its description, or its place.
    pub fn rule_name(&self, index: usize) -> String {
        match self.rules.get(index).and_then(|r| r.description.as_deref()) {
            Some(description) => format!("rules[{index}] ({description})"),
            None => format!("rules[{index}]"),
        }
    }
}
