//! The set-up scripts a newcomer runs first.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

use std::path::Path;
use std::process::Command;

#[test]
fn without_cargo_the_setup_points_at_rustup_not_at_the_distributions_old_cargo() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // A PATH with the shell's usual tools but no cargo or rustc.
    let tools = tempfile::tempdir().unwrap();
    for tool in ["sed", "awk", "sort", "head"] {
        let found = ["/usr/bin", "/bin"]
            .iter()
            .map(|d| Path::new(d).join(tool))
            .find(|p| p.exists())
            .unwrap();
        std::os::unix::fs::symlink(found, tools.path().join(tool)).unwrap();
    }
    let out = Command::new("/bin/bash")
        .arg("-c")
        .arg(". scripts/lib.sh; ensure_rust")
        .current_dir(&root)
        .env("PATH", tools.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rustup") && err.contains("1.95"), "{err}");
    assert!(!err.contains("apt-get install -y cargo"), "{err}");
}
