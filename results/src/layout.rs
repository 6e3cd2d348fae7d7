//! Where runs go in the store: `<store>/<test>/<stamp>/` for a run (stamps such as
//! `20261123T095753Z` sort as text), and a `latest` symlink beside the stamps naming the newest.

use std::io;
use std::path::{Path, PathBuf};

/// The name of the link to the newest run (or campaign) in its parent folder.
pub const LATEST: &str = "latest";

/// A folder under `parent` named `stamp` that does not exist yet: `stamp`, else `stamp-2`,
/// `stamp-3`, ... (two runs that start within the same second never share a folder).
pub fn fresh_dir(parent: &Path, stamp: &str) -> PathBuf {
    let mut dir = parent.join(stamp);
    let mut k = 2;
    while dir.symlink_metadata().is_ok() {
        dir = parent.join(format!("{stamp}-{k}"));
        k += 1;
    }
    dir
}

/// Points `latest` in `dir`'s parent at `dir` (a relative link, replaced atomically so a reader
/// never sees it missing).
pub fn point_latest(dir: &Path) -> io::Result<()> {
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{} has no parent folder", dir.display())));
    };
    let staging = parent.join(format!(".{LATEST}-{}", std::process::id()));
    let _ = std::fs::remove_file(&staging);
    std::os::unix::fs::symlink(name, &staging)?;
    std::fs::rename(&staging, parent.join(LATEST))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_dirs_never_reuse_a_folder_and_latest_follows_the_newest() {
        let store = tempfile::tempdir().unwrap();
        let first = fresh_dir(store.path(), "20261123T095753Z");
        std::fs::create_dir(&first).unwrap();
        let second = fresh_dir(store.path(), "20261123T095753Z");
        assert_eq!(second, store.path().join("20261123T095753Z-2"));
        std::fs::create_dir(&second).unwrap();
        point_latest(&first).unwrap();
        point_latest(&second).unwrap();
        let latest = store.path().join(LATEST);
        assert_eq!(std::fs::read_link(&latest).unwrap(), Path::new("20261123T095753Z-2"));
        assert_eq!(std::fs::canonicalize(&latest).unwrap(), std::fs::canonicalize(&second).unwrap());
        assert_eq!(std::fs::read_dir(store.path()).unwrap().count(), 3, "no staging link is left behind");
    }
}
