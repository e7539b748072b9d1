//! Everything SoleFlip says to PostgreSQL, and the rows it gets back: connection targets, the
//! embedded migrations and their runner, schema introspection (`schema`: snapshots, manifests,
//! drift; `verify`; `invariants`: the promises kept from migration 2 on), server facts
//! (`server`), and one module per PostgreSQL schema (`auth`, `products`, `integration`; `awin`: feeds and FX rates). SQL
//! lives here and nowhere else; rendering, grading and use cases do not.
//!
//! Depends on `soleflip-domain` only. Module dependencies point one way: `migrate` and `schema`
//! depend on nothing here; `invariants` on `schema`; `adopt` and `verify` on both.

pub mod admin;
pub mod adopt;
pub mod auth;
pub mod awin;
mod copy_text;
pub mod docs;
pub mod health;
pub mod imports;
pub mod integration;
pub mod invariants;
pub mod ledger;
pub mod migrate;
pub mod products;
pub mod quote;
pub mod schema;
pub mod server;
pub mod stockx;
pub mod target;
pub mod variants;
pub mod verify;

pub use target::DbTarget;
