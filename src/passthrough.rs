//! The passthrough: the relink's output becomes a byte-for-byte copy of its
//! input, written so that the output is either complete or absent.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A failed passthrough, naming the file involved.
#[derive(Debug)]
pub struct PassthroughError {
    pub path: PathBuf,
    pub what: &'static str,
    pub source: io::Error,
}

impl fmt::Display for PassthroughError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.path.display(), self.what, self.source)
    }
}

impl std::error::Error for PassthroughError {}

/// True when `output` already names the same file as `input` (another
/// spelling, a hard link or a symlink): copying would truncate the input.
pub fn same_file(input: &Path, output: &Path) -> bool {
    match (fs::metadata(input), fs::metadata(output)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// How much is copied between two looks for a pending stop signal: large
/// enough that copy_file_range stays efficient, small enough that a Ctrl-C
/// during a copy of a huge object is answered within milliseconds.
const CHUNK: u64 = 8 << 20;

/// Copies `input` to `output` through a fresh temporary file in the output's
/// directory, then renames it into place. Returns the bytes copied.
///
/// The temporary name is unpredictable and created with O_EXCL, so a
/// planted file or symlink is never opened; the rename replaces whatever is
/// at `output` (a symlink there is replaced, not written through). The input
/// is opened read-only, without following a FIFO into a blocking open, and
/// must be a regular file. The copy goes through `std::io::copy`, which uses
/// copy_file_range on Linux (a reflink where the filesystem can). The mode
/// is 0666 less the umask, as ld.lld gives a relocatable output.
///
/// Stopping signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT) are held back from
/// before the temporary file exists until after the rename (see
/// [`SignalGuard`]): one that arrives meanwhile stops the copy at the next
/// chunk, the temporary file is removed, and the signal is then delivered
/// with its default action, so the process dies by it as make expects and
/// leaves neither a temporary file nor an output. SIGXFSZ (the file size
/// limit) is held back too and discarded: exceeding `ulimit -f` is then an
/// ordinary write error (EFBIG), reported like a full disk.
pub fn copy_atomically(input: &Path, output: &Path) -> Result<u64, PassthroughError> {
    let source = open_input(input)?;
    let guard = SignalGuard::block();
    let result = copy_guarded(&guard, source, input, output);
    // The temporary file is gone (dropped inside copy_guarded) before the
    // held signals are let through: a stop signal kills us here.
    drop(guard);
    result
}

fn fail(path: &Path, what: &'static str, source: io::Error) -> PassthroughError {
    PassthroughError {
        path: path.to_path_buf(),
        what,
        source,
    }
}

/// Opens the input read-only, refusing anything but a regular file
/// without blocking on it.
fn open_input(input: &Path) -> Result<File, PassthroughError> {
    crate::regular_file::open_regular(input).map_err(|e| fail(input, "cannot open input", e))
}

fn copy_guarded(
    guard: &SignalGuard,
    source: File,
    input: &Path,
    output: &Path,
) -> Result<u64, PassthroughError> {
    let expected = source
        .metadata()
        .map_err(|e| fail(input, "cannot stat input", e))?
        .len();
    let dir = match output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".kbuild-ld-shim.")
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| fail(dir, "cannot create temporary file", e))?;
    let interrupted = |sig: libc::c_int, path: &Path| {
        fail(
            path,
            "interrupted",
            io::Error::new(io::ErrorKind::Interrupted, format!("signal {sig}")),
        )
    };
    let mut copied = 0u64;
    loop {
        // `Take<&File>` to `File` still goes through copy_file_range.
        let n = io::copy(&mut (&source).take(CHUNK), temp.as_file_mut())
            .map_err(|e| fail(temp.path(), "copy failed", e))?;
        copied += n;
        if let Some(sig) = guard.pending_stop() {
            return Err(interrupted(sig, temp.path()));
        }
        if n < CHUNK {
            break;
        }
    }
    if copied != expected {
        return Err(fail(
            input,
            "input changed size during the copy",
            io::Error::from(io::ErrorKind::UnexpectedEof),
        ));
    }
    if let Some(sig) = guard.pending_stop() {
        return Err(interrupted(sig, temp.path()));
    }
    temp.persist(output)
        .map_err(|e| fail(output, "cannot rename into place", e.error))?;
    Ok(copied)
}

/// Signals that stop a build (Ctrl-C, make's and CI's kills, a lost
/// terminal) and whose default action ends the process.
const STOP_SIGNALS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// Holds back stopping signals and SIGXFSZ for the lifetime of the copy.
///
/// Only signals that the caller left unblocked with their default action
/// are managed: an ignored or blocked signal stays exactly as the caller
/// set it (make starts background jobs with SIGINT ignored, for example).
/// No handler is installed, so nothing runs in signal context and the
/// default action, death by that very signal, happens when the mask is
/// restored on drop.
pub struct SignalGuard {
    old_mask: libc::sigset_t,
    managed: libc::sigset_t,
    xfsz: bool,
}

impl SignalGuard {
    pub fn block() -> SignalGuard {
        // SAFETY: plain calls on local, initialised sigset_t values; a null
        // `act` only queries the disposition.
        unsafe {
            let mut old_mask: libc::sigset_t = std::mem::zeroed();
            let mut managed: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut old_mask);
            libc::sigemptyset(&mut managed);
            libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut old_mask);
            let default_and_open = |sig: libc::c_int| {
                let mut act: libc::sigaction = std::mem::zeroed();
                libc::sigaction(sig, std::ptr::null(), &mut act) == 0
                    && act.sa_sigaction == libc::SIG_DFL
                    && libc::sigismember(&old_mask, sig) == 0
            };
            for sig in STOP_SIGNALS {
                if default_and_open(sig) {
                    libc::sigaddset(&mut managed, sig);
                }
            }
            let xfsz = default_and_open(libc::SIGXFSZ);
            let mut block = managed;
            if xfsz {
                libc::sigaddset(&mut block, libc::SIGXFSZ);
            }
            libc::pthread_sigmask(libc::SIG_BLOCK, &block, std::ptr::null_mut());
            SignalGuard {
                old_mask,
                managed,
                xfsz,
            }
        }
    }

    /// A managed stop signal that arrived since [`SignalGuard::block`].
    pub fn pending_stop(&self) -> Option<libc::c_int> {
        // SAFETY: sigpending fills a local sigset_t.
        unsafe {
            let mut pending: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut pending);
            if libc::sigpending(&mut pending) != 0 {
                return None;
            }
            STOP_SIGNALS.into_iter().find(|&sig| {
                libc::sigismember(&self.managed, sig) == 1 && libc::sigismember(&pending, sig) == 1
            })
        }
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        // SAFETY: sigtimedwait with a zero timeout only takes an already
        // pending SIGXFSZ (the EFBIG was reported as an error instead); the
        // mask restored is the one saved in `block`.
        unsafe {
            if self.xfsz {
                let mut xfsz: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut xfsz);
                libc::sigaddset(&mut xfsz, libc::SIGXFSZ);
                let zero = libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                };
                while libc::sigtimedwait(&xfsz, std::ptr::null_mut(), &zero) == libc::SIGXFSZ {}
            }
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.old_mask, std::ptr::null_mut());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".kbuild-ld-shim."))
            .collect()
    }

    #[test]
    fn copies_bytes_and_replaces_a_symlink_at_the_output() {
        let d = tempfile::tempdir().unwrap();
        let input = d.path().join("a.o");
        let victim = d.path().join("victim");
        fs::write(&input, b"BC\xc0\xde payload").unwrap();
        fs::write(&victim, b"keep").unwrap();
        let output = d.path().join(".tmp_a.o");
        std::os::unix::fs::symlink(&victim, &output).unwrap();
        assert_eq!(copy_atomically(&input, &output).unwrap(), 12);
        assert_eq!(fs::read(&output).unwrap(), b"BC\xc0\xde payload");
        assert!(!fs::symlink_metadata(&output)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&victim).unwrap(), b"keep");
        assert!(leftovers(d.path()).is_empty());
    }

    #[test]
    fn failure_leaves_no_output_and_no_temporary() {
        let d = tempfile::tempdir().unwrap();
        let input = d.path().join("missing.o");
        let output = d.path().join(".tmp_missing.o");
        let err = copy_atomically(&input, &output).unwrap_err();
        assert!(err.to_string().contains("missing.o"), "{err}");
        assert!(!output.exists());
        let dir_input = d.path().join("dir.o");
        fs::create_dir(&dir_input).unwrap();
        assert!(copy_atomically(&dir_input, &output).is_err());
        let no_dir = d.path().join("nope/.tmp_x.o");
        fs::write(d.path().join("x.o"), b"x").unwrap();
        assert!(copy_atomically(&d.path().join("x.o"), &no_dir).is_err());
        assert!(!output.exists());
        assert!(leftovers(d.path()).is_empty());
    }

    #[test]
    fn a_fifo_input_is_refused_without_waiting_for_a_writer() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("f.o");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let output = d.path().join(".tmp_f.o");
        let err = copy_atomically(&fifo, &output).unwrap_err();
        assert_eq!(err.what, "cannot open input");
        assert_eq!(err.source.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().ends_with("not a regular file"), "{err}");
        assert!(!output.exists());
        assert!(leftovers(d.path()).is_empty());
    }

    #[test]
    fn copies_across_chunk_boundaries_exactly() {
        let d = tempfile::tempdir().unwrap();
        let input = d.path().join("big.o");
        let data: Vec<u8> = (0..(2 * CHUNK + 12345))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        fs::write(&input, &data).unwrap();
        let output = d.path().join(".tmp_big.o");
        assert_eq!(copy_atomically(&input, &output).unwrap(), data.len() as u64);
        assert!(fs::read(&output).unwrap() == data);
        let exact = d.path().join("exact.o");
        fs::write(&exact, &data[..CHUNK as usize]).unwrap();
        assert_eq!(
            copy_atomically(&exact, &d.path().join(".tmp_exact.o")).unwrap(),
            CHUNK
        );
        assert!(leftovers(d.path()).is_empty());
    }

    #[test]
    fn the_signal_mask_is_restored() {
        let current = || unsafe {
            let mut m: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut m);
            libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut m);
            (
                libc::sigismember(&m, libc::SIGINT),
                libc::sigismember(&m, libc::SIGXFSZ),
            )
        };
        let before = current();
        let guard = SignalGuard::block();
        assert_eq!(current(), (1, 1));
        assert_eq!(guard.pending_stop(), None);
        drop(guard);
        assert_eq!(current(), before);
    }

    #[test]
    fn same_file_sees_links_and_spellings() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.o");
        fs::write(&a, b"x").unwrap();
        let hard = d.path().join("hard.o");
        fs::hard_link(&a, &hard).unwrap();
        assert!(same_file(&a, &hard));
        assert!(same_file(&a, &d.path().join("./a.o")));
        assert!(!same_file(&a, &d.path().join("b.o")));
    }
}
