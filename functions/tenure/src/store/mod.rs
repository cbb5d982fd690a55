//! Where Tenure keeps what outlives a run: credentials in a secret store ([`secrets`]), one
//! record per customer tenant in a connection store ([`connections`]), and everything else
//! (plugins, mapping settings, HR exports, caches, audit trails) in an object store
//! ([`objects`]).
//!
//! Each store is a trait with two real implementations: in AWS, Secrets Manager for secrets and
//! S3 objects for connection records ([`AwsSettings`] says which endpoint, region and
//! credentials); locally (`tenure serve`, the CLI), files under one data directory, readable by
//! its owner only ([`DataDir`]). Every write is a compare-and-swap on the [`Version`] the writer
//! read, so two concurrent writers never silently overwrite each other: one wins and the other
//! gets a conflict, re-reads and decides again.
//!
//! # Why `async_trait`
//!
//! Stores are shared by HTTP handlers (axum state holds `Arc<dyn Trait>`) and Lambda handlers
//! that pick the AWS or local implementation at start-up, so the traits must be object-safe and
//! their futures `Send`. A native `async fn` in a trait is neither dyn-compatible nor promises
//! `Send`; return-position `impl Future + Send` promises `Send` but is still not dyn-compatible.
//! `async_trait` boxes each future (`Pin<Box<dyn Future + Send>>`): one allocation per call,
//! nothing next to a network round trip or a file sync.
//!
//! # Files
//!
//! - `objects/`, `secrets/`, `connections/`: the three stores, each a trait with its S3 or
//!   Secrets Manager implementation and its local one.
//! - `aws`: [`AwsSettings`] (endpoint, region, credentials); `s3_errors`: S3's answers to
//!   conditional writes read one way. These, and the S3 and Secrets Manager stores, are built
//!   with the `aws` feature (on by default; the CLI builds without it).
//! - `files`: the local data directory ([`DataDir`]): 0700 folders, 0600 files, atomic replace,
//!   the folder lock.
//! - `version`: the [`Version`] a compare-and-swap names.
//! - `key_ring`: the deployment's own keys ([`KeyRing`]: sessions, compiled-code HMAC, API
//!   tokens), versioned and rotatable, kept in the secret store.

#[cfg(feature = "aws")]
mod aws;
pub mod connections;
mod files;
pub mod key_ring;
pub mod objects;
#[cfg(feature = "aws")]
mod s3_errors;
pub mod secrets;
mod version;

#[cfg(feature = "aws")]
pub use aws::{AwsSettings, StaticCredentials};
pub use files::{DataDir, DataDirError};
pub use key_ring::KeyRing;
pub use version::Version;
