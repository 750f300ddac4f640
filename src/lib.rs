//! coffee-shop: a café's drinks menu server (JSON API and admin pages on embedded SQLite).

pub mod assets;
pub mod auth;
pub mod backup;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod elapsed;
pub mod error;
pub mod hex;
pub mod http;
pub mod menu;
pub mod metrics;
pub mod outbound;
pub mod paths;
pub mod private_files;
pub mod routes;
pub mod shared;
pub mod startup;
pub mod system;
pub mod telemetry;
pub mod tls;
#[cfg(windows)]
pub mod windows;
