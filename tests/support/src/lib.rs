//! Set-up that the test binaries (and benchmarks) of more than one crate share, so it is written
//! once: `moto_server` and the AWS SDK pointed at it ([`moto`], [`aws`]), API Gateway HTTP API
//! events and a router's answers ([`apigw`]), webhook deliveries signed as an HR system signs them
//! ([`webhook`]), the emulated tenant with the sample directory and a connection to it
//! ([`tenant`]), [`tenure::service::Services`] for a test ([`services`]), the sample data
//! ([`samples`]), the files a test left ([`files`]), the machine a benchmark ran on
//! ([`machine`]) and administrators signing in through a browser's steps ([`admin`]).
//!
//! Set-up that only one crate's tests use stays in that test binary's `support` module.

pub mod admin;
pub mod apigw;
pub mod aws;
pub mod files;
pub mod machine;
pub mod moto;
pub mod samples;
pub mod services;
pub mod tenant;
pub mod webhook;

/// Any error a test step can fail with.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// What a test (or a test step giving `T`) returns: `?` works on any error.
pub type TestResult<T = ()> = Result<T, Error>;
