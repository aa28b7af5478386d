//! Opening a file the shim only reads, without ever blocking the build:
//! O_NONBLOCK keeps the open of a FIFO from waiting for a writer (regular
//! files ignore the flag), O_NOCTTY keeps a terminal device from becoming
//! the controlling one, and the file type is taken from the open handle so
//! a path swapped between a stat and the open cannot slip through.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Opens `path` read-only; anything but a regular file is an
/// `InvalidInput` error.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_and_directory_are_refused_without_waiting() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let err = open_regular(&fifo).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(
            open_regular(d.path()).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        std::fs::write(d.path().join("f"), b"x").unwrap();
        assert!(open_regular(&d.path().join("f")).is_ok());
    }
}
