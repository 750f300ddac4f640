//! Integration tests: the real binary's application on a real port, a real
//! SQLite file in a temp dir, and a real HTTP JWKS server on loopback.

// Panicking on a broken expectation is how a test fails.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod acme;
mod auth;
mod backup;
mod caching;
mod chain;
mod cli;
mod cors;
mod crash;
mod dashboard;
mod drinks;
mod errors;
mod frontend;
mod head;
mod health;
mod helpers;
mod hostile;
mod housekeeping;
mod jwks;
mod logging;
mod metrics;
mod oidc;
mod openapi;
mod storage;
mod system;
mod tls;
mod versions;
