//! Set-up shared by the modules of this binary: the shared test-support crate
//! (`tenure-test-support`: moto, API Gateway events, signed webhooks, the emulated tenant,
//! `Services` for a test, the samples, `TestResult`), re-exported so that a test names
//! `crate::support::…` for all of it. Set-up that only this binary shares goes here beside it.

pub(crate) use tenure_test_support::apigw::{Answer, ApiEvent};
pub(crate) use tenure_test_support::*;
