//! The configuration, resolved once from flags, the environment and `./.env`, in that order.

use std::path::PathBuf;

use anyhow::Context;
use soleflip_app::{AppConfig, DbTarget};

use crate::cli::GlobalArgs;

/// Flags first, then the environment, then `./.env` (read as dotenv reads it: quotes, `export`,
/// trailing comments). A `.env` that exists but cannot be read or parsed is an error, never
/// silently skipped: skipping it would quietly use the embedded cluster instead of the server it
/// names.
pub fn resolve(args: &GlobalArgs) -> anyhow::Result<AppConfig> {
    let dotenv = read_dotenv(std::path::Path::new(".env"))?;
    let from_env = |key: &str| {
        std::env::var(key)
            .ok()
            .or_else(|| {
                dotenv
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
            })
            .filter(|v| !v.is_empty())
    };
    let home = args
        .home
        .clone()
        .or_else(|| from_env("SOLEFLIP_HOME").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(".soleflip"));
    let database = match args
        .database_url
        .clone()
        .or_else(|| from_env("DATABASE_URL"))
    {
        Some(url) => Some(DbTarget::from_url(&url)?),
        None => None,
    };
    Ok(AppConfig { home, database })
}

/// The `KEY=value` pairs of a dotenv file; none when it does not exist.
fn read_dotenv(path: &std::path::Path) -> anyhow::Result<Vec<(String, String)>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    // A UTF-8 byte order mark is tolerated (editors on Windows write one); anything else that is
    // not UTF-8 is refused with the line it is on.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        anyhow::bail!(
            "{}: line {line} is not UTF-8 text (save the file as UTF-8)",
            path.display()
        );
    }
    dotenvy::from_read_iter(bytes)
        .map(|item| item.map_err(|e| anyhow::anyhow!("{}: {e}", path.display())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> anyhow::Result<Vec<(String, String)>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, text).unwrap();
        read_dotenv(&path)
    }

    #[test]
    fn a_trailing_comment_is_not_part_of_the_value() {
        let vars = parse(b"DATABASE_URL=postgresql://u@h/d # the shop\nexport A='x y'\n").unwrap();
        assert_eq!(
            vars[0],
            ("DATABASE_URL".into(), "postgresql://u@h/d".into())
        );
        assert_eq!(vars[1], ("A".into(), "x y".into()));
    }

    #[test]
    fn a_byte_order_mark_is_tolerated() {
        let vars = parse(b"\xEF\xBB\xBFA=1\n").unwrap();
        assert_eq!(vars, vec![("A".to_string(), "1".to_string())]);
    }

    #[test]
    fn a_latin1_env_file_is_refused_with_its_line() {
        let err = parse(b"A=1\nDATABASE_URL=postgresql://u:p\xE4ss@h/d\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(".env: line 2 is not UTF-8"), "{msg}");
    }
}
