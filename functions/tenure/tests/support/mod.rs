//! Set-up shared by the modules of this binary: the shared test-support crate
//! (`tenure-test-support`: moto, API Gateway events, signed webhooks, the emulated tenant,
//! `Services` for a test, the samples, `TestResult`), re-exported so that a test names
//! `crate::support::…` for all of it. Set-up that only this binary shares goes here beside it.

pub(crate) use tenure_test_support::apigw::{Answer, ApiEvent};
pub(crate) use tenure_test_support::*;

/// A webhook delivery held for approval because "it disables 40 of 50 managed users", without
/// work items: what the approval routes and pages list and approve.
pub(crate) fn forty_disables_held() -> tenure::service::guard::Hold {
    tenure::service::guard::Hold {
        origin: tenure::service::guard::Origin::Webhook,
        deliveries: vec!["delivery-1".into()],
        reason: "it disables 40 of 50 managed users".into(),
        effect: tenure::guard::Effect {
            users: 40,
            disables: 40,
            license_removals: 0,
            group_removals: 0,
        },
        items: Vec::new(),
    }
}
