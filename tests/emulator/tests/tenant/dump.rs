//! State: dumped as a directory snapshot, loaded back, unchanged.

use reqwest::Method;
use tenure::directory::Snapshot;

use crate::helpers::{TestResult, sample, spawn};

#[tokio::test]
async fn a_dump_reads_back_as_the_same_snapshot_and_loads_into_a_tenant() -> TestResult {
    let t = spawn().await?;
    t.create_user("dumped", "9001").await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("tenant.json");
    t.tenant.dump_to(&file)?;
    let read = Snapshot::read(&file)?;
    assert_eq!(read, t.tenant.state());
    assert_eq!(read.users.len(), 40);

    t.tenant.load(sample()?);
    assert_eq!(t.tenant.state(), sample()?);
    t.tenant.load(read.clone());
    let found = t
        .graph(
            Method::GET,
            "/users?$filter=employeeId eq '9001'&$select=id",
            None,
        )
        .await?;
    assert_eq!(found.body["value"].as_array().map(Vec::len), Some(1));
    Ok(())
}
