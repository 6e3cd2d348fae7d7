//! Writing files without following symlinks: every file faultline writes goes through here.
//! [`write_atomic`] writes to a temporary file in the destination's folder, syncs it and renames
//! it over the destination, so a reader (or a crash) sees the old file or the new one, never half
//! of one. Folders below the given one are opened one at a time with no-follow (`openat`), so a
//! symlinked `plots/` cannot carry a write out of the output folder, and a destination that is
//! a symlink is refused rather than replaced or written through. The given folder itself may be
//! reached through symlinks (`store/<test>/latest`, a symlinked home): the caller chose it.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, CWD};

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FsxError {
    /// The destination, or a folder on the way to it below the output folder, is a symlink.
    #[error("{}: is a symlink, and faultline never writes through one; remove it or write somewhere else", .0.display())]
    Symlink(PathBuf),
    /// The name is not a plain relative path (`..`, absolute, empty).
    #[error("{}: not a plain relative file name", .0.display())]
    BadName(PathBuf),
    /// The operating system refused.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
}

/// Tells apart the temporary files of writes running at the same time.
static TEMPORARIES: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `dir/name` atomically (see the module's doc); `name` may hold subfolders
/// (`plots/latency.svg`), which are made when missing.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), FsxError> {
    write_atomic_with(dir, name, |file| file.write_all(bytes))
}

/// As [`write_atomic`], for the file at `path` (its folder may be reached through symlinks).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), FsxError> {
    let (dir, name) = split(path)?;
    write_atomic(dir, name, bytes)
}

/// A file's folder (`.` when it has none) and name.
fn split(path: &Path) -> Result<(&Path, &str), FsxError> {
    let bad = || FsxError::BadName(path.to_path_buf());
    let dir = path.parent().map(|d| if d.as_os_str().is_empty() { Path::new(".") } else { d }).ok_or_else(bad)?;
    Ok((dir, path.file_name().and_then(|n| n.to_str()).ok_or_else(bad)?))
}

/// As [`write_atomic`], with the content written by `fill` into the temporary file (for
/// content too large to hold in memory, such as a copied history).
pub fn write_atomic_with(
    dir: &Path,
    name: &str,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<(), FsxError> {
    let (folder, file_name, path) = open_folder(dir, name)?;
    let io_err = |source| FsxError::Io { path: path.clone(), source };
    refuse_symlink(&folder, &file_name, &path)?;
    let temporary = format!(".{file_name}.{}-{}.tmp", std::process::id(), TEMPORARIES.fetch_add(1, Ordering::Relaxed));
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut file = File::from(
        rustix::fs::openat(&folder, &temporary, flags, Mode::from_bits_truncate(0o644))
            .map_err(|e| io_err(e.into()))?,
    );
    let written = fill(&mut file).and_then(|()| file.sync_all());
    drop(file);
    let renamed = written.map_err(io_err).and_then(|()| {
        refuse_symlink(&folder, &file_name, &path)?;
        rustix::fs::renameat(&folder, &temporary, &folder, &file_name).map_err(|e| io_err(e.into()))
    });
    if renamed.is_err() {
        let _ = rustix::fs::unlinkat(&folder, &temporary, AtFlags::empty());
        return renamed;
    }
    rustix::fs::fsync(&folder).map_err(|e| io_err(e.into()))
}

/// Creates the file at `path` for writing as a stream (a history, a log), refusing a file or
/// symlink already there (its folder may be reached through symlinks).
pub fn create_new(path: &Path) -> Result<File, FsxError> {
    let (dir, name) = split(path)?;
    let (folder, file_name, path) = open_folder(dir, name)?;
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    match rustix::fs::openat(&folder, &file_name, flags, Mode::from_bits_truncate(0o644)) {
        Ok(fd) => Ok(File::from(fd)),
        Err(_) if is_symlink(&folder, &file_name) => Err(FsxError::Symlink(path)),
        Err(e) => Err(FsxError::Io { path, source: e.into() }),
    }
}

/// Opens the folder that will hold `dir/name` (making missing subfolders, following no symlink
/// below `dir`); returns it, the file's own name and the whole path.
fn open_folder(dir: &Path, name: &str) -> Result<(OwnedFd, String, PathBuf), FsxError> {
    let path = dir.join(name);
    let mut parts = Vec::new();
    for component in Path::new(name).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            _ => return Err(FsxError::BadName(path)),
        }
    }
    let Some(file_name) = parts.pop() else { return Err(FsxError::BadName(path)) };
    let io_err = |at: &Path, source: io::Error| FsxError::Io { path: at.to_path_buf(), source };
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let mut folder = rustix::fs::openat(CWD, dir, flags, Mode::empty()).map_err(|e| io_err(dir, e.into()))?;
    let mut at = dir.to_path_buf();
    for part in parts {
        at.push(&part);
        if let Err(e) = rustix::fs::mkdirat(&folder, &part, Mode::from_bits_truncate(0o755)) {
            if e != rustix::io::Errno::EXIST {
                return Err(io_err(&at, e.into()));
            }
        }
        folder = match rustix::fs::openat(&folder, &part, flags | OFlags::NOFOLLOW, Mode::empty()) {
            Ok(fd) => fd,
            Err(_) if is_symlink(&folder, &part) => return Err(FsxError::Symlink(at)),
            Err(e) => return Err(io_err(&at, e.into())),
        };
    }
    Ok((folder, file_name, path))
}

/// Whether `name` in `folder` is a symlink (not followed).
fn is_symlink(folder: &OwnedFd, name: &str) -> bool {
    rustix::fs::statat(folder, name, AtFlags::SYMLINK_NOFOLLOW)
        .is_ok_and(|stat| FileType::from_raw_mode(stat.st_mode) == FileType::Symlink)
}

/// An error when `name` in `folder` (at `path`) is a symlink.
fn refuse_symlink(folder: &OwnedFd, name: &str, path: &Path) -> Result<(), FsxError> {
    if is_symlink(folder, name) {
        return Err(FsxError::Symlink(path.to_path_buf()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_files_and_make_subfolders() {
        let tmp = tempfile::tempdir().unwrap();
        write_atomic(tmp.path(), "a.json", b"one").unwrap();
        write_atomic(tmp.path(), "a.json", b"two").unwrap();
        write_atomic(tmp.path(), "plots/p.svg", b"<svg/>").unwrap();
        assert_eq!(std::fs::read(tmp.path().join("a.json")).unwrap(), b"two");
        assert_eq!(std::fs::read(tmp.path().join("plots/p.svg")).unwrap(), b"<svg/>");
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left.len(), 2, "no temporary file is left: {left:?}");
        let mut streamed = create_new(&tmp.path().join("h.jsonl")).unwrap();
        streamed.write_all(b"x\n").unwrap();
        assert!(create_new(&tmp.path().join("h.jsonl")).is_err(), "an existing file is never truncated");
    }

    #[test]
    fn symlinks_in_the_way_are_refused_and_their_targets_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let (out, elsewhere) = (tmp.path().join("out"), tmp.path().join("elsewhere"));
        std::fs::create_dir_all(&out).unwrap();
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::write(elsewhere.join("target"), "precious").unwrap();
        std::os::unix::fs::symlink(elsewhere.join("target"), out.join("results.json")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, out.join("plots")).unwrap();
        for (name, link) in [("results.json", "results.json"), ("plots/target", "plots")] {
            let err = write_atomic(&out, name, b"overwritten").unwrap_err();
            assert!(matches!(&err, FsxError::Symlink(p) if p.ends_with(link)), "{name}: {err}");
            assert!(err.to_string().contains("symlink") && !err.to_string().contains('\n'), "{err}");
        }
        assert!(matches!(create_new(&out.join("results.json")), Err(FsxError::Symlink(_))));
        assert_eq!(std::fs::read_to_string(elsewhere.join("target")).unwrap(), "precious");
        assert!(!elsewhere.join("new").exists());
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 1, "nothing was written there");
        for bad in ["../x", "/etc/x", "", "a/../../x"] {
            assert!(matches!(write_atomic(&out, bad, b""), Err(FsxError::BadName(_))), "{bad:?}");
        }
        let linked_out = tmp.path().join("linked-out");
        std::os::unix::fs::symlink(&elsewhere, &linked_out).unwrap();
        write_atomic(&linked_out, "fine.json", b"{}").unwrap();
        assert!(elsewhere.join("fine.json").is_file(), "the output folder itself may be reached through a link");
    }
}
