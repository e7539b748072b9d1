//! `db backup verify` and `db restore`: check the file against its manifest before anything
//! else, restore it in one transaction, then verify the result and compare its row counts.
//!
//! A dump holds code (functions, index expressions, constraints, defaults) that its database's
//! roles wrote, and `pg_restore` runs some of it. So `pg_restore` never logs in as the caller
//! (often a superuser): when the caller may create roles, each restore makes a login role of its
//! own with no rights but CREATE on the one database it restores into, restores as that role
//! (`--no-owner`), then hands the restored objects to the caller (`REASSIGN OWNED`) and drops
//! the role. The dump's code thus runs with less than its owners had, never more.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{SecondsFormat, Utc};
use soleflip_db::server as sql;
use soleflip_db::{admin, verify, DbTarget};
use soleflip_pg::PgBinaries;

use super::child::ChildConnection;
use super::files::{open_regular, sha256_of, write_replace};
use super::manifest::{
    manifest_path_for, read_manifest, verified_path_for, Manifest, MigrationRef, Verified,
};
use super::{program, BackupError};

/// A backup file that matches its manifest.
#[derive(Debug, Clone)]
pub struct Checked {
    pub dump: PathBuf,
    pub manifest_path: PathBuf,
    pub manifest: Manifest,
    /// Device and inode of the file that was checked: the restore reads that file, not
    /// whatever another process put under its name since.
    identity: (u64, u64),
}

/// What `backup verify` found.
#[derive(Debug, Clone)]
pub struct VerifyOutcome {
    pub checked: Checked,
    /// Scratch databases of earlier verify runs that died before dropping them: dropped now.
    pub abandoned: Vec<String>,
    /// The scratch database it restored into (dropped again).
    pub scratch: String,
    /// Every way the restored database differs from the manifest; empty when verified.
    pub differences: Vec<String>,
    /// Where the verification record was written (only when there is no difference).
    pub verified_path: Option<PathBuf>,
}

/// What `db restore` did.
#[derive(Debug, Clone)]
pub struct RestoreOutcome {
    pub checked: Checked,
    pub database: String,
    /// Whether the database was created by this restore.
    pub created: bool,
    /// Whether the database held objects that the restore replaced (`--yes`).
    pub replaced: bool,
    pub differences: Vec<String>,
}

/// Reads the manifest beside `file` (a dump or its manifest) and checks the dump's size and
/// SHA-256 against it. Nothing is connected to, so a damaged file is found before anything is
/// restored.
pub async fn check_file(file: &Path) -> Result<Checked, BackupError> {
    let manifest_path = manifest_path_for(file);
    if !manifest_path.is_file() {
        if !file.exists() {
            return Err(anyhow::anyhow!("{}: no such file", file.display()).into());
        }
        return Err(BackupError::NoManifest {
            file: file.to_path_buf(),
            manifest: manifest_path,
        });
    }
    let manifest = read_manifest(&manifest_path)?;
    let dump = manifest_path.with_file_name(&manifest.file);
    let unreadable = |e: std::io::Error| BackupError::Corrupt {
        file: dump.clone(),
        reason: format!("cannot be read ({e})"),
    };
    let mut opened = open_regular(&dump).map_err(unreadable)?;
    let identity = file_identity(&opened).map_err(unreadable)?;
    let (sha256, size) = tokio::task::spawn_blocking(move || sha256_of(&mut opened))
        .await
        .context("hashing the backup")?
        .map_err(unreadable)?;
    let corrupt = |reason: String| BackupError::Corrupt {
        file: dump.clone(),
        reason,
    };
    if size != manifest.size {
        return Err(corrupt(format!(
            "{size} bytes, but its manifest says {} (truncated or appended to)",
            manifest.size
        )));
    }
    if sha256 != manifest.sha256 {
        return Err(corrupt(format!(
            "sha256 {sha256} differs from its manifest's {} (the file is damaged)",
            manifest.sha256
        )));
    }
    Ok(Checked {
        dump,
        manifest_path,
        manifest,
        identity,
    })
}

fn file_identity(file: &std::fs::File) -> std::io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata()?;
    Ok((meta.dev(), meta.ino()))
}

/// Checks `file`, restores it into a scratch database on the target's server, verifies the
/// result and compares its row counts with the manifest, then drops the scratch database. When
/// nothing differs, records the verification beside the backup (`prune` keeps the newest
/// verified backup).
pub async fn verify(
    target: &DbTarget,
    bins: &PgBinaries,
    file: &Path,
) -> Result<VerifyOutcome, BackupError> {
    let checked = check_file(file).await?;
    let pg_restore = program(bins, "pg_restore")?;
    let abandoned = drop_abandoned_scratch(target).await?;
    let scratch_name = scratch_name();
    let scratch = target.with_database(&scratch_name);
    create_database(target, &scratch_name).await?;
    let result = async {
        restore_as_own_role(&scratch, &pg_restore, &checked).await?;
        compare(&scratch, &checked.manifest).await
    }
    .await;
    let dropped = admin::drop_database(&scratch).await;
    let differences = result?;
    dropped.with_context(|| format!("dropping the scratch database {scratch_name}"))?;

    let verified_path = if differences.is_empty() {
        let path = verified_path_for(&checked.manifest_path);
        let record = Verified {
            verified_at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            sha256: checked.manifest.sha256.clone(),
            tables: checked.manifest.tables.len(),
            total_rows: checked.manifest.total_rows,
        };
        let json = serde_json::to_vec_pretty(&record).context("encoding the record")?;
        write_replace(&path, &json)?;
        Some(path)
    } else {
        None
    };
    Ok(VerifyOutcome {
        checked,
        abandoned,
        scratch: scratch_name,
        differences,
        verified_path,
    })
}

/// Restores `file` into the target's database: checks the file first; creates the database if
/// it does not exist; refuses one that holds objects unless `replace`; restores in a single
/// transaction, so an interrupted restore leaves the database as it was; then verifies and
/// compares row counts. A database that is replaced is restored beside it into a new database,
/// which then takes its name (the sessions connected to the old one are ended, and the old one
/// dropped): its objects, settings and grants of its own are not carried over; its owner is.
pub async fn restore(
    target: &DbTarget,
    bins: &PgBinaries,
    file: &Path,
    replace: bool,
) -> Result<RestoreOutcome, BackupError> {
    let checked = check_file(file).await?;
    let pg_restore = program(bins, "pg_restore")?;
    let database = target.database();
    let exists = {
        let mut maint = admin::connect_maintenance(target).await?;
        sql::database_exists(&mut maint, &database).await?
    };
    let objects = if exists {
        let mut conn = target.connect().await?;
        sql::user_object_count(&mut conn).await?
    } else {
        0
    };
    if objects > 0 && !replace {
        return Err(BackupError::NotEmpty { database, objects });
    }
    if objects > 0 {
        let fresh_name = scratch_name();
        let fresh = target.with_database(&fresh_name);
        create_database(target, &fresh_name).await?;
        if let Err(e) = restore_as_own_role(&fresh, &pg_restore, &checked).await {
            admin::drop_database(&fresh).await?;
            return Err(
                anyhow::anyhow!("restoring {database}: {e:#}; the database is unchanged").into(),
            );
        }
        if let Err(e) = take_the_name(target, &fresh_name, &database).await {
            admin::drop_database(&fresh).await?;
            return Err(
                anyhow::anyhow!("replacing {database}: {e:#}; the database is unchanged").into(),
            );
        }
    } else {
        let created = !exists && create_database(target, &database).await?;
        if let Err(e) = restore_as_own_role(target, &pg_restore, &checked).await {
            if created {
                admin::drop_database(target).await?;
            }
            let unchanged = if created {
                "it was created for this restore and dropped again"
            } else {
                "its transaction was rolled back, the database is unchanged"
            };
            return Err(anyhow::anyhow!("restoring {database}: {e:#}; {unchanged}").into());
        }
        let differences = compare(target, &checked.manifest).await?;
        return Ok(RestoreOutcome {
            checked,
            database,
            created,
            replaced: false,
            differences,
        });
    }
    let differences = compare(target, &checked.manifest).await?;
    Ok(RestoreOutcome {
        checked,
        database,
        created: false,
        replaced: true,
        differences,
    })
}

/// `soleflip_verify_<pid>_<time>`: a database name of this process, unique within it.
fn scratch_name() -> String {
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    format!(
        "{SCRATCH_PREFIX}{}_{}{}",
        std::process::id(),
        Utc::now().format("%Y%m%d%H%M%S%3f"),
        SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// Gives database `database` (which exists) the contents of `fresh`: `fresh` gets the old one's
/// owner, then, in one transaction, the old one is renamed away and `fresh` takes its name;
/// then the old one is dropped. Sessions connected to the old one are ended first.
async fn take_the_name(target: &DbTarget, fresh: &str, database: &str) -> anyhow::Result<()> {
    let mut maint = admin::connect_maintenance(target).await?;
    let owner = admin::database_owner(&mut maint, database).await?;
    admin::set_database_owner(&mut maint, fresh, &owner).await?;
    let old = scratch_name();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        admin::terminate_sessions(&mut maint, database).await?;
        match admin::swap_database_names(&mut maint, database, &old, fresh).await {
            Ok(_) => break,
            // 55006: a session of the old database is still ending (or just connected).
            Err(sqlx::Error::Database(db))
                if db.code().as_deref() == Some("55006")
                    && std::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "renaming the restored database to {database}: {}",
                    target.scrub(&e.to_string())
                ));
            }
        }
    }
    admin::drop_database(&target.with_database(&old))
        .await
        .with_context(|| format!("dropping the replaced database (now named {old})"))?;
    Ok(())
}

/// Restores the checked dump into the target's database (existing, empty) so that the dump's
/// code never runs with the caller's rights: as a login role made for this restore when the
/// caller may create roles (see the module documentation), else as the caller. The restored
/// objects end up owned by the caller either way.
async fn restore_as_own_role(
    target: &DbTarget,
    pg_restore: &Path,
    checked: &Checked,
) -> anyhow::Result<()> {
    let Some(role) = RestoreRole::create(target).await? else {
        tracing::warn!(
            user = %target.user(),
            "this role may not create roles: the dump is restored with its rights"
        );
        return restore_into(target, pg_restore, checked).await;
    };
    let result = async {
        let login = role.admit(target).await?;
        restore_into(&login, pg_restore, checked)
            .await
            .map_err(|e| login_hint(e, &role.name, &target.user()))?;
        role.hand_over(target).await
    }
    .await;
    let dropped = role.drop(target).await;
    result?;
    dropped
}

/// `soleflip_restore_<pid>_<time>`: the role a restore of this process runs `pg_restore` as.
const ROLE_PREFIX: &str = "soleflip_restore_";

/// A login role made for one restore: no attribute beyond LOGIN, a random password valid for a
/// day, member of nothing, and CREATE on the one database it restores into.
struct RestoreRole {
    name: String,
    password: String,
}

impl RestoreRole {
    /// None when the caller may not create roles.
    async fn create(target: &DbTarget) -> anyhow::Result<Option<Self>> {
        let mut maint = admin::connect_maintenance(target).await?;
        if !admin::may_create_roles(&mut maint).await? {
            return Ok(None);
        }
        let name = format!(
            "{ROLE_PREFIX}{}_{}",
            std::process::id(),
            scratch_name().rsplit('_').next().unwrap_or("0")
        );
        let password = random_hex(24).context("reading /dev/urandom")?;
        let salt = random_bytes(16).context("reading /dev/urandom")?;
        let until = (Utc::now() + chrono::Duration::days(1)).to_rfc3339();
        // The server gets the SCRAM verifier, never the password: the text of a CREATE ROLE may
        // reach the server's log or pg_stat_statements.
        let verifier = scram_sha_256_verifier(&password, &salt);
        admin::create_login_role(&mut maint, &name, &verifier, &until)
            .await
            .map_err(|e| anyhow::anyhow!("creating the restore role {name}: {}", db_message(&e)))?;
        Ok(Some(Self { name, password }))
    }

    /// Lets the role connect to the target's database and create objects in it (and in its
    /// `public` schema); returns the target as seen by the role.
    async fn admit(&self, target: &DbTarget) -> anyhow::Result<DbTarget> {
        let mut conn = target.connect().await?;
        admin::grant_create_rights(&mut conn, &self.name, &target.database())
            .await
            .map_err(|e| anyhow::anyhow!("admitting the restore role: {}", db_message(&e)))?;
        Ok(target.with_login(&self.name, Some(&self.password)))
    }

    /// Gives everything the role restored to the caller and takes back its grants.
    async fn hand_over(&self, target: &DbTarget) -> anyhow::Result<()> {
        let mut conn = target.connect().await?;
        admin::take_over_owned(&mut conn, &self.name)
            .await
            .map_err(|e| anyhow::anyhow!("taking over the restored objects: {}", db_message(&e)))?;
        Ok(())
    }

    /// Drops the role (after taking back what it still holds in the target's database).
    async fn drop(self, target: &DbTarget) -> anyhow::Result<()> {
        if let Ok(mut conn) = target.connect().await {
            let _ = admin::drop_owned(&mut conn, &self.name).await;
        }
        let mut maint = admin::connect_maintenance(target).await?;
        admin::drop_role(&mut maint, &self.name)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "dropping the restore role {}: {}",
                    self.name,
                    db_message(&e)
                )
            })?;
        Ok(())
    }
}

/// A restore role that the server did not let in: say what to change.
fn login_hint(e: anyhow::Error, role: &str, user: &str) -> anyhow::Error {
    let text = format!("{e:#}");
    if text.contains("authentication failed") || text.contains("pg_hba.conf") {
        e.context(format!(
            "the server refused the login of the restore role {role}: soleflip restores as a \
             role of its own (see SECURITY.md), which must be able to log in the way {user} \
             does (a pg_hba.conf line for all users, password authentication)"
        ))
    } else {
        e
    }
}

fn db_message(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => db.message().to_string(),
        other => other.to_string(),
    }
}

fn random_bytes(bytes: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf)
}

fn random_hex(bytes: usize) -> std::io::Result<String> {
    random_bytes(bytes).map(hex::encode)
}

/// PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 5802/7677, as `CREATE ROLE ...
/// PASSWORD` accepts it pre-hashed): `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`.
/// The password is ASCII hex, so SASLprep leaves it as it is.
fn scram_sha_256_verifier(password: &str, salt: &[u8]) -> String {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};
    const ITERATIONS: u32 = 4096;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut salted = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, ITERATIONS, &mut salted);
    let hmac = |key: &[u8], text: &[u8]| -> Vec<u8> {
        // HMAC takes a key of any length; this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(text);
        mac.finalize().into_bytes().to_vec()
    };
    let client_key = hmac(&salted, b"Client Key");
    let stored_key = Sha256::digest(&client_key);
    let server_key = hmac(&salted, b"Server Key");
    format!(
        "SCRAM-SHA-256${ITERATIONS}:{}${}:{}",
        b64.encode(salt),
        b64.encode(stored_key),
        b64.encode(server_key)
    )
}

/// Creates an empty database (from `template0`, as `pg_restore` expects) on the target's
/// server; returns whether this call created it.
/// `backup verify` restores into `soleflip_verify_<pid>_<time>`.
const SCRATCH_PREFIX: &str = "soleflip_verify_";

/// Drops the scratch databases of `backup verify` runs that were killed before dropping theirs:
/// nobody connected, and the process named in it no longer running on this machine. Returns
/// their names.
async fn drop_abandoned_scratch(target: &DbTarget) -> Result<Vec<String>, BackupError> {
    let mut dropped = Vec::new();
    for name in admin::idle_databases_named(target, SCRATCH_PREFIX).await? {
        let pid = name
            .strip_prefix(SCRATCH_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|p| p.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        admin::drop_database(&target.with_database(&name)).await?;
        tracing::info!(database = %name, "dropped the scratch database of a verify that died");
        dropped.push(name);
    }
    drop_abandoned_roles(target).await;
    Ok(dropped)
}

/// Drops the restore roles of runs that died (their process gone); a role that still holds
/// something (a grant in a database a killed restore left) stays, and its password expires.
async fn drop_abandoned_roles(target: &DbTarget) {
    let Ok(mut maint) = admin::connect_maintenance(target).await else {
        return;
    };
    let names = admin::roles_named(&mut maint, ROLE_PREFIX)
        .await
        .unwrap_or_default();
    for name in names {
        let pid = name
            .strip_prefix(ROLE_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|p| p.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        if admin::drop_role(&mut maint, &name).await.is_ok() {
            tracing::info!(role = %name, "dropped the restore role of a run that died");
        }
    }
}

async fn create_database(target: &DbTarget, name: &str) -> Result<bool, BackupError> {
    let mut maint = admin::connect_maintenance(target).await?;
    match admin::create_database_from_template0(&mut maint, name).await {
        Ok(created) => Ok(created),
        Err(e) => Err(anyhow::anyhow!(
            "creating database {name}: {}",
            target.scrub(&e.to_string())
        )
        .into()),
    }
}

/// `pg_restore` of the checked dump into the target's database, all or nothing, logged in as
/// the target's user. The dump is the very file that was checked (same device and inode, read
/// without following links) and reaches `pg_restore` as its standard input, so no path can pass
/// for an option; the database is named in a quoted `dbname='...'`, so a name is never read as a
/// connection string.
async fn restore_into(
    target: &DbTarget,
    pg_restore: &Path,
    checked: &Checked,
) -> anyhow::Result<()> {
    let file = open_regular(&checked.dump)
        .with_context(|| format!("opening {}", checked.dump.display()))?;
    if file_identity(&file)? != checked.identity || file.metadata()?.len() != checked.manifest.size
    {
        anyhow::bail!(
            "{} was replaced or changed after it was checked",
            checked.dump.display()
        );
    }
    let child = ChildConnection::new(target, "soleflip-restore")?;
    let mut cmd = child.command(pg_restore);
    cmd.args([
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        "--no-password",
    ]);
    // --dbname makes pg_restore connect (rather than print SQL); the rest of the connection
    // comes from the environment and the passfile.
    cmd.arg(format!(
        "--dbname=dbname={}",
        quote_conninfo(&target.database())
    ));
    cmd.stdin(std::process::Stdio::from(file));
    child.run(cmd, "pg_restore").await?;
    Ok(())
}

/// A value for a keyword/value connection string, always single-quoted.
fn quote_conninfo(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Every way the database behind `target` differs from what `manifest` promises: migration,
/// verification (drift), tables and their row counts.
async fn compare(target: &DbTarget, manifest: &Manifest) -> Result<Vec<String>, BackupError> {
    let mut conn = target.connect().await?;
    let report = verify::verify(&mut conn, &target.describe()).await?;
    let tables = sql::list_tables(&mut conn).await?;
    let counts = sql::count_rows(&mut conn, &tables).await?;
    let mut out = Vec::new();

    let restored = report
        .migration
        .clone()
        .map(|(version, name)| MigrationRef { version, name });
    if restored != manifest.migration {
        let show = |m: &Option<MigrationRef>| {
            m.as_ref().map_or("none".to_string(), |m| {
                format!("{} ({})", m.version, m.name)
            })
        };
        out.push(format!(
            "migration: {} in the manifest, {} restored",
            show(&manifest.migration),
            show(&restored)
        ));
    }
    let drift = report.drift_lines();
    if drift != manifest.drift {
        for line in drift.iter().filter(|d| !manifest.drift.contains(d)) {
            out.push(format!("drift: {line}"));
        }
        for line in manifest.drift.iter().filter(|d| !drift.contains(d)) {
            out.push(format!("drift in the manifest, not restored: {line}"));
        }
    }
    let names: BTreeSet<&String> = manifest.tables.keys().chain(counts.keys()).collect();
    for name in names {
        match (manifest.tables.get(name), counts.get(name)) {
            (Some(want), Some(got)) if want != got => out.push(format!(
                "table {name}: {want} rows in the manifest, {got} restored"
            )),
            (Some(want), None) => out.push(format!(
                "table {name}: {want} rows in the manifest, missing after the restore"
            )),
            (None, Some(got)) => out.push(format!(
                "table {name}: not in the manifest, {got} rows after the restore"
            )),
            _ => {}
        }
    }
    Ok(out)
}
