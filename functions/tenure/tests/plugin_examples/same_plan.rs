use std::path::{Path, PathBuf};

use tenure::directory::Snapshot;
use tenure::plan::{Op, Plan, WorkerPlan};
use tenure::plugin::{BatchCall, Plugin, PluginError, PluginHost, SandboxLimits};

use crate::support::{Error, TestResult};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samplesdata")
}

fn load(component: &str) -> Result<Plugin, Error> {
    let host = PluginHost::new(
        SandboxLimits::default(),
        Some(plugin_artifacts::compile_cache()),
    )?;
    Ok(host.load(&plugin_artifacts::read(component)?)?)
}

/// The sample company planned on 2026-12-01 with a reference plugin and `config`, its batches
/// mapped through `call` (which the plugin must have).
fn plan_with(component: &str, config: &str, call: BatchCall) -> Result<Plan, Error> {
    let mut plugin = load(component)?;
    if call == BatchCall::Typed {
        plugin = plugin.typed_batches();
    }
    if plugin.batch_call() != call {
        return Err(format!("{component} has no {call:?} batch call").into());
    }
    plan_through(&plugin, config)
}

fn plan_through(plugin: &Plugin, config: &str) -> Result<Plan, Error> {
    let directory = Snapshot::read(&samples().join("directory.json"))?;
    let mut plan = tenure::pipeline::plan(tenure::pipeline::PlanRequest {
        hr: tenure::hr::read_file(&samples().join("company.csv"))?,
        directory: &directory,
        plugin,
        plugin_config: config,
        today: tenure::today::Today::parse("2026-12-01")?,
        guard: tenure::guard::GuardPolicy::default(),
        first_day_delivered: Default::default(),
    })?;
    // Which plugin ran, and its fuel, differ by language; everything else must not.
    plan.plugin = None;
    Ok(plan)
}

fn worker<'a>(plan: &'a Plan, id: &str) -> Result<&'a WorkerPlan, Error> {
    plan.workers
        .iter()
        .find(|worker| worker.employee_id.as_str() == id)
        .ok_or_else(|| format!("worker {id} is not in the plan").into())
}

#[test]
fn the_rust_javascript_and_python_examples_give_the_same_plan() -> TestResult {
    let rust = plan_with(plugin_artifacts::EXAMPLE_RUST, "{}", BatchCall::Typed)?;
    for (language, component, call) in [
        // Contract 1.1: the JavaScript example maps its batches in JSON, and gives the same
        // answers through the typed call it also has.
        ("JavaScript", plugin_artifacts::EXAMPLE_JS, BatchCall::Json),
        ("JavaScript", plugin_artifacts::EXAMPLE_JS, BatchCall::Typed),
        ("Python", plugin_artifacts::EXAMPLE_PY, BatchCall::Typed),
    ] {
        let other = plan_with(component, "{}", call)?;
        assert!(
            other == rust,
            "the {language} example's plan ({call:?} batches) differs from the Rust example's:\n{}\n---\n{}",
            tenure::report::plan_text(&other),
            tenure::report::plan_text(&rust)
        );
    }
    the_policy_shows(&rust)
}

#[test]
fn a_plugin_built_for_contract_1_0_still_loads_and_gives_the_same_plan() -> TestResult {
    // The JavaScript example built against the contract as it was at 1.0 (world `plugin`, no
    // JSON batch call), as a customer's plugin uploaded before 1.1 was.
    let old = load(plugin_artifacts::EXAMPLE_JS_1_0)?;
    assert_eq!(old.contract(), "tenure:mapper/mapping@1.0.0");
    assert_eq!(old.batch_call(), BatchCall::Typed);
    let current = load(plugin_artifacts::EXAMPLE_JS)?;
    assert_eq!(current.contract(), "tenure:mapper/mapping@1.1.0");
    assert_eq!(current.batch_call(), BatchCall::Json);
    let (old, current) = (plan_through(&old, "{}")?, plan_through(&current, "{}")?);
    assert!(
        old == current,
        "the plugin built for 1.0 plans differently:\n{}\n---\n{}",
        tenure::report::plan_text(&old),
        tenure::report::plan_text(&current)
    );
    the_policy_shows(&old)
}

/// The contractors policy of `plugins/examples/README.md`, as the sample company's plan shows it.
fn the_policy_shows(plan: &Plan) -> TestResult {
    let text = tenure::report::plan_text(plan);
    // A contractor who starts gets the `c-` prefix, says so in the display name and gets F1.
    let ahmed = worker(plan, "1056")?;
    let Some(Op::CreateUser {
        user_principal_name,
        display_name,
        ..
    }) = ahmed.actions.first().map(|action| &action.op)
    else {
        return Err(format!("Ahmed Saleh should be created first: {text}").into());
    };
    assert_eq!(user_principal_name.as_str(), "c-ahmed.saleh@contoso.com");
    assert_eq!(display_name, "Ahmed Saleh (Contractor)");
    assert!(
        ahmed.actions.iter().any(|action| matches!(
            &action.op,
            Op::AssignLicense { sku, .. } if sku == "SPE_F1"
        )),
        "{text}"
    );
    // An employee: no prefix, names folded, the office computed from two columns.
    let jose = worker(plan, "1050")?;
    let Some(Op::CreateUser {
        user_principal_name,
        ..
    }) = jose.actions.first().map(|action| &action.op)
    else {
        return Err(format!("José Müller should be created first: {text}").into());
    };
    assert_eq!(user_principal_name.as_str(), "jose.muller@contoso.com");
    assert!(
        text.contains(r#"officeLocation "Seattle" → "Seattle, US""#),
        "{text}"
    );
    // A contractor who already has an account is renamed, not given a new UPN.
    let carlos = worker(plan, "1027")?;
    assert!(
        text.contains(r#"displayName "Carlos Mendoza" → "Carlos Mendoza (Contractor)""#),
        "{text}"
    );
    assert!(
        carlos
            .actions
            .iter()
            .all(|a| !matches!(a.op, Op::CreateUser { .. }))
    );
    // The second identity candidate when the first is taken.
    assert_eq!(
        worker(plan, "1051")?
            .user_principal_name
            .as_ref()
            .map(|upn| upn.as_str()),
        Some("jane.doe.1051@contoso.com")
    );
    Ok(())
}

#[test]
fn each_example_refuses_a_domain_the_tenant_has_not_verified_the_same_way() -> TestResult {
    for (component, call) in [
        (plugin_artifacts::EXAMPLE_RUST, BatchCall::Typed),
        (plugin_artifacts::EXAMPLE_JS, BatchCall::Json),
        (plugin_artifacts::EXAMPLE_JS, BatchCall::Typed),
        (plugin_artifacts::EXAMPLE_PY, BatchCall::Typed),
    ] {
        let error = plan_with(component, r#"{"domain": "fabrikam.com"}"#, call)
            .err()
            .ok_or("a domain the tenant has not verified should be refused")?;
        let Some(tenure::pipeline::PipelineError::Config(PluginError::Config(refusal))) =
            error.downcast_ref::<tenure::pipeline::PipelineError>()
        else {
            return Err(format!("{component}: {error}").into());
        };
        assert_eq!(refusal.field.as_deref(), Some("domain"), "{component}");
        assert_eq!(
            refusal.message, "fabrikam.com is not one of the tenant's verified domains",
            "{component}"
        );
    }
    Ok(())
}
