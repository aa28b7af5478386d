//! The thin shell around the decision: LD mode (evaluate, then copy or
//! exec) and the dispatch to the shim's own `--shim-*` interface.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::cli;
use crate::decision::{Decision, Mode};
use crate::evaluate::{evaluate, Evaluation};
use crate::forward;
use crate::logging;
use crate::passthrough;
use crate::record::{self, Record};
use crate::resolve::{self, ResolveError};

/// Prints one error line with the program's prefix.
pub fn error_line(message: impl std::fmt::Display) {
    eprintln!("kbuild-ld-shim: {message}");
}

/// Runs the shim on its full argv and returns the exit status (only when
/// it did not exec the real linker).
pub fn run(mut argv: Vec<OsString>) -> i32 {
    let argv0 = if argv.is_empty() {
        OsString::from(resolve::SHIM_NAME)
    } else {
        argv.remove(0)
    };
    let is_shim_call = argv
        .first()
        .is_some_and(|a| a.as_encoded_bytes().starts_with(b"--shim-"));
    logging::init();
    if is_shim_call {
        cli::run(argv0, argv)
    } else {
        ld_mode(argv0, argv)
    }
}

fn ld_mode(argv0: OsString, args: Vec<OsString>) -> i32 {
    let started = Instant::now();
    if std::env::var_os(resolve::ENV_GUARD).is_some() {
        error_line(ResolveError::Recursion);
        return ResolveError::Recursion.exit_code();
    }
    let mode = match Mode::from_env() {
        Ok(mode) => mode,
        Err(e) => {
            error_line(e);
            return 2;
        }
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let eval = evaluate(mode, &args, &cwd);
    log_decision(&eval);
    match &eval.decision {
        Decision::Passthrough(_) => {
            let candidate = eval
                .candidate
                .as_ref()
                .expect("a passthrough always has a candidate");
            match passthrough::copy_atomically(&candidate.input, &candidate.output) {
                Ok(bytes) => {
                    write_record(&eval, &cwd, "passthrough", bytes, started);
                    0
                }
                Err(e) => {
                    write_record(&eval, &cwd, "error", 0, started);
                    error_line(e);
                    1
                }
            }
        }
        Decision::Forward(_) => {
            let resolved = match resolve::resolve(&resolve::Inputs::from_env_in(argv0, cwd.clone()))
            {
                Ok(resolved) => resolved,
                Err(e) => {
                    write_record(&eval, &cwd, "error", 0, started);
                    error_line(&e);
                    return e.exit_code();
                }
            };
            log::debug!(
                "real linker {} ({})",
                resolved.path.display(),
                resolved.rule
            );
            write_record(&eval, &cwd, "forward", 0, started);
            let err = forward::exec_linker(&resolved.path, &args);
            error_line(format!("cannot run {}: {err}", resolved.path.display()));
            forward::exec_failure_status(&err)
        }
    }
}

fn log_decision(eval: &Evaluation) {
    let target = eval
        .candidate
        .as_ref()
        .map(|c| c.input.display().to_string())
        .unwrap_or_default();
    match &eval.decision {
        Decision::Passthrough(r) => log::info!("passthrough {target}: {r}"),
        Decision::Forward(r) if eval.candidate.is_some() => log::info!("forward {target}: {r}"),
        Decision::Forward(r) => log::debug!("forward: {r}"),
    }
    if let Some(request) = &eval.request {
        if !request.unknown.is_empty() {
            log::info!("unknown options, forwarding: {}", request.unknown.join(" "));
        }
    }
    log::debug!("facts: input={:?} recipe={:?}", eval.input, eval.recipe);
}

/// Appends to the audit record when one is asked for. A record that cannot
/// be written costs one warning, never the build.
fn write_record(
    eval: &Evaluation,
    cwd: &std::path::Path,
    decision: &str,
    bytes: u64,
    started: Instant,
) {
    let Some(path) = std::env::var_os(record::ENV_RECORD).filter(|p| !p.is_empty()) else {
        return;
    };
    let reason = eval.decision.reason();
    let entry = Record {
        time: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0),
        pid: std::process::id(),
        cwd: cwd.to_path_buf(),
        decision: decision.to_string(),
        reason: reason.tag().to_string(),
        detail: reason.to_string(),
        output: eval.request.as_ref().and_then(|r| r.output.clone()),
        inputs: eval
            .request
            .as_ref()
            .map(|r| r.inputs.clone())
            .unwrap_or_default(),
        lto: eval.lto().map(|l| l.as_str().to_string()),
        bytes,
        micros: started.elapsed().as_micros() as u64,
    };
    if let Err(e) = record::append(std::path::Path::new(&path), &entry) {
        log::warn!(
            "cannot write record {}: {e}",
            std::path::Path::new(&path).display()
        );
    }
}
