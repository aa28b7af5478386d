//! The audit record: one JSON object per invocation appended to
//! `KBUILD_LD_SHIM_RECORD`, so a release engineer can prove afterwards what
//! the shim did in a build.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub const ENV_RECORD: &str = "KBUILD_LD_SHIM_RECORD";

/// One invocation. Field names are the record's stable schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Seconds since the Unix epoch.
    pub time: f64,
    pub pid: u32,
    pub cwd: PathBuf,
    /// "passthrough", "forward" or "error".
    pub decision: String,
    /// A stable tag naming the rule (see `decision::Reason::tag`).
    pub reason: String,
    /// The rule in words, with its particulars.
    pub detail: String,
    pub output: Option<PathBuf>,
    pub inputs: Vec<PathBuf>,
    /// "thin", "full" or "none" for bitcode inputs that were examined.
    pub lto: Option<String>,
    pub bytes: u64,
    /// Time spent in the shim before the copy finished or the exec began.
    pub micros: u64,
}

/// Appends one line with a single write on an O_APPEND descriptor: the
/// kernel keeps such writes whole and unmixed between the many shims of a
/// `make -j64`, so no lock is needed.
pub fn append(path: &Path, record: &Record) -> io::Result<()> {
    let mut line = serde_json::to_vec(record)?;
    line.push(b'\n');
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?;
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
