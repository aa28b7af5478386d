//! The passthrough: the relink's output becomes a byte-for-byte copy of its
//! input, written so that the output is either complete or absent.

use std::ffi::CString;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
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

/// Name pattern of the temporary file, unnamed or not, beside the output.
const TEMP_PREFIX: &str = ".kbuild-ld-shim.";
const TEMP_SUFFIX: &str = ".tmp";

/// Copies `input` to `output` through a temporary file in the output's
/// directory, then renames it into place. Returns the bytes copied.
///
/// Where the file system supports it the temporary file has no name while
/// it is written (O_TMPFILE): a kill, even SIGKILL, at any point of the
/// copy leaves nothing behind, the kernel frees the unnamed file. Once
/// complete it is linked under an unpredictable name (linkat, which never
/// follows or replaces what is there) and renamed over the output; a kill
/// between those two calls leaves a complete copy under the temporary
/// name, never a partial one. Elsewhere (EOPNOTSUPP, EISDIR, EINVAL from
/// the open; or no /proc and no CAP_DAC_READ_SEARCH for the link) the
/// temporary file is named from the start: unpredictable, created with
/// O_EXCL, so a planted file or symlink is never opened, and removed on
/// every failure and stop signal, though not on SIGKILL.
///
/// The rename replaces whatever is at `output` (a symlink there is
/// replaced, not written through). The input is opened read-only, without
/// following a FIFO into a blocking open, and must be a regular file. The
/// copy goes through `std::io::copy`, which uses copy_file_range on Linux
/// (a reflink where the filesystem can). The mode is 0666 less the umask,
/// as ld.lld gives a relocatable output. Every error names the input or
/// the output, never the temporary file the user did not ask for.
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
    let (bytes, temporary) = copy_with(input, output, Temporary::Unnamed, &mut |_| {})?;
    log::debug!("passthrough through a {temporary:?} temporary file");
    Ok(bytes)
}

/// Which kind of temporary file a copy used (or, as a request, starts
/// with: an unnamed one falls back to a named one where it must).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Temporary {
    Unnamed,
    Named,
}

/// [`copy_atomically`] with the kind of temporary file to try first, and a
/// call after every chunk (tests use it to act in the middle of a copy);
/// returns the bytes copied and the kind of temporary file used.
fn copy_with(
    input: &Path,
    output: &Path,
    first: Temporary,
    after_chunk: &mut dyn FnMut(u64),
) -> Result<(u64, Temporary), PassthroughError> {
    // Read-only, refusing anything but a regular file without blocking.
    let source = crate::regular_file::open_regular(input)
        .map_err(|e| fail(input, "cannot open input", e))?;
    let guard = SignalGuard::block();
    let result = copy_guarded(&guard, &source, input, output, first, after_chunk);
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

fn copy_guarded(
    guard: &SignalGuard,
    source: &File,
    input: &Path,
    output: &Path,
    first: Temporary,
    after_chunk: &mut dyn FnMut(u64),
) -> Result<(u64, Temporary), PassthroughError> {
    let expected = source
        .metadata()
        .map_err(|e| fail(input, "cannot stat input", e))?
        .len();
    let dir = match output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let cannot_create = |e| fail(output, "cannot create temporary file", e);
    let mut copy_into =
        |temp: &mut File| copy_chunks(guard, source, temp, input, output, expected, after_chunk);
    if first == Temporary::Unnamed {
        match open_unnamed(dir) {
            Ok(mut unnamed) => {
                copy_into(&mut unnamed)?;
                match link_unnamed(&unnamed, dir) {
                    Ok(named) => {
                        return rename_into_place(named, output)
                            .map(|()| (expected, Temporary::Unnamed))
                    }
                    // No /proc and no privilege to link by descriptor: the
                    // copy is made again under a name, which works anywhere.
                    Err(_) => (&*source)
                        .seek(SeekFrom::Start(0))
                        .map_err(|e| fail(input, "cannot read input", e))
                        .map(drop)?,
                }
            }
            Err(e) if unnamed_unsupported(&e) => {}
            Err(e) => return Err(cannot_create(e)),
        }
    }
    let mut named = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .permissions(fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(cannot_create)?;
    copy_into(named.as_file_mut())?;
    rename_into_place(named.into_temp_path(), output)?;
    Ok((expected, Temporary::Named))
}

/// Copies all of `source` into `temp` chunk by chunk, stopping at the
/// first chunk boundary after a stop signal arrived; the copy must have
/// the size the input had when it was opened.
fn copy_chunks(
    guard: &SignalGuard,
    source: &File,
    temp: &mut File,
    input: &Path,
    output: &Path,
    expected: u64,
    after_chunk: &mut dyn FnMut(u64),
) -> Result<(), PassthroughError> {
    let interrupted = |sig: libc::c_int| {
        fail(
            output,
            "interrupted",
            io::Error::new(io::ErrorKind::Interrupted, format!("signal {sig}")),
        )
    };
    let mut copied = 0u64;
    loop {
        // `Take<&File>` to `File` still goes through copy_file_range.
        let n =
            io::copy(&mut source.take(CHUNK), temp).map_err(|e| fail(output, "copy failed", e))?;
        copied += n;
        after_chunk(copied);
        if let Some(sig) = guard.pending_stop() {
            return Err(interrupted(sig));
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
        return Err(interrupted(sig));
    }
    Ok(())
}

/// A file without a name in `dir`, writable, mode 0666 less the umask.
fn open_unnamed(dir: &Path) -> io::Result<File> {
    fs::OpenOptions::new()
        .write(true)
        .mode(0o666)
        .custom_flags(libc::O_TMPFILE)
        .open(dir)
}

/// The errors of an O_TMPFILE open that mean "not here" rather than a
/// problem with the directory: the file system lacks it (EOPNOTSUPP), the
/// kernel predates it and sees O_DIRECTORY on a write (EISDIR), or refuses
/// the flag combination (EINVAL, ENOSYS).
fn unnamed_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL | libc::ENOSYS)
    )
}

/// Gives the complete unnamed file an unpredictable name in `dir`. linkat
/// never replaces an existing name (EEXIST: another name is tried), so a
/// planted file or symlink is left alone. Through /proc/self/fd first,
/// which needs no privilege; AT_EMPTY_PATH where /proc is missing.
fn link_unnamed(file: &File, dir: &Path) -> io::Result<tempfile::TempPath> {
    let fd = file.as_raw_fd();
    let by_proc = CString::new(format!("/proc/self/fd/{fd}")).expect("no NUL in a number");
    let named = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .make_in(dir, |path| {
            let to = CString::new(path.as_os_str().as_bytes())
                .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
            // SAFETY: both strings are NUL-terminated and outlive the calls;
            // `fd` is open for the lifetime of `file`.
            let linked = unsafe {
                libc::linkat(
                    libc::AT_FDCWD,
                    by_proc.as_ptr(),
                    libc::AT_FDCWD,
                    to.as_ptr(),
                    libc::AT_SYMLINK_FOLLOW,
                ) == 0
                    || io::Error::last_os_error().raw_os_error() == Some(libc::ENOENT)
                        && libc::linkat(
                            fd,
                            c"".as_ptr(),
                            libc::AT_FDCWD,
                            to.as_ptr(),
                            libc::AT_EMPTY_PATH,
                        ) == 0
            };
            if linked {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        })?;
    Ok(named.into_temp_path())
}

/// Renames the complete temporary file over the output; on failure the
/// temporary name is removed (dropping it does).
fn rename_into_place(temp: tempfile::TempPath, output: &Path) -> Result<(), PassthroughError> {
    temp.persist(output)
        .map_err(|e| fail(output, "cannot rename into place", e.error))
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
    use std::os::fd::FromRawFd;

    const BOTH: [Temporary; 2] = [Temporary::Unnamed, Temporary::Named];

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(TEMP_PREFIX))
            .collect()
    }

    fn copy(input: &Path, output: &Path, first: Temporary) -> Result<u64, PassthroughError> {
        copy_with(input, output, first, &mut |_| {}).map(|c| {
            assert_eq!(c.1, first, "{first:?} was not used");
            c.0
        })
    }

    #[test]
    fn copies_bytes_and_replaces_a_symlink_at_the_output() {
        for first in BOTH {
            let d = tempfile::tempdir().unwrap();
            let input = d.path().join("a.o");
            let victim = d.path().join("victim");
            fs::write(&input, b"BC\xc0\xde payload").unwrap();
            fs::write(&victim, b"keep").unwrap();
            let output = d.path().join(".tmp_a.o");
            std::os::unix::fs::symlink(&victim, &output).unwrap();
            assert_eq!(copy(&input, &output, first).unwrap(), 12);
            assert_eq!(fs::read(&output).unwrap(), b"BC\xc0\xde payload");
            assert!(!fs::symlink_metadata(&output)
                .unwrap()
                .file_type()
                .is_symlink());
            assert_eq!(fs::read(&victim).unwrap(), b"keep");
            assert!(leftovers(d.path()).is_empty());
        }
    }

    #[test]
    fn the_mode_is_0666_less_the_umask_on_both_paths() {
        for first in BOTH {
            let d = tempfile::tempdir().unwrap();
            let input = d.path().join("a.o");
            fs::write(&input, b"x").unwrap();
            fs::set_permissions(&input, fs::Permissions::from_mode(0o600)).unwrap();
            let output = d.path().join(".tmp_a.o");
            copy(&input, &output, first).unwrap();
            // Read, not set: umask(2) would change it for the other tests.
            let status = fs::read_to_string("/proc/self/status").unwrap();
            let umask = status
                .lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .map(|m| u32::from_str_radix(m.trim(), 8).unwrap())
                .expect("Umask in /proc/self/status");
            let mode = fs::metadata(&output).unwrap().mode() & 0o777;
            assert_eq!(mode, 0o666 & !umask, "{first:?}");
        }
    }

    /// On the file systems tests run on (ext4, tmpfs, xfs, btrfs) the
    /// unnamed temporary is what a passthrough uses.
    #[test]
    fn the_unnamed_temporary_is_used_where_supported() {
        let d = tempfile::tempdir().unwrap();
        let input = d.path().join("a.o");
        fs::write(&input, b"x").unwrap();
        let (_, temporary) =
            copy_with(&input, &d.path().join("o"), Temporary::Unnamed, &mut |_| {}).unwrap();
        assert_eq!(
            temporary,
            Temporary::Unnamed,
            "O_TMPFILE unsupported in {}: run the tests on ext4, xfs, btrfs or tmpfs",
            d.path().display()
        );
    }

    #[test]
    fn failure_leaves_no_output_and_no_temporary() {
        for first in BOTH {
            let d = tempfile::tempdir().unwrap();
            let input = d.path().join("missing.o");
            let output = d.path().join(".tmp_missing.o");
            let err = copy(&input, &output, first).unwrap_err();
            assert!(err.to_string().contains("missing.o"), "{err}");
            assert!(!output.exists());
            let dir_input = d.path().join("dir.o");
            fs::create_dir(&dir_input).unwrap();
            assert!(copy(&dir_input, &output, first).is_err());
            let no_dir = d.path().join("nope/.tmp_x.o");
            fs::write(d.path().join("x.o"), b"x").unwrap();
            let err = copy(&d.path().join("x.o"), &no_dir, first).unwrap_err();
            assert_eq!(err.path, no_dir, "{first:?}: {err}");
            assert_eq!(err.source.kind(), io::ErrorKind::NotFound);
            assert!(!output.exists());
            assert!(leftovers(d.path()).is_empty());
        }
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
        let data: Vec<u8> = (0..(2 * CHUNK + 12345))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        for first in BOTH {
            let d = tempfile::tempdir().unwrap();
            let input = d.path().join("big.o");
            fs::write(&input, &data).unwrap();
            let output = d.path().join(".tmp_big.o");
            assert_eq!(copy(&input, &output, first).unwrap(), data.len() as u64);
            assert!(fs::read(&output).unwrap() == data);
            let exact = d.path().join("exact.o");
            fs::write(&exact, &data[..CHUNK as usize]).unwrap();
            assert_eq!(
                copy(&exact, &d.path().join(".tmp_exact.o"), first).unwrap(),
                CHUNK
            );
            assert!(leftovers(d.path()).is_empty());
        }
    }

    /// A forked copy of this test process, for what must not touch the
    /// test runner itself: signal dispositions and masks, rlimits, kills.
    /// The child reports progress bytes and, at its end, a text on a pipe.
    struct Child {
        pid: libc::pid_t,
        events: File,
    }

    impl Child {
        /// Runs `body` in a child; what it returns is its report, and it
        /// exits 0 (101 on a panic).
        fn fork(body: impl FnOnce(&mut File) -> String) -> Child {
            let mut fds = [0; 2];
            // SAFETY: pipe fills two descriptors that we then own; the
            // child runs only `body` and leaves by _exit, never returning
            // into the test harness.
            unsafe {
                assert_eq!(libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC), 0);
                let pid = libc::fork();
                assert!(pid >= 0, "fork: {}", io::Error::last_os_error());
                if pid == 0 {
                    libc::close(fds[0]);
                    let mut events = File::from_raw_fd(fds[1]);
                    let code = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        body(&mut events)
                    })) {
                        Ok(report) => {
                            let _ = io::Write::write_all(&mut events, report.as_bytes());
                            0
                        }
                        Err(_) => 101,
                    };
                    libc::_exit(code);
                }
                libc::close(fds[1]);
                Child {
                    pid,
                    events: File::from_raw_fd(fds[0]),
                }
            }
        }

        /// The next progress byte; a child silent for 30 s is killed and
        /// the test fails rather than hangs.
        fn next_event(&mut self) -> u8 {
            let mut poll = libc::pollfd {
                fd: self.events.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let ready = unsafe { libc::poll(&mut poll, 1, 30_000) };
            if ready != 1 {
                self.kill(libc::SIGKILL);
                panic!("child {} silent for 30 s", self.pid);
            }
            let mut b = [0u8];
            assert_eq!(self.events.read(&mut b).unwrap(), 1, "child ended early");
            b[0]
        }

        fn kill(&self, sig: libc::c_int) {
            // SAFETY: our own child, not yet reaped.
            assert_eq!(unsafe { libc::kill(self.pid, sig) }, 0);
        }

        /// Waits for the child: (the signal that killed it, its report).
        fn finish(mut self) -> (Option<libc::c_int>, String) {
            let mut report = String::new();
            self.events.read_to_string(&mut report).unwrap();
            let mut status = 0;
            // SAFETY: waits for our own child.
            assert_eq!(unsafe { libc::waitpid(self.pid, &mut status, 0) }, self.pid);
            if libc::WIFSIGNALED(status) {
                (Some(libc::WTERMSIG(status)), report)
            } else {
                assert_eq!(libc::WEXITSTATUS(status), 0, "child failed: {report}");
                (None, report)
            }
        }
    }

    /// Puts `sig` to its default action and unblocks it, in a child: the
    /// state a build normally hands the shim, whatever the runner inherited.
    fn default_and_unblocked(sig: libc::c_int) {
        // SAFETY: process-wide changes, made only in a forked child.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, sig);
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
    }

    /// A tree with a three-chunk input, and the directory listing.
    fn big_input() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let input = d.path().join("big.o");
        let file = File::create(&input).unwrap();
        file.set_len(3 * CHUNK).unwrap();
        let output = d.path().join(".tmp_big.o");
        (d, input, output)
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// SIGKILL after the first chunk: the copy is in flight, its temporary
    /// file holds a part of the input. Returns what the directory holds.
    fn killed_mid_copy(first: Temporary) -> Vec<String> {
        let (d, input, output) = big_input();
        let mut child = Child::fork(|events| {
            let _ = copy_with(&input, &output, first, &mut |_| {
                let _ = io::Write::write_all(events, b"c");
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(1));
                }
            });
            String::new()
        });
        assert_eq!(child.next_event(), b'c');
        child.kill(libc::SIGKILL);
        assert_eq!(child.finish().0, Some(libc::SIGKILL));
        listing(d.path())
    }

    #[test]
    fn sigkill_mid_copy_leaves_nothing_with_the_unnamed_temporary() {
        assert_eq!(killed_mid_copy(Temporary::Unnamed), ["big.o"]);
    }

    /// The named fallback cannot survive SIGKILL (nothing can remove its
    /// file): this is what the unnamed temporary fixes where it exists,
    /// and it shows the test above would see a leftover.
    #[test]
    fn sigkill_mid_copy_leaves_the_named_fallbacks_partial_file() {
        let left = killed_mid_copy(Temporary::Named);
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(left[0].starts_with(TEMP_PREFIX), "{left:?}");
    }

    #[test]
    fn sigterm_mid_copy_kills_by_sigterm_and_leaves_nothing_on_both_paths() {
        for first in BOTH {
            let (d, input, output) = big_input();
            let mut child = Child::fork(|events| {
                default_and_unblocked(libc::SIGTERM);
                let result = copy_with(&input, &output, first, &mut |_| {
                    let _ = io::Write::write_all(events, b"c");
                    // Held back by the guard: wait until it is pending.
                    while !pending(libc::SIGTERM) {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                });
                format!("survived SIGTERM: {result:?}")
            });
            assert_eq!(child.next_event(), b'c');
            child.kill(libc::SIGTERM);
            let (signal, report) = child.finish();
            assert_eq!(signal, Some(libc::SIGTERM), "{first:?}: {report}");
            assert_eq!(listing(d.path()), ["big.o"], "{first:?}");
        }
    }

    fn pending(sig: libc::c_int) -> bool {
        // SAFETY: sigpending fills a local set.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigpending(&mut set);
            libc::sigismember(&set, sig) == 1
        }
    }

    /// A write error (here the file size limit, EFBIG) is reported against
    /// the output the user named, never the temporary file.
    #[test]
    fn a_write_error_names_the_output_not_the_temporary() {
        for first in BOTH {
            let (d, input, output) = big_input();
            let child = Child::fork(|_| {
                let limit = libc::rlimit {
                    rlim_cur: 1 << 20,
                    rlim_max: 1 << 20,
                };
                // SAFETY: a local rlimit, in the child only.
                assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_FSIZE, &limit) }, 0);
                default_and_unblocked(libc::SIGXFSZ);
                match copy_with(&input, &output, first, &mut |_| {}) {
                    Ok(c) => format!("copied {c:?}"),
                    Err(e) => format!("{}\n{e}", e.path.display()),
                }
            });
            let (signal, report) = child.finish();
            assert_eq!(signal, None, "{first:?}: {report}");
            let (path, message) = report.split_once('\n').unwrap_or(("", &report));
            assert_eq!(Path::new(path), output, "{first:?}: {report}");
            assert!(message.contains("File too large"), "{first:?}: {message}");
            assert!(!message.contains(TEMP_PREFIX), "{first:?}: {message}");
            assert_eq!(listing(d.path()), ["big.o"], "{first:?}");
        }
    }

    /// Without /proc the unnamed file is linked by descriptor
    /// (AT_EMPTY_PATH: CAP_DAC_READ_SEARCH, or since Linux 6.10 the
    /// opener's own credentials); where that fails too, the copy is made
    /// again under a name. Each in a child with a
    /// private mount namespace where /proc is unmounted.
    #[test]
    fn without_proc_the_unnamed_file_is_linked_by_descriptor_or_copied_again() {
        for drop_capability in [false, true] {
            let (d, input, output) = big_input();
            fs::write(&input, b"BC\xc0\xde no proc").unwrap();
            let child = Child::fork(|_| {
                // SAFETY: namespace and capability changes, in the child only.
                unsafe {
                    assert_eq!(
                        libc::unshare(libc::CLONE_NEWNS),
                        0,
                        "a private mount namespace needs root (CAP_SYS_ADMIN): {}",
                        io::Error::last_os_error()
                    );
                    let none: *const libc::c_char = std::ptr::null();
                    let root = c"/".as_ptr();
                    assert_eq!(
                        libc::mount(
                            none,
                            root,
                            none,
                            libc::MS_REC | libc::MS_PRIVATE,
                            std::ptr::null()
                        ),
                        0
                    );
                    assert_eq!(libc::umount2(c"/proc".as_ptr(), libc::MNT_DETACH), 0);
                }
                assert!(!Path::new("/proc/self/fd").exists());
                // Dropped after the open: since Linux 6.10 the opener itself
                // may link by descriptor, with the credentials it opened with.
                let mut after_chunk = |_| {
                    if drop_capability {
                        // SAFETY: this thread's own capabilities, in the child.
                        unsafe { drop_effective(CAP_DAC_READ_SEARCH) };
                    }
                };
                match copy_with(&input, &output, Temporary::Unnamed, &mut after_chunk) {
                    Ok((_, temporary)) => format!("{temporary:?}"),
                    Err(e) => format!("error: {e}"),
                }
            });
            let (signal, report) = child.finish();
            assert_eq!(signal, None, "{report}");
            let expected = if drop_capability { "Named" } else { "Unnamed" };
            assert_eq!(report, expected);
            assert_eq!(fs::read(&output).unwrap(), b"BC\xc0\xde no proc");
            assert_eq!(listing(d.path()), [".tmp_big.o", "big.o"]);
        }
    }

    /// From <linux/capability.h>; libc has no constant for it.
    const CAP_DAC_READ_SEARCH: u32 = 2;

    /// Removes one capability from the effective set of this thread
    /// (capset, version 3 headers as <linux/capability.h> has them).
    unsafe fn drop_effective(cap: u32) {
        #[repr(C)]
        struct Header {
            version: u32,
            pid: libc::c_int,
        }
        #[repr(C)]
        #[derive(Clone, Copy, Default)]
        struct Data {
            effective: u32,
            permitted: u32,
            inheritable: u32,
        }
        let mut header = Header {
            version: 0x2008_0522,
            pid: 0,
        };
        let mut data = [Data::default(); 2];
        assert_eq!(
            libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()),
            0
        );
        data[(cap / 32) as usize].effective &= !(1 << (cap % 32));
        assert_eq!(
            libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()),
            0
        );
    }

    /// The guard blocks the stop signals a build leaves at their default
    /// and restores the mask exactly; one the caller ignores (make's
    /// background jobs, `nohup`) is left alone. Both states are set up in
    /// a child, so the test does not depend on what the runner inherited.
    #[test]
    fn the_signal_mask_is_restored() {
        let child = Child::fork(|_| {
            let current = || unsafe {
                let mut m: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut m);
                libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut m);
                (
                    libc::sigismember(&m, libc::SIGINT),
                    libc::sigismember(&m, libc::SIGXFSZ),
                )
            };
            default_and_unblocked(libc::SIGINT);
            default_and_unblocked(libc::SIGXFSZ);
            let before = current();
            assert_eq!(before, (0, 0));
            let guard = SignalGuard::block();
            assert_eq!(current(), (1, 1));
            assert_eq!(guard.pending_stop(), None);
            drop(guard);
            assert_eq!(current(), before);

            // SAFETY: in the child only.
            unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
            let guard = SignalGuard::block();
            assert_eq!(current(), (0, 1), "an ignored SIGINT is not managed");
            drop(guard);
            assert_eq!(current(), before);
            "ok".to_string()
        });
        assert_eq!(child.finish(), (None, "ok".to_string()));
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
