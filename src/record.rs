//! The audit record: one JSON object per invocation appended to
//! `KBUILD_LD_SHIM_RECORD`, so a release engineer can prove afterwards what
//! the shim did in a build.

use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::decision::ReasonTag;
use crate::lto::Lto;

/// What the shim did with a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Copied the input to the output.
    Passthrough,
    /// Exec'd the real linker.
    Forward,
    /// Neither: the copy failed or no real linker was found.
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passthrough => "passthrough",
            Outcome::Forward => "forward",
            Outcome::Error => "error",
        }
    }
}

/// Lets a record's outcome be compared with its spelling (`"forward"`).
impl PartialEq<&str> for Outcome {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One invocation. Field names are the record's stable schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Seconds since the Unix epoch.
    pub time: f64,
    pub pid: u32,
    /// Paths are written lossily (U+FFFD for bytes that are not UTF-8): a
    /// strange file name must not cost the record its line.
    #[serde(serialize_with = "lossy_path")]
    pub cwd: PathBuf,
    pub decision: Outcome,
    /// The rule that decided.
    pub reason: ReasonTag,
    /// The rule in words, with its particulars.
    pub detail: String,
    #[serde(serialize_with = "lossy_opt_path")]
    pub output: Option<PathBuf>,
    #[serde(serialize_with = "lossy_paths")]
    pub inputs: Vec<PathBuf>,
    /// For bitcode inputs that were examined.
    pub lto: Option<Lto>,
    pub bytes: u64,
    /// Time spent in the shim before the copy finished or the exec began.
    pub micros: u64,
}

fn lossy_path<S: serde::Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}

fn lossy_opt_path<S: serde::Serializer>(path: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
    match path {
        Some(p) => lossy_path(p, s),
        None => s.serialize_none(),
    }
}

fn lossy_paths<S: serde::Serializer>(paths: &[PathBuf], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(paths.iter().map(|p| p.to_string_lossy()))
}

/// Appends one line with a single write on an O_APPEND descriptor: the
/// kernel keeps such writes whole and unmixed between the many shims of a
/// `make -j64`, so no lock is needed.
///
/// The record is never a way to write somewhere else: the file is opened
/// with O_NOFOLLOW (a symlink planted at the path is an error, ELOOP, not
/// followed) and O_NONBLOCK (a FIFO without a reader is an error, ENXIO,
/// instead of a build that hangs), and anything but a regular file is
/// refused before a byte is written. The caller turns any error into one
/// warning; the build goes on.
pub fn append(path: &Path, record: &Record) -> io::Result<()> {
    let mut line = serde_json::to_vec(record)?;
    line.push(b'\n');
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => io::Error::new(e.kind(), "is a symlink, not followed"),
            _ => e,
        })?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let written = file.write(&line)?;
    if written != line.len() {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            format!("short append ({written} of {} bytes)", line.len()),
        ));
    }
    Ok(())
}

/// Reads every record of a file; a line that does not parse is an error
/// naming its line number.
pub fn read_all(path: &Path) -> io::Result<Vec<Record>> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}:{}: {e}", path.display(), n + 1),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        Record {
            time: 1.5,
            pid: 7,
            cwd: PathBuf::from("/k"),
            decision: Outcome::Forward,
            reason: ReasonTag::Probe,
            detail: "a probe".into(),
            output: None,
            inputs: vec![],
            lto: None,
            bytes: 0,
            micros: 3,
        }
    }

    #[test]
    fn appends_lines_that_read_back() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("r.jsonl");
        append(&path, &sample()).unwrap();
        append(&path, &sample()).unwrap();
        assert_eq!(read_all(&path).unwrap(), vec![sample(), sample()]);
    }

    #[test]
    fn the_json_spellings_are_the_schemas() {
        let mut r = sample();
        r.lto = Some(Lto::Thin);
        let line = serde_json::to_string(&r).unwrap();
        for field in [
            "\"decision\":\"forward\"",
            "\"reason\":\"probe\"",
            "\"lto\":\"thin\"",
        ] {
            assert!(line.contains(field), "{line}");
        }
        // A record from before the rename of adds-inputs still reads.
        let old = line.replace("\"probe\"", "\"adds-inputs\"");
        let back: Record = serde_json::from_str(&old).unwrap();
        assert_eq!(back.reason, ReasonTag::ChangesLink);
    }

    #[test]
    fn non_utf8_paths_still_make_a_line() {
        use std::os::unix::ffi::OsStrExt;
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("r.jsonl");
        let odd = PathBuf::from(std::ffi::OsStr::from_bytes(b"d\xff/.tmp_\xfe.o"));
        let mut r = sample();
        r.cwd = odd.clone();
        r.output = Some(odd.clone());
        r.inputs = vec![odd];
        append(&path, &r).unwrap();
        let back = read_all(&path).unwrap();
        assert_eq!(
            back[0].inputs,
            vec![PathBuf::from("d\u{fffd}/.tmp_\u{fffd}.o")]
        );
    }

    #[test]
    fn a_planted_symlink_is_not_followed() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        let link = d.path().join("r.jsonl");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let err = append(&link, &sample()).unwrap_err();
        assert!(err.to_string().contains("symlink"), "{err}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        // A dangling symlink is not created through either.
        let dangling = d.path().join("d.jsonl");
        std::os::unix::fs::symlink(d.path().join("made"), &dangling).unwrap();
        assert!(append(&dangling, &sample()).is_err());
        assert!(!d.path().join("made").exists());
    }

    #[test]
    fn a_fifo_or_directory_is_refused_without_blocking() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(append(&fifo, &sample()).is_err());
        assert!(append(d.path(), &sample()).is_err());
    }
}
