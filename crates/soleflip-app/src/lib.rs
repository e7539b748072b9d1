//! SoleFlip's use cases, shared by the CLI and (later) the HTTP API: each public function is one
//! unit of work a caller asks for by name (take a backup, verify it, restore it, recover a
//! cluster to a moment). This crate owns the transactions those use cases run in and the child
//! processes they start (`pg_dump`, `pg_restore`, `pg_basebackup`); the SQL they send lives in
//! `soleflip-db`, the embedded server in `soleflip-pg`.
//!
//! It must not depend on the CLI (no clap, no printing, no exit codes): callers receive typed
//! outcomes and errors and decide how to show them.

pub mod backup;
pub mod prices;
