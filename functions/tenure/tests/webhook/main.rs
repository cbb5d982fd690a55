//! HR webhooks through `tenure::webhook::accept`: signed deliveries queued, every refusal with its
//! status and nothing queued.

mod accept;
mod helpers;
mod payload;
mod signature;
