//! Applying a plan to a snapshot in memory: the directory's own state changes, one per action.
//!
//! This is the state machine behind the emulated tenant and the sample generators. Each action
//! changes exactly what Microsoft's API would change, and is idempotent the way the planner
//! relies on: adding a member twice, or disabling a disabled user, changes nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{
    AssignedLicense, DirectoryGroup, DirectoryUser, Mailbox, MailboxType, ObjectRef, Snapshot,
    UserAttribute,
};
use crate::SharedStr;
use crate::names::Upn;
use crate::plan::{Op, Plan, ValueChange, WorkerPlan};

/// An action that cannot be applied to this snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("employee {employee_id}: cannot {kind}: {message}")]
pub struct ApplyError {
    /// The worker.
    pub employee_id: String,
    /// The action's kind.
    pub kind: &'static str,
    /// What is wrong.
    pub message: String,
}

impl Snapshot {
    /// Applies every action of a plan, in order. New users get ids from `new_id`.
    pub fn apply_plan(
        &mut self,
        plan: &Plan,
        new_id: &mut dyn FnMut(&str) -> String,
    ) -> Result<(), ApplyError> {
        let mut writer = Writer::new(self);
        for worker in &plan.workers {
            writer.apply_worker(worker, new_id)?;
        }
        Ok(())
    }

    /// Creates a user from an [`Op::CreateUser`], with this object id. Builds its lookups
    /// afresh: for one change at a time on small directories; use [`Snapshot::apply_plan`]
    /// for whole plans.
    pub fn create_user(
        &mut self,
        employee_id: &str,
        create: &Op,
        id: String,
    ) -> Result<(), String> {
        let mut id = Some(id);
        Writer::new(self)
            .create_user(employee_id, create, &mut |_| id.take().unwrap_or_default())
            .map(|_| ())
    }

    /// Applies one action other than a create to an existing user (see [`Snapshot::create_user`]
    /// about cost).
    pub fn apply_op(&mut self, user_id: &str, op: &Op) -> Result<(), String> {
        Writer::new(self).apply_op(user_id, op)
    }

    /// Applies one worker's actions.
    pub fn apply_worker(
        &mut self,
        worker: &WorkerPlan,
        new_id: &mut dyn FnMut(&str) -> String,
    ) -> Result<(), ApplyError> {
        Writer::new(self).apply_worker(worker, new_id)
    }
}

/// A snapshot being written, with the lookups that keep large applies linear.
struct Writer<'s> {
    snapshot: &'s mut Snapshot,
    user_at: HashMap<SharedStr, usize>,
    user_by_employee: HashMap<String, usize>,
    upns: HashSet<Upn>,
    group_at: HashMap<String, usize>,
    group_members: HashMap<usize, HashSet<SharedStr>>,
    mailbox_at: HashMap<SharedStr, usize>,
}

impl<'s> Writer<'s> {
    fn new(snapshot: &'s mut Snapshot) -> Self {
        let user_at = snapshot
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.id.clone(), i))
            .collect();
        let user_by_employee = snapshot
            .users
            .iter()
            .enumerate()
            .filter_map(|(i, u)| Some((u.employee_id.clone()?, i)))
            .collect();
        let upns = snapshot
            .users
            .iter()
            .map(|u| u.user_principal_name.clone())
            .collect();
        let group_at = snapshot
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id.clone(), i))
            .collect();
        let mailbox_at = snapshot
            .mailboxes
            .iter()
            .enumerate()
            .map(|(i, m)| (m.external_directory_object_id.clone(), i))
            .collect();
        Self {
            snapshot,
            user_at,
            user_by_employee,
            upns,
            group_at,
            group_members: HashMap::new(),
            mailbox_at,
        }
    }

    fn apply_worker(
        &mut self,
        worker: &WorkerPlan,
        new_id: &mut dyn FnMut(&str) -> String,
    ) -> Result<(), ApplyError> {
        let mut user_id = worker.user_id.clone();
        for action in &worker.actions {
            let fail = |message: String| ApplyError {
                employee_id: worker.employee_id.clone(),
                kind: action.op.kind(),
                message,
            };
            if let Op::CreateUser { .. } = &action.op {
                user_id = Some(
                    self.create_user(&worker.employee_id, &action.op, new_id)
                        .map_err(fail)?
                        .into(),
                );
                continue;
            }
            let Some(id) = user_id.clone() else {
                return Err(fail("the user does not exist".into()));
            };
            self.apply_op(&id, &action.op).map_err(fail)?;
        }
        Ok(())
    }

    fn create_user(
        &mut self,
        employee_id: &str,
        op: &Op,
        new_id: &mut dyn FnMut(&str) -> String,
    ) -> Result<String, String> {
        let Op::CreateUser {
            user_principal_name,
            mail_nickname,
            display_name,
            account_enabled,
            attributes,
        } = op
        else {
            return Err("not a create".into());
        };
        if !self.upns.insert(user_principal_name.clone()) {
            return Err(format!(
                "another object with userPrincipalName {user_principal_name} already exists"
            ));
        }
        let mut user = DirectoryUser {
            id: new_id(employee_id).into(),
            user_principal_name: user_principal_name.clone(),
            employee_id: Some(employee_id.to_owned()),
            account_enabled: *account_enabled,
            display_name: Some(display_name.clone()),
            mail_nickname: Some(mail_nickname.clone()),
            ..DirectoryUser::default()
        };
        for (name, value) in attributes {
            let attribute = UserAttribute::from_graph_name(name)
                .ok_or_else(|| format!("unknown property {name}"))?;
            attribute.set(&mut user, Some(value.clone()));
        }
        let id = user.id.clone();
        let at = self.snapshot.users.len();
        self.user_at.insert(id.clone(), at);
        self.user_by_employee.insert(employee_id.to_owned(), at);
        self.snapshot.users.push(user);
        Ok(id.to_string())
    }

    /// Brings a deleted user back with the UPN it had.
    fn restore(&mut self, user_id: &str) -> Result<(), String> {
        let at = self
            .snapshot
            .deleted_users
            .iter()
            .position(|u| u.id == user_id)
            .ok_or_else(|| format!("no deleted user has id {user_id}"))?;
        let mut user = self.snapshot.deleted_users.remove(at);
        user.user_principal_name = Upn::from(user.upn_before_deletion());
        if !self.upns.insert(user.user_principal_name.clone()) {
            return Err(format!(
                "another object with userPrincipalName {} already exists",
                user.user_principal_name
            ));
        }
        let at = self.snapshot.users.len();
        self.user_at.insert(user.id.clone(), at);
        if let Some(employee_id) = &user.employee_id {
            self.user_by_employee.insert(employee_id.clone(), at);
        }
        self.snapshot.users.push(user);
        Ok(())
    }

    fn user_mut(&mut self, id: &str) -> Result<&mut DirectoryUser, String> {
        let at = *self
            .user_at
            .get(id)
            .ok_or_else(|| format!("no user has id {id}"))?;
        Ok(&mut self.snapshot.users[at])
    }

    fn group_mut(&mut self, id: &str) -> Result<(usize, &mut DirectoryGroup), String> {
        let at = *self
            .group_at
            .get(id)
            .ok_or_else(|| format!("no group has id {id}"))?;
        Ok((at, &mut self.snapshot.groups[at]))
    }

    fn mailbox_mut(&mut self, user_id: &str) -> Result<&mut Mailbox, String> {
        let at = *self
            .mailbox_at
            .get(user_id)
            .ok_or_else(|| "the user has no mailbox".to_owned())?;
        Ok(&mut self.snapshot.mailboxes[at])
    }

    /// Applies one action to an existing user.
    fn apply_op(&mut self, user_id: &str, op: &Op) -> Result<(), String> {
        match op {
            Op::CreateUser { .. } => return Err("the user exists already".into()),
            Op::AdoptUser { employee_id } => self.adopt(user_id, employee_id)?,
            Op::RestoreUser => self.restore(user_id)?,
            Op::UpdateUser { changes } => self.update_user(user_id, changes)?,
            Op::EnableUser => self.user_mut(user_id)?.account_enabled = true,
            Op::DisableUser => self.user_mut(user_id)?.account_enabled = false,
            Op::SetManager {
                manager_employee_id,
                manager_user_id,
            } => self.set_manager(user_id, manager_employee_id, manager_user_id.as_deref())?,
            Op::AddGroupMember { group_id, .. }
            | Op::AddDistributionListMember { group_id, .. } => {
                self.add_member(group_id, user_id)?;
            }
            Op::RemoveGroupMember { group_id, .. }
            | Op::RemoveDistributionListMember { group_id, .. } => {
                let (at, group) = self.group_mut(group_id)?;
                group.members.retain(|m| m != user_id);
                self.group_members.remove(&at);
            }
            Op::AssignLicense { sku_id, .. } => self.assign_license(user_id, sku_id)?,
            Op::RemoveLicense { sku_id, .. } => {
                self.user_mut(user_id)?
                    .assigned_licenses
                    .retain(|l| &l.sku_id != sku_id);
            }
            // Sessions, passwords, passes and mail are not part of the snapshot: nothing to record.
            Op::RevokeSessions | Op::ResetPassword | Op::DeliverFirstDayAccess { .. } => {}
            Op::ConvertToSharedMailbox => {
                self.mailbox_mut(user_id)?.recipient_type_details = MailboxType::SharedMailbox;
            }
            Op::ConvertToUserMailbox => {
                self.mailbox_mut(user_id)?.recipient_type_details = MailboxType::UserMailbox;
            }
            Op::GrantMailboxAccess { trustee } => {
                let mailbox = self.mailbox_mut(user_id)?;
                if !mailbox
                    .full_access
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(trustee))
                {
                    mailbox.full_access.push(trustee.clone());
                }
            }
            Op::HideFromAddressList { hidden } => {
                self.mailbox_mut(user_id)?.hidden_from_address_lists_enabled = *hidden;
            }
        }
        Ok(())
    }

    /// Writes `employee_id` on an account that had none.
    fn adopt(&mut self, user_id: &str, employee_id: &str) -> Result<(), String> {
        let at = *self
            .user_at
            .get(user_id)
            .ok_or_else(|| format!("no user has id {user_id}"))?;
        self.snapshot.users[at].employee_id = Some(employee_id.to_owned());
        self.user_by_employee.insert(employee_id.to_owned(), at);
        Ok(())
    }

    fn update_user(
        &mut self,
        user_id: &str,
        changes: &BTreeMap<String, ValueChange>,
    ) -> Result<(), String> {
        let user = self.user_mut(user_id)?;
        for (name, change) in changes {
            if name == "displayName" {
                user.display_name = change.to.clone();
            } else {
                let attribute = UserAttribute::from_graph_name(name)
                    .ok_or_else(|| format!("unknown property {name}"))?;
                attribute.set(user, change.to.clone());
            }
        }
        Ok(())
    }

    /// Points the user at their manager: by id when the plan knew it, else by the manager's
    /// `employeeId` (an account created earlier in the same run).
    fn set_manager(
        &mut self,
        user_id: &str,
        manager_employee_id: &str,
        manager_user_id: Option<&str>,
    ) -> Result<(), String> {
        let manager = match manager_user_id {
            Some(id) => SharedStr::from(id),
            None => self
                .user_by_employee
                .get(manager_employee_id)
                .map(|&at| self.snapshot.users[at].id.clone())
                .ok_or_else(|| format!("manager {manager_employee_id} has no account"))?,
        };
        self.user_mut(user_id)?.manager = Some(ObjectRef { id: manager });
        Ok(())
    }

    fn add_member(&mut self, group_id: &str, user_id: &str) -> Result<(), String> {
        let at = self.group_mut(group_id)?.0;
        let group = &mut self.snapshot.groups[at];
        let members = self
            .group_members
            .entry(at)
            .or_insert_with(|| group.members.iter().cloned().collect());
        let member = SharedStr::from(user_id);
        if members.insert(member.clone()) {
            group.members.push(member);
        }
        Ok(())
    }

    /// Assigns a license; one with an Exchange Online plan brings a mailbox, as Exchange
    /// provisions one once the user holds such a license.
    fn assign_license(&mut self, user_id: &str, sku_id: &str) -> Result<(), String> {
        // A license whose plans are not known is taken to bring a mailbox.
        let mailbox_comes = !self.mailbox_at.contains_key(user_id)
            && self
                .snapshot
                .subscribed_skus
                .iter()
                .find(|s| s.sku_id == sku_id)
                .is_none_or(|s| s.gives_mailbox(&[]) != Some(false));
        let user = self.user_mut(user_id)?;
        if user.usage_location.is_none() {
            return Err("license assignment failed because the user has no usage location".into());
        }
        if !user.assigned_licenses.iter().any(|l| l.sku_id == sku_id) {
            user.assigned_licenses.push(AssignedLicense {
                sku_id: sku_id.into(),
                disabled_plans: Vec::new(),
            });
        }
        if mailbox_comes {
            // Exchange gives the user its primary address as `mail`.
            let upn = user.user_principal_name.clone();
            user.proxy_addresses = vec![format!("SMTP:{upn}")];
            user.mail.get_or_insert_with(|| upn.as_str().into());
            let user_id = SharedStr::from(user_id);
            self.mailbox_at
                .insert(user_id.clone(), self.snapshot.mailboxes.len());
            self.snapshot.mailboxes.push(Mailbox {
                external_directory_object_id: user_id,
                user_principal_name: upn,
                recipient_type_details: MailboxType::UserMailbox,
                hidden_from_address_lists_enabled: false,
                full_access: Vec::new(),
            });
        }
        Ok(())
    }
}
