//! The embedded PostgreSQL server of SoleFlip: finding the installed server binaries, creating a
//! private cluster (`initdb`), starting and stopping it, recovering from a killed server, running
//! it as an unprivileged OS user when SoleFlip runs as root, and throwaway clusters for tests.
//!
//! It talks to PostgreSQL only through its programs and files (`initdb`, `postgres`,
//! `postmaster.pid`), never over SQL, and depends on no other SoleFlip crate.

mod binaries;
mod cluster;
mod error;
mod os_user;
mod throwaway;

pub use binaries::{PgBinaries, MIN_MAJOR};
pub use cluster::{Cluster, ClusterOptions, Status, DEFAULT_PORT, SUPERUSER};
pub use error::PgError;
pub use os_user::OsUser;
pub use throwaway::ThrowawayCluster;
