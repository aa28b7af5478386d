//! `--shim-which`: the real linker this call would run, and the rule that
//! found it.

use std::ffi::OsString;

use crate::environment::Environment;
use crate::exit::ExitStatus;
use crate::link::resolve;
use crate::logging::error_line;
use crate::output::emit;

/// `--shim-which`.
pub fn run(argv0: OsString, env: &Environment) -> ExitStatus {
    match resolve::resolve(&resolve::Inputs::of_process(argv0, env)) {
        Ok(r) => emit(&format!("{}\nrule: {}\n", r.path.display(), r.rule)),
        Err(e) => {
            error_line(&e);
            e.exit_status()
        }
    }
}
