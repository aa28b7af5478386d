//! The audit record: one JSON object per invocation appended to
//! `KBUILD_LD_SHIM_RECORD`, so a release engineer can prove afterwards what
//! the shim did in a build.

use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::kbuild::obj_m::MakeAnswer;
use crate::lto::Lto;
use crate::relink::decision::ReasonTag;
use crate::spelling::spelled_enum;

spelled_enum! {
    /// What the shim did with a call.
    pub enum Outcome {
        /// Copied the input to the output.
        Passthrough = "passthrough",
        /// Exec'd the real linker.
        Forward = "forward",
        /// Neither: the copy failed or no real linker was found.
        Error = "error",
    }
}

/// One invocation. Field names are the record's stable schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Seconds since the Unix epoch.
    pub time: f64,
    pub pid: u32,
    /// Paths are JSON strings when they are UTF-8 and otherwise
    /// `{"lossy": "...", "hex": "..."}` (see [`crate::output::json_path`]): a strange
    /// file name never costs the record its line, nor its bytes.
    #[serde(with = "crate::output::json_path")]
    pub cwd: PathBuf,
    pub decision: Outcome,
    /// The rule that decided.
    pub reason: ReasonTag,
    /// The rule in words, with its particulars.
    pub detail: String,
    #[serde(with = "crate::output::json_path::option")]
    pub output: Option<PathBuf>,
    #[serde(with = "crate::output::json_path::list")]
    pub inputs: Vec<PathBuf>,
    /// For bitcode inputs that were examined.
    pub lto: Option<Lto>,
    pub bytes: u64,
    /// Time spent in the shim before the copy finished or the exec began.
    pub micros: u64,
    /// CPU (user + system) the shim used by then, its make query's
    /// included; 0 in records of versions that did not measure it.
    #[serde(default)]
    pub cpu_micros: u64,
    /// For a module object: what the build's make said of its `$(obj-m)`,
    /// whether that answer came from the directory's cache, and how long
    /// the query took. Absent from other calls and from older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub make: Option<MakeAnswer>,
}

/// Appends one line with a single write on an O_APPEND descriptor: the
/// kernel keeps such writes whole and unmixed between the many shims of a
/// `make -j64`, so no lock is needed.
///
/// The record is never a way to write somewhere else: the file is opened
/// with O_NOFOLLOW (a symlink planted at the path is an error, ELOOP, not
/// followed) and O_NONBLOCK (a FIFO without a reader is an error, ENXIO,
/// instead of a build that hangs), and anything but a regular file is
/// refused before a byte is written.
///
/// The record never fails a link: SIGXFSZ is ignored for the write (a
/// record at the `ulimit -f` limit would otherwise kill the shim before
/// the link runs), so the limit, a full disk or a failing one is an error
/// (EFBIG, ENOSPC, EIO), which the caller turns into one warning while
/// the build goes on. A line that would pass the limit is not begun, so
/// the file does not end in half a line. The line is at most
/// [`MAX_LINE_BYTES`], the reader's own bound ([`record_line`]).
pub fn append(path: &Path, record: &Record) -> io::Result<()> {
    let line = record_line(record)?;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => io::Error::new(e.kind(), "is a symlink, not followed"),
            _ => e,
        })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    if meta.len().saturating_add(line.len() as u64) > file_size_limit() {
        return Err(io::Error::from_raw_os_error(libc::EFBIG));
    }
    let _xfsz = IgnoreXfsz::new();
    let written = file.write(&line)?;
    if written != line.len() {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            format!("short append ({written} of {} bytes)", line.len()),
        ));
    }
    Ok(())
}

/// The record line of `record`, newline included, at most
/// [`MAX_LINE_BYTES`] before the newline: the limit the reader holds every
/// line to, so whatever the shim writes, `--shim-report` reads. A record
/// too long for it (tens of thousands of inputs, a detail quoting a huge
/// recipe) keeps its decision and reason and loses its input list and the
/// tail of its detail, saying so in the detail; one still too long (paths
/// of a megabyte) is an error.
pub fn record_line(record: &Record) -> io::Result<Vec<u8>> {
    let mut line = serde_json::to_vec(record)?;
    if line.len() > MAX_LINE_BYTES {
        const KEPT_DETAIL: usize = 4096;
        let mut short = record.clone();
        let mut cut = short.detail.len().min(KEPT_DETAIL);
        while !short.detail.is_char_boundary(cut) {
            cut -= 1;
        }
        short.detail.truncate(cut);
        short.detail.push_str(&format!(
            " [record line cut to {MAX_LINE_BYTES} bytes: detail shortened, {} inputs not listed]",
            short.inputs.len()
        ));
        short.inputs.clear();
        line = serde_json::to_vec(&short)?;
        if line.len() > MAX_LINE_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a record line of more than {MAX_LINE_BYTES} bytes even without its inputs"
                ),
            ));
        }
    }
    line.push(b'\n');
    Ok(line)
}

/// The process's file size limit (`ulimit -f`), in bytes.
fn file_size_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit fills a local struct.
    if unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, &mut lim) } != 0
        || lim.rlim_cur == libc::RLIM_INFINITY
    {
        return u64::MAX;
    }
    lim.rlim_cur
}

/// SIGXFSZ ignored while it lives, then back to what it was: what the
/// real linker inherits at exec is the caller's own disposition.
struct IgnoreXfsz {
    old: libc::sigaction,
}

impl IgnoreXfsz {
    fn new() -> IgnoreXfsz {
        // SAFETY: sigaction with local, initialised structs.
        unsafe {
            let mut ignore: libc::sigaction = std::mem::zeroed();
            ignore.sa_sigaction = libc::SIG_IGN;
            libc::sigemptyset(&mut ignore.sa_mask);
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGXFSZ, &ignore, &mut old);
            IgnoreXfsz { old }
        }
    }
}

impl Drop for IgnoreXfsz {
    fn drop(&mut self) {
        // SAFETY: restores the disposition saved in `new`.
        unsafe {
            libc::sigaction(libc::SIGXFSZ, &self.old, std::ptr::null_mut());
        }
    }
}

/// The largest record file the shim reads: some 700,000 records, many
/// full kernel builds. A larger file (or /dev/zero's endless one) is one
/// error, found before reading it.
pub const MAX_FILE_BYTES: u64 = crate::regular_file::CappedFile::Record.max_bytes();

/// The longest record line, without its newline, that the shim writes
/// ([`record_line`]) and reads; a record is a few hundred bytes, and even
/// PATH_MAX-long paths fit many times over. A longer line read is a bad
/// line, skipped without being held in memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A line that is not a record (torn by a crash, edited, too long), by
/// its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub line: u64,
    pub why: String,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.why)
    }
}

/// Reads a record file line by line, handing each record or bad line to
/// `each`; blank lines are skipped. Reads as LD mode reads inputs: a
/// regular file only, opened without blocking (a FIFO or device is an
/// error at once), at most [`MAX_FILE_BYTES`] in all, and at most
/// [`MAX_LINE_BYTES`] of a line held at a time. The error is about the
/// file as a whole; the caller names the path.
pub fn read_each(path: &Path, each: impl FnMut(Result<Record, BadLine>)) -> io::Result<()> {
    let file = crate::regular_file::open_regular(path)?;
    let len = file.metadata()?.len();
    if len > MAX_FILE_BYTES {
        return Err(too_large(len));
    }
    read_from(file, each)
}

fn too_large(len: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "{len} bytes or more, over the {} MiB a record file may have",
            MAX_FILE_BYTES >> 20
        ),
    )
}

/// [`read_each`] on an open reader: the same bounds, the same lines.
pub fn read_from(
    source: impl io::Read,
    mut each: impl FnMut(Result<Record, BadLine>),
) -> io::Result<()> {
    use std::io::{BufRead, Read};
    // The file may grow while it is read: never past the bound.
    let mut reader = io::BufReader::new(source.take(MAX_FILE_BYTES + 1));
    let mut buf = Vec::new();
    let mut total = 0u64;
    let mut number = 0u64;
    loop {
        number += 1;
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Ok(());
        }
        total += n as u64;
        if total > MAX_FILE_BYTES {
            return Err(too_large(total));
        }
        if buf.len() > MAX_LINE_BYTES && buf.last() != Some(&b'\n') {
            // Skip the rest of the line, a buffer at a time.
            loop {
                let chunk = reader.fill_buf()?;
                if chunk.is_empty() {
                    break;
                }
                let (used, done) = match chunk.iter().position(|&b| b == b'\n') {
                    Some(i) => (i + 1, true),
                    None => (chunk.len(), false),
                };
                reader.consume(used);
                total += used as u64;
                if total > MAX_FILE_BYTES {
                    return Err(too_large(total));
                }
                if done {
                    break;
                }
            }
            each(Err(BadLine {
                line: number,
                why: format!("longer than {} bytes", MAX_LINE_BYTES),
            }));
            continue;
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        each(serde_json::from_slice(line).map_err(|e| BadLine {
            line: number,
            why: format!("not a record: {e}"),
        }));
    }
}

/// Reads every record of a file; a bad line is an error naming the file
/// and its line number.
pub fn read_all(path: &Path) -> io::Result<Vec<Record>> {
    let mut records = Vec::new();
    let mut first_bad = None;
    read_each(path, |r| match r {
        Ok(record) => records.push(record),
        Err(bad) => {
            first_bad.get_or_insert(bad);
        }
    })?;
    match first_bad {
        None => Ok(records),
        Some(bad) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}:{}: {}", path.display(), bad.line, bad.why),
        )),
    }
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
            cpu_micros: 2,
            make: None,
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

    /// Every field set to something other than its default, so a field the
    /// writer or the reader dropped would show.
    #[test]
    fn every_field_reads_back_as_written() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("r.jsonl");
        let full = Record {
            time: 1_733_300_000.25,
            pid: 4242,
            cwd: PathBuf::from("/k/out"),
            decision: Outcome::Passthrough,
            reason: ReasonTag::NotInObjM,
            detail: "module object not in $(obj-m) of -f scripts/Makefile.build obj=lib/zstd"
                .into(),
            output: Some(PathBuf::from("lib/zstd/compress/.tmp_zstd_compress.o")),
            inputs: vec![PathBuf::from("lib/zstd/compress/zstd_compress.o")],
            lto: Some(Lto::Full),
            bytes: 88_064,
            micros: 517,
            cpu_micros: 431,
            make: Some(MakeAnswer {
                make: "-f scripts/Makefile.build obj=lib/zstd".into(),
                in_obj_m: Ok(false),
                cached: true,
                query_micros: 91_250,
            }),
        };
        append(&path, &full).unwrap();
        assert_eq!(read_all(&path).unwrap(), vec![full]);
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
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(
                "{\"lossy\":\"d\u{fffd}/.tmp_\u{fffd}.o\",\"hex\":\"64ff2f2e746d705ffe2e6f\"}"
            ),
            "{text}"
        );
        let back = read_all(&path).unwrap();
        assert_eq!(back[0], r, "read back byte for byte");
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

    fn read(text: &[u8]) -> (Vec<Record>, Vec<BadLine>) {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("r.jsonl");
        std::fs::write(&path, text).unwrap();
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        read_each(&path, |r| match r {
            Ok(r) => good.push(r),
            Err(b) => bad.push(b),
        })
        .unwrap();
        (good, bad)
    }

    #[test]
    fn a_torn_or_overlong_line_is_a_bad_line_and_reading_goes_on() {
        let line = serde_json::to_string(&sample()).unwrap();
        let mut text = format!("{line}\n{}\n\n{line}\n", &line[..20]).into_bytes();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
        text.extend(format!("\n{line}\n").as_bytes());
        text.extend(b"\xff\n");
        text.extend(&line.as_bytes()[..5]);
        let (good, bad) = read(&text);
        assert_eq!(good.len(), 3);
        let lines: Vec<u64> = bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, [2, 5, 7, 8], "{bad:?}");
        assert!(bad[1].why.contains("longer than"), "{}", bad[1]);
    }

    /// What the shim writes, its reader reads: a record of 30,000 inputs
    /// (a 3 MB line before) is cut to the shared line limit and read back.
    #[test]
    fn a_record_too_long_for_a_line_is_cut_to_the_limit_the_reader_holds() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("r.jsonl");
        let mut r = sample();
        r.inputs = (0..30_000)
            .map(|i| PathBuf::from(format!("drivers/{}/{i}.o", "x".repeat(80))))
            .collect();
        r.detail = "é".repeat(MAX_LINE_BYTES);
        append(&path, &sample()).unwrap();
        append(&path, &r).unwrap();
        append(&path, &sample()).unwrap();
        let text = std::fs::read(&path).unwrap();
        let longest = text.split(|&b| b == b'\n').map(<[u8]>::len).max().unwrap();
        assert!(longest <= MAX_LINE_BYTES, "{longest}");
        let back = read_all(&path).unwrap();
        assert_eq!(back.len(), 3);
        assert_eq!(back[1].decision, r.decision);
        assert_eq!(back[1].reason, r.reason);
        assert!(back[1].inputs.is_empty());
        assert!(
            back[1].detail.ends_with(&format!(
                "[record line cut to {MAX_LINE_BYTES} bytes: detail shortened, 30000 inputs not listed]"
            )),
            "{}",
            &back[1].detail[back[1].detail.len() - 100..]
        );
        // Nothing left to cut: an error, and nothing written.
        r.cwd = PathBuf::from("/".repeat(MAX_LINE_BYTES));
        let err = append(&path, &r).unwrap_err();
        assert!(err.to_string().contains("1048576 bytes"), "{err}");
        assert_eq!(read_all(&path).unwrap().len(), 3);
    }

    #[test]
    fn devices_fifos_and_huge_files_are_one_error_at_once() {
        let started = std::time::Instant::now();
        let err = read_each(Path::new("/dev/zero"), |_| panic!("read /dev/zero")).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(read_each(&fifo, |_| panic!("read a FIFO")).is_err());
        // A sparse gigabyte of one line: refused by its size, unread.
        let huge = d.path().join("huge");
        std::fs::File::create(&huge)
            .unwrap()
            .set_len(1 << 30)
            .unwrap();
        let err = read_each(&huge, |_| panic!("read 1 GB")).unwrap_err();
        assert!(err.to_string().contains("256 MiB"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
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
