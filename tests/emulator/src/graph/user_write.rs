//! Writing a user's properties from a `POST /users` or `PATCH /users/{id}` body, refusing what
//! Graph refuses: unknown properties, wrong types, bad values, unverified domains, taken UPNs,
//! weak passwords.

use serde_json::{Map, Value, json};
use tenure::SharedStr;
use tenure::directory::{DirectoryUser, UserAttribute};

use crate::errors::GraphError;
use crate::graph::body::unknown_property;
use crate::state::Directory;

/// Properties `POST /users` requires.
pub(crate) const REQUIRED_ON_CREATE: [&str; 5] = [
    "accountEnabled",
    "displayName",
    "mailNickname",
    "userPrincipalName",
    "passwordProfile",
];

/// What a write did beyond the properties.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Written {
    /// The password set, if one was (for the sign-in page; never logged).
    pub(crate) password: Option<String>,
}

fn invalid(property: &str) -> GraphError {
    GraphError::invalid_value(property, "User")
}

fn text<'v>(name: &str, value: &'v Value) -> Result<&'v str, GraphError> {
    value.as_str().ok_or_else(|| invalid(name))
}

/// A string or `null`.
fn optional_text(name: &str, value: &Value) -> Result<Option<String>, GraphError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(invalid(name)),
    }
}

/// Applies `body` to `user`. `user` is a copy: on error nothing is kept.
pub(crate) fn write_user(
    directory: &Directory,
    user: &mut DirectoryUser,
    body: &Map<String, Value>,
    creating: bool,
) -> Result<Written, GraphError> {
    if creating && let Some(missing) = REQUIRED_ON_CREATE.iter().find(|p| !body.contains_key(**p)) {
        return Err(invalid(missing));
    }
    let mut written = Written::default();
    for (name, value) in body {
        match name.as_str() {
            "@odata.type" => {
                if !matches!(
                    value.as_str(),
                    Some("#microsoft.graph.user" | "microsoft.graph.user")
                ) {
                    return Err(GraphError::malformed(format!(
                        "A type named '{}' could not be resolved by the model.",
                        value.as_str().unwrap_or_default()
                    )));
                }
            }
            "accountEnabled" => {
                user.account_enabled = value.as_bool().ok_or_else(|| invalid(name))?
            }
            "displayName" => {
                let v = text(name, value)?;
                if v.trim().is_empty() || v.chars().count() > 256 {
                    return Err(invalid(name));
                }
                user.display_name = Some(v.to_owned());
            }
            "mailNickname" => {
                let v = text(name, value)?;
                let bad =
                    |c: char| c.is_whitespace() || "@()\\[]\";:<>,".contains(c) || !c.is_ascii();
                if v.is_empty() || v.len() > 64 || v.chars().any(bad) {
                    return Err(invalid(name));
                }
                user.mail_nickname = Some(v.into());
            }
            "userPrincipalName" => {
                let upn = text(name, value)?;
                check_upn(directory, upn, &user.id)?;
                user.user_principal_name = upn.into();
            }
            "passwordProfile" => {
                written.password = Some(check_password_profile(value)?.to_owned());
            }
            "employeeId" => {
                let v = optional_text(name, value)?;
                if v.as_ref().is_some_and(|s| s.chars().count() > 16) {
                    return Err(invalid(name));
                }
                user.employee_id = v;
            }
            "mail" => {
                let mail = optional_text(name, value)?;
                if let Some(mail) = &mail {
                    check_address(directory, mail, &user.id)?;
                }
                user.mail = mail.map(SharedStr::from);
            }
            "proxyAddresses" => {
                return Err(GraphError::bad_request(
                    "Property 'proxyAddresses' is read-only and cannot be set.",
                ));
            }
            other => {
                let attribute =
                    UserAttribute::from_graph_name(other).ok_or_else(|| unknown_property(other))?;
                let v = optional_text(name, value)?;
                check_attribute(attribute, v.as_deref())?;
                attribute.set(user, v);
            }
        }
    }
    Ok(written)
}

/// A UPN must be `local@domain` in a verified domain and not taken by someone else.
fn check_upn(directory: &Directory, upn: &str, own_id: &str) -> Result<(), GraphError> {
    let well_formed = upn
        .split_once('@')
        .filter(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && !upn.chars().any(char::is_whitespace)
                && directory.domain_verified(domain)
        })
        .is_some();
    if !well_formed {
        return Err(
            GraphError::bad_request("Property userPrincipalName is invalid.")
                .with_detail(json!({"target": "userPrincipalName", "code": "InvalidValue"})),
        );
    }
    if directory.upn_taken(upn, Some(own_id)) {
        return Err(GraphError::bad_request(
            "Another object with the same value for property userPrincipalName already exists.",
        )
        .with_detail(json!({"target": "userPrincipalName", "code": "ObjectConflict"})));
    }
    check_address(directory, upn, own_id)
}

/// An address (a new UPN, which becomes the primary SMTP address, or `mail`) must not be
/// another object's `mail` or proxy address, nor a deleted user's: proxy addresses are unique
/// across users, groups and contacts, deleted users included.
fn check_address(directory: &Directory, address: &str, own_id: &str) -> Result<(), GraphError> {
    match directory.address_owner(address, Some(own_id)) {
        None => Ok(()),
        Some(owner) => {
            let message =
                "Another object with the same value for property proxyAddresses already exists.";
            Err(GraphError::bad_request(message)
                .with_detail(json!({"code": "ObjectConflict", "message": message, "target": "proxyAddresses"}))
                .with_detail(json!({"code": "ConflictingObjects", "message": message, "target": owner})))
        }
    }
}

/// `passwordProfile`: a password meeting Entra's complexity rule (8 to 256 characters, three of
/// lower, upper, digit, symbol), and the two optional flags. Gives the password.
fn check_password_profile(value: &Value) -> Result<&str, GraphError> {
    let profile = value
        .as_object()
        .ok_or_else(|| invalid("passwordProfile"))?;
    for (key, v) in profile {
        match key.as_str() {
            "password" => {}
            "forceChangePasswordNextSignIn" | "forceChangePasswordNextSignInWithMfa" => {
                if !v.is_boolean() {
                    return Err(invalid("passwordProfile"));
                }
            }
            other => return Err(unknown_property(other)),
        }
    }
    let password = profile
        .get("password")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("passwordProfile"))?;
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    let length = password.chars().count();
    if !(8..=256).contains(&length) || classes.iter().filter(|c| **c).count() < 3 {
        return Err(GraphError::bad_request(
            "The specified password does not comply with password complexity requirements. Please provide a different password.",
        ));
    }
    Ok(password)
}

/// Values with a format: `usageLocation` is a two-letter country code, `employeeHireDate` a
/// timestamp.
fn check_attribute(attribute: UserAttribute, value: Option<&str>) -> Result<(), GraphError> {
    let Some(value) = value else {
        return Ok(());
    };
    let ok = match attribute {
        UserAttribute::UsageLocation => {
            value.len() == 2 && value.chars().all(|c| c.is_ascii_uppercase())
        }
        UserAttribute::EmployeeHireDate => value.parse::<jiff::Timestamp>().is_ok(),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(invalid(attribute.graph_name()))
    }
}
