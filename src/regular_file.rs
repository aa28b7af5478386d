//! The one way the shim opens and reads a file it only reads, in every
//! mode (LD mode, `--shim-explain`, `--shim-doctor`, `--shim-verify`,
//! `--shim-report`, `--shim-inspect`), so that no file can block the build
//! or make the shim's memory grow without bound:
//!
//! - O_NONBLOCK on open keeps the open of a FIFO from waiting for a writer
//!   (cleared once the file is known to be regular, where it means nothing);
//!   O_NOCTTY keeps a terminal device from becoming the controlling one;
//! - only regular files are read: a FIFO, device, socket or directory is an
//!   `InvalidInput` error saying what it is, and the type is taken from the
//!   open handle so a path swapped between a stat and the open cannot slip
//!   through;
//! - a file read whole ([`read_capped`]) has a size cap for its [`CappedFile`],
//!   checked against its size before a byte is read and again while reading
//!   (a file that grows, or a `/proc` file whose size says 0), with the cap
//!   in the error.
//!
//! The errors do not name the path: every caller puts the path it was
//! given in front of them, as it does for any other I/O error.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::Path;

/// What a file read whole is, for its size cap and for the error's words.
/// Each cap is far above what a real kernel tree has (noted per kind) and
/// far below what would hurt a build machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CappedFile {
    /// A directory's `Kbuild`/`Makefile`, kbuild's `scripts/Makefile.*`
    /// (the largest in 6.13, drivers/gpu/drm/amd/display's, is ~30 KB).
    KbuildMakefile,
    /// `include/config/auto.conf` or `.config` (allyesconfig: ~300 KB).
    Kconfig,
    /// kbuild's saved command of an object, `D/.N.o.cmd`, with its
    /// dependency list (a few hundred KB at most).
    CmdFile,
    /// `D/m.mod`, the parts of a module (amdgpu's: ~40 KB).
    ModFile,
    /// `modules.order` (allmodconfig: ~300 KB).
    ModulesOrder,
    /// A thin archive, `vmlinux.a` or `built-in.a` (allyesconfig: ~3 MB).
    ThinArchive,
    /// The shim's own record, `KBUILD_LD_SHIM_RECORD` (many full builds).
    Record,
    /// A `/proc/<pid>/` file: a process's command line or status.
    ProcFile,
}

impl CappedFile {
    /// The largest file of this kind that is read.
    pub const fn max_bytes(self) -> u64 {
        match self {
            CappedFile::KbuildMakefile => 1 << 20,
            CappedFile::Kconfig => 16 << 20,
            CappedFile::CmdFile => 16 << 20,
            CappedFile::ModFile => 4 << 20,
            CappedFile::ModulesOrder => 16 << 20,
            CappedFile::ThinArchive => 64 << 20,
            CappedFile::Record => 256 << 20,
            // ARG_MAX is a quarter of the stack limit; 16 MiB covers a
            // 64 MiB stack, and a longer command line is a forward.
            CappedFile::ProcFile => 16 << 20,
        }
    }

    /// The kind in words, for errors.
    pub const fn describe(self) -> &'static str {
        match self {
            CappedFile::KbuildMakefile => "a kbuild Makefile",
            CappedFile::Kconfig => "a kernel configuration",
            CappedFile::CmdFile => "a kbuild .cmd file",
            CappedFile::ModFile => "a kbuild .mod file",
            CappedFile::ModulesOrder => "modules.order",
            CappedFile::ThinArchive => "a thin archive",
            CappedFile::Record => "a record file",
            CappedFile::ProcFile => "a /proc file",
        }
    }
}

/// Opens `path` read-only without blocking; anything but a regular file is
/// an `InvalidInput` error that says what the file is. The descriptor is
/// blocking again when it is returned (a regular file never blocks; a
/// caller that hands it on gets ordinary semantics).
pub fn open_regular(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let file_type = file.metadata()?.file_type();
    if !file_type.is_file() {
        let what = if file_type.is_dir() {
            "a directory"
        } else if file_type.is_fifo() {
            "a FIFO"
        } else if file_type.is_char_device() {
            "a character device"
        } else if file_type.is_block_device() {
            "a block device"
        } else if file_type.is_socket() {
            "a socket"
        } else {
            "of an unknown type"
        };
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("is {what}, not a regular file"),
        ));
    }
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor this function owns.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags == -1 || libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) == -1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(file)
}

/// The error for a file over its kind's cap.
pub fn too_large(kind: CappedFile) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!(
            "is larger than {} bytes (the limit for {})",
            kind.max_bytes(),
            kind.describe()
        ),
    )
}

/// Opens `path` as [`open_regular`] does and refuses it at once when its
/// size is over `kind`'s cap; for files read a piece at a time (the
/// record), which must still stop at the cap.
pub fn open_capped(path: &Path, kind: CappedFile) -> io::Result<File> {
    let file = open_regular(path)?;
    if file.metadata()?.len() > kind.max_bytes() {
        return Err(too_large(kind));
    }
    Ok(file)
}

/// Reads the whole regular file `path`, at most `kind`'s cap: a larger
/// file is an error without being read, a file that grows past the cap
/// while it is read is an error once the cap is passed by one byte.
pub fn read_capped(path: &Path, kind: CappedFile) -> io::Result<Vec<u8>> {
    let file = open_capped(path, kind)?;
    let cap = kind.max_bytes();
    let expected = file.metadata()?.len();
    let mut bytes = Vec::with_capacity(expected as usize);
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(too_large(kind));
    }
    Ok(bytes)
}

/// [`read_capped`] for text: bytes that are not UTF-8 become U+FFFD, as
/// every reader of kbuild's files here compares ASCII words only.
pub fn read_capped_lossy(path: &Path, kind: CappedFile) -> io::Result<String> {
    let bytes = read_capped(path, kind)?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn mkfifo(path: &Path) {
        assert!(std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("mkfifo: install the Debian package coreutils")
            .success());
    }

    #[test]
    fn fifo_and_directory_are_refused_without_waiting() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("fifo");
        mkfifo(&fifo);
        let err = open_regular(&fifo).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(
            open_regular(d.path()).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        std::fs::write(d.path().join("f"), b"x").unwrap();
        assert!(open_regular(&d.path().join("f")).is_ok());
    }

    #[test]
    fn each_refusal_says_what_the_file_is() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("fifo");
        mkfifo(&fifo);
        let started = Instant::now();
        for (path, what) in [
            (fifo.as_path(), "is a FIFO"),
            (Path::new("/dev/zero"), "is a character device"),
            (d.path(), "is a directory"),
        ] {
            let err = read_capped(path, CappedFile::Kconfig).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
            assert_eq!(err.to_string(), format!("{what}, not a regular file"));
        }
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn the_descriptor_is_blocking_again() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("f"), b"x").unwrap();
        let file = open_regular(&d.path().join("f")).unwrap();
        // SAFETY: F_GETFL on an open descriptor.
        let flags = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFL) };
        assert_eq!(flags & libc::O_NONBLOCK, 0);
    }

    #[test]
    fn a_file_over_its_cap_is_refused_with_the_number() {
        let d = tempfile::tempdir().unwrap();
        let cap = CappedFile::ModFile.max_bytes();
        let at_cap = d.path().join("at");
        std::fs::write(&at_cap, vec![b'a'; cap as usize]).unwrap();
        assert_eq!(
            read_capped(&at_cap, CappedFile::ModFile).unwrap().len() as u64,
            cap
        );
        // A sparse terabyte: refused by its size, unread.
        let huge = d.path().join("huge");
        std::fs::File::create(&huge)
            .unwrap()
            .set_len(1 << 40)
            .unwrap();
        let started = Instant::now();
        let err = read_capped(&huge, CappedFile::ModFile).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(
            err.to_string(),
            format!("is larger than {cap} bytes (the limit for a kbuild .mod file)")
        );
        std::fs::write(&huge, vec![b'a'; cap as usize + 1]).unwrap();
        assert!(read_capped(&huge, CappedFile::ModFile)
            .unwrap_err()
            .to_string()
            .contains(&cap.to_string()));
    }

    #[test]
    fn a_proc_file_whose_size_says_zero_is_read_whole() {
        let text = read_capped_lossy(Path::new("/proc/self/status"), CappedFile::ProcFile).unwrap();
        assert!(text.starts_with("Name:"), "{text}");
    }
}
