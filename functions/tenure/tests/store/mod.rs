//! The secret and connection stores: AWS (against `moto_server`, started by the tests) and
//! local files, each implementation through the same test functions.

mod budget;
mod connections;
mod helpers;
mod key_ring;
mod local_files;
mod names;
mod objects;
mod records;
mod secrets;
