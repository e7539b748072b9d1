//! Running the `soleflip` binary in tests.

use std::path::Path;
use std::process::Output;

/// `soleflip` with a clean environment: no DATABASE_URL or SOLEFLIP_HOME from outside, run from
/// an empty directory (so no `.env` is read and no default home is created in the repo).
pub fn soleflip(cwd: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("soleflip").expect("the soleflip binary is built");
    cmd.env_remove("DATABASE_URL")
        .env_remove("SOLEFLIP_HOME")
        .env_remove("SOLEFLIP_PG_BINDIR")
        .current_dir(cwd);
    cmd
}

/// `soleflip --database-url URL args...` run from a scratch directory.
pub fn soleflip_on(url: &str, args: &[&str]) -> Output {
    let cwd = tempfile::tempdir().expect("a scratch directory");
    soleflip(cwd.path())
        .arg("--database-url")
        .arg(url)
        .args(args)
        .output()
        .expect("running soleflip")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
