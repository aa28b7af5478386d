//! The doctor's question to make: with Clang LTO on and objtool off, does
//! this tree's kbuild relink a freshly compiled standard built-in object
//! with `$(LD) -r`? Yes is the 6.13 regression (every object loses its
//! bitcode where objtool does not run); no is the fixed rule, or a kbuild
//! without the relink.
//!
//! kbuild's own make answers it, so the answer is what a build of the tree
//! would do, whatever its conditionals, includes and backports say: the
//! query runs the tree's `scripts/Makefile.build` on a directory of its
//! own (in a temporary object tree, so nothing is written to the user's
//! tree) whose Kbuild names one built-in object, and prints what
//! `cmd_ld_single` (6.13, Makefile.lib) and `cmd_ld_single_m` (up to
//! 6.12, Makefile.build) expand to for it. The configuration is the
//! command line's, not the tree's: the verdict is about the tree's kbuild,
//! and the question is only ever asked for LTO without objtool.

use std::ffi::OsString;
use std::io;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::make_answer;
use crate::regular_file::{self, CappedFile};

/// kbuild's per-directory makefile, the one the query runs.
pub const MAKEFILE_BUILD: &str = "scripts/Makefile.build";

/// The scripts make reads first, checked to be regular files under their
/// cap before make starts: make would wait forever on a FIFO and grow
/// without bound on /dev/zero.
const FIRST_READ: &[&str] = &[
    MAKEFILE_BUILD,
    "scripts/Makefile.lib",
    "scripts/Kbuild.include",
];

const MARK: &str = "kbuild-ld-shim-relink:";
/// The query's directory and object, in its temporary object tree; no
/// kernel directory or object has these names.
const PROBE_DIR: &str = "kbuild-ld-shim-probe";
const PROBE_NAME: &str = "kbuild_ld_shim_probe.o";
/// The variables kbuild has defined the per-object relink in.
const RELINK_VARIABLES: &str = "cmd_ld_single cmd_ld_single_m";

/// Parsing kbuild's scripts takes milliseconds; a loaded machine many
/// times that, and the doctor must still end.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// make's answer for the probe object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relink {
    /// Which of `cmd_ld_single` and `cmd_ld_single_m` kbuild defines
    /// under Clang LTO.
    pub variables: Vec<String>,
    /// What they expand to for a standard built-in object; empty when
    /// kbuild leaves it as bitcode.
    pub command: String,
}

/// The first-read scripts of `srctree` that exist but cannot be read as
/// kbuild Makefiles, each `path: why`.
pub fn unreadable_scripts(srctree: &Path) -> Vec<String> {
    FIRST_READ
        .iter()
        .map(|file| srctree.join(file))
        .filter_map(
            |path| match regular_file::open_capped(&path, CappedFile::KbuildMakefile) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    Some(format!("{}: {e}", path.display()))
                }
                _ => None,
            },
        )
        .collect()
}

/// Asks `make` (the first on PATH) what kbuild under `srctree` relinks.
pub fn ask(srctree: &Path) -> Result<Relink, String> {
    let objtree = tempfile::Builder::new()
        .prefix("kbuild-ld-shim-doctor.")
        .tempdir()
        .map_err(|e| format!("a temporary object tree: {e}"))?;
    let probe_dir = objtree.path().join(PROBE_DIR);
    std::fs::create_dir(&probe_dir)
        .and_then(|()| std::fs::write(probe_dir.join("Kbuild"), format!("obj-y += {PROBE_NAME}\n")))
        .map_err(|e| format!("a temporary object tree: {e}"))?;
    let probe_object = format!("{PROBE_DIR}/{PROBE_NAME}");
    let program = Path::new("make");
    let mut srctree_arg = OsString::from("srctree=");
    srctree_arg.push(srctree);
    let mut cmd = Command::new(program);
    // Only PATH from the environment: a CONFIG_*, VPATH or MAKEFLAGS of
    // the user's shell must not change the verdict.
    cmd.current_dir(objtree.path())
        .env_clear()
        .envs(std::env::var_os("PATH").map(|p| ("PATH", p)))
        .env("LC_ALL", "C")
        .args(["-rR", "-s", "--no-print-directory", "-f"])
        .arg(srctree.join(MAKEFILE_BUILD))
        .arg(srctree_arg)
        .args(["objtree=.", "srcroot=.", &format!("obj={PROBE_DIR}")])
        .args(["CONFIG_LTO_CLANG=y", "CONFIG_LTO_CLANG_THIN=y", "CONFIG_OBJTOOL="])
        .arg("LD=ld.lld")
        .arg(format!(
            "--eval={probe_object}: ; $(info {MARK} version $(MAKE_VERSION))\
             $(info {MARK} variables $(foreach v,{RELINK_VARIABLES},$(if $(filter undefined,$(origin $v)),,$v)))\
             $(info {MARK} relink $(strip $(cmd_ld_single)$(cmd_ld_single_m)))"
        ))
        .arg(&probe_object);
    let out = make_answer::run(&mut cmd, program, TIMEOUT)?;
    if !out.status.success() {
        return Err(make_answer::failed(&out));
    }
    parse(&String::from_utf8_lossy(&out.stdout))
}

fn parse(stdout: &str) -> Result<Relink, String> {
    let [_, variables, command] =
        make_answer::fields(stdout, MARK, ["version", "variables", "relink"])?;
    Ok(Relink {
        variables: variables.split_whitespace().map(str::to_string).collect(),
        command,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_is_read_from_the_marked_lines() {
        let out = format!(
            "noise\n{MARK} version 4.3\n{MARK} variables  cmd_ld_single\n{MARK} relink ; ld.lld -r -o a b; mv a b\n"
        );
        assert_eq!(
            parse(&out),
            Ok(Relink {
                variables: vec!["cmd_ld_single".into()],
                command: "; ld.lld -r -o a b; mv a b".into(),
            })
        );
        let none = format!("{MARK} version 4.4.1\n{MARK} variables \n{MARK} relink \n");
        assert_eq!(
            parse(&none),
            Ok(Relink {
                variables: vec![],
                command: String::new(),
            })
        );
        let old = format!("{MARK} version 3.81\n{MARK} variables \n{MARK} relink \n");
        assert!(parse(&old).unwrap_err().contains("3.81"));
        assert!(parse(&format!("{MARK} version 4.3\n")).is_err());
    }
}
