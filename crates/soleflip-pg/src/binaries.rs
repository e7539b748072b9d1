use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::PgError;

/// Oldest PostgreSQL major version SoleFlip supports.
pub const MIN_MAJOR: u32 = 14;

/// A directory holding a usable set of PostgreSQL server programs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBinaries {
    pub dir: PathBuf,
    pub major: u32,
    /// The full version as `postgres --version` prints it, e.g. `15.18`.
    pub version: String,
}

/// Where [`PgBinaries::locate_in`] looks; [`PgBinaries::locate`] fills it from the environment.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// `SOLEFLIP_PG_BINDIR`: when set, the only place looked at.
    pub explicit: Option<PathBuf>,
    /// The directories of `PATH`, in order.
    pub path: Vec<PathBuf>,
    /// Parent of the per-version directories, normally `/usr/lib/postgresql`.
    pub versioned_root: PathBuf,
}

impl PgBinaries {
    /// Finds the server binaries: `SOLEFLIP_PG_BINDIR`, then `pg_config --bindir`, then the
    /// newest `/usr/lib/postgresql/*/bin`, then `PATH`. Candidates older than [`MIN_MAJOR`] are
    /// skipped; if only such were found, the error says so.
    pub fn locate() -> Result<Self, PgError> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        Self::locate_in(&Search {
            explicit: std::env::var_os("SOLEFLIP_PG_BINDIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            path: std::env::split_paths(&path).collect(),
            versioned_root: PathBuf::from("/usr/lib/postgresql"),
        })
    }

    pub fn locate_in(search: &Search) -> Result<Self, PgError> {
        if let Some(dir) = &search.explicit {
            for program in ["postgres", "initdb"] {
                if !dir.join(program).is_file() {
                    return Err(PgError::BadBinDir {
                        dir: dir.clone(),
                        program,
                    });
                }
            }
            return Self::probe(dir);
        }
        let mut too_old = None;
        for dir in candidates(search) {
            if !(dir.join("postgres").is_file() && dir.join("initdb").is_file()) {
                continue;
            }
            match Self::probe(&dir) {
                Ok(found) => return Ok(found),
                Err(e @ PgError::TooOld { .. }) => too_old = too_old.or(Some(e)),
                Err(_) => continue,
            }
        }
        Err(too_old.unwrap_or(PgError::BinariesNotFound { min: MIN_MAJOR }))
    }

    fn probe(dir: &Path) -> Result<Self, PgError> {
        let program = dir.join("postgres");
        let out = Command::new(&program)
            .arg("--version")
            .output()
            .map_err(|e| PgError::Command {
                program: program.display().to_string(),
                detail: e.to_string(),
            })?;
        let text = String::from_utf8_lossy(&out.stdout);
        let version = parse_version(&text).ok_or_else(|| PgError::Command {
            program: program.display().to_string(),
            detail: format!("unexpected --version output {:?}", text.trim()),
        })?;
        let major = version
            .split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok())
            .unwrap_or(0);
        if major < MIN_MAJOR {
            return Err(PgError::TooOld {
                found: major,
                min: MIN_MAJOR,
                dir: dir.to_path_buf(),
            });
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            major,
            version,
        })
    }

    /// Full path of one of the PostgreSQL programs in this directory.
    pub fn program(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` → `15.18`.
fn parse_version(text: &str) -> Option<String> {
    let rest = text.split(')').nth(1)?.trim_start();
    let version: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    (!version.is_empty()).then_some(version)
}

fn candidates(search: &Search) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in &search.path {
        let pg_config = dir.join("pg_config");
        if pg_config.is_file() {
            if let Ok(o) = Command::new(&pg_config).arg("--bindir").output() {
                let bindir = String::from_utf8_lossy(&o.stdout).trim().to_string();
                if o.status.success() && !bindir.is_empty() {
                    out.push(PathBuf::from(bindir));
                }
            }
            break;
        }
    }
    out.extend(versioned_dirs(&search.versioned_root));
    out.extend(search.path.iter().cloned());
    out
}

/// `/usr/lib/postgresql/{15,16,...}/bin`, newest first.
fn versioned_dirs(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut found: Vec<(u32, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((major, e.path().join("bin")))
        })
        .collect();
    found.sort_by_key(|(major, _)| std::cmp::Reverse(*major));
    found.into_iter().map(|(_, dir)| dir).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_read_from_debian_and_plain_builds() {
        assert_eq!(
            parse_version("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n").as_deref(),
            Some("15.18")
        );
        assert_eq!(
            parse_version("postgres (PostgreSQL) 17.2\n").as_deref(),
            Some("17.2")
        );
        assert_eq!(parse_version("garbage"), None);
    }

    #[test]
    fn nothing_found_names_what_to_install() {
        let empty = tempfile::tempdir().unwrap();
        let err = PgBinaries::locate_in(&Search {
            explicit: None,
            path: vec![empty.path().to_path_buf()],
            versioned_root: empty.path().join("none"),
        })
        .unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, PgError::BinariesNotFound { .. }));
        assert!(msg.contains("apt-get install -y postgresql"), "{msg}");
        assert!(msg.contains("DATABASE_URL"), "{msg}");
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn an_explicit_bindir_without_postgres_is_refused_by_name() {
        let empty = tempfile::tempdir().unwrap();
        let err = PgBinaries::locate_in(&Search {
            explicit: Some(empty.path().to_path_buf()),
            ..Search::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("SOLEFLIP_PG_BINDIR"), "{err}");
    }

    #[test]
    fn the_installed_server_is_found_and_recent_enough() {
        let found = PgBinaries::locate().expect("PostgreSQL server binaries are installed");
        assert!(found.major >= MIN_MAJOR);
        assert!(found.program("initdb").is_file());
    }
}
