//! The front door, tried as an attacker would: sign-in and its ID-token checks, sessions, the
//! one authorization layer in front of every admin route, and the link flow bound to the
//! admin's session. Each test drives the routers with API Gateway events and signs in through
//! the emulated tenants, as a browser would.

mod api_tokens;
mod approvals;
mod authorization;
mod helpers;
mod hr_and_matches;
mod link;
mod sessions;
mod sign_in;
mod supervised;
