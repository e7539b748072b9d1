//! The socket directory of a cluster whose home path is long sits under the shared temp
//! directory with a predictable name: what another user planted there is refused, never
//! followed, chowned or chmodded.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] functions stop the test loudly"
)]

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use soleflip_pg::{Cluster, ClusterOptions, PgBinaries};

/// A cluster description whose socket directory falls back to the temp directory.
fn cluster_with_a_long_home(root: &Path) -> Cluster {
    let home = root.join("h".repeat(120));
    std::fs::create_dir_all(&home).unwrap();
    for dir in [root, home.as_path()] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let options = ClusterOptions {
        durable: false,
        ..ClusterOptions::default()
    };
    let cluster = Cluster::open(&home, PgBinaries::locate().unwrap(), options).unwrap();
    assert!(
        cluster.socket_dir().starts_with(std::env::temp_dir()),
        "{}",
        cluster.socket_dir().display()
    );
    cluster
}

#[test]
fn a_symlink_planted_as_the_socket_directory_is_refused_and_its_target_untouched() {
    let root = tempfile::tempdir().unwrap();
    let cluster = cluster_with_a_long_home(root.path());
    let victim = tempfile::tempdir().unwrap();
    std::fs::set_permissions(victim.path(), std::fs::Permissions::from_mode(0o750)).unwrap();
    let before = std::fs::metadata(victim.path()).unwrap();
    let _ = std::fs::remove_file(cluster.socket_dir());
    std::os::unix::fs::symlink(victim.path(), cluster.socket_dir()).unwrap();

    let started = cluster.start();

    std::fs::remove_file(cluster.socket_dir()).unwrap();
    let err = started.unwrap_err().to_string();
    assert!(err.contains("refusing"), "{err}");
    let after = std::fs::metadata(victim.path()).unwrap();
    assert_eq!(
        (after.uid(), after.gid(), after.mode()),
        (before.uid(), before.gid(), before.mode()),
        "the link's target was changed"
    );
}

#[test]
fn a_socket_directory_created_by_another_user_is_refused() {
    if !rustix::process::geteuid().is_root() {
        return; // only root can give a directory away
    }
    let root = tempfile::tempdir().unwrap();
    let cluster = cluster_with_a_long_home(root.path());
    let _ = std::fs::remove_dir_all(cluster.socket_dir());
    std::fs::create_dir(cluster.socket_dir()).unwrap();
    // nobody
    std::os::unix::fs::chown(cluster.socket_dir(), Some(65534), Some(65534)).unwrap();

    let started = cluster.start();

    std::fs::remove_dir(cluster.socket_dir()).unwrap();
    let err = started.unwrap_err().to_string();
    assert!(err.contains("belongs to user id 65534"), "{err}");
}
