//! The matching configuration and the reviewed report: bad sections are refused with their
//! path, and a report survives its trip through CSV and a reviewer's hands.

use tenure::correlate::{
    Candidate, Confidence, MatchOutcome, MatchReport, MatchingConfig, UnmatchedAccount,
    WorkerMatch, read_confirmed, report_csv,
};

#[test]
fn no_matching_section_means_the_defaults() -> Result<(), Box<dyn std::error::Error>> {
    let config = MatchingConfig::from_plugin_config(r#"{"upn_domain": "contoso.com"}"#)?;
    assert_eq!(config, MatchingConfig::default());
    assert!(
        !config.auto_confirm,
        "certain matches are reviewed unless configured"
    );
    assert_eq!(config.rules.len(), 4);
    // A custom plugin's configuration need not be JSON at all.
    assert_eq!(
        MatchingConfig::from_plugin_config("not json")?,
        MatchingConfig::default()
    );
    Ok(())
}

#[test]
fn a_bad_matching_section_is_refused_with_where_and_why() {
    let error = |config: &str| {
        MatchingConfig::from_plugin_config(config)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert_eq!(
        error(r#"{"matching": {"rules": [{"confidence": "certain"}]}}"#),
        "matching.rules[0]: a rule needs an address (\"hr\") or a name (\"name\") to match on"
    );
    let unknown = error(
        r#"{"matching": {"rules": [{"name": "full", "agree": ["dept"], "confidence": "probable"}]}}"#,
    );
    assert!(
        unknown.starts_with("matching.rules[0].agree[0]: unknown variant `dept`"),
        "{unknown}"
    );
    let typo = error(r#"{"matching": {"auto_confrim": true}}"#);
    assert!(typo.contains("unknown field `auto_confrim`"), "{typo}");
    let address = error(r#"{"matching": {"rules": [{"hr": "email", "confidence": "certain"}]}}"#);
    assert!(
        address.contains("\"email\" is not an HR address"),
        "{address}"
    );
    let at_least = error(
        r#"{"matching": {"rules": [{"name": "full", "agree": ["manager"], "at_least": 2, "confidence": "probable"}]}}"#,
    );
    assert!(at_least.contains("\"at_least\" is 2"), "{at_least}");
}

fn candidate(user_id: &str, upn: &str) -> Candidate {
    Candidate {
        user_id: user_id.into(),
        user_principal_name: upn.into(),
        display_name: Some("Sam Patel".into()),
        account_enabled: true,
        confidence: Confidence::Probable,
        rule: "rules[2]".into(),
        evidence: vec![
            "the name agrees (Sam Patel)".into(),
            "department Finance agrees".into(),
        ],
        adopt: false,
    }
}

#[test]
fn a_reviewed_csv_report_gives_the_pairs_marked_adopt() -> Result<(), Box<dyn std::error::Error>> {
    let report = MatchReport {
        auto_confirm: false,
        workers: vec![WorkerMatch {
            employee_id: "1023".into(),
            name: "Sam Patel".into(),
            outcome: MatchOutcome::Ambiguous,
            candidates: vec![
                candidate("u1", "spatel@contoso.com"),
                candidate("u2", "sam.p@contoso.com"),
            ],
            note: None,
        }],
        unmatched_accounts: vec![UnmatchedAccount {
            user_id: "u3".into(),
            user_principal_name: "tom.hardy@contoso.com".into(),
            display_name: Some("Tom Hardy".into()),
            why: "no worker matches it".into(),
            adopt_for: None,
        }],
    };
    let csv = report_csv(&report)?;
    assert_eq!(
        read_confirmed(&csv, "report.csv")?,
        Vec::<(String, String)>::new()
    );
    // The reviewer picks the second candidate, and pairs Tom Hardy's account with worker 1099.
    let reviewed: String = csv
        .lines()
        .map(|line| {
            if line.contains("sam.p@contoso.com") {
                format!("{line}yes")
            } else if line.starts_with("unmatched_account") {
                line.replacen("unmatched_account,,", "unmatched_account,1099,", 1) + "yes"
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        read_confirmed(&reviewed, "report.csv")?,
        [
            ("1023".to_owned(), "u2".to_owned()),
            ("1099".to_owned(), "u3".to_owned())
        ]
    );
    let bad = reviewed.replace("sam.p@contoso.com,u2,Sam Patel,enabled,probable,rules[2],the name agrees (Sam Patel); department Finance agrees,yes", "sam.p@contoso.com,u2,Sam Patel,enabled,probable,rules[2],x,maybe");
    let error = read_confirmed(&bad, "report.csv")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("line 3: adopt is \"maybe\""), "{error}");
    Ok(())
}
