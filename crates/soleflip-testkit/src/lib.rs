//! Test harness: real PostgreSQL for every test that touches data.
//!
//! Each test process gets one throwaway cluster (started from the installed server binaries,
//! `fsync` off, removed when the process exits), or, when `DATABASE_URL` names an existing server
//! whose role may create databases, that server. In it, a template database is migrated once,
//! and every test gets its own fresh database cloned from it (`CREATE DATABASE ... TEMPLATE`),
//! so tests run in parallel without seeing each other.
//!
//! Used by tests only; depends on soleflip-pg and soleflip-db.
#![expect(
    clippy::expect_used,
    reason = "a harness that cannot set up must stop the test loudly"
)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use soleflip_db::admin::{connect_maintenance, quote_ident};
use soleflip_db::DbTarget;
use soleflip_pg::{ThrowawayCluster, SUPERUSER};
use sqlx::postgres::PgConnection;

/// The server the tests of this process use.
pub struct TestServer {
    base: DbTarget,
    url_base: UrlBase,
    cluster: Option<ThrowawayCluster>,
}

enum UrlBase {
    Given(String),
    Cluster,
}

/// A database of one test.
pub struct TestDb {
    pub name: String,
    pub target: DbTarget,
    /// A connection URL for child processes (`soleflip --database-url ...`, psql).
    pub url: String,
}

impl TestDb {
    pub async fn connect(&self) -> PgConnection {
        self.target
            .connect()
            .await
            .expect("connecting to the test database")
    }
}

static SERVER: OnceLock<TestServer> = OnceLock::new();
static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
static SEQ: AtomicU32 = AtomicU32::new(0);

/// The test server, started on first use.
pub fn server() -> &'static TestServer {
    SERVER.get_or_init(
        || match std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(url) => TestServer {
                base: DbTarget::from_url(&url).expect("DATABASE_URL is a valid URL"),
                url_base: UrlBase::Given(url),
                cluster: None,
            },
            None => {
                let cluster = ThrowawayCluster::start().expect("starting a throwaway PostgreSQL");
                let c = cluster.cluster();
                TestServer {
                    base: DbTarget::from_socket(c.socket_dir(), c.port(), SUPERUSER, "postgres"),
                    url_base: UrlBase::Cluster,
                    cluster: Some(cluster),
                }
            }
        },
    )
}

impl TestServer {
    /// A target for database `name` on this server.
    pub fn target(&self, name: &str) -> DbTarget {
        self.base.with_database(name)
    }

    /// A connection URL for database `name` on this server.
    pub fn url(&self, name: &str) -> String {
        match (&self.url_base, &self.cluster) {
            (UrlBase::Cluster, Some(c)) => c.cluster().url(name),
            (UrlBase::Given(url), _) => {
                let mut u = url::Url::parse(url).expect("DATABASE_URL parses");
                u.set_path(&format!("/{name}"));
                u.to_string()
            }
            (UrlBase::Cluster, None) => unreachable!("a cluster server has a cluster"),
        }
    }

    /// The throwaway cluster, when the tests run on one.
    pub fn cluster(&self) -> Option<&ThrowawayCluster> {
        self.cluster.as_ref()
    }

    async fn admin(&self) -> PgConnection {
        connect_maintenance(&self.base)
            .await
            .expect("connecting to the test server")
    }
}

/// A unique name for a new database of this process.
pub fn unique_name(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh, empty database (no migrations applied).
pub async fn empty_db() -> TestDb {
    let server = server();
    let name = unique_name("sf_e");
    exec(
        &mut server.admin().await,
        &format!("create database {}", quote_ident(&name)),
    )
    .await;
    db(server, name)
}

/// A fresh database with every migration applied, cloned from the template.
pub async fn migrated_db() -> TestDb {
    let server = server();
    let template = TEMPLATE
        .get_or_init(|| async {
            let name = unique_name("sf_template");
            let mut admin = server.admin().await;
            exec(
                &mut admin,
                &format!("create database {}", quote_ident(&name)),
            )
            .await;
            let mut conn = server
                .target(&name)
                .connect()
                .await
                .expect("connecting to template");
            soleflip_db::migrate::migrate(&mut conn, None)
                .await
                .expect("migrating the template");
            drop(conn);
            name
        })
        .await;
    let name = unique_name("sf_t");
    let sql = format!(
        "create database {} template {}",
        quote_ident(&name),
        quote_ident(template)
    );
    exec(&mut server.admin().await, &sql).await;
    db(server, name)
}

fn db(server: &TestServer, name: String) -> TestDb {
    TestDb {
        target: server.target(&name),
        url: server.url(&name),
        name,
    }
}

async fn exec(conn: &mut PgConnection, sql: &str) {
    sqlx::raw_sql(sql)
        .execute(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// `postgresql://USER:PASSWORD@127.0.0.1:PORT/DB` for the throwaway cluster's loopback TCP
/// listener (None when the tests use a given server).
pub fn tcp_url(user: &str, password: &str, database: &str) -> Option<String> {
    let cluster = server().cluster()?.cluster();
    Some(format!(
        "postgresql://{user}:{password}@127.0.0.1:{}/{database}",
        cluster.port()
    ))
}

/// Runs one SQL script on the server's maintenance database.
pub async fn admin_exec(sql: &str) {
    exec(&mut server().admin().await, sql).await;
}
