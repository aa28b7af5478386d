//! What the shim's two questions to make share: the build's make about a
//! directory's `$(obj-m)` ([`super::obj_m`]) and the doctor's make about
//! kbuild's relink ([`super::relink_query`]). Each asks with a goal of its
//! own whose recipe prints marked lines with `$(info ...)`; make runs under
//! [`child::bounded`], and only the marked lines are read.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use crate::child::{self, Bounded};

/// kbuild's minimum GNU make (Documentation/process/changes.rst, 6.13).
const MIN_MAKE_MAJOR: u32 = 4;
/// An answer is a few KB; make's own messages fewer.
const MAX_STDOUT: usize = 4 << 20;
const MAX_STDERR: usize = 1 << 20;

/// Runs `cmd` (the make `program`) within `timeout`; an error says why it
/// gave no output. Its exit status is the caller's to judge: a refusal on
/// stderr may explain a failure better than the status.
pub fn run(cmd: &mut Command, program: &Path, timeout: Duration) -> Result<Output, String> {
    child::bounded(cmd, timeout, MAX_STDOUT, MAX_STDERR).map_err(|e| match e {
        Bounded::Spawn(e) => format!("cannot run {}: {e}", program.display()),
        Bounded::TimedOut => format!("no answer within {} s (killed)", timeout.as_secs()),
        Bounded::TooLarge => "more output than an answer has (stopped)".to_string(),
        Bounded::Io(e) => format!("reading its output: {e}"),
    })
}

/// Why a make that exited unsuccessfully gave no answer: its status and
/// the first line it printed on stderr.
pub fn failed(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let why = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    format!("make exited with {}: {}", out.status, why.trim())
}

/// The values of `fields`, in their order, from the lines `MARK FIELD
/// VALUE` of make's stdout, after checking that `version` (always asked
/// first) is a GNU make kbuild accepts. A field missing or printed twice
/// is an error: the answer is not the query's.
pub fn fields<const N: usize>(
    stdout: &str,
    mark: &str,
    names: [&str; N],
) -> Result<[String; N], String> {
    let mut values: [Option<String>; N] = std::array::from_fn(|_| None);
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix(mark).and_then(|r| r.strip_prefix(' ')) else {
            continue;
        };
        let (field, value) = rest.split_once(' ').unwrap_or((rest, ""));
        let Some(i) = names.iter().position(|n| *n == field) else {
            continue;
        };
        if values[i].replace(value.to_string()).is_some() {
            return Err(format!("make printed `{field}` twice"));
        }
    }
    if values.iter().any(Option::is_none) {
        return Err("make did not print the query's answer".into());
    }
    let values = values.map(Option::unwrap_or_default);
    if let Some(i) = names.iter().position(|n| *n == "version") {
        let version = &values[i];
        let major = version.split('.').next().unwrap_or_default().parse();
        if !major.is_ok_and(|m: u32| m >= MIN_MAKE_MAJOR) {
            return Err(format!(
                "GNU make {version} is older than kbuild's minimum, 4.0"
            ));
        }
    }
    Ok(values)
}
