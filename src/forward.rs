//! Handing the call to the real linker by replacing this process, so the
//! exit status, signals, streams and inherited descriptors (make's
//! jobserver) are the linker's own and the shim leaves nothing behind.

use std::ffi::OsString;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use crate::environment::GUARD;
use crate::exit::ExitStatus;

/// Execs `linker` with exactly `args`. argv[0] is the linker's own path:
/// lld picks its driver (ELF, COFF, ...) from argv[0], so the shim's name
/// must never reach it. Returns only if the exec failed.
pub fn exec_linker(linker: &Path, args: &[OsString]) -> io::Error {
    Command::new(linker)
        .arg0(linker)
        .args(args)
        .env(GUARD, "1")
        .exec()
}

/// The status a shell gives when it cannot run a program: 127 when it does
/// not exist, 126 when it exists but cannot be executed.
pub fn exec_failure_status(linker: &Path, err: &io::Error) -> ExitStatus {
    match err.kind() {
        io::ErrorKind::NotFound if !linker.exists() => ExitStatus::NotFound,
        _ => ExitStatus::CannotExecute,
    }
}

/// The error line for a failed exec, naming the real cause: ENOENT for a
/// file that exists means its `#!` interpreter or ELF loader is missing.
pub fn exec_failure_message(linker: &Path, err: &io::Error) -> String {
    if err.kind() == io::ErrorKind::NotFound && linker.exists() {
        format!(
            "cannot run {}: its interpreter (the #! line) or ELF loader is missing",
            linker.display()
        )
    } else {
        format!("cannot run {}: {err}", linker.display())
    }
}
