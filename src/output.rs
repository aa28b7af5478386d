//! Where every `--shim-*` command's answer goes: stdout, written whole, with
//! a reader that went away (`| head`) ending the command quietly and any
//! other failure turned into one error line and a failure status. The one
//! place that decides what a broken or full stdout means.

use std::io::Write;

use crate::exit::ExitStatus;
use crate::logging::error_line;

/// Writes a command's answer to stdout.
pub fn emit(text: &str) -> ExitStatus {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitStatus::Success,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitStatus::Success,
        Err(e) => {
            error_line(format!("cannot write to stdout: {e}"));
            ExitStatus::Failure
        }
    }
}
