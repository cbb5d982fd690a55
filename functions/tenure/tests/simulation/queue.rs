//! The model's SQS FIFO queue: groups handed out one batch at a time and in order, a batch
//! filled from the group waiting longest and then the next, messages not deleted coming back
//! and, after enough receives, dead-lettered.

use std::sync::Arc;

use tenure::queue::WorkItem;

use super::model::queue::Fifo;
use super::model::workload::connection;

fn item(t: usize) -> Arc<WorkItem> {
    Arc::new(WorkItem::notice(&connection(t), "d"))
}

#[test]
fn a_group_is_handed_out_one_batch_at_a_time_in_order() {
    let mut fifo = Fifo::default();
    let a: Vec<usize> = (0..3).map(|n| fifo.send(item(1), "a".into(), n)).collect();
    let b = fifo.send(item(2), "b".into(), 10);
    assert_eq!(
        fifo.receive(2),
        a[..2],
        "as many as possible of the oldest group"
    );
    assert_eq!(fifo.receive(10), [b], "group a is in flight: only b");
    assert!(fifo.receive(10).is_empty());
    fifo.delete(&a[..2]);
    let later = fifo.send(item(1), "a".into(), 20);
    assert_eq!(fifo.receive(10), [a[2], later], "the rest of a, in order");
}

#[test]
fn a_batch_is_filled_from_the_next_groups() {
    let mut fifo = Fifo::default();
    let a = fifo.send(item(1), "a".into(), 5);
    let b = fifo.send(item(2), "b".into(), 1);
    let c = fifo.send(item(3), "c".into(), 3);
    assert_eq!(fifo.receive(10), [b, c, a], "oldest first message first");
}

#[test]
fn messages_not_deleted_come_back_then_go_to_the_dead_letter_queue() {
    let mut fifo = Fifo::default();
    let m = fifo.send(item(1), "a".into(), 0);
    for _ in 0..2 {
        assert_eq!(fifo.receive(1), [m]);
        fifo.reappear(&[m], 3);
        assert_eq!(fifo.dead_letters, 0);
    }
    assert_eq!(fifo.receive(1), [m]);
    fifo.reappear(&[m], 3);
    assert_eq!(
        (fifo.dead_letters, fifo.len()),
        (1, 0),
        "the third receive was the last"
    );
    assert!(fifo.receive(1).is_empty());
}
