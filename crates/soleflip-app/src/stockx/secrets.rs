//! StockX credentials at rest: each value encrypted with XChaCha20-Poly1305 (an AEAD) under a
//! 256-bit key that never enters the database, its config key as associated data (a value
//! cannot be moved to another key and still decrypt).
//!
//! The key comes from `SOLEFLIP_SECRET_KEY` (64 hex digits or base64 of 32 bytes) when set,
//! else from `<home>/secrets/stockx.key` (base64), created on first use in a directory of mode
//! 0700 with mode 0600, exclusively and never through a link; a key file others may read is
//! refused. A stored value is `v1:<key id>:<base64 of nonce and ciphertext>`; the key id (the
//! first 8 hex digits of the key's SHA-256) names the key a value needs, so a wrong key is
//! reported as such instead of as corrupt data.

use std::fmt;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
// create_new is O_CREAT|O_EXCL: an existing file or link at the path is refused, never followed.
use std::path::{Path, PathBuf};

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::StockxError;

/// The environment variable that holds the key instead of the key file.
pub const KEY_ENV: &str = "SOLEFLIP_SECRET_KEY";

/// A 256-bit key. Its Debug shows the key id only.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({}, redacted)", self.id())
    }
}

impl SecretKey {
    /// A new random key.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        Self(k)
    }

    /// Reads a key written as 64 hex digits or as base64 of 32 bytes.
    pub fn parse(text: &str) -> Result<Self, StockxError> {
        let t = text.trim();
        let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(t).ok()
        } else {
            base64::engine::general_purpose::STANDARD.decode(t).ok()
        };
        let bytes = bytes.filter(|b| b.len() == 32).ok_or_else(|| {
            StockxError::Key(
                "the secret key is not 32 bytes written as 64 hex digits or base64".into(),
            )
        })?;
        let mut k = [0u8; 32];
        k.copy_from_slice(&bytes);
        Ok(Self(k))
    }

    /// The key as base64 (what the key file holds).
    fn encoded(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    /// The first 8 hex digits of the key's SHA-256: names the key, reveals nothing of it.
    pub fn id(&self) -> String {
        hex::encode(&Sha256::digest(self.0)[..4])
    }

    /// Encrypts `plain` for config key `name`.
    pub fn seal(&self, name: &str, plain: &str) -> Result<String, StockxError> {
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| StockxError::Key("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!(
            "v1:{}:{}",
            self.id(),
            base64::engine::general_purpose::STANDARD.encode(out)
        ))
    }

    /// Decrypts the stored value of config key `name`.
    pub fn open(&self, name: &str, stored: &str) -> Result<SecretString, StockxError> {
        let mut parts = stored.splitn(3, ':');
        let (Some("v1"), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(StockxError::Key(format!(
                "system.config {name}: not a value SoleFlip encrypted"
            )));
        };
        if id != self.id() {
            return Err(StockxError::Key(format!(
                "system.config {name} was encrypted with key {id}, but the key in use is {} \
                 (a key rotation that did not finish? see docs/stockx.md, \"Rotating the key\")",
                self.id()
            )));
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(body)
            .ok()
            .filter(|r| r.len() > 24)
            .ok_or_else(|| StockxError::Key(format!("system.config {name}: damaged value")))?;
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let plain = cipher
            .decrypt(
                XNonce::from_slice(&raw[..24]),
                Payload {
                    msg: &raw[24..],
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| {
                StockxError::Key(format!(
                    "system.config {name}: does not decrypt (damaged, or moved from another key)"
                ))
            })?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| StockxError::Key(format!("system.config {name}: not text")))
    }
}

/// Where the key comes from.
#[derive(Clone)]
pub enum KeySource {
    /// `SOLEFLIP_SECRET_KEY`'s value.
    Env(SecretString),
    /// The key file (created when missing and allowed).
    File(PathBuf),
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Env(_) => f.write_str("KeySource::Env(redacted)"),
            KeySource::File(p) => write!(f, "KeySource::File({})", p.display()),
        }
    }
}

/// The key file of a home directory.
pub fn key_file(home: &Path) -> PathBuf {
    home.join("secrets").join("stockx.key")
}

impl KeySource {
    /// Words for the status report.
    pub fn describe(&self) -> String {
        match self {
            KeySource::Env(_) => format!("environment ({KEY_ENV})"),
            KeySource::File(p) => format!("file {}", p.display()),
        }
    }

    /// The key; a missing key file is created when `create`, else an error.
    pub fn load(&self, create: bool) -> Result<SecretKey, StockxError> {
        match self {
            KeySource::Env(text) => SecretKey::parse(text.expose_secret()),
            KeySource::File(path) => match std::fs::symlink_metadata(path) {
                Ok(meta) => {
                    if !meta.file_type().is_file() {
                        return Err(StockxError::Key(format!(
                            "{}: not a regular file (a link is refused)",
                            path.display()
                        )));
                    }
                    if meta.mode() & 0o077 != 0 {
                        return Err(StockxError::Key(format!(
                            "{}: others may read it (mode {:o}); chmod 600 it",
                            path.display(),
                            meta.mode() & 0o777
                        )));
                    }
                    let text = std::fs::read_to_string(path).map_err(|e| {
                        StockxError::Key(format!("reading {}: {e}", path.display()))
                    })?;
                    SecretKey::parse(&text)
                        .map_err(|e| StockxError::Key(format!("{}: {e}", path.display())))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                    let key = SecretKey::generate();
                    write_key_file(path, &key)?;
                    Ok(key)
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StockxError::Key(
                    format!("no secret key: {} does not exist", path.display()),
                )),
                Err(e) => Err(StockxError::Key(format!("{}: {e}", path.display()))),
            },
        }
    }
}

/// Writes `key` to a new file at `path` (mode 0600, exclusively), its directory made 0700.
pub fn write_key_file(path: &Path, key: &SecretKey) -> Result<(), StockxError> {
    let err = |e: std::io::Error| StockxError::Key(format!("writing {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(err)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(err)?;
    file.write_all(key.encoded().as_bytes()).map_err(err)?;
    file.write_all(b"\n").map_err(err)?;
    file.sync_all().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_under_its_own_name_and_key() {
        let key = SecretKey::generate();
        let sealed = key.seal("stockx.api_key", "sk-123").unwrap();
        assert!(!sealed.contains("sk-123"));
        assert_eq!(
            key.open("stockx.api_key", &sealed).unwrap().expose_secret(),
            "sk-123"
        );
        assert!(key.open("stockx.client_id", &sealed).is_err());
        assert!(SecretKey::generate()
            .open("stockx.api_key", &sealed)
            .is_err());
    }

    #[test]
    fn the_debug_of_a_key_shows_its_id_only() {
        let key = SecretKey::parse(&"ab".repeat(32)).unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains("abab"), "{shown}");
        assert!(shown.contains(&key.id()));
    }
}
