use tenure::desired::{GroupKind, GroupRef, MappingError};
use tenure::plugin::PluginError;

use super::helpers::{TestResult, domains, echo};

#[test]
fn a_good_configuration_says_what_it_manages() -> TestResult {
    let managed = echo()?.validate_config("{}", &domains())?;
    assert_eq!(
        managed.groups,
        vec![GroupRef {
            kind: GroupKind::Security,
            name: "Everyone".into()
        }]
    );
    assert_eq!(managed.licenses, vec!["ENTERPRISEPACK".to_owned()]);
    Ok(())
}

#[test]
fn a_refused_configuration_is_the_plugins_typed_error() -> TestResult {
    let error = echo()?
        .validate_config(r#"{"refuse": true}"#, &domains())
        .err();
    assert_eq!(
        error,
        Some(PluginError::Config(MappingError {
            field: Some("refuse".into()),
            message: "this configuration is refused on purpose".into(),
        }))
    );
    let message = error.map(|error| error.to_string()).unwrap_or_default();
    assert_eq!(
        message,
        "the plugin refused its configuration: refuse: this configuration is refused on purpose"
    );
    Ok(())
}
