//! The process shell: one [`run`] over the [`Action`] the command line
//! asks for. LD mode (evaluate, then copy or exec) lives here; the
//! `--shim-*` commands live in `commands` and `doctor`.

use std::ffi::OsString;
use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::cli::{self, Action};
use crate::commands;
use crate::environment::{Environment, MODE};
use crate::exit::ExitStatus;
use crate::kbuild::obj_m;
use crate::link::forward;
use crate::link::resolve::{self, ResolveError};
use crate::logging::{self, error_line};
use crate::record::{self, Outcome, Record};
use crate::relink::decision::Decision;
use crate::relink::evaluate::{evaluate, Evaluation};
use crate::relink::passthrough;

/// What std's runtime start-up does that the shim relies on, for a `main`
/// that does without that start-up (see main.rs): descriptors 0, 1 and 2
/// are open (on /dev/null if they were closed), so no file the shim opens
/// can become its stdout or stderr; and SIGPIPE is ignored, so a reader
/// that went away is an error value (`output::emit`), not a kill.
/// `forward::exec_linker` puts SIGPIPE back to the default for the linker.
pub fn prepare_process() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: poll on a local array of three entries; open of a constant
    // path; signal changes one disposition.
    unsafe {
        while libc::poll(fds.as_mut_ptr(), 3, 0) == -1 {
            if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
                // As std does where poll is not allowed: ask each descriptor.
                for pfd in &mut fds {
                    if libc::fcntl(pfd.fd, libc::F_GETFD) == -1 {
                        pfd.revents = libc::POLLNVAL;
                    }
                }
                break;
            }
        }
        for pfd in &fds {
            if pfd.revents & libc::POLLNVAL != 0 {
                // The lowest free descriptor: this one.
                libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
            }
        }
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// Runs the shim on its full argv and returns the exit status (only when
/// it did not exec the real linker).
pub fn run(argv: Vec<OsString>) -> ExitStatus {
    // The shim as the `SHELL` of its own make query: not a linker call.
    if std::env::var_os(obj_m::QUERY_SHELL_ENV).is_some() {
        return obj_m::shell::run(&argv);
    }
    let (argv0, action) = cli::parse(argv);
    let env = Environment::read();
    logging::init(env.log.as_deref());
    match action {
        Action::Link(args) => link(argv0, &args, &env),
        Action::Which => commands::which::run(argv0, &env),
        Action::Explain(args) => commands::explain::run(&args, &env),
        Action::Inspect { files, json } => commands::inspect::run(&files, json),
        Action::Report { record, json } => commands::report::run(&record, json),
        Action::Doctor { tree, json } => commands::doctor::run(argv0, tree.as_deref(), json, &env),
        Action::Verify { tree, kernel, json } => {
            commands::verify::run(&tree, kernel.as_deref(), json)
        }
        Action::Manpage => crate::cli::manpage(),
        Action::Exit(status) => status,
    }
}

/// LD mode: a passthrough's status, or no return at all when the real
/// linker was exec'd.
fn link(argv0: OsString, args: &[OsString], env: &Environment) -> ExitStatus {
    // Only the record reads the clock: a forward without one never touches
    // the vDSO's pages (one page fault less before exec).
    let started = env.record.is_some().then(Instant::now);
    if env.guard {
        error_line(ResolveError::Recursion);
        return ResolveError::Recursion.exit_status();
    }
    let mode = match &env.mode {
        Ok(mode) => *mode,
        Err(e) => {
            error_line(e);
            return ExitStatus::Usage;
        }
    };
    let eval = evaluate(mode, args, &env.cwd, &env.kbuild);
    log_decision(&eval);
    match &eval.decision {
        Decision::Passthrough(candidate, _) => {
            match passthrough::copy_atomically(&candidate.input, &candidate.output) {
                Ok(bytes) => {
                    write_record(&eval, env, Outcome::Passthrough, bytes, started);
                    ExitStatus::Success
                }
                Err(e) => {
                    write_record(&eval, env, Outcome::Error, 0, started);
                    error_line(e);
                    ExitStatus::Failure
                }
            }
        }
        Decision::Refuse(reason) => {
            write_record(&eval, env, Outcome::Error, 0, started);
            let line = format!("{MODE}=strict: {}: {reason}", relinked(&eval));
            error_line(line.replace(|c: char| c.is_control(), " "));
            ExitStatus::Failure
        }
        Decision::Forward(_) => {
            let resolved = match resolve::resolve(&resolve::Inputs::of_process(argv0, env)) {
                Ok(resolved) => resolved,
                Err(e) => {
                    write_record(&eval, env, Outcome::Error, 0, started);
                    error_line(&e);
                    return e.exit_status();
                }
            };
            log::debug!(
                "real linker {} ({})",
                resolved.path.display(),
                resolved.rule
            );
            write_record(&eval, env, Outcome::Forward, 0, started);
            let err = forward::exec_linker(&resolved.path, args);
            let (status, message) = forward::exec_failure(&resolved.path, &err);
            error_line(message);
            status
        }
    }
}

fn log_decision(eval: &Evaluation) {
    if !log::log_enabled!(log::Level::Info) {
        return;
    }
    let target = relinked(eval);
    match &eval.decision {
        Decision::Passthrough(_, r) => log::info!("passthrough {target}: {r}"),
        Decision::Forward(r) if eval.relink.is_some() => log::info!("forward {target}: {r}"),
        Decision::Forward(r) => log::debug!("forward: {r}"),
        Decision::Refuse(r) => log::info!("refused {target}: {r}"),
    }
    if let Some(request) = eval.request.as_ref().filter(|r| !r.unknown.is_empty()) {
        log::info!("unknown options, forwarding: {}", request.unknown.join(" "));
    }
    if let Some(relink) = &eval.relink {
        log::debug!("facts: input={:?} recipe={:?}", relink.input, relink.recipe);
    }
}

/// The object a relink call names, or nothing for any other call.
fn relinked(eval: &Evaluation) -> String {
    let relink = eval.relink.as_ref();
    relink.map_or_else(String::new, |r| r.candidate.input.display().to_string())
}

/// User and system CPU of this process and of its reaped children (the
/// make query), in microseconds.
fn cpu_micros() -> u64 {
    let of = |who| {
        // SAFETY: getrusage fills the zeroed struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(who, &mut usage) } != 0 {
            return 0;
        }
        let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
        micros(usage.ru_utime) + micros(usage.ru_stime)
    };
    of(libc::RUSAGE_SELF) + of(libc::RUSAGE_CHILDREN)
}

/// Appends to the audit record when one is asked for. A record that cannot
/// be written costs one warning, never the build.
fn write_record(
    eval: &Evaluation,
    env: &Environment,
    decision: Outcome,
    bytes: u64,
    started: Option<Instant>,
) {
    let (Some(path), Some(started)) = (&env.record, started) else {
        return;
    };
    let reason = eval.decision.reason();
    let request = eval.request.as_ref();
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH);
    let entry = Record {
        time: since_epoch.map_or(0.0, |d| d.as_secs_f64()),
        pid: std::process::id(),
        cwd: env.cwd.clone(),
        decision,
        reason: reason.tag(),
        detail: reason.to_string(),
        output: request.and_then(|r| r.output.clone()),
        inputs: request.map_or_else(Vec::new, |r| r.inputs.clone()),
        lto: eval.lto(),
        bytes,
        micros: started.elapsed().as_micros() as u64,
        cpu_micros: cpu_micros(),
        make: eval.relink.as_ref().and_then(|r| r.make.clone()),
    };
    if let Err(e) = record::append(Path::new(path), &entry) {
        log::warn!("cannot write record {}: {e}", path.display());
    }
}
