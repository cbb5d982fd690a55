//! Talking to Microsoft: the national-cloud table, client-credentials tokens, retries and
//! adaptive concurrency, and the Graph and Exchange Online clients the applier uses.
//!
//! Every host name comes from [`NationalCloud::hosts`]; every base URL can be overridden through
//! [`Endpoints`] (tests point them at the emulated tenant). Secrets stay in
//! [`secrecy::SecretString`] and never appear in `Debug`, `Display` or errors.
//!
//! # Files
//!
//! - `cloud`: the national-cloud table (the only place host names are spelled) and the base URLs
//!   a connection uses.
//! - `token/`: access tokens through the `oauth2` crate, cached per scope: client credentials with
//!   a secret or a client assertion (`certificate`; `new_certificate` makes a key and a
//!   self-signed certificate for a customer's app), or delegated from a stored refresh token
//!   (`token::refresh`); refusals by OAuth error name and AADSTS code (`token::error`).
//! - `transport`: one HTTP core for Graph and Exchange; `retry` (backoff honouring `Retry-After`
//!   and `Rate-Limit-Reset`, and giving up on a wait past an instant a provision run sets) and
//!   `concurrency` (an adaptive in-flight limit) around it; `error`: Graph and Exchange errors
//!   by code, with request ids.
//! - `graph/`: reads with `$select` and paging, the delta endpoints, writes and `$batch`;
//!   `graph::chain` sends one user's writes as one dependent `$batch`.
//! - `exchange`: Exchange Online cmdlets through `InvokeCommand`.
//! - `directory`: the live tenant as a `Snapshot`: read whole ([`read_directory`]), or read whole
//!   once through the delta endpoints ([`read_directory_with_delta`]) and then kept up to date
//!   ([`refresh_directory`]); `delta_state` ([`DeltaState`], the mailbox watermark),
//!   `group_delta` (`/groups/delta` pages merged), `merge` (changes applied to a cached snapshot)
//!   and `resync` (a delta link Graph no longer knows) serve it.
//! - `directory_cache`: the snapshot and its delta links kept between runs
//!   ([`read_through_cache`]), shared by the CLI's file and the service's object.
//! - `writer`: [`LiveDirectory`], the applier's `DirectoryWriter` over Graph and Exchange;
//!   `first_day`: first-day access through it (a Temporary Access Pass, else a first password,
//!   mailed with `sendMail`); `mailer`: notices (leavers, the admins' digest) through `sendMail`.
//!
//! # How actions become calls
//!
//! A create is `POST /users`, after a lookup by `employeeId`, so a create cut off by a lost
//! connection is adopted, not repeated. A worker's run of plain Graph writes (profile, sign-in,
//! manager, licenses, sessions, leaving a group) travels as one `$batch` whose requests depend on
//! each other in order; anything the batch did not carry out is sent again on its own. Group
//! additions go 20 at a time in `members@odata.bind`. Distribution lists, mail-enabled security
//! groups and mailboxes go through Exchange cmdlets, and "no such mailbox" there means *deferred*:
//! the mailbox appears some minutes after the license, and the next sync does it.
//!
//! # Reading only what changed
//!
//! [`read_directory_with_delta`] reads the tenant whole once through Graph's delta endpoints and
//! returns, with the snapshot, a [`DeltaState`] to keep beside it: the `/users/delta` and
//! `/groups/delta` links, the mailbox watermark, and whether `FullAccess` holders are read.
//! [`refresh_directory`] then applies only what changed:
//!
//! - users created, changed (the manager through `manager@delta`; none said means unchanged) and
//!   deleted (they leave their groups, lose their mailbox and stop being anyone's manager);
//! - groups with their properties and the members added and removed (`members@delta`; a large
//!   group split over pages is merged), whether the change was made through Graph or Exchange;
//! - mailboxes with `WhenChangedUTC` at or after the watermark (one `Get-Mailbox -Filter` call),
//!   with `FullAccess` re-read for those only. The watermark starts ten minutes behind the newest
//!   change seen or fifteen behind the last read (this machine's clock, allowed five minutes of
//!   skew), whichever is later, so late replication is not missed; mailboxes that come back with a
//!   stamp already seen are skipped.
//!
//! An unchanged tenant costs two Graph reads and one Exchange call. Verified domains and owned
//! licenses are not re-read (a full read renews them), and a mailbox that disappears without its
//! user being deleted is only noticed by a full read. When Graph no longer knows a link (expired
//! after seven days, tenant migrated) the error says [`ApiError::is_resync_required`]: read whole
//! again. The state is a cache, not a decision: losing it costs one full read, never a different
//! plan.

mod certificate;
mod cloud;
mod concurrency;
mod delta_state;
mod directory;
mod directory_cache;
mod error;
mod exchange;
mod first_day;
pub mod graph;
mod group_delta;
mod mailer;
mod merge;
mod new_certificate;
mod resync;
mod retry;
mod token;
mod transport;
mod writer;

pub use certificate::{CertificateError, ClientCertificate};
pub use cloud::{CloudHosts, Endpoints, ForeignEndpoint, NationalCloud, UnknownCloud};
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
pub use first_day::FirstDayMail;
pub use graph::{AccessPass, GraphClient, OutgoingMail, PassRequest};
pub use group_delta::{GroupChange, GroupDelta};
pub use mailer::{MailReport, Mailer};
pub use new_certificate::{NEW_CERTIFICATE_LIFETIME, NewCertificate, new_certificate};
pub use retry::{NextTry, RetryPolicy, server_wait};
pub(crate) use token::token_error;
pub use token::{ClientCredential, RefreshTokenStore, TokenError, TokenSource};
pub use transport::ClientOptions;
pub use writer::LiveDirectory;
