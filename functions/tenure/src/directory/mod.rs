//! The directory: a tenant's users, groups, licenses and mailboxes, as Tenure sees them.
//!
//! [`Snapshot`] is the documented JSON form (Microsoft Graph property names; Exchange mailbox
//! facts beside them) that `tenure plan` reads and the emulated tenant dumps and loads.
//! [`DirectoryIndex`] is the lookup structure the planner builds over a snapshot once.
//!
//! # Files
//!
//! - `snapshot`: the snapshot format.
//! - `snapshot_reader`: reading a snapshot file a piece at a time.
//! - `index`: the lookups the planner uses.
//! - `attribute`: the user properties Tenure manages.
//! - `apply`: a snapshot's own state changes when a plan is applied to it (the state machine
//!   behind the emulated tenant and the sample generators).

mod apply;
mod attribute;
mod index;
mod snapshot;
mod snapshot_reader;

pub use apply::ApplyError;
pub use attribute::UserAttribute;
pub use index::{DirectoryIndex, GroupLookupError};
pub use snapshot::{
    AssignedLicense, DirectoryGroup, DirectoryUser, MAILBOX_SERVICE_PLANS, Mailbox, MailboxType,
    ObjectRef, ServicePlan, Snapshot, SnapshotError, SubscribedSku, Tenant,
};
