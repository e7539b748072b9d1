use std::path::Path;
use std::process::Command;

use crate::error::PgError;

/// The unprivileged OS account that owns and runs a cluster when SoleFlip itself runs as root
/// (`initdb` and `postgres` refuse to run as root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

impl OsUser {
    /// The account to run the server as: `None` when we are not root (the server runs as us),
    /// else the `postgres` user.
    pub fn for_server() -> Result<Option<Self>, PgError> {
        if !rustix::process::geteuid().is_root() {
            return Ok(None);
        }
        Self::lookup("postgres")
            .map(Some)
            .ok_or(PgError::NoServerUser)
    }

    /// Looks an account up through NSS (`getent`), falling back to `/etc/passwd`.
    pub fn lookup(name: &str) -> Option<Self> {
        let from_getent = Command::new("getent")
            .args(["passwd", name])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
        let text = from_getent.or_else(|| std::fs::read_to_string("/etc/passwd").ok())?;
        text.lines().find_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            (f.len() >= 4 && f[0] == name).then_some(())?;
            Some(Self {
                name: name.to_string(),
                uid: f[2].parse().ok()?,
                gid: f[3].parse().ok()?,
            })
        })
    }

    /// Makes `cmd` run as this user (std drops root's supplementary groups when it sets the uid),
    /// from `/` so that an unreadable working directory does not bother the server.
    pub fn apply(&self, cmd: &mut Command) {
        use std::os::unix::process::CommandExt;
        cmd.uid(self.uid).gid(self.gid).current_dir("/");
    }

    /// Gives `path` to this user.
    pub fn chown(&self, path: &Path) -> std::io::Result<()> {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid))
    }

    /// Whether this user may enter every directory on the way to `path` (search permission).
    pub fn can_traverse(&self, path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        path.ancestors().all(|dir| match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => {
                let mode = m.mode();
                if m.uid() == self.uid {
                    mode & 0o100 != 0
                } else if m.gid() == self.gid {
                    mode & 0o010 != 0
                } else {
                    mode & 0o001 != 0
                }
            }
            // A part that does not exist yet will be created by us, with a mode that allows it.
            Err(_) => true,
            Ok(_) => false,
        })
    }
}
