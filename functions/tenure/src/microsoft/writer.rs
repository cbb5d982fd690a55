//! The live tenant as the applier's [`DirectoryWriter`]: each action becomes Graph or Exchange
//! calls, and Microsoft's errors become outcomes (a mailbox not there yet is "not ready").

use secrecy::SecretString;

use super::error::ApiError;
use super::exchange::ExchangeClient;
use super::first_day::FirstDayMail;
use super::graph::{GraphClient, NewUser, UserWrite, Written as GraphWritten};
use crate::apply::{DirectoryWriter, Target, WriteError, Written};
use crate::directory::MailboxType;
use crate::plan::Op;

/// Graph's limit of references per `members@odata.bind`.
const MAX_BIND: usize = 20;

/// A Microsoft tenant to apply plans to: Graph for users, groups and licenses; Exchange Online
/// (when connected) for mailboxes, distribution lists and mail-enabled security groups.
#[derive(Debug, Clone)]
pub struct LiveDirectory {
    graph: GraphClient,
    exchange: Option<ExchangeClient>,
    first_day: Option<FirstDayMail>,
}

impl LiveDirectory {
    /// Writes through these clients. Without Exchange, mailbox and distribution-list actions
    /// fail with a message saying so.
    pub fn new(graph: GraphClient, exchange: Option<ExchangeClient>) -> Self {
        Self {
            graph,
            exchange,
            first_day: None,
        }
    }

    /// Mails first-day access as configured (without it, first-day actions are refused
    /// with a message saying so).
    #[must_use]
    pub fn with_first_day(mut self, first_day: Option<FirstDayMail>) -> Self {
        self.first_day = first_day;
        self
    }

    /// Gives up, rather than wait, on a request whose retry would wait past `at`: a provision
    /// run passes its stop time, so that a `429` asking to wait beyond it leaves the action to
    /// the run's continuation ([`WriteError::OutOfTime`]) instead of outliving the invocation.
    /// Only requests that provably were not carried out are given up (see
    /// [`crate::microsoft::RetryPolicy`]). Without it (the CLI, `tenure serve`) every wait is
    /// waited for.
    #[must_use]
    pub fn give_up_waiting_after(mut self, at: std::time::Instant) -> Self {
        self.graph = self.graph.give_up_waiting_after(at);
        self.exchange = self.exchange.map(|e| e.give_up_waiting_after(at));
        self
    }

    fn exchange(&self) -> Result<&ExchangeClient, WriteError> {
        self.exchange.as_ref().ok_or_else(|| WriteError::Rejected {
            message: "this needs Exchange Online, and no Exchange connection is configured".into(),
            request_id: None,
        })
    }

    async fn exchange_write(
        &self,
        target: Target<'_>,
        op: &Op,
    ) -> Result<GraphWritten, WriteError> {
        let exchange = self.exchange()?;
        let mailbox = target.user_principal_name;
        let result = match op {
            Op::AddDistributionListMember {
                group_id,
                group_mail,
                ..
            } => {
                let group = group_mail.as_deref().unwrap_or(group_id);
                exchange.add_group_member(group, mailbox).await
            }
            Op::RemoveDistributionListMember {
                group_id,
                group_mail,
                ..
            } => {
                let group = group_mail.as_deref().unwrap_or(group_id);
                exchange.remove_group_member(group, mailbox).await
            }
            Op::ConvertToSharedMailbox => {
                exchange
                    .set_mailbox_type(mailbox, MailboxType::SharedMailbox)
                    .await
            }
            Op::ConvertToUserMailbox => {
                exchange
                    .set_mailbox_type(mailbox, MailboxType::UserMailbox)
                    .await
            }
            Op::GrantMailboxAccess { trustee } => exchange.add_full_access(mailbox, trustee).await,
            Op::HideFromAddressList { hidden } => {
                exchange
                    .set_hidden_from_address_lists(mailbox, *hidden)
                    .await
            }
            other => return Err(unsupported(other)),
        };
        result.map_err(|error| match error.is_not_found() {
            true => WriteError::NotReady {
                reason: format!(
                    "Exchange has no mailbox for {mailbox} yet (it appears some minutes after the license): {error}"
                ),
            },
            false => write_error(error),
        })
    }
}

impl DirectoryWriter for LiveDirectory {
    async fn find_user(&self, employee_id: &str) -> Result<Option<String>, WriteError> {
        let users = self
            .graph
            .users_by_employee_id(&[employee_id])
            .await
            .map_err(write_error)?;
        Ok(users.into_iter().next().map(|u| u.id.to_string()))
    }

    async fn find_users(&self, employee_ids: &[&str]) -> Result<Vec<(String, String)>, WriteError> {
        let users = self
            .graph
            .users_by_employee_id(employee_ids)
            .await
            .map_err(write_error)?;
        Ok(users
            .into_iter()
            .filter_map(|u| u.employee_id.map(|e| (e, u.id.to_string())))
            .collect())
    }

    async fn create_user(
        &self,
        employee_id: &str,
        create: &Op,
        password: &SecretString,
    ) -> Result<Written<String>, WriteError> {
        let Op::CreateUser {
            user_principal_name,
            mail_nickname,
            display_name,
            account_enabled,
            attributes,
        } = create
        else {
            return Err(unsupported(create));
        };
        let user = NewUser {
            user_principal_name: user_principal_name.clone(),
            mail_nickname: mail_nickname.clone(),
            display_name: display_name.clone(),
            account_enabled: *account_enabled,
            employee_id: Some(employee_id.to_owned()),
            attributes: attributes.clone(),
        };
        let created = self
            .graph
            .create_user(&user, password)
            .await
            .map_err(write_error)?;
        Ok(Written {
            value: created.id,
            request_id: created.written.request_id,
        })
    }

    async fn reset_password(
        &self,
        target: Target<'_>,
        password: &SecretString,
    ) -> Result<Written<()>, WriteError> {
        self.graph
            .set_password(target.user_id, password)
            .await
            .map(done)
            .map_err(write_error)
    }

    async fn write(&self, target: Target<'_>, op: &Op) -> Result<Written<()>, WriteError> {
        if let Some(write) = user_write(op) {
            return self
                .graph
                .write_user(target.user_id, &write)
                .await
                .map(done)
                .map_err(write_error);
        }
        match op {
            Op::RestoreUser => self
                .graph
                .restore_user(target.user_id)
                .await
                .map(done)
                .map_err(write_error),
            Op::AddGroupMember { group_id, .. } => self
                .graph
                .add_member(group_id, target.user_id)
                .await
                .map(done)
                .map_err(write_error),
            Op::DeliverFirstDayAccess { .. } => match &self.first_day {
                Some(mail) => super::first_day::deliver(&self.graph, mail, target, op).await,
                None => Err(WriteError::Rejected {
                    message: "first-day access is not configured for this connection (notifications.sender and notifications.first_day_access)".into(),
                    request_id: None,
                }),
            },
            _ => self.exchange_write(target, op).await.map(done),
        }
    }

    async fn write_chain(
        &self,
        target: Target<'_>,
        ops: &[&Op],
    ) -> Vec<Result<Written<()>, WriteError>> {
        let writes: Option<Vec<UserWrite>> = ops.iter().map(|op| user_write(op)).collect();
        let Some(writes) = writes else {
            // Not all plain Graph writes: one by one.
            let mut results = Vec::with_capacity(ops.len());
            for op in ops {
                results.push(self.write(target, op).await);
                if out_of_time(&mut results, ops.len()) {
                    break;
                }
            }
            return results;
        };
        self.graph
            .write_user_chain(target.user_id, &writes)
            .await
            .into_iter()
            .map(|r| r.map(done).map_err(write_error))
            .collect()
    }

    async fn add_group_members(
        &self,
        op: &Op,
        targets: &[Target<'_>],
    ) -> Vec<Result<Written<()>, WriteError>> {
        let Op::AddGroupMember { group_id, .. } = op else {
            return targets.iter().map(|_| Err(unsupported(op))).collect();
        };
        let mut results = Vec::with_capacity(targets.len());
        for chunk in targets.chunks(MAX_BIND) {
            let ids: Vec<String> = chunk.iter().map(|t| t.user_id.to_owned()).collect();
            if chunk.len() > 1 {
                match self.graph.add_members(group_id, &ids).await {
                    Ok(written) => {
                        let request_id = written.into_iter().next().and_then(|w| w.request_id);
                        results.extend(chunk.iter().map(|_| {
                            Ok(Written {
                                value: (),
                                request_id: request_id.clone(),
                            })
                        }));
                        continue;
                    }
                    // Out of time: neither this bind nor the rest is sent, one by one or not.
                    Err(error) if error.is_out_of_time() => {
                        results.push(Err(write_error(error)));
                        out_of_time(&mut results, targets.len());
                        return results;
                    }
                    Err(_) => {}
                }
            }
            // One alone, or a bind Graph refused as a whole (a member already there, one
            // unknown id): each on its own, so each gets its own outcome.
            for target in chunk {
                results.push(self.write(*target, op).await);
                if out_of_time(&mut results, targets.len()) {
                    return results;
                }
            }
        }
        results
    }
}

/// When the last of `results` was given up for want of time, fills them up to `len` with the
/// same (the rest is not sent) and says so.
fn out_of_time(results: &mut Vec<Result<Written<()>, WriteError>>, len: usize) -> bool {
    match results.last() {
        Some(Err(error @ WriteError::OutOfTime { .. })) => {
            let error = error.clone();
            results.resize(len, Err(error));
            true
        }
        _ => false,
    }
}

/// The Graph write an action is, when it is one that may travel with others.
fn user_write(op: &Op) -> Option<UserWrite> {
    Some(match op {
        Op::AdoptUser { employee_id } => {
            UserWrite::Update([("employeeId".to_owned(), Some(employee_id.clone()))].into())
        }
        Op::UpdateUser { changes } => UserWrite::Update(
            changes
                .iter()
                .map(|(k, v)| (k.clone(), v.to.clone()))
                .collect(),
        ),
        Op::EnableUser => UserWrite::Enabled(true),
        Op::DisableUser => UserWrite::Enabled(false),
        Op::SetManager {
            manager_user_id: Some(id),
            ..
        } => UserWrite::Manager(id.clone()),
        Op::AssignLicense { sku_id, .. } => UserWrite::AssignLicense(sku_id.clone()),
        Op::RemoveLicense { sku_id, .. } => UserWrite::RemoveLicense(sku_id.clone()),
        Op::RevokeSessions => UserWrite::RevokeSessions,
        Op::RemoveGroupMember { group_id, .. } => UserWrite::LeaveGroup(group_id.clone()),
        _ => return None,
    })
}

fn done(written: GraphWritten) -> Written<()> {
    Written {
        value: (),
        request_id: written.request_id,
    }
}

/// Microsoft's error as the applier reports it: given up for want of time means "the run's
/// continuation does it"; unreachable or throttled to the end means "try again later"; anything
/// else is a refusal, with Microsoft's words and request id.
pub(super) fn write_error(error: ApiError) -> WriteError {
    match &error {
        ApiError::OutOfTime { .. } => WriteError::OutOfTime {
            reason: error.to_string(),
        },
        ApiError::Throttled { .. } | ApiError::Network { .. } | ApiError::Token(_) => {
            WriteError::Unavailable {
                message: error.to_string(),
            }
        }
        _ if error.status().is_some_and(|s| s >= 500) => WriteError::Unavailable {
            message: error.to_string(),
        },
        _ => WriteError::Rejected {
            request_id: error.request_id().map(str::to_owned),
            message: error.to_string(),
        },
    }
}

fn unsupported(op: &Op) -> WriteError {
    WriteError::Rejected {
        message: format!("{} is not an action for this call", op.kind()),
        request_id: None,
    }
}
