//! The seam between the applier and a directory: what a directory must be able to do.

use std::sync::Mutex;

use secrecy::SecretString;

use crate::directory::Snapshot;
use crate::plan::Op;

/// The user an action is for.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The HR key.
    pub employee_id: &'a str,
    /// The directory object id.
    pub user_id: &'a str,
    /// The UPN (Exchange cmdlets take it as identity).
    pub user_principal_name: &'a str,
}

/// What a write gave back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written<T> {
    /// The result (a new object id, or nothing).
    pub value: T,
    /// Microsoft's request id, for the audit.
    pub request_id: Option<String>,
}

impl<T> Written<T> {
    /// A result without a request id (a directory in memory has none).
    pub fn local(value: T) -> Self {
        Self {
            value,
            request_id: None,
        }
    }
}

/// Why a write did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// It cannot happen yet (a mailbox still being provisioned); the next sync tries again.
    #[error("not possible yet: {reason}")]
    NotReady {
        /// Why.
        reason: String,
    },
    /// Not done for want of time: the directory asked to wait past the instant the run stops
    /// (Microsoft's `Retry-After`), and it was not carried out. Not a failure: the applier
    /// starts nothing more, and the run's continuation plans it again.
    #[error("not done in this run: {reason}")]
    OutOfTime {
        /// Why.
        reason: String,
    },
    /// The directory refused it.
    #[error("refused: {message}{}", request_id.as_deref().map(|r| format!(" (request id {r})")).unwrap_or_default())]
    Rejected {
        /// What the directory said.
        message: String,
        /// Microsoft's request id.
        request_id: Option<String>,
    },
    /// The directory could not be reached, even after retries.
    #[error("the directory did not answer: {message}")]
    Unavailable {
        /// What went wrong.
        message: String,
    },
}

/// A directory the applier can write to. Implementations: the live tenant (Graph and
/// Exchange) and [`InMemoryDirectory`].
#[allow(async_fn_in_trait)] // Used with concrete types only; no Send bound is needed.
pub trait DirectoryWriter {
    /// The object id of the user carrying this employee id, if any.
    async fn find_user(&self, employee_id: &str) -> Result<Option<String>, WriteError>;

    /// The users carrying any of these employee ids, as (employee id, object id) pairs. A
    /// directory may look many up in one request; by default they are looked up one by one.
    async fn find_users(&self, employee_ids: &[&str]) -> Result<Vec<(String, String)>, WriteError> {
        let mut found = Vec::new();
        for id in employee_ids {
            if let Some(user) = self.find_user(id).await? {
                found.push(((*id).to_owned(), user));
            }
        }
        Ok(found)
    }

    /// Creates a user from an [`Op::CreateUser`] with this first password; gives its object id.
    async fn create_user(
        &self,
        employee_id: &str,
        create: &Op,
        password: &SecretString,
    ) -> Result<Written<String>, WriteError>;

    /// Replaces the user's password.
    async fn reset_password(
        &self,
        target: Target<'_>,
        password: &SecretString,
    ) -> Result<Written<()>, WriteError>;

    /// Carries out any other action. `SetManager` always comes with the manager's object id.
    async fn write(&self, target: Target<'_>, op: &Op) -> Result<Written<()>, WriteError>;

    /// Carries out several of one user's actions, in this order, giving one result per action.
    /// Every action is attempted even when an earlier one failed. The applier passes only
    /// actions for which [`chains`] holds; a directory may send them together (Graph's
    /// `$batch`). By default they are written one by one.
    async fn write_chain(
        &self,
        target: Target<'_>,
        ops: &[&Op],
    ) -> Vec<Result<Written<()>, WriteError>> {
        let mut results = Vec::with_capacity(ops.len());
        for op in ops {
            results.push(self.write(target, op).await);
        }
        results
    }

    /// Adds several users to one group (`op` is an [`Op::AddGroupMember`]), giving one result
    /// per user. A directory may send them together (Graph's `members@odata.bind`). By default
    /// they are written one by one.
    async fn add_group_members(
        &self,
        op: &Op,
        targets: &[Target<'_>],
    ) -> Vec<Result<Written<()>, WriteError>> {
        let mut results = Vec::with_capacity(targets.len());
        for target in targets {
            results.push(self.write(*target, op).await);
        }
        results
    }
}

/// Whether an action is a plain Graph write on the user that can travel with the user's other
/// such writes (in one `$batch`): profile, sign-in, manager (with its id), licenses, sessions,
/// leaving a group.
pub fn chains(op: &Op) -> bool {
    matches!(
        op,
        Op::AdoptUser { .. }
            | Op::UpdateUser { .. }
            | Op::EnableUser
            | Op::DisableUser
            | Op::SetManager {
                manager_user_id: Some(_),
                ..
            }
            | Op::AssignLicense { .. }
            | Op::RemoveLicense { .. }
            | Op::RevokeSessions
            | Op::RemoveGroupMember { .. }
    )
}

/// A directory held in memory: a [`Snapshot`] changed the way Microsoft's APIs change a tenant
/// (the same state machine as the emulated tenant). New users get ids from a counter.
#[derive(Debug)]
pub struct InMemoryDirectory {
    state: Mutex<(Snapshot, u64)>,
}

impl InMemoryDirectory {
    /// Holds this snapshot.
    pub fn new(snapshot: Snapshot) -> Self {
        Self {
            state: Mutex::new((snapshot, 0)),
        }
    }

    /// The directory as it is now.
    pub fn snapshot(&self) -> Snapshot {
        self.lock().0.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Snapshot, u64)> {
        // A panic while holding the lock leaves a consistent snapshot: each change is one step.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl DirectoryWriter for InMemoryDirectory {
    async fn find_user(&self, employee_id: &str) -> Result<Option<String>, WriteError> {
        Ok(self
            .lock()
            .0
            .users
            .iter()
            .find(|u| u.employee_id.as_deref() == Some(employee_id))
            .map(|u| u.id.to_string()))
    }

    async fn create_user(
        &self,
        employee_id: &str,
        create: &Op,
        _password: &SecretString,
    ) -> Result<Written<String>, WriteError> {
        let mut state = self.lock();
        state.1 += 1;
        let id = format!("00000000-0000-4000-a000-{:012x}", state.1);
        state
            .0
            .create_user(employee_id, create, id.clone())
            .map_err(rejected)?;
        Ok(Written::local(id))
    }

    async fn reset_password(
        &self,
        target: Target<'_>,
        _password: &SecretString,
    ) -> Result<Written<()>, WriteError> {
        match self.lock().0.users.iter().any(|u| u.id == target.user_id) {
            true => Ok(Written::local(())),
            false => Err(rejected(format!("no user has id {}", target.user_id))),
        }
    }

    async fn write(&self, target: Target<'_>, op: &Op) -> Result<Written<()>, WriteError> {
        self.lock()
            .0
            .apply_op(target.user_id, op)
            .map_err(|message| {
                if message.contains("has no mailbox") {
                    WriteError::NotReady { reason: message }
                } else {
                    rejected(message)
                }
            })?;
        Ok(Written::local(()))
    }
}

fn rejected(message: String) -> WriteError {
    WriteError::Rejected {
        message,
        request_id: None,
    }
}
