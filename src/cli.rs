//! The shim's own interface: arguments beginning with `--shim-`, which
//! ld.lld has none of. Everything else on the command line belongs to the
//! linker and never reaches this parser.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{ArgGroup, Parser};

use crate::app::error_line;
use crate::decision::Mode;
use crate::evaluate::evaluate;
use crate::resolve;

#[derive(Debug, Parser)]
#[command(
    name = "kbuild-ld-shim",
    version,
    about = "A drop-in LD for Linux 6.13 kbuild that restores Clang ThinLTO",
    long_about = "Install as LD (make LLVM=1 LD=kbuild-ld-shim). On kbuild 6.13's per-object \
                  `-r -o D/.tmp_N D/N` relink of an LLVM bitcode object it copies the bitcode \
                  through wherever the fixed kernel (695ed93bb30e) would not have relinked; every \
                  other call is exec'd on the real ld.lld unchanged.\n\n\
                  Environment: KBUILD_LD_SHIM_REAL_LD (the real linker), KBUILD_LD_SHIM_MODE \
                  (auto|off|force), KBUILD_LD_SHIM_LOG (env_logger filter), \
                  KBUILD_LD_SHIM_RECORD (JSON-lines audit file), LLVM (kbuild's convention).",
    disable_help_flag = true,
    disable_version_flag = true,
    group(ArgGroup::new("action").required(true).multiple(false)),
)]
pub struct ShimCli {
    /// Print this help.
    #[arg(long = "shim-help", action = clap::ArgAction::Help, group = "action")]
    help: Option<bool>,
    /// Print the shim's version.
    #[arg(long = "shim-version", action = clap::ArgAction::Version, group = "action")]
    version: Option<bool>,
    /// Print the real linker the shim would run and the rule that chose it.
    #[arg(long = "shim-which", group = "action")]
    which: bool,
    /// Print the decision for LD-ARGS and every fact behind it; runs and
    /// writes nothing.
    #[arg(long = "shim-explain", group = "action")]
    explain: bool,
    /// Show what the shim sees in object files: ELF, raw or wrapped bitcode,
    /// archive, thin archive; LTO kind, producer, target triple, modules.
    #[arg(long = "shim-inspect", value_name = "FILE", num_args = 1.., group = "action")]
    inspect: Vec<PathBuf>,
    /// Summarise a KBUILD_LD_SHIM_RECORD file: passthroughs, forwards by
    /// reason, bytes, time, anomalies.
    #[arg(long = "shim-report", value_name = "RECORD", group = "action")]
    report: Option<PathBuf>,
    /// Check the setup (real linker, version, recursion, environment) and,
    /// given a kernel source or object tree, whether its kbuild carries the
    /// 6.13 relink. Exit 0: affected (use the shim); 3: not affected (the
    /// shim changes nothing); 1: broken setup.
    #[arg(long = "shim-doctor", value_name = "TREE", num_args = 0..=1, group = "action")]
    doctor: Option<Vec<PathBuf>>,
    /// Print the shim's man page (roff), generated from this interface.
    #[arg(long = "shim-manpage", group = "action")]
    manpage: bool,
    /// Machine-readable output for --shim-inspect and --shim-report.
    #[arg(long = "json")]
    json: bool,
    /// Linker arguments for --shim-explain.
    #[arg(
        value_name = "LD-ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true,
        num_args = 0..
    )]
    rest: Vec<OsString>,
}

/// Runs a `--shim-*` call and returns its exit status.
pub fn run(argv0: OsString, args: Vec<OsString>) -> i32 {
    let parsed = match ShimCli::try_parse_from(std::iter::once(argv0.clone()).chain(args)) {
        Ok(parsed) => parsed,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    if parsed.which {
        return which(argv0);
    }
    if parsed.explain {
        return explain(&parsed.rest);
    }
    if !parsed.rest.is_empty() {
        error_line(format!(
            "unexpected argument '{}'",
            parsed.rest[0].to_string_lossy()
        ));
        return 2;
    }
    if parsed.manpage {
        return manpage();
    }
    if let Some(record) = &parsed.report {
        return report(record, parsed.json);
    }
    if let Some(tree) = &parsed.doctor {
        return crate::doctor::run(argv0, tree.first().map(PathBuf::as_path));
    }
    inspect(&parsed.inspect, parsed.json)
}

fn manpage() -> i32 {
    use clap::CommandFactory;
    let mut out = std::io::stdout().lock();
    match clap_mangen::Man::new(ShimCli::command()).render(&mut out) {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            error_line(format!("cannot write the man page: {e}"));
            1
        }
    }
}

fn report(path: &Path, json: bool) -> i32 {
    let records = match crate::record::read_all(path) {
        Ok(records) => records,
        Err(e) => {
            error_line(format!("{}: {e}", path.display()));
            return 1;
        }
    };
    let summary = crate::report::summarise(&records);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summary).expect("summary serialises")
        );
    } else {
        print!("{}", crate::report::render_text(&summary));
    }
    0
}

fn inspect(files: &[PathBuf], json: bool) -> i32 {
    let mut status = 0;
    let mut found = Vec::new();
    for file in files {
        match crate::inspect::inspect(file) {
            Ok(i) if json => found.push(i),
            Ok(i) => println!("{}", crate::inspect::render_line(&i)),
            Err(e) => {
                error_line(e);
                status = 1;
            }
        }
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&found).expect("inspection serialises")
        );
    }
    status
}

fn which(argv0: OsString) -> i32 {
    match resolve::resolve(&resolve::Inputs::from_env(argv0)) {
        Ok(r) => {
            println!("{}", r.path.display());
            println!("rule: {}", r.rule);
            0
        }
        Err(e) => {
            error_line(&e);
            e.exit_code()
        }
    }
}

fn explain(args: &[OsString]) -> i32 {
    let mode = match Mode::from_env() {
        Ok(mode) => mode,
        Err(e) => {
            error_line(e);
            return 2;
        }
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let eval = evaluate(mode, args, &cwd);
    let outcome = if eval.decision.is_passthrough() {
        "passthrough"
    } else {
        "forward"
    };
    let reason = eval.decision.reason();
    println!("decision: {outcome}");
    println!("reason:   {} ({reason})", reason.tag());
    println!("mode:     {mode:?}");
    match &eval.request {
        Some(r) => println!(
            "request:  relocatable={} output={:?} inputs={:?} adds_inputs={:?} unknown={:?} probe={}",
            r.relocatable, r.output, r.inputs, r.adds_inputs, r.unknown, r.probe
        ),
        None => println!("request:  not classified"),
    }
    if let Some(c) = &eval.candidate {
        println!("relink:   {} -> {}", c.input.display(), c.output.display());
    }
    if let Some(i) = &eval.input {
        println!("input:    {i:?}");
    }
    match &eval.kconfig {
        Some(k) => println!(
            "kconfig:  lto={:?} objtool={} modules={}",
            k.lto(),
            k.enabled("CONFIG_OBJTOOL"),
            k.enabled("CONFIG_MODULES")
        ),
        None => println!("kconfig:  no include/config/auto.conf here"),
    }
    if let Some(r) = &eval.recipe {
        println!("recipe:   {r:?}");
    }
    0
}
