//! Connections against the emulated tenant, with the local stores: a customer's own app (secret
//! or certificate), Tenure's app linked by an admin, refresh tokens kept and rotated, and
//! every failure named with what to do — never with a secret in it.

mod customer_app;
mod exchange;
mod first_day_permissions;
mod helpers;
mod tenure_app;
