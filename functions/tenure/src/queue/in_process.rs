//! A queue inside one process (for `tenure serve`): a tokio channel, with messages in flight
//! coming back after the visibility timeout as on SQS.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::{Mutex, mpsc};
use tokio::time::Instant;

use super::{MessageId, QueueError, Receipt, Received, WorkItem, WorkQueue};

/// An in-process [`WorkQueue`].
#[derive(Debug)]
pub struct InProcessQueue {
    sender: mpsc::UnboundedSender<(MessageId, WorkItem)>,
    receiver: Mutex<mpsc::UnboundedReceiver<(MessageId, WorkItem)>>,
    in_flight: Mutex<HashMap<Receipt, (MessageId, WorkItem, Instant)>>,
    visibility_timeout: Duration,
}

impl InProcessQueue {
    /// An empty queue whose received messages come back after `visibility_timeout` unless
    /// deleted.
    pub fn new(visibility_timeout: Duration) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Self {
            sender,
            receiver: Mutex::new(receiver),
            in_flight: Mutex::new(HashMap::new()),
            visibility_timeout,
        }
    }

    async fn take_expired(&self, max: usize, out: &mut Vec<Received>) {
        let now = Instant::now();
        let mut in_flight = self.in_flight.lock().await;
        let expired: Vec<Receipt> = in_flight
            .iter()
            .filter(|(_, (_, _, until))| *until <= now)
            .map(|(receipt, _)| receipt.clone())
            .take(max.saturating_sub(out.len()))
            .collect();
        for old in expired {
            if let Some((id, item, _)) = in_flight.remove(&old) {
                let receipt = new_receipt();
                in_flight.insert(
                    receipt.clone(),
                    (id.clone(), item.clone(), now + self.visibility_timeout),
                );
                out.push(Received {
                    id,
                    receipt,
                    body: item.to_json().unwrap_or_default(),
                    item: Ok(item),
                });
            }
        }
    }

    async fn hold(&self, id: MessageId, item: WorkItem, out: &mut Vec<Received>) {
        let receipt = new_receipt();
        self.in_flight.lock().await.insert(
            receipt.clone(),
            (
                id.clone(),
                item.clone(),
                Instant::now() + self.visibility_timeout,
            ),
        );
        out.push(Received {
            id,
            receipt,
            body: item.to_json().unwrap_or_default(),
            item: Ok(item),
        });
    }
}

fn new_receipt() -> Receipt {
    Receipt(uuid::Uuid::new_v4().simple().to_string())
}

#[async_trait::async_trait]
impl WorkQueue for InProcessQueue {
    async fn send(&self, items: Vec<WorkItem>) -> Result<Vec<MessageId>, QueueError> {
        let mut ids = Vec::with_capacity(items.len());
        for item in items {
            let id = MessageId(uuid::Uuid::new_v4().to_string());
            self.sender
                .send((id.clone(), item))
                .map_err(|_| QueueError::Closed)?;
            ids.push(id);
        }
        Ok(ids)
    }

    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<Received>, QueueError> {
        let deadline = Instant::now() + wait;
        let mut out = Vec::new();
        loop {
            self.take_expired(max, &mut out).await;
            {
                let mut receiver = self.receiver.lock().await;
                while out.len() < max {
                    match receiver.try_recv() {
                        Ok((id, item)) => self.hold(id, item, &mut out).await,
                        Err(_) => break,
                    }
                }
            }
            let now = Instant::now();
            if !out.is_empty() || max == 0 || now >= deadline {
                return Ok(out);
            }
            // Wake for a new message, or when the next message in flight comes back.
            let next_return = self
                .in_flight
                .lock()
                .await
                .values()
                .map(|(_, _, until)| *until)
                .min();
            let until = next_return.map_or(deadline, |t| t.min(deadline));
            let mut receiver = self.receiver.lock().await;
            if let Ok(Some((id, item))) = tokio::time::timeout_at(until, receiver.recv()).await {
                drop(receiver);
                self.hold(id, item, &mut out).await;
            }
        }
    }

    async fn delete(&self, receipt: &Receipt) -> Result<(), QueueError> {
        self.in_flight
            .lock()
            .await
            .remove(receipt)
            .map(|_| ())
            .ok_or(QueueError::UnknownReceipt)
    }
}
