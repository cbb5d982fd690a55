//! HR webhooks through `tenure::webhook::accept`: signed deliveries queued, every refusal with its
//! status and nothing queued; the replay cache shared through the object store.

mod accept;
mod helpers;
mod payload;
mod replay;
mod signature;
