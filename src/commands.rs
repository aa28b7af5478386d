//! The shim's own `--shim-*` commands other than the doctor: each renders
//! its answer, and [`emit`] writes it, so a closed or full stdout is
//! handled in one place.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::environment::Environment;
use crate::evaluate::evaluate;
use crate::exit::ExitStatus;
use crate::logging::error_line;
use crate::resolve;

/// Writes a command's answer to stdout. A reader that went away (`| head`)
/// ends the command quietly; any other failure is one error line.
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

/// `--shim-manpage`.
pub fn manpage() -> ExitStatus {
    let mut roff = Vec::new();
    match clap_mangen::Man::new(crate::cli::command()).render(&mut roff) {
        Ok(()) => emit(&String::from_utf8_lossy(&roff)),
        Err(e) => {
            error_line(format!("cannot render the man page: {e}"));
            ExitStatus::Failure
        }
    }
}

/// `--shim-report`.
pub fn report(path: &Path, json: bool) -> ExitStatus {
    let records = match crate::record::read_all(path) {
        Ok(records) => records,
        Err(e) => {
            error_line(format!("{}: {e}", path.display()));
            return ExitStatus::Failure;
        }
    };
    let summary = crate::report::summarise(&records);
    if json {
        emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&summary).expect("summary serialises")
        ))
    } else {
        emit(&crate::report::render_text(&summary))
    }
}

/// `--shim-inspect`: every file that can be read is shown; each that
/// cannot is one error line and makes the status a failure.
pub fn inspect(files: &[PathBuf], json: bool) -> ExitStatus {
    let mut status = ExitStatus::Success;
    let mut found = Vec::new();
    for file in files {
        match crate::inspect::inspect(file) {
            Ok(i) => found.push(i),
            Err(e) => {
                error_line(e);
                status = ExitStatus::Failure;
            }
        }
    }
    let text = if json {
        format!(
            "{}\n",
            serde_json::to_string_pretty(&found).expect("inspection serialises")
        )
    } else {
        found
            .iter()
            .map(|i| crate::inspect::render_line(i) + "\n")
            .collect()
    };
    match emit(&text) {
        ExitStatus::Success => status,
        failed => failed,
    }
}

/// `--shim-which`.
pub fn which(argv0: OsString, env: &Environment) -> ExitStatus {
    match resolve::resolve(&resolve::Inputs::of_process(argv0, env)) {
        Ok(r) => emit(&format!("{}\nrule: {}\n", r.path.display(), r.rule)),
        Err(e) => {
            error_line(&e);
            e.exit_status()
        }
    }
}

/// `--shim-explain`.
pub fn explain(args: &[OsString], env: &Environment) -> ExitStatus {
    let mode = match &env.mode {
        Ok(mode) => *mode,
        Err(e) => {
            error_line(e);
            return ExitStatus::Usage;
        }
    };
    let eval = evaluate(mode, args, &env.cwd);
    let outcome = if eval.decision.is_passthrough() {
        "passthrough"
    } else {
        "forward"
    };
    let reason = eval.decision.reason();
    let mut text = format!("decision: {outcome}\n");
    text += &format!("reason:   {} ({reason})\n", reason.tag());
    text += &format!("mode:     {mode:?}\n");
    match &eval.request {
        Some(r) => text += &format!(
            "request:  relocatable={} output={:?} inputs={:?} changes_link={:?} unknown={:?} probe={}\n",
            r.relocatable, r.output, r.inputs, r.changes_link, r.unknown, r.probe
        ),
        None => text += "request:  not classified\n",
    }
    if let Some(c) = &eval.candidate {
        text += &format!(
            "relink:   {} -> {}\n",
            c.input.display(),
            c.output.display()
        );
    }
    if let Some(i) = &eval.input {
        text += &format!("input:    {i:?}\n");
    }
    match &eval.kconfig {
        Some(k) => {
            text += &format!(
                "kconfig:  lto={:?} objtool={} modules={}\n",
                k.lto(),
                k.enabled("CONFIG_OBJTOOL"),
                k.enabled("CONFIG_MODULES")
            )
        }
        None => text += "kconfig:  no include/config/auto.conf here\n",
    }
    if let Some(r) = &eval.recipe {
        text += &format!("recipe:   {r:?}\n");
    }
    emit(&text)
}
