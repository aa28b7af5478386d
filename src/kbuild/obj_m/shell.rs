//! The query make's `SHELL`: the shim again, told so by
//! [`super::QUERY_SHELL_ENV`]. Re-reading a directory's makefiles runs
//! their parse-time `$(shell ...)` once more, while the build's other
//! objects compile; a command that writes could race with them. So the
//! query shell runs only what kbuild itself runs at parse time and what
//! cannot write outside its own temporary directory:
//!
//! - `mkdir -p DIR...` (Makefile.build's `obj-dirs`), answered without
//!   running when every DIR is already a directory, as it is once the
//!   build's own make has read the same lines;
//! - `try-run` (Makefile.compiler, behind `cc-option` and friends): a
//!   compiler run into `$(TMPOUT)`, which it removes on exit;
//! - simple commands (or two joined by `&&`, optionally with stderr to
//!   /dev/null) of programs that only read and print: kbuild's `test-ge`
//!   (`test A -ge B && echo y` on make before 4.4), `read-file` (`cat
//!   FILE... 2>/dev/null`), `command -v -- NAME`, and what out-of-tree
//!   Makefiles ask at parse time (`PWD := $(shell pwd)`, `uname -r`,
//!   `git describe`); see [`only_reads`].
//!
//! Every other command is refused: nothing runs, the shell prints nothing
//! on stdout and one marked line on stderr, and the querying shim, seeing
//! it, does not trust the answer (the object is forwarded: ld.lld does
//! what kbuild asked).

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use super::MARK;
use crate::exit::ExitStatus;
use crate::output::one_line;

/// Runs as `SHELL [-e] -c COMMAND`, as make runs its shell.
pub fn run(argv: &[OsString]) -> ExitStatus {
    let command = match argv.get(1..) {
        Some([flag, command]) if is_c_flag(flag) => command,
        _ => {
            eprintln!("{MARK} refused (not `SHELL -c COMMAND`)");
            return ExitStatus::Failure;
        }
    };
    let command = command.to_string_lossy();
    match classify(&command) {
        Allowed::Done => ExitStatus::Success,
        Allowed::Run => {
            let err = Command::new("/bin/sh").args(["-c", &*command]).exec();
            eprintln!("{MARK} refused (cannot run /bin/sh: {err})");
            ExitStatus::Failure
        }
        Allowed::No => {
            eprintln!("{MARK} refused {}", shown(&command));
            ExitStatus::Failure
        }
    }
}

fn is_c_flag(flag: &OsString) -> bool {
    flag.to_str()
        .is_some_and(|f| f.starts_with('-') && !f.starts_with("--") && f.ends_with('c'))
}

/// The command a refusal line names, for the querying shim.
pub fn refusal(line: &str) -> Option<&str> {
    line.strip_prefix(MARK)?.strip_prefix(" refused ")
}

/// One line, quoted, whatever the command holds.
fn shown(command: &str) -> String {
    format!("`{}`", one_line(command, 200))
}

#[derive(Debug, PartialEq, Eq)]
enum Allowed {
    /// Nothing to do: the command's effect is already there.
    Done,
    /// One of kbuild's read-only (or self-cleaning) commands: run it.
    Run,
    No,
}

fn classify(command: &str) -> Allowed {
    let flat = command.split_whitespace().collect::<Vec<_>>().join(" ");
    if is_try_run(&flat) {
        return Allowed::Run;
    }
    if let Some([mkdir, p, dirs @ ..]) = simple_words(&flat).as_deref() {
        if mkdir == "mkdir" && p == "-p" && !dirs.is_empty() {
            return if dirs.iter().all(|d| Path::new(d).is_dir()) {
                Allowed::Done
            } else {
                Allowed::No
            };
        }
    }
    let reads = |c: &str| simple_words(c).is_some_and(|w| only_reads(&w));
    // `A && B` where both only read (kbuild's `test-ge`: `test A -ge B && echo y`).
    let runs = match flat.split_once(" && ") {
        Some((first, second)) => reads(first) && reads(second),
        None => reads(flat.strip_suffix(" 2>/dev/null").unwrap_or(&flat)),
    };
    if runs {
        Allowed::Run
    } else {
        Allowed::No
    }
}

/// A program run with `words` reads and prints, and writes nothing: the
/// commands kbuild's own files run at parse time (`cat` for `read-file`,
/// `test`, `command -v`) and the ones out-of-tree Makefiles use to find
/// themselves and the kernel (`PWD := $(shell pwd)`, `uname -r`, `git
/// describe`). A program that can write, or an option that makes one of
/// these write or wait (`tail -f`, `hostname NAME`), is not on the list.
fn only_reads(words: &[String]) -> bool {
    let [program, args @ ..] = words else {
        return false;
    };
    match program.as_str() {
        "pwd" | "uname" | "echo" | "printf" | "test" | "true" | "false" | "basename"
        | "dirname" | "whoami" | "id" | "nproc" | "getconf" | "expr" | "readlink" | "realpath"
        | "wc" | "cut" | "grep" | "head" => true,
        "cat" => args.iter().all(|a| !a.starts_with('-')),
        "tail" => !args
            .iter()
            .any(|a| a.starts_with("-f") || a.starts_with("-F") || a.starts_with("--follow")),
        "hostname" => args.is_empty(),
        "command" => matches!(args, [v, dashdash, _] if v == "-v" && dashdash == "--"),
        "git" => {
            matches!(
                args.first().map(String::as_str),
                Some("rev-parse" | "describe")
            ) && !args
                .iter()
                .any(|a| a == "--dirty" || a.starts_with("--dirty="))
        }
        _ => false,
    }
}

/// Words of a command with no shell syntax beyond quoting: no expansion,
/// redirection, list, glob or subshell.
fn simple_words(text: &str) -> Option<Vec<String>> {
    if text.contains(|c: char| "$`;&|<>(){}*?[]!~#\\\n".contains(c)) {
        return None;
    }
    shell_words::split(text).ok().filter(|w| !w.is_empty())
}

/// Makefile.compiler's `try-run`, with whitespace collapsed:
/// `set -e; TMP=T/tmp; trap "rm -rf T" EXIT; mkdir -p T; if (...) >/dev/null 2>&1; then echo "A"; else echo "B"; fi`
/// with T kbuild's `.tmp_$$` (the shell's pid) under an optional directory.
fn is_try_run(flat: &str) -> bool {
    let Some(rest) = flat.strip_prefix("set -e; TMP=") else {
        return false;
    };
    let Some((tmpout, rest)) = rest.split_once("/tmp; trap \"rm -rf ") else {
        return false;
    };
    let tmpout_ok =
        tmpout.ends_with(".tmp_$$") && simple_words(&tmpout.replace("$$", "0")).is_some();
    let expected = format!("{tmpout}\" EXIT; mkdir -p {tmpout}; if (");
    tmpout_ok
        && rest.starts_with(&expected)
        && rest.contains(") >/dev/null 2>&1; then echo ")
        && rest.ends_with("; fi")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kbuilds_parse_time_commands_run_and_others_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().display();
        assert_eq!(classify(&format!("mkdir -p {dir} {dir}")), Allowed::Done);
        assert_eq!(classify(&format!("mkdir -p {dir}/new")), Allowed::No);
        assert_eq!(classify("test 190000 -ge 150000 && echo y"), Allowed::Run);
        assert_eq!(classify("cat lib/modules.order 2>/dev/null"), Allowed::Run);
        assert_eq!(
            classify("command -v -- aarch64-linux-gnu-gcc 2>/dev/null"),
            Allowed::Run
        );
        // Makefile.compiler's try-run, as make hands it over (tabs from the
        // continuation lines), with an external module's TMPOUT.
        let try_run = "set -e;\t\tTMP=/m/.tmp_$$/tmp;\t\ttrap \"rm -rf /m/.tmp_$$\" EXIT;\t\
                       mkdir -p /m/.tmp_$$;\t\tif (clang -Werror -c -x c /dev/null -o \"$TMP\") >/dev/null 2>&1;\t\
                       then echo \"-Wfoo\";\t\telse echo \"\";\t\tfi";
        assert_eq!(classify(try_run), Allowed::Run);
        for refused in [
            "./gen.sh > include/generated.h",
            "mkdir -p a; touch a/b",
            "cat x > y",
            "cat -n x 2>/dev/null",
            "touch foo",
            "test -f x && rm x",
            "tail -f log",
            "hostname build1",
            "git describe --dirty",
            "git checkout x",
            "cat -n x 2>/dev/null > y",
            "sed -i s/a/b/ f",
            "pwd > here",
            "rm -rf .tmp_$$",
            "set -e; TMP=.tmp_$$/tmp; trap \"rm -rf /\" EXIT; mkdir -p .tmp_$$; if (x) >/dev/null 2>&1; then echo y; else echo n; fi",
            "echo $(touch x)",
        ] {
            assert_eq!(classify(refused), Allowed::No, "{refused}");
        }
    }

    #[test]
    fn a_refusal_line_names_its_command_on_one_line() {
        let line = format!("{MARK} refused {}", shown("a\nb"));
        assert_eq!(refusal(&line), Some("`a b`"));
        assert_eq!(refusal("make: *** error"), None);
    }
}
