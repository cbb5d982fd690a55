//! A user in Graph's JSON: every property Tenure knows, the default set Graph returns without
//! `$select`, and projection onto a `$select`.

use serde_json::{Map, Value, json};
use tenure::directory::{DirectoryUser, UserAttribute};

/// The OData type name of a user.
pub(crate) const USER_TYPE: &str = "microsoft.graph.user";

/// Properties returned when no `$select` is given (Graph v1.0's default set).
pub(crate) const USER_DEFAULTS: [&str; 11] = [
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

/// Every property the tenant keeps (the ones `$select` may name).
pub(crate) fn user_properties() -> Vec<&'static str> {
    let mut names = vec![
        "id",
        "userPrincipalName",
        "accountEnabled",
        "displayName",
        "mailNickname",
        "mail",
        "employeeId",
        "businessPhones",
        "assignedLicenses",
        "proxyAddresses",
    ];
    names.extend(UserAttribute::ALL.iter().map(|a| a.graph_name()));
    names
}

/// The user with every property.
pub(crate) fn user_json(user: &DirectoryUser) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("id".into(), json!(user.id));
    out.insert("userPrincipalName".into(), json!(user.user_principal_name));
    out.insert("accountEnabled".into(), json!(user.account_enabled));
    out.insert("displayName".into(), json!(user.display_name));
    out.insert("mailNickname".into(), json!(user.mail_nickname));
    out.insert("mail".into(), json!(user.mail));
    out.insert("employeeId".into(), json!(user.employee_id));
    out.insert("businessPhones".into(), json!([]));
    out.insert("proxyAddresses".into(), json!(user.proxy_addresses));
    out.insert(
        "assignedLicenses".into(),
        Value::Array(
            user.assigned_licenses
                .iter()
                .map(|l| json!({"skuId": l.sku_id, "disabledPlans": l.disabled_plans}))
                .collect(),
        ),
    );
    for attribute in UserAttribute::ALL {
        out.insert(attribute.graph_name().into(), json!(attribute.get(user)));
    }
    out
}

/// Keeps the selected properties (or the defaults), in that order.
pub(crate) fn project(
    full: &Map<String, Value>,
    select: Option<&[String]>,
    defaults: &[&str],
) -> Map<String, Value> {
    let mut out = Map::new();
    let mut keep = |name: &str| {
        if let Some(value) = full.get(name) {
            out.insert(name.to_owned(), value.clone());
        }
    };
    match select {
        Some(names) => names.iter().for_each(|n| keep(n)),
        None => defaults.iter().for_each(|n| keep(n)),
    }
    out
}

/// A user as a member or reference: `@odata.type` first, then the projection.
pub(crate) fn typed_user(user: &DirectoryUser, select: Option<&[String]>) -> Value {
    let mut out = Map::new();
    out.insert("@odata.type".into(), json!(format!("#{USER_TYPE}")));
    out.extend(project(&user_json(user), select, &USER_DEFAULTS));
    Value::Object(out)
}
