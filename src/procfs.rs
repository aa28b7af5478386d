//! What /proc tells about another process of the build: its argv, its
//! parent, when it started and which program it runs. The recipe shell and
//! the make that runs it are found this way.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use crate::regular_file::{read_capped, read_capped_lossy, CappedFile};

/// The argv of `pid`, or `None` when it is gone or unreadable.
pub fn cmdline(pid: u32) -> Option<Vec<OsString>> {
    let bytes = read_capped(
        Path::new(&format!("/proc/{pid}/cmdline")),
        CappedFile::ProcFile,
    )
    .ok()?;
    let parts = bytes.split(|&b| b == 0).filter(|part| !part.is_empty());
    Some(
        parts
            .map(|part| OsString::from_vec(part.to_vec()))
            .collect(),
    )
}

/// Field `n` of /proc/<pid>/stat counted from the first after the command
/// name, which can hold spaces and parentheses (field 3, state, is 0). One
/// field is parsed where it stands: the /proc walk asks this of every
/// ancestor, and collecting all 50 fields as strings was a third of a
/// passthrough's instructions.
fn stat_field<T: std::str::FromStr>(pid: u32, n: usize) -> Option<T> {
    let stat = read_capped_lossy(
        Path::new(&format!("/proc/{pid}/stat")),
        CappedFile::ProcFile,
    )
    .ok()?;
    stat[stat.rfind(')')? + 1..]
        .split_whitespace()
        .nth(n)?
        .parse()
        .ok()
}

/// The parent pid (stat field 4).
pub fn parent_of(pid: u32) -> Option<u32> {
    stat_field(pid, 1)
}

/// When `pid` started, in clock ticks after boot (stat field 22): with the
/// pid and the boot id it names one process for the machine's uptime, where
/// a pid alone is reused.
pub fn start_time(pid: u32) -> Option<u64> {
    stat_field(pid, 19)
}

/// The program `pid` runs, as the kernel resolved it at exec.
pub fn exe(pid: u32) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/exe")).ok()
}

/// This boot's random id: pids and start times restart at every boot.
pub fn boot_id() -> Option<String> {
    read_capped_lossy(
        Path::new("/proc/sys/kernel/random/boot_id"),
        CappedFile::ProcFile,
    )
    .ok()
    .map(|s| s.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_gives_our_own_argv_parent_start_and_program() {
        let me = std::process::id();
        let argv: Vec<OsString> = std::env::args_os().collect();
        assert_eq!(cmdline(me), Some(argv));
        assert_eq!(parent_of(me), Some(std::os::unix::process::parent_id()));
        assert_eq!(exe(me), std::env::current_exe().ok());
        // A child started after us has a later (or the same) start time.
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let (mine, its) = (start_time(me), start_time(child.id()));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(mine.is_some() && its >= mine, "{mine:?} {its:?}");
        assert_eq!(boot_id().map(|b| b.len()), Some(36));
        assert_eq!(cmdline(u32::MAX), None);
    }
}
