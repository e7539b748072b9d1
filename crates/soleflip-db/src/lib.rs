//! Everything SoleFlip says to PostgreSQL: connection targets, the embedded migrations and their
//! runner, catalog inspection (verify, drift, manifests), database administration, and one
//! module per PostgreSQL schema. SQL lives here and nowhere else.
//!
//! Depends on `soleflip-domain` only; knows nothing of the CLI or of how the server is started.

pub mod admin;
pub mod adopt;
pub mod auth;
pub mod backup;
pub mod catalog;
pub mod docs;
pub mod health;
pub mod integration;
pub mod migrate;
pub mod products;
pub mod promises;
pub mod target;

pub use target::DbTarget;
