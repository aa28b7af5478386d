//! The command line, turned into one [`Action`]: a linker call, or one of
//! the shim's own `--shim-*` commands, which ld.lld has none of. Everything
//! else on the command line belongs to the linker and never reaches clap,
//! so a linker call pays nothing for this parser.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgGroup, CommandFactory, Parser};

use crate::exit::ExitStatus;
use crate::link::resolve;
use crate::logging::error_line;
use crate::output::emit;

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
                  (auto|off|force|strict), KBUILD_LD_SHIM_LOG (env_logger filter), \
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
    /// (Files may also follow `--`, for names beginning with `-`.)
    #[arg(long = "shim-inspect", value_name = "FILE", num_args = 0.., group = "action")]
    inspect: Option<Vec<PathBuf>>,
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
    /// After the build: did this kernel object tree keep Clang LTO?
    /// Reads include/config/auto.conf, the thin vmlinux.a and its objects'
    /// .N.o.cmd recipes, modules.order and vmlinux (with or without the
    /// shim). Lost when ANY C object the fixed kernel keeps as bitcode is
    /// ELF (compiled with -flto, no objtool, not assembly), or when no
    /// object in vmlinux.a is bitcode: no ratio, so no tree is too small.
    /// Exit 0: LTO kept; 4: LTO lost; 3: not a Clang LTO build; 1: cannot
    /// tell (a file missing, unreadable or too large, the reason is
    /// printed); 5: a module object modpost reads is bitcode, not ELF.
    #[arg(long = "shim-verify", value_name = "OBJTREE", group = "action")]
    verify: Option<PathBuf>,
    /// With --shim-verify on an external module's build directory (make
    /// M=DIR): the kernel object tree it was built against, whose
    /// configuration applies; the module's composite parts are judged.
    #[arg(long = "shim-kernel", value_name = "KOBJ", requires = "verify")]
    kernel: Option<PathBuf>,
    /// Print the shim's man page (roff), generated from this interface.
    #[arg(long = "shim-manpage", group = "action")]
    manpage: bool,
    /// Machine-readable output for --shim-inspect, --shim-report,
    /// --shim-doctor and --shim-verify.
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

/// What one run of the program does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// LD mode: any call whose first argument is not `--shim-*`.
    Link(Vec<OsString>),
    Which,
    Explain(Vec<OsString>),
    Inspect {
        files: Vec<PathBuf>,
        json: bool,
    },
    Report {
        record: PathBuf,
        json: bool,
    },
    Doctor {
        tree: Option<PathBuf>,
        json: bool,
    },
    Verify {
        tree: PathBuf,
        /// `--shim-kernel`: `tree` is an external module's directory.
        kernel: Option<PathBuf>,
        json: bool,
    },
    Manpage,
    /// Nothing left to do: clap printed the help or the version (success)
    /// or a usage error.
    Exit(ExitStatus),
}

/// Reads the full argv: the name the program was invoked under (which
/// decides a masquerade) and what to do.
pub fn parse(mut argv: Vec<OsString>) -> (OsString, Action) {
    let argv0 = if argv.is_empty() {
        OsString::from(resolve::SHIM_NAME)
    } else {
        argv.remove(0)
    };
    let is_shim_call = argv
        .first()
        .is_some_and(|a| a.as_encoded_bytes().starts_with(b"--shim-"));
    let action = if is_shim_call {
        shim_action(&argv0, argv)
    } else {
        Action::Link(argv)
    };
    (argv0, action)
}

fn shim_action(argv0: &OsString, args: Vec<OsString>) -> Action {
    let parsed = match ShimCli::try_parse_from(std::iter::once(argv0.clone()).chain(args)) {
        Ok(parsed) => parsed,
        // --shim-help and --shim-version arrive here as stdout text: written
        // like every command's answer, so a full stdout is an error.
        Err(e) if !e.use_stderr() => {
            return Action::Exit(crate::output::emit(&e.render().to_string()))
        }
        Err(e) => {
            let _ = e.print();
            return Action::Exit(ExitStatus::Usage);
        }
    };
    // clap's group admits exactly one command; only --shim-explain takes
    // the trailing linker arguments.
    if parsed.explain {
        return Action::Explain(parsed.rest);
    }
    if let Some(mut files) = parsed.inspect {
        // After `--`, clap hands the remaining words to `rest`.
        files.extend(parsed.rest.into_iter().map(PathBuf::from));
        if files.is_empty() {
            error_line("--shim-inspect needs at least one FILE");
            return Action::Exit(ExitStatus::Usage);
        }
        return Action::Inspect {
            files,
            json: parsed.json,
        };
    }
    if let Some(extra) = parsed.rest.first() {
        error_line(format!("unexpected argument '{}'", extra.to_string_lossy()));
        return Action::Exit(ExitStatus::Usage);
    }
    let json = parsed.json;
    let kernel = parsed.kernel;
    if parsed.manpage {
        Action::Manpage
    } else if let Some(record) = parsed.report {
        Action::Report { record, json }
    } else if let Some(tree) = parsed.verify {
        Action::Verify { tree, kernel, json }
    } else if let Some(tree) = parsed.doctor.map(|t| t.into_iter().next()) {
        Action::Doctor { tree, json }
    } else {
        Action::Which
    }
}

/// `--shim-manpage`.
pub fn manpage() -> ExitStatus {
    let mut roff = Vec::new();
    match clap_mangen::Man::new(ShimCli::command()).render(&mut roff) {
        Ok(()) => emit(&String::from_utf8_lossy(&roff)),
        Err(e) => {
            error_line(format!("cannot render the man page: {e}"));
            ExitStatus::Failure
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(words: &[&str]) -> Action {
        let argv = std::iter::once("kbuild-ld-shim")
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect();
        parse(argv).1
    }

    #[test]
    fn linker_calls_never_reach_clap() {
        assert_eq!(
            action(&["-r", "--shim-which"]),
            Action::Link(vec!["-r".into(), "--shim-which".into()])
        );
        assert_eq!(action(&[]), Action::Link(vec![]));
    }

    #[test]
    fn each_command_is_one_action() {
        assert_eq!(action(&["--shim-which"]), Action::Which);
        assert_eq!(
            action(&["--shim-explain", "-r", "-o", "x"]),
            Action::Explain(vec!["-r".into(), "-o".into(), "x".into()])
        );
        assert_eq!(
            action(&["--shim-report", "r.jsonl", "--json"]),
            Action::Report {
                record: "r.jsonl".into(),
                json: true
            }
        );
        assert_eq!(
            action(&["--shim-doctor"]),
            Action::Doctor {
                tree: None,
                json: false
            }
        );
        assert_eq!(
            action(&["--shim-inspect", "a.o", "b.o"]),
            Action::Inspect {
                files: vec!["a.o".into(), "b.o".into()],
                json: false
            }
        );
        assert_eq!(
            action(&["--shim-verify", "o", "--json"]),
            Action::Verify {
                tree: "o".into(),
                kernel: None,
                json: true
            }
        );
        assert_eq!(
            action(&["--shim-verify", "mod", "--shim-kernel", "kobj"]),
            Action::Verify {
                tree: "mod".into(),
                kernel: Some("kobj".into()),
                json: false
            }
        );
        // --shim-kernel only qualifies --shim-verify.
        assert_eq!(
            action(&["--shim-kernel", "kobj"]),
            Action::Exit(ExitStatus::Usage)
        );
        assert_eq!(action(&["--shim-manpage"]), Action::Manpage);
        assert_eq!(
            action(&["--shim-which", "extra"]),
            Action::Exit(ExitStatus::Usage)
        );
    }
}
