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

/// The time a folder name starting with a stamp (`20261123T095753Z`, maybe with a suffix such
/// as `-2`) names, in ISO 8601 (`2026-11-23T09:57:53`, UTC); `None` for any other name.
pub fn iso8601(name: &str) -> Option<String> {
    let b = name.as_bytes();
    let stamp = b.len() >= 16
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'Z';
    let s = name;
    stamp.then(|| format!("{}-{}-{}T{}:{}:{}", &s[0..4], &s[4..6], &s[6..8], &s[9..11], &s[11..13], &s[13..15]))
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

    #[test]
    fn stamps_read_as_iso_8601() {
        assert_eq!(iso8601("20261123T095753Z").as_deref(), Some("2026-11-23T09:57:53"));
        assert_eq!(iso8601("20261123T095753Z-2").as_deref(), Some("2026-11-23T09:57:53"));
        for other in ["latest", "20261123T095753", "2026112xT095753Z", "runs"] {
            assert_eq!(iso8601(other), None, "{other}");
        }
    }
}
