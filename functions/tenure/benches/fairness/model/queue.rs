//! The SQS FIFO work queue as Lambda's event source sees it: messages in groups
//! (`<connection>/<lane>`), a group handed out one batch at a time and in order (no message of
//! a group while one of it is in flight), a batch filled first from one group, then from the
//! next groups available (SQS's documented rule); which group comes first is not documented: the
//! model takes the one whose first message is oldest. A message that is not deleted comes back
//! after the visibility timeout; after `max_receives` receives it goes to the dead-letter queue.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use tenure::queue::WorkItem;

use super::Micros;

/// A message's index in [`Fifo`].
pub(crate) type MessageId = usize;

/// A message and where it is.
#[derive(Debug)]
pub(crate) struct Message {
    /// The work it carries.
    pub(crate) item: Arc<WorkItem>,
    group: usize,
    sent_at: Micros,
    receives: u32,
}

#[derive(Debug, Default)]
struct Group {
    /// Messages not deleted, oldest first (those in flight at the front).
    waiting: VecDeque<MessageId>,
    in_flight: usize,
}

/// The queue.
#[derive(Debug, Default)]
pub(crate) struct Fifo {
    messages: Vec<Message>,
    groups: Vec<Group>,
    group_ids: HashMap<String, usize>,
    /// Groups that can be received from, by their first message: (sent at, message, group).
    available: BTreeSet<(Micros, MessageId, usize)>,
    /// Messages moved to the dead-letter queue.
    pub(crate) dead_letters: usize,
    /// Messages sent.
    pub(crate) sent: usize,
}

impl Fifo {
    /// Sends `item` to the end of `group` at `now` (shared: a reconcile sends the same export
    /// every hour).
    pub(crate) fn send(&mut self, item: Arc<WorkItem>, group: String, now: Micros) -> MessageId {
        let next = self.groups.len();
        let g = *self.group_ids.entry(group).or_insert(next);
        if g == next {
            self.groups.push(Group::default());
        }
        let id = self.messages.len();
        self.messages.push(Message {
            item,
            group: g,
            sent_at: now,
            receives: 0,
        });
        self.sent += 1;
        self.groups[g].waiting.push_back(id);
        self.refresh(g);
        id
    }

    /// A message.
    pub(crate) fn message(&self, id: MessageId) -> &Message {
        &self.messages[id]
    }

    /// Up to `max` messages: as many as possible of the group available longest, then of the
    /// next ones.
    pub(crate) fn receive(&mut self, max: usize) -> Vec<MessageId> {
        let mut batch = Vec::new();
        while batch.len() < max {
            let Some(first) = self.available.pop_first() else {
                break;
            };
            let group = &mut self.groups[first.2];
            let take = (max - batch.len()).min(group.waiting.len());
            for &id in group.waiting.iter().take(take) {
                batch.push(id);
            }
            group.in_flight = take;
        }
        for &id in &batch {
            self.messages[id].receives += 1;
        }
        batch
    }

    /// Deletes received messages (their work is done).
    pub(crate) fn delete(&mut self, ids: &[MessageId]) {
        for &id in ids {
            let g = self.messages[id].group;
            let group = &mut self.groups[g];
            if let Some(at) = group.waiting.iter().position(|&m| m == id) {
                group.waiting.remove(at);
                group.in_flight -= 1;
            }
            self.refresh(g);
        }
    }

    /// Received messages not deleted whose visibility timeout ended: back in their group, or to
    /// the dead-letter queue after `max_receives` receives.
    pub(crate) fn reappear(&mut self, ids: &[MessageId], max_receives: u32) {
        for &id in ids {
            let g = self.messages[id].group;
            let group = &mut self.groups[g];
            group.in_flight -= 1;
            if self.messages[id].receives >= max_receives {
                group.waiting.retain(|&m| m != id);
                self.dead_letters += 1;
            }
            self.refresh(g);
        }
    }

    /// Messages not yet deleted or dead-lettered.
    pub(crate) fn len(&self) -> usize {
        self.groups.iter().map(|g| g.waiting.len()).sum()
    }

    /// Puts group `g` among the available ones when it has messages and none in flight.
    fn refresh(&mut self, g: usize) {
        let group = &self.groups[g];
        if group.in_flight > 0 {
            return;
        }
        if let Some(&head) = group.waiting.front() {
            self.available
                .insert((self.messages[head].sent_at, head, g));
        }
    }
}
