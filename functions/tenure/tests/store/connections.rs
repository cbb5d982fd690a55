//! Every connection store through the same specification: records round trip, writes are
//! compare-and-swap, listing, and records that cannot be read name the connection and field.

use std::sync::Arc;

use tenure::names::Upn;
use tenure::store::connections::{
    BaseUrl, ConnectionError, ConnectionName, ConnectionStatus, ConnectionType, EndpointOverrides,
};

use super::helpers::{ConnectionsUnderTest, TestResult, sample_connection, unique_id};

/// Runs each function below against S3 (moto) and the local file store.
macro_rules! for_each_store {
    ($($test:ident),* $(,)?) => {
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() -> super::super::helpers::TestResult {
                    super::$test(super::super::helpers::s3_connections().await?).await
                }
            )*
        }
        mod local_files {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() -> super::super::helpers::TestResult {
                    super::$test(super::super::helpers::local_connections()?).await
                }
            )*
        }
    };
}

for_each_store!(
    a_record_is_created_read_listed_replaced_and_deleted,
    creating_a_record_that_exists_is_a_conflict,
    a_replace_from_a_stale_version_is_a_conflict,
    of_two_simultaneous_writers_from_one_version_exactly_one_wins,
    replacing_a_missing_record_says_it_does_not_exist,
    a_record_breaking_a_rule_is_not_stored,
    malformed_records_name_the_connection_and_the_field,
    a_bad_record_does_not_hide_the_others,
    a_record_from_before_tenures_app_had_its_name_still_reads,
    a_record_from_before_connections_had_names_reads_and_shows_its_id,
);

async fn a_record_is_created_read_listed_replaced_and_deleted(
    t: ConnectionsUnderTest,
) -> TestResult {
    let store = t.store;
    let id = unique_id();
    assert!(store.get(&id).await?.is_none());
    assert!(store.list().await?.is_empty());

    let mut connection = sample_connection(&id)?;
    connection.endpoints = EndpointOverrides::all_at(&BaseUrl::parse("http://127.0.0.1:4010/")?);
    connection.exchange.enabled = true;
    connection.exchange.anchor_upn = Some(Upn::parse("svc-tenure@contoso.com")?);
    let v1 = store.put_new(&connection).await?;
    let (read, version) = store.get(&id).await?.ok_or("the new record is missing")?;
    assert_eq!((&read, &version), (&connection, &v1));
    assert_eq!(store.list().await?, vec![id.clone()]);

    connection.status = ConnectionStatus::NeedsRelink {
        reason: "the refresh token was revoked (invalid_grant)".to_owned(),
    };
    connection.updated_at = "2026-11-02T10:00:00Z".parse()?;
    let v2 = store.replace(&connection, &v1).await?;
    assert_ne!(v1, v2);
    let (read, version) = store.get(&id).await?.ok_or("the record is missing")?;
    assert_eq!((&read, &version), (&connection, &v2));

    store.delete(&id).await?;
    assert!(store.get(&id).await?.is_none());
    assert!(store.list().await?.is_empty());
    store.delete(&id).await?; // deleting again is fine
    Ok(())
}

async fn creating_a_record_that_exists_is_a_conflict(t: ConnectionsUnderTest) -> TestResult {
    let id = unique_id();
    let first = sample_connection(&id)?;
    t.store.put_new(&first).await?;
    let mut second = first.clone();
    second.status = ConnectionStatus::Linked;
    match t.store.put_new(&second).await {
        Err(e @ ConnectionError::Conflict { expected: None, .. }) => {
            assert!(
                e.to_string()
                    .starts_with(&format!("connection {id} already exists")),
                "{e}"
            );
        }
        other => return Err(format!("expected a conflict, got {other:?}").into()),
    }
    let (read, _) = t.store.get(&id).await?.ok_or("missing")?;
    assert_eq!(read, first);
    Ok(())
}

async fn a_replace_from_a_stale_version_is_a_conflict(t: ConnectionsUnderTest) -> TestResult {
    let id = unique_id();
    let mut connection = sample_connection(&id)?;
    let v1 = t.store.put_new(&connection).await?;
    connection.status = ConnectionStatus::Linked;
    let v2 = t.store.replace(&connection, &v1).await?;

    let mut stale = connection.clone();
    stale.status = ConnectionStatus::Failed {
        reason: "tenant not found".to_owned(),
    };
    match t.store.replace(&stale, &v1).await {
        Err(ConnectionError::Conflict {
            expected: Some(expected),
            ..
        }) => assert_eq!(expected, v1),
        other => return Err(format!("expected a conflict, got {other:?}").into()),
    }
    let (read, version) = t.store.get(&id).await?.ok_or("missing")?;
    assert_eq!((read.status, version), (ConnectionStatus::Linked, v2));
    Ok(())
}

async fn of_two_simultaneous_writers_from_one_version_exactly_one_wins(
    t: ConnectionsUnderTest,
) -> TestResult {
    let store = Arc::clone(&t.store);
    let id = unique_id();
    let base = sample_connection(&id)?;
    let mut version = store.put_new(&base).await?;
    for round in 0..8 {
        let mut a = base.clone();
        a.status = ConnectionStatus::Failed {
            reason: format!("a{round}"),
        };
        let mut b = base.clone();
        b.status = ConnectionStatus::Failed {
            reason: format!("b{round}"),
        };
        let (ra, rb) = tokio::join!(store.replace(&a, &version), store.replace(&b, &version));
        let (winner, record) = match (ra, rb) {
            (Ok(v), Err(ConnectionError::Conflict { .. })) => (v, a),
            (Err(ConnectionError::Conflict { .. }), Ok(v)) => (v, b),
            other => {
                return Err(format!(
                    "round {round}: expected one win and one conflict, got {other:?}"
                )
                .into());
            }
        };
        let (read, current) = store.get(&id).await?.ok_or("missing")?;
        assert_eq!((read, &current), (record, &winner));
        version = current;
    }
    Ok(())
}

async fn replacing_a_missing_record_says_it_does_not_exist(t: ConnectionsUnderTest) -> TestResult {
    let other = sample_connection(&unique_id())?;
    let version = t.store.put_new(&other).await?;
    let id = unique_id();
    match t.store.replace(&sample_connection(&id)?, &version).await {
        Err(e @ ConnectionError::NotFound { .. }) => {
            assert_eq!(e.to_string(), format!("connection {id} does not exist"));
        }
        other => return Err(format!("expected not found, got {other:?}").into()),
    }
    assert!(t.store.get(&id).await?.is_none());
    Ok(())
}

async fn a_record_breaking_a_rule_is_not_stored(t: ConnectionsUnderTest) -> TestResult {
    let id = unique_id();
    let mut connection = sample_connection(&id)?;
    connection.exchange.enabled = true; // but no anchor mailbox
    match t.store.put_new(&connection).await {
        Err(ConnectionError::Invalid(e)) => {
            assert_eq!(
                (e.connection.as_str(), e.field.as_str()),
                (id.as_str(), "exchange.anchor_upn")
            );
        }
        other => return Err(format!("expected an invalid record, got {other:?}").into()),
    }
    assert!(t.store.get(&id).await?.is_none());
    Ok(())
}

/// A valid stored record, as JSON, for the malformed variants below.
fn valid_json(id: &str) -> serde_json::Value {
    serde_json::json!({
        "format": 1,
        "id": id,
        "app": {"type": "tenure_app"},
        "cloud": "usgovhigh",
        "tenant_id": "0b5e7c4e-2f9a-4d7e-9d53-3b6f0b0c1a2d",
        "client_id": "tenure-local",
        "exchange": {"enabled": false},
        "status": {"state": "linked"},
        "created_at": "2026-11-01T09:00:00Z",
        "updated_at": "2026-11-01T09:00:00Z"
    })
}

async fn malformed_records_name_the_connection_and_the_field(
    t: ConnectionsUnderTest,
) -> TestResult {
    type Change = fn(&mut serde_json::Value);
    let cases: [(&str, Change, &str, &str); 14] = [
        (
            "format",
            |v| v["format"] = 3.into(),
            "format",
            "unknown record format 3",
        ),
        (
            "format",
            |v| _ = v.as_object_mut().map(|o| o.remove("format")),
            "format",
            "missing",
        ),
        (
            "name",
            |v| v["name"] = "two\nlines".into(),
            "name",
            "control character",
        ),
        (
            "cloud",
            |v| v["cloud"] = "mars".into(),
            "cloud",
            "unknown national cloud \"mars\"",
        ),
        (
            "cloud",
            |v| v["cloud"] = "US-Gov-High".into(),
            "cloud",
            "unknown national cloud",
        ),
        (
            "type",
            |v| v["app"]["type"] = "partner_app".into(),
            "app.type",
            "partner_app",
        ),
        (
            "credential",
            |v| v["app"] = serde_json::json!({"type": "customer_app"}),
            "app.credential",
            "missing field",
        ),
        (
            "reason",
            |v| v["status"] = serde_json::json!({"state": "needs_relink"}),
            "status.reason",
            "missing field",
        ),
        (
            "tenant",
            |v| _ = v.as_object_mut().map(|o| o.remove("tenant_id")),
            "tenant_id",
            "missing field",
        ),
        (
            "tenant",
            |v| v["tenant_id"] = "contoso.com/../x".into(),
            "tenant_id",
            "'/'",
        ),
        (
            "unknown",
            |v| v["refresh_token"] = "0.AAA".into(),
            "refresh_token",
            "unknown field",
        ),
        (
            "anchor",
            |v| {
                v["exchange"] =
                    serde_json::json!({"enabled": true, "anchor_upn": "admin@contoso.com\r\nX: y"});
            },
            "exchange.anchor_upn",
            "does not accept",
        ),
        (
            "url",
            |v| v["endpoints"] = serde_json::json!({"graph": "ftp://x"}),
            "endpoints.graph",
            "http",
        ),
        (
            "time",
            |v| v["updated_at"] = "yesterday".into(),
            "updated_at",
            "",
        ),
    ];
    for (what, change, field, reason) in cases {
        let id = unique_id();
        let mut json = valid_json(id.as_str());
        change(&mut json);
        t.put_raw(id.as_str(), &serde_json::to_vec(&json)?).await?;
        match t.store.get(&id).await {
            Err(ConnectionError::Invalid(e)) => {
                assert_eq!(e.connection, id.as_str(), "{what}");
                assert_eq!(e.field, field, "{what}: {e}");
                assert!(e.reason.contains(reason), "{what}: {e}");
                let text = e.to_string();
                assert!(
                    text.starts_with(&format!("connection record {id} is invalid at `{field}`: ")),
                    "{text}"
                );
            }
            other => {
                return Err(format!("{what}: expected an invalid record, got {other:?}").into());
            }
        }
    }

    // The record under one id that says it is another.
    let id = unique_id();
    t.put_raw(
        id.as_str(),
        &serde_json::to_vec(&valid_json("someone-else"))?,
    )
    .await?;
    match t.store.get(&id).await {
        Err(ConnectionError::Invalid(e)) => assert_eq!(e.field, "id", "{e}"),
        other => return Err(format!("expected an invalid record, got {other:?}").into()),
    }

    // Not JSON at all.
    let id = unique_id();
    t.put_raw(id.as_str(), b"{\"format\": 1, \"id\": ").await?;
    match t.store.get(&id).await {
        Err(ConnectionError::Invalid(e)) => {
            assert_eq!(e.field, "(record)", "{e}");
            assert!(e.reason.starts_with("not valid JSON"), "{e}");
        }
        other => return Err(format!("expected an invalid record, got {other:?}").into()),
    }

    // And the unchanged record reads.
    let id = unique_id();
    t.put_raw(id.as_str(), &serde_json::to_vec(&valid_json(id.as_str()))?)
        .await?;
    let (read, _) = t.store.get(&id).await?.ok_or("missing")?;
    assert_eq!(read.cloud, tenure::microsoft::NationalCloud::UsGovHigh);
    Ok(())
}

async fn a_bad_record_does_not_hide_the_others(t: ConnectionsUnderTest) -> TestResult {
    let good = sample_connection(&unique_id())?;
    t.store.put_new(&good).await?;
    let bad = unique_id();
    t.put_raw(bad.as_str(), b"[]").await?;
    t.put_raw("Not_An_Id", b"{}").await?;
    let mut expected = vec![good.id.clone(), bad.clone()];
    expected.sort();
    assert_eq!(t.store.list().await?, expected);
    assert!(t.store.get(&good.id).await?.is_some());
    assert!(matches!(
        t.store.get(&bad).await,
        Err(ConnectionError::Invalid(_))
    ));
    Ok(())
}

/// Records written when a connection through Tenure's app was typed `service_provider_app`
/// read as [`ConnectionType::TenureApp`], and are written back under the new name.
async fn a_record_from_before_tenures_app_had_its_name_still_reads(
    t: ConnectionsUnderTest,
) -> TestResult {
    let id = unique_id();
    let mut json = valid_json(id.as_str());
    json["app"] = serde_json::json!({"type": "service_provider_app"});
    t.put_raw(id.as_str(), &serde_json::to_vec(&json)?).await?;
    let (read, version) = t.store.get(&id).await?.ok_or("missing")?;
    assert_eq!(read.app, ConnectionType::TenureApp);
    t.store.replace(&read, &version).await?;
    let written = serde_json::to_value(t.store.get(&id).await?.ok_or("missing")?.0.app)?;
    assert_eq!(written, serde_json::json!({"type": "tenure_app"}));
    Ok(())
}

/// A format-1 record has no name: it reads, is shown by its id, and is written back as format 2
/// with the name it is given.
async fn a_record_from_before_connections_had_names_reads_and_shows_its_id(
    t: ConnectionsUnderTest,
) -> TestResult {
    let id = unique_id();
    let json = valid_json(id.as_str());
    t.put_raw(id.as_str(), &serde_json::to_vec(&json)?).await?;
    let (mut read, version) = t.store.get(&id).await?.ok_or("missing")?;
    assert_eq!(
        (read.name.as_ref(), read.display_name()),
        (None, id.as_str())
    );
    read.name = Some(ConnectionName::parse("Contoso – Zürich")?);
    t.store.replace(&read, &version).await?;
    let (again, _) = t.store.get(&id).await?.ok_or("missing")?;
    assert_eq!(again.display_name(), "Contoso – Zürich");
    Ok(())
}
