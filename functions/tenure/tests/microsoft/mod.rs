//! The Microsoft clients against the emulated tenant (and the cloud table without a server).

mod batch;
mod certificates;
mod cloud;
mod delta;
mod exchange;
mod foreign_links;
mod helpers;
mod reads;
mod retries;
mod secrets;
mod tokens;
mod writes;
