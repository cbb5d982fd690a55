//! The work queues: SQS (against this process's `moto_server`) and in-process, through one suite:
//! send, receive, delete, and a message not deleted coming back after its visibility timeout; a
//! FIFO queue on moto as deployed; work split into per-tenant lanes; the dead-letter stores
//! (listed, removed once).

mod dead_letters;
mod helpers;
mod lanes;
mod round_trip;
