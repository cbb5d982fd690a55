//! Talking to Microsoft: the national-cloud table, client-credentials tokens, retries and
//! adaptive concurrency, and the Graph and Exchange Online clients the applier uses.
//!
//! Every host name comes from [`NationalCloud::hosts`]; every base URL can be overridden through
//! [`Endpoints`] (tests point them at the emulated tenant). Secrets stay in
//! [`secrecy::SecretString`] and never appear in `Debug`, `Display` or errors.

mod certificate;
mod cloud;
mod concurrency;
mod delta_state;
mod directory;
mod directory_cache;
mod error;
mod exchange;
pub mod graph;
mod group_delta;
mod merge;
mod resync;
mod retry;
mod token;
mod transport;
mod writer;

pub use certificate::{CertificateError, ClientCertificate};
pub use cloud::{CloudHosts, Endpoints, NationalCloud, UnknownCloud};
pub use concurrency::{AdaptiveLimit, Permit};
pub use delta_state::{DeltaState, MailboxWatermark};
pub use directory::{ReadOptions, read_directory};
pub use directory::{read_directory_with_delta, refresh_directory};
pub use directory_cache::{
    CachedDirectory, DIRECTORY_CACHE_VERSION, DirectoryRead, read_through_cache,
};
pub use error::{Api, ApiError};
pub use exchange::ExchangeClient;
pub use exchange::StampedMailbox;
pub use graph::GraphClient;
pub use group_delta::{GroupChange, GroupDelta};
pub use retry::{RetryPolicy, server_wait};
pub(crate) use token::token_error;
pub use token::{ClientCredential, RefreshTokenStore, TokenError, TokenSource};
pub use transport::ClientOptions;
pub use writer::LiveDirectory;
