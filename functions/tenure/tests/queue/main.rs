//! The work queues: SQS (against this process's `moto_server`) and in-process, through one suite:
//! send, receive, delete, and a message not deleted coming back after its visibility timeout.

mod helpers;
mod round_trip;
