//! Handing the call to the real linker by replacing this process, so the
//! exit status, signals, streams and inherited descriptors (make's
//! jobserver) are the linker's own and the shim leaves nothing behind.

use std::ffi::{CString, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::environment::GUARD;
use crate::exit::ExitStatus;

/// Execs `linker` with exactly `args`. argv[0] is the linker's own path:
/// lld picks its driver (ELF, COFF, ...) from argv[0], so the shim's name
/// must never reach it. Returns only if the exec failed.
///
/// execv(2) on the process's own environment with the guard set in it,
/// not `Command::exec`: Command copies the whole environment into a map
/// and back into a fresh array (kbuild's environment is large) to add one
/// variable; setenv does it in place. The linker starts with SIGPIPE at its
/// default, as `Command` would give it. SIGXFSZ is the caller's own
/// disposition: the shim ignores it only while it writes its record
/// (`record::append`), so a record at the `ulimit -f` limit cannot kill the
/// shim before the link, and a linker's own output over the limit meets
/// the limit as it would without the shim.
pub fn exec_linker(linker: &Path, args: &[OsString]) -> io::Error {
    // argv[0] first, then the arguments, each NUL-terminated.
    let c_args: Result<Vec<CString>, _> = std::iter::once(linker.as_os_str())
        .chain(args.iter().map(OsString::as_os_str))
        .map(|arg| CString::new(arg.as_bytes()))
        .collect();
    let Ok(c_args) = c_args else {
        return io::Error::new(
            io::ErrorKind::InvalidInput,
            "nul byte found in provided data",
        );
    };
    let mut argv: Vec<*const libc::c_char> = Vec::with_capacity(c_args.len() + 1);
    argv.extend(c_args.iter().map(|a| a.as_ptr()));
    argv.push(std::ptr::null());
    // The process is single-threaded here: nothing reads the environment
    // while it changes.
    std::env::set_var(GUARD, "1");
    // SAFETY: every `argv` entry but the last is a NUL-terminated string
    // that outlives the call; `argv` ends with a null pointer.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::execv(argv[0], argv.as_ptr());
    }
    let err = io::Error::last_os_error();
    // Still the shim: its own error line must not die of a closed stderr.
    // SAFETY: changes one signal's disposition.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    err
}

/// What a shell gives and says when it cannot run `linker`: 127 when it
/// does not exist, 126 when it exists but cannot be executed, and an error
/// line naming the real cause: ENOENT for a file that exists means its `#!`
/// interpreter or ELF loader is missing.
pub fn exec_failure(linker: &Path, err: &io::Error) -> (ExitStatus, String) {
    let shown = linker.display();
    match err.kind() {
        io::ErrorKind::NotFound if linker.exists() => (
            ExitStatus::CannotExecute,
            format!("cannot run {shown}: its interpreter (the #! line) or ELF loader is missing"),
        ),
        io::ErrorKind::NotFound => (ExitStatus::NotFound, format!("cannot run {shown}: {err}")),
        _ => (
            ExitStatus::CannotExecute,
            format!("cannot run {shown}: {err}"),
        ),
    }
}
