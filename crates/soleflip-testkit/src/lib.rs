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

pub mod stockx_fake;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use soleflip_db::admin::connect_maintenance;
use soleflip_db::quote::quote_ident;
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

/// A database as the old Python/Alembic system left it: migration 1's SQL run by hand,
/// `public.alembic_version = consolidated_v1`, and none of our version records.
pub async fn old_system_db() -> TestDb {
    let db = empty_db().await;
    let mut conn = db.connect().await;
    let first = soleflip_db::migrate::MIGRATIONS
        .first()
        .expect("migration 1 exists");
    exec(&mut conn, &format!("begin;\n{}\ncommit;", first.sql)).await;
    exec(
        &mut conn,
        "create table public.alembic_version (version_num varchar(32) not null, \
         constraint alembic_version_pkc primary key (version_num)); \
         insert into public.alembic_version values ('consolidated_v1');",
    )
    .await;
    db
}

/// Inserts one row into every table of the SoleFlip schemas that has none yet, parents before
/// children: foreign keys point at an existing parent row, NOT NULL columns without a default
/// get a value of their type, json/jsonb columns get a small document. Returns the tables
/// filled. (Generic on purpose: it follows whatever the migrations built.)
pub async fn fill_every_table(conn: &mut PgConnection) -> Vec<String> {
    use sqlx::Row;
    let tables: Vec<(String, String)> = sqlx::query_as(
        "select n.nspname::text, c.relname::text from pg_class c \
         join pg_namespace n on n.oid = c.relnamespace \
         where c.relkind in ('r', 'p') and not c.relispartition \
           and n.nspname in ('analytics', 'auth', 'core', 'integration', \
               'platforms', 'pricing', 'products', 'system', 'transactions') \
         order by 1, 2",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("listing tables");
    let fks: Vec<(String, String, String, String)> = sqlx::query_as(
        "select cn.nspname || '.' || c.relname, a.attname::text, \
                rn.nspname || '.' || r.relname, ra.attname::text \
         from pg_constraint k \
         join pg_class c on c.oid = k.conrelid join pg_namespace cn on cn.oid = c.relnamespace \
         join pg_class r on r.oid = k.confrelid join pg_namespace rn on rn.oid = r.relnamespace \
         join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1] \
         join pg_attribute ra on ra.attrelid = k.confrelid and ra.attnum = k.confkey[1] \
         where k.contype = 'f'",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("listing foreign keys");
    let mut pending: Vec<String> = tables.iter().map(|(s, t)| format!("{s}.{t}")).collect();
    let mut filled = Vec::new();
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|t| {
                fks.iter()
                    .filter(|(child, _, parent, _)| child == t && parent != t)
                    .all(|(_, _, parent, _)| !pending.contains(parent))
            })
            .expect("foreign keys form no cycle");
        let table = pending.remove(ready);
        let has_rows: bool = sqlx::query_scalar(&format!("select exists (select 1 from {table})"))
            .fetch_one(&mut *conn)
            .await
            .expect("probing a table");
        if has_rows {
            continue;
        }
        let (schema, name) = table.split_once('.').expect("qualified name");
        let columns = sqlx::query(
            "select a.attname::text as name, format_type(a.atttypid, a.atttypmod) as type, \
                    a.attnotnull as not_null, ad.adbin is not null as has_default, \
                    (select e.enumlabel::text from pg_enum e where e.enumtypid = a.atttypid \
                     order by e.enumsortorder limit 1) as first_label \
             from pg_attribute a join pg_class c on c.oid = a.attrelid \
             join pg_namespace n on n.oid = c.relnamespace \
             left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum \
             where n.nspname = $1 and c.relname = $2 and a.attnum > 0 and not a.attisdropped \
             order by a.attnum",
        )
        .bind(schema)
        .bind(name)
        .fetch_all(&mut *conn)
        .await
        .expect("listing columns");
        let checks: Vec<String> = sqlx::query_scalar(
            "select pg_get_constraintdef(k.oid) from pg_constraint k \
             join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace \
             where n.nspname = $1 and c.relname = $2 and k.contype = 'c'",
        )
        .bind(schema)
        .bind(name)
        .fetch_all(&mut *conn)
        .await
        .expect("listing checks");
        // First with every optional column filled too (foreign keys, documents); if a CHECK
        // refuses that combination, with the required columns only.
        let mut last_error = String::new();
        let mut inserted = false;
        for fill_optional in [true, false] {
            let mut names = Vec::new();
            let mut values = Vec::new();
            for (i, col) in columns.iter().enumerate() {
                let cname: String = col.get("name");
                let ctype: String = col.get("type");
                let not_null: bool = col.get("not_null");
                let has_default: bool = col.get("has_default");
                let first_label: Option<String> = col.get("first_label");
                let fk = fks
                    .iter()
                    .find(|(child, column, _, _)| *child == table && *column == cname);
                let value =
                    match fk {
                        Some((_, _, parent, pcol)) if fill_optional || not_null => {
                            Some(format!("(select {pcol} from {parent} order by 1 limit 1)"))
                        }
                        Some(_) => None,
                        None if (ctype == "json" || ctype == "jsonb")
                            && (fill_optional || not_null) =>
                        {
                            Some(format!("'{{\"filled\": {i}, \"tags\": [\"a\", \"b\"]}}'"))
                        }
                        None if has_default || !not_null => None,
                        // Currencies are checked against the shape of ISO 4217 codes.
                        None if cname == "currency" => Some("'EUR'".to_string()),
                        // GTINs are checked to be 14 digits.
                        None if cname == "gtin" => Some("'00000000000000'".to_string()),
                        None => Some(literal_allowed_by_checks(&checks, &cname).unwrap_or_else(
                            || value_of_type(&ctype, first_label.as_deref(), &table, i),
                        )),
                    };
                if let Some(v) = value {
                    names.push(format!("\"{cname}\""));
                    values.push(v);
                }
            }
            let sql = format!(
                "insert into {table} ({}) values ({})",
                names.join(", "),
                values.join(", ")
            );
            match sqlx::query(&sql).execute(&mut *conn).await {
                Ok(_) => {
                    inserted = true;
                    break;
                }
                Err(e) => last_error = format!("{sql}: {e}"),
            }
        }
        assert!(inserted, "{last_error}");
        filled.push(table);
    }
    filled
}

/// The first quoted literal a CHECK compares `column` with (`status = 'active'`,
/// `status IN ('active', ...)`), so that a filled row passes it.
fn literal_allowed_by_checks(checks: &[String], column: &str) -> Option<String> {
    checks.iter().find_map(|def| {
        let at = def.find(column)?;
        let rest = &def[at + column.len()..];
        let open = rest.find('\'')?;
        // Only a literal the column is compared with for equality, close to it:
        // `col)::text = 'x'` or `= ANY (ARRAY['x'` (not a pattern such as `~ '^[A-Z]{3}$'`).
        let between = &rest[..open];
        if open > 40 || !between.contains('=') || between.contains('~') {
            return None;
        }
        let literal = &rest[open + 1..];
        let close = literal.find('\'')?;
        Some(format!("'{}'", &literal[..close]))
    })
}

fn value_of_type(ctype: &str, enum_label: Option<&str>, table: &str, i: usize) -> String {
    if let Some(label) = enum_label {
        return format!("'{label}'");
    }
    let base = ctype.split('(').next().unwrap_or(ctype);
    match base {
        "uuid" => "gen_random_uuid()".to_string(),
        "integer" | "bigint" | "smallint" | "numeric" => "1".to_string(),
        "boolean" => "true".to_string(),
        "date" => "current_date - 1".to_string(),
        "timestamp with time zone" => "now() - interval '1 day'".to_string(),
        _ => {
            // character varying(n) and text: short enough for the smallest varchar here.
            let tag = format!("{}{i}", table.replace('.', "_"));
            let max: usize = ctype
                .split(['(', ')'])
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(64);
            // Keep the end, which makes the value unique (the tag is ASCII).
            format!("'{}'", &tag[tag.len().saturating_sub(max)..])
        }
    }
}
