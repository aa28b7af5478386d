//! One query per (make process, directory): the first shim of a directory
//! asks make and keeps the answer in `DIR/.tmp_kbuild-ld-shim.obj-m`; the
//! others, under `make -j`, wait on the file's lock and read it.
//!
//! The file holds one JSON line: the key (boot id, make's pid and start
//! time, a hash of the query's command line, environment and directory)
//! and the listing. A key of another make process is a miss: the query
//! runs again and replaces it, so a directory holds one such file whatever
//! the number of builds, and kbuild's `make clean` removes it (`.tmp_*`).
//! A line cut short by a killed shim does not parse and is a miss too.
//! Any error with the file costs only the sharing: the query runs anyway.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Listing;

pub const FILE_NAME: &str = ".tmp_kbuild-ld-shim.obj-m";
/// A listing of even a large directory is a few KB.
const MAX_BYTES: u64 = 4 << 20;

#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    listing: Listing,
}

/// The listing kept for `key` in `dir`, or `query()`'s, which is then kept;
/// `true` when it was kept by an earlier shim.
pub fn get_or_insert(dir: &Path, key: &str, query: impl FnOnce() -> Listing) -> (Listing, bool) {
    let path = dir.join(FILE_NAME);
    let mut file = match open_locked(&path) {
        Ok(file) => file,
        Err(e) => {
            log::debug!("no obj-m cache at {}: {e}", path.display());
            return (query(), false);
        }
    };
    if let Some(listing) = read(&mut file, key) {
        return (listing, true);
    }
    let listing = query();
    let entry = Entry {
        key: key.to_string(),
        listing,
    };
    if let Err(e) = write(&mut file, &entry) {
        log::debug!("cannot keep the obj-m answer in {}: {e}", path.display());
    }
    (entry.listing, false)
}

/// Opened without following a planted symlink, and locked for this shim
/// until it is dropped (closing the file releases the lock).
fn open_locked(path: &Path) -> std::io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    loop {
        // SAFETY: flock on a descriptor this function owns.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return Ok(file);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

fn read(file: &mut File, key: &str) -> Option<Listing> {
    let mut text = Vec::new();
    file.take(MAX_BYTES).read_to_end(&mut text).ok()?;
    let line = text.strip_suffix(b"\n")?;
    let entry: Entry = serde_json::from_slice(line).ok()?;
    (entry.key == key).then_some(entry.listing)
}

fn write(file: &mut File, entry: &Entry) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(entry)?;
    line.push(b'\n');
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(words: &[&str]) -> Listing {
        Listing {
            obj_m: Ok(words.iter().map(|w| w.to_string()).collect()),
            micros: 7,
        }
    }

    #[test]
    fn the_first_query_is_kept_for_its_key_only() {
        let d = tempfile::tempdir().unwrap();
        let (first, cached) = get_or_insert(d.path(), "k1", || listing(&["a.o"]));
        assert_eq!((first, cached), (listing(&["a.o"]), false));
        let (again, cached) = get_or_insert(d.path(), "k1", || panic!("asked twice"));
        assert_eq!((again, cached), (listing(&["a.o"]), true));
        // Another make process: asked, and its answer replaces the first.
        let (other, cached) = get_or_insert(d.path(), "k2", || listing(&["b.o"]));
        assert_eq!((other, cached), (listing(&["b.o"]), false));
        let text = std::fs::read_to_string(d.path().join(FILE_NAME)).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(
            text.contains("\"k2\"") && !text.contains("\"k1\""),
            "{text}"
        );
    }

    #[test]
    fn a_cut_line_or_a_failure_to_keep_is_only_a_miss() {
        let d = tempfile::tempdir().unwrap();
        get_or_insert(d.path(), "k", || listing(&["a.o"]));
        let path = d.path().join(FILE_NAME);
        let text = std::fs::read(&path).unwrap();
        std::fs::write(&path, &text[..text.len() - 3]).unwrap();
        let (l, cached) = get_or_insert(d.path(), "k", || listing(&["c.o"]));
        assert_eq!((l, cached), (listing(&["c.o"]), false));
        // A symlink planted at the name is not followed: the query still
        // answers, nothing is written through the link.
        std::fs::remove_file(&path).unwrap();
        let target = d.path().join("target");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let (l, cached) = get_or_insert(d.path(), "k", || listing(&["d.o"]));
        assert_eq!((l, cached), (listing(&["d.o"]), false));
        assert!(!target.exists());
        // No directory at all: answered, nothing kept.
        let (l, _) = get_or_insert(&d.path().join("missing"), "k", || listing(&[]));
        assert_eq!(l, listing(&[]));
    }

    /// Many shims of one directory at once ask make once.
    #[test]
    fn concurrent_shims_of_one_directory_query_once() {
        let d = tempfile::tempdir().unwrap();
        let asked = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let (l, _) = get_or_insert(d.path(), "k", || {
                        asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        listing(&["a.o"])
                    });
                    assert_eq!(l, listing(&["a.o"]));
                });
            }
        });
        assert_eq!(asked.into_inner(), 1);
    }
}
