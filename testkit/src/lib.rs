//! coffee-shop's one test kit, shared by the integration tests
//! (`tests/api`), the benchmark harness (`examples/bench.rs`) and the soak
//! test (`examples/soak.rs`): RSA signing keys that mint tokens, a real JWKS
//! endpoint on loopback, test certificates with a plain HTTPS client, and
//! the binary run as a child process, a real S3-compatible server (moto),
//! and databases of their own on the real PostgreSQL cluster that
//! `scripts/with-postgres.sh` starts.
//!
//! A harness that cannot set itself up has nothing to report, so failing
//! loudly (`expect`) is right throughout.

pub mod jwks;
pub mod keys;
pub mod loopback;
pub mod postgres;
pub mod process;
pub mod relay;
pub mod s3;
pub mod tls;

pub use jwks::JwksServer;
pub use keys::{TestKey, now};
pub use postgres::{TestCluster, test_engine_is_postgres};
pub use process::{ServerProcess, free_port};
pub use relay::Relay;
pub use s3::S3Server;
pub use tls::{IssuedCertificate, TestCa};
