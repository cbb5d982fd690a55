//! The JSON batch call of contract 1.1 (`mapping-json.map-batch-json`): a batch's items written
//! as JSON text, and the plugin's JSON answer read back strictly into the very contract types the
//! typed `map-batch` gives, so that both go through the same checks.
//!
//! The JSON shape is the contract's records as componentize-js shows them to JavaScript (so one
//! policy serves both calls): camelCase field names, enum cases as their kebab-case names, an
//! `option` that is none left out (and read back from a missing field or `null`), tuples as
//! arrays, `result` and variants as `{"tag": …, "val": …}`. Reading refuses unknown fields, enum
//! cases and tags, a missing field that is not an `option`, and anything after the array.

use serde::{Deserialize, Serialize};

use super::bindings::tenure::mapper::types as wit;

/// A batch's items as the JSON text `map-batch-json` takes.
pub(crate) fn items(items: &[wit::BatchItem<'_>]) -> Result<String, serde_json::Error> {
    let items: Vec<Item<'_>> = items.iter().map(Item::from).collect();
    serde_json::to_string(&items)
}

/// Why a JSON answer could not be read: where in it, and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AnswerError {
    /// The answer's index in the array, when the fault is inside one.
    pub(crate) index: Option<usize>,
    /// The path of the fault inside that answer (`val.account.displayName`), possibly empty.
    pub(crate) field: String,
    /// What serde said.
    pub(crate) message: String,
}

/// Reads a plugin's JSON answer (UTF-8 text): one result per item.
pub(crate) fn answers(
    text: &[u8],
) -> Result<Vec<Result<wit::DesiredState, wit::MappingError>>, AnswerError> {
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let parsed: Vec<Answer> = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| answer_error(&error.path().to_string(), error.inner()))?;
    deserializer
        .end()
        .map_err(|error| answer_error("", &error))?;
    Ok(parsed.into_iter().map(Answer::into_wit).collect())
}

/// Splits serde_path_to_error's path (`[3].val.account`) into the answer's index and the rest.
fn answer_error(path: &str, error: &serde_json::Error) -> AnswerError {
    let path = if path == "." { "" } else { path };
    let (index, field) = match path
        .strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(index, rest)| Some((index.parse().ok()?, rest)))
    {
        Some((index, rest)) => (Some(index), rest.trim_start_matches('.').to_owned()),
        None => (None, path.to_owned()),
    };
    // serde_json adds "at line 1 column 52" to syntax errors; the path says where.
    let mut message = error.to_string();
    if error.is_data()
        && error.line() > 0
        && let Some(at) = message.rfind(" at line ")
    {
        message.truncate(at);
    }
    // A plugin's own text quoted back is cut short: an unknown field may be megabytes long.
    if message.len() > 300 {
        message.truncate(message.floor_char_boundary(300));
        message.push('…');
    }
    AnswerError {
        index,
        field,
        message,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Item<'a> {
    worker: Worker<'a>,
    today: Date,
    has_account: bool,
}

impl<'a> From<&wit::BatchItem<'a>> for Item<'a> {
    fn from(item: &wit::BatchItem<'a>) -> Self {
        let w = &item.worker;
        Self {
            worker: Worker {
                employee_id: w.employee_id,
                first_name: w.first_name,
                last_name: w.last_name,
                preferred_name: w.preferred_name,
                middle_name: w.middle_name,
                personal_email: w.personal_email,
                job_title: w.job_title,
                department: w.department,
                division: w.division,
                cost_center: w.cost_center,
                location: w.location,
                country: w.country,
                manager_employee_id: w.manager_employee_id,
                employment_status: match w.employment_status {
                    wit::EmploymentStatus::Active => "active",
                    wit::EmploymentStatus::Leave => "leave",
                    wit::EmploymentStatus::Terminated => "terminated",
                },
                leave_type: w.leave_type,
                employment_type: w.employment_type,
                hire_date: w.hire_date.map(Date::from),
                termination_date: w.termination_date.map(Date::from),
                time_zone: w.time_zone,
                mobile_phone: w.mobile_phone,
                custom: w.custom,
            },
            today: Date::from(item.today),
            has_account: item.has_account,
        }
    }
}

/// `worker`, with every `option` that is none left out.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Worker<'a> {
    employee_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    middle_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    personal_email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job_title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    department: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    division: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_center: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    manager_employee_id: Option<&'a str>,
    employment_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    leave_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    employment_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hire_date: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    termination_date: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_zone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mobile_phone: Option<&'a str>,
    custom: &'a [(&'a str, &'a str)],
}

#[derive(Serialize)]
struct Date {
    year: i16,
    month: u8,
    day: u8,
}

impl From<wit::Date> for Date {
    fn from(date: wit::Date) -> Self {
        Self {
            year: date.year,
            month: date.month,
            day: date.day,
        }
    }
}

/// `result<desired-state, mapping-error>`.
#[derive(Deserialize)]
#[serde(
    tag = "tag",
    content = "val",
    rename_all = "kebab-case",
    deny_unknown_fields
)]
enum Answer {
    Ok(DesiredState),
    Err(MappingError),
}

impl Answer {
    fn into_wit(self) -> Result<wit::DesiredState, wit::MappingError> {
        match self {
            Self::Ok(state) => Ok(wit::DesiredState {
                phase: state.phase.into(),
                account: state.account.map(Account::into_wit),
            }),
            Self::Err(error) => Err(wit::MappingError {
                field: error.field,
                message: error.message,
            }),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DesiredState {
    phase: Phase,
    account: Option<Account>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MappingError {
    field: Option<String>,
    message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Phase {
    NotYet,
    PreHire,
    Active,
    OnLeave,
    Terminated,
}

impl From<Phase> for wit::Phase {
    fn from(phase: Phase) -> Self {
        match phase {
            Phase::NotYet => Self::NotYet,
            Phase::PreHire => Self::PreHire,
            Phase::Active => Self::Active,
            Phase::OnLeave => Self::OnLeave,
            Phase::Terminated => Self::Terminated,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Account {
    enabled: bool,
    identities: Vec<Identity>,
    display_name: String,
    attributes: Vec<Attribute>,
    manager_employee_id: Option<String>,
    groups: Vec<GroupRef>,
    licenses: Vec<String>,
    mailbox: Option<Mailbox>,
    on_disable: OnDisable,
}

impl Account {
    fn into_wit(self) -> wit::Account {
        wit::Account {
            enabled: self.enabled,
            identities: self
                .identities
                .into_iter()
                .map(|identity| wit::Identity {
                    user_principal_name: identity.user_principal_name,
                    mail_nickname: identity.mail_nickname,
                })
                .collect(),
            display_name: self.display_name,
            attributes: self
                .attributes
                .into_iter()
                .map(|attribute| wit::Attribute {
                    name: attribute.name,
                    value: attribute.value,
                })
                .collect(),
            manager_employee_id: self.manager_employee_id,
            groups: self.groups.into_iter().map(GroupRef::into_wit).collect(),
            licenses: self.licenses,
            mailbox: self.mailbox.map(|mailbox| wit::Mailbox {
                shared: mailbox.shared,
                hidden_from_address_lists: mailbox.hidden_from_address_lists,
                full_access: mailbox
                    .full_access
                    .into_iter()
                    .map(|principal| match principal {
                        Principal::Manager => wit::Principal::Manager,
                        Principal::Employee(id) => wit::Principal::Employee(id),
                        Principal::User(upn) => wit::Principal::User(upn),
                    })
                    .collect(),
            }),
            on_disable: wit::OnDisable {
                revoke_sessions: self.on_disable.revoke_sessions,
                scramble_password: self.on_disable.scramble_password,
            },
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Identity {
    user_principal_name: String,
    mail_nickname: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Attribute {
    name: String,
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GroupRef {
    kind: GroupKind,
    name: String,
}

impl GroupRef {
    fn into_wit(self) -> wit::GroupRef {
        wit::GroupRef {
            kind: match self.kind {
                GroupKind::Security => wit::GroupKind::Security,
                GroupKind::Microsoft365 => wit::GroupKind::Microsoft365,
                GroupKind::Distribution => wit::GroupKind::Distribution,
                GroupKind::MailEnabledSecurity => wit::GroupKind::MailEnabledSecurity,
            },
            name: self.name,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
enum GroupKind {
    Security,
    Microsoft365,
    Distribution,
    MailEnabledSecurity,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Mailbox {
    shared: bool,
    hidden_from_address_lists: bool,
    full_access: Vec<Principal>,
}

#[derive(Deserialize)]
#[serde(
    tag = "tag",
    content = "val",
    rename_all = "kebab-case",
    deny_unknown_fields
)]
enum Principal {
    Manager,
    Employee(String),
    User(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OnDisable {
    revoke_sessions: bool,
    scramble_password: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = r#"{"phase":"pre-hire","account":{"enabled":false,
        "identities":[{"userPrincipalName":"a.b@contoso.com","mailNickname":"a.b"}],
        "displayName":"A B","attributes":[{"name":"jobTitle"},{"name":"surname","value":"B"}],
        "groups":[{"kind":"microsoft365","name":"All"},{"kind":"mail-enabled-security","name":"S"}],
        "licenses":["SPE_F1"],
        "mailbox":{"shared":false,"hiddenFromAddressLists":true,
                   "fullAccess":[{"tag":"manager"},{"tag":"employee","val":"7"},{"tag":"user","val":"u@c.com"}]},
        "onDisable":{"revokeSessions":true,"scramblePassword":false}}}"#;

    fn one(answer: &str) -> Result<Result<wit::DesiredState, wit::MappingError>, AnswerError> {
        let mut all = answers(format!("[{answer}]").as_bytes())?;
        assert_eq!(all.len(), 1);
        Ok(all.remove(0))
    }

    #[test]
    fn every_case_of_the_contract_reads_back() {
        let state = one(&format!(r#"{{"tag":"ok","val":{STATE}}}"#))
            .expect("valid")
            .expect("ok");
        assert!(matches!(state.phase, wit::Phase::PreHire));
        let account = state.account.expect("an account");
        assert_eq!(account.attributes[0].value, None);
        assert_eq!(account.attributes[1].value.as_deref(), Some("B"));
        assert!(matches!(
            account.groups[1].kind,
            wit::GroupKind::MailEnabledSecurity
        ));
        let mailbox = account.mailbox.expect("a mailbox");
        assert!(matches!(
            &mailbox.full_access[..],
            [
                wit::Principal::Manager,
                wit::Principal::Employee(id),
                wit::Principal::User(upn)
            ] if id == "7" && upn == "u@c.com"
        ));
        assert_eq!(account.manager_employee_id, None);
        let refused = one(r#"{"tag":"err","val":{"field":null,"message":"no"}}"#).expect("valid");
        assert!(matches!(
            refused,
            Err(wit::MappingError { field: None, message }) if message == "no"
        ));
        let none = one(r#"{"tag":"ok","val":{"phase":"not-yet","account":null}}"#)
            .expect("valid")
            .expect("ok");
        assert!(none.account.is_none());
    }

    #[test]
    fn a_fault_is_named_by_the_answer_and_the_field() {
        let unknown = STATE.replace("\"displayName\"", "\"displayNam\"");
        let text =
            format!(r#"[{{"tag":"err","val":{{"message":"x"}}}},{{"tag":"ok","val":{unknown}}}]"#);
        let error = answers(text.as_bytes()).expect_err("refused");
        assert_eq!(error.index, Some(1));
        assert_eq!(error.field, "val.account.displayNam");
        assert!(
            error.message.starts_with("unknown field `displayNam`"),
            "{}",
            error.message
        );

        let phase = one(r#"{"tag":"ok","val":{"phase":"retired"}}"#).expect_err("refused");
        assert_eq!(phase.field, "val.phase");
        assert!(
            phase.message.contains("unknown variant `retired`"),
            "{}",
            phase.message
        );

        let tag = one(r#"{"tag":"maybe","val":{}}"#).expect_err("refused");
        assert!(
            tag.message.contains("unknown variant `maybe`"),
            "{}",
            tag.message
        );

        let missing = one(r#"{"tag":"ok","val":{"phase":"active","account":{"enabled":true}}}"#)
            .expect_err("refused");
        assert_eq!(missing.field, "val.account");
        assert!(
            missing.message.starts_with("missing field"),
            "{}",
            missing.message
        );
    }

    #[test]
    fn text_that_is_not_one_json_array_is_refused() {
        for text in ["", "not json", "{}", "[] []", "[{\"tag\":\"ok\"", "null"] {
            assert!(answers(text.as_bytes()).is_err(), "{text:?}");
        }
        assert!(answers(b"[{\"tag\":\"err\",\"val\":{\"message\":\"\xff\"}}]").is_err());
        assert_eq!(answers(b"[]").ok().map(|all| all.len()), Some(0));
    }

    #[test]
    fn a_huge_unknown_field_is_not_quoted_whole() {
        let name = "x".repeat(100_000);
        let error = one(&format!(r#"{{"tag":"ok","val":{{"{name}":1}}}}"#)).expect_err("refused");
        assert!(error.message.len() < 400, "{}", error.message.len());
    }
}
