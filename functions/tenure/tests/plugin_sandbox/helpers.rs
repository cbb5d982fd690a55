use jiff::civil::date;
use tenure::desired::DesiredState;
use tenure::plugin::{MapItem, MapOutcome, Plugin, PluginError, PluginHost, SandboxLimits};
use tenure::worker::{EmployeeId, Worker};

pub(crate) use crate::support::{Error, TestResult};

/// Limits that keep hostile tests quick: less fuel and memory than the defaults.
pub(crate) fn quick_limits() -> SandboxLimits {
    SandboxLimits {
        fuel_per_worker: 5_000_000,
        memory_bytes: 32 << 20,
        ..SandboxLimits::default()
    }
}

/// A test plugin, loaded in a fresh host with these limits and no cache.
pub(crate) fn load(path: &str, limits: SandboxLimits) -> Result<Plugin, Error> {
    let host = PluginHost::new(limits, None)?;
    Ok(host.load(&plugin_artifacts::read(path)?)?)
}

/// The echo plugin with [`quick_limits`].
pub(crate) fn echo() -> Result<Plugin, Error> {
    load(plugin_artifacts::ECHO, quick_limits())
}

/// What loading a test plugin in a default host gives.
pub(crate) fn try_load(path: &str) -> Result<Result<Plugin, PluginError>, Error> {
    let host = PluginHost::new(SandboxLimits::default(), None)?;
    Ok(host.load(&plugin_artifacts::read(path)?))
}

/// A plain worker with this id.
pub(crate) fn worker(id: &str) -> Worker {
    let id = EmployeeId::parse(id).unwrap_or_else(|error| panic!("test id {id:?}: {error}"));
    Worker {
        first_name: Some("Jane".into()),
        last_name: Some("Doe".into()),
        job_title: Some("Engineer".into()),
        department: Some("R&D".into()),
        country: Some("US".into()),
        hire_date: Some(date(2024, 1, 15)),
        custom: vec![("badge".into(), "42".into())],
        ..Worker::active(id)
    }
}

/// Workers with these ids, all judged on the same day, none with an account yet. The workers
/// live as long as the test process (a few bytes each), so the items can be handed around freely.
pub(crate) fn items(ids: &[&str]) -> Vec<MapItem<'static>> {
    ids.iter()
        .map(|id| MapItem {
            worker: Box::leak(Box::new(worker(id))),
            today: date(2025, 6, 1),
            has_account: false,
        })
        .collect()
}

/// The tenant's domains.
pub(crate) fn domains() -> Vec<String> {
    vec!["contoso.com".to_owned()]
}

/// The UPN the echo plugin gives a worker.
pub(crate) fn upn(state: &DesiredState) -> Option<&str> {
    Some(
        state
            .account
            .as_ref()?
            .identities
            .first()?
            .user_principal_name
            .as_str(),
    )
}

/// Maps `well, <guilty>, behaved` with the plugin and returns the guilty worker's result after
/// checking that both neighbours, in the same call, got their own desired state.
pub(crate) fn map_between_good_workers(
    plugin: &Plugin,
    guilty: &str,
) -> Result<Result<DesiredState, PluginError>, Error> {
    let MapOutcome {
        mut results,
        fuel_consumed,
    } = plugin.map_all(&items(&["well", guilty, "behaved"]), &domains(), "{}");
    assert_eq!(results.len(), 3);
    assert!(fuel_consumed > 0);
    let behaved = results.pop().ok_or("no result")?;
    let guilty = results.pop().ok_or("no result")?;
    let well = results.pop().ok_or("no result")?;
    assert_eq!(upn(&well?), Some("well@contoso.com"));
    assert_eq!(upn(&behaved?), Some("behaved@contoso.com"));
    Ok(guilty)
}
