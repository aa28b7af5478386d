//! `--shim-doctor`: is the shim set up right, and does this kernel tree need
//! it? The verdict is kbuild's own make's answer about the per-object
//! relink (not a version number), so backports and local patches are
//! judged by what they do.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Serialize;

use crate::child::{self, Bounded};
use crate::environment::{self, Environment, Mode, GUARD};
use crate::exit::ExitStatus;
use crate::kbuild::kconfig::Kconfig;
use crate::kbuild::relink_query::{self, Relink, MAKEFILE_BUILD};
use crate::link::resolve::{self, ResolveError, Resolved};
use crate::spelling::spelled_enum;
use crate::toolchains::TESTED_LLVM_MAJORS;

/// How long the real linker may take to answer `--version` (ld.lld takes
/// a few milliseconds) before it is killed.
pub const VERSION_TIMEOUT: Duration = Duration::from_secs(10);

/// The most output of the real linker's `--version` that is kept (ld.lld
/// prints one line); past it the linker is stopped.
pub const VERSION_MAX_BYTES: usize = 64 << 10;

/// What the tree's kbuild does with freshly compiled bitcode objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exposure {
    /// Relinks standard objects even where objtool does not run: the 6.13
    /// regression; the shim restores the fixed behaviour.
    Affected(String),
    /// Relinks only single-object modules and objtool-followed objects (or
    /// nothing): the shim will change nothing.
    NotAffected(String),
    /// kbuild's scripts cannot be read far enough to tell.
    Unknown(String),
}

/// Whether a kbuild tree carries the 6.13 relink, from what its make
/// said about a standard built-in object under Clang LTO without objtool.
pub fn exposure(relink: &Result<Relink, String>) -> Exposure {
    let relink = match relink {
        Ok(relink) => relink,
        Err(why) => return Exposure::Unknown(why.clone()),
    };
    let variables = relink.variables.join(" and ");
    if relink.variables.is_empty() {
        Exposure::NotAffected(
            "no per-object relink (cmd_ld_single / cmd_ld_single_m) in kbuild".into(),
        )
    } else if relink.command.is_empty() {
        Exposure::NotAffected(format!(
            "{variables} leaves standard objects as bitcode where objtool does not run: only objtool-followed objects and single-object modules (the fixed rule)"
        ))
    } else {
        Exposure::Affected(format!(
            "{variables} relinks every standard object where objtool does not run (the 6.13 regression)"
        ))
    }
}

/// The kbuild source of a tree given as source or object tree (an `O=`
/// tree links its sources as `source`).
pub fn source_tree(tree: &Path) -> Option<PathBuf> {
    [tree.to_path_buf(), tree.join("source")]
        .into_iter()
        .find(|t| t.join(MAKEFILE_BUILD).exists())
}

/// The configuration of an object tree: auto.conf once configured,
/// otherwise .config; `None` when it has neither. One that exists but
/// cannot be read is an error naming it.
fn configuration(tree: &Path, unreadable: &mut Vec<String>) -> Option<Kconfig> {
    for path in [tree.join(Kconfig::PATH), tree.join(".config")] {
        match Kconfig::load(&path) {
            Ok(k) => return Some(k),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                unreadable.push(format!("{}: {e}", path.display()));
                return None;
            }
        }
    }
    None
}

/// Major version in `LLD 19.1.7` / `Debian LLD 19.1.7 (...)`.
pub fn lld_major(version_line: &str) -> Option<u32> {
    let after = version_line.split("LLD ").nth(1)?;
    after.split('.').next()?.trim().parse().ok()
}

/// The first line of the real linker's `--version`, or why there is none.
fn linker_version(resolved: &Resolved) -> Result<String, String> {
    let mut cmd = Command::new(&resolved.path);
    cmd.arg("--version").env(GUARD, "1");
    let stdout = match child::bounded(
        &mut cmd,
        VERSION_TIMEOUT,
        VERSION_MAX_BYTES,
        VERSION_MAX_BYTES,
    ) {
        Ok(out) => out.stdout,
        // A linker that cannot start prints nothing: said so below.
        Err(Bounded::Spawn(_)) => Vec::new(),
        Err(e) => {
            return Err(match e {
                Bounded::TimedOut => format!(
                    "the real linker did not answer --version within {} s (killed)",
                    VERSION_TIMEOUT.as_secs()
                ),
                Bounded::TooLarge => format!(
            "the real linker printed more than {VERSION_MAX_BYTES} bytes for --version (stopped)"
        ),
                Bounded::Io(e) | Bounded::Spawn(e) => {
                    format!("cannot read the real linker's --version: {e}")
                }
            })
        }
    };
    String::from_utf8_lossy(&stdout)
        .lines()
        .next()
        .map(str::to_string)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| "it prints no version for --version".to_string())
}

/// One line of the doctor's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    pub status: Status,
    pub detail: String,
}

impl Check {
    fn new(name: impl Into<String>, status: Status, detail: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            status,
            detail: detail.into(),
        }
    }
}

spelled_enum! {
    /// How a check came out.
    pub enum Status {
        Ok = "ok",
        Warn = "warn",
        Fail = "fail",
    }
}

/// Everything the doctor looks at, gathered from the process and the disk
/// by [`findings`] so that [`diagnose`] is a pure function of it.
#[derive(Debug, Clone)]
pub struct Findings {
    /// The real linker and the first line of its `--version`, or why it
    /// has none (no output, no answer in time, too much output).
    pub linker: Result<(Resolved, Result<String, String>), ResolveError>,
    pub guard: bool,
    pub settings: Vec<(&'static str, Option<String>)>,
    pub mode: Result<Mode, String>,
    pub tree: Option<TreeFindings>,
}

/// What was found at the tree the doctor was given.
#[derive(Debug, Clone)]
pub enum TreeFindings {
    NoKbuild(PathBuf),
    Kbuild {
        tree: PathBuf,
        config: Option<Kconfig>,
        /// What kbuild's make said it relinks; not asked when its first
        /// scripts cannot be read.
        relink: Result<Relink, String>,
        /// Files of the tree that exist but cannot be read (a FIFO, a
        /// device, over their size cap), each `path: why`.
        unreadable: Vec<String>,
    },
}

/// The doctor's answer: its checks in order, and the exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    pub checks: Vec<Check>,
    pub exit: ExitStatus,
}

/// Reads what the doctor needs: resolves and asks the real linker, reads
/// the tree's kbuild and configuration.
pub fn findings(argv0: OsString, tree: Option<&Path>, env: &Environment) -> Findings {
    let linker = resolve::resolve(&resolve::Inputs::of_process(argv0, env)).map(|resolved| {
        let version = linker_version(&resolved);
        (resolved, version)
    });
    let tree = tree.map(|tree| match source_tree(tree) {
        None => TreeFindings::NoKbuild(tree.to_path_buf()),
        Some(src) => {
            let mut unreadable = Vec::new();
            let config = configuration(tree, &mut unreadable);
            let scripts = relink_query::unreadable_scripts(&src);
            let relink = if scripts.is_empty() {
                relink_query::ask(&src).map_err(|e| format!("kbuild's make could not say: {e}"))
            } else {
                Err("kbuild's scripts cannot be read".into())
            };
            unreadable.extend(scripts);
            TreeFindings::Kbuild {
                tree: tree.to_path_buf(),
                config,
                relink,
                unreadable,
            }
        }
    });
    Findings {
        linker,
        guard: env.guard,
        settings: environment::settings(),
        mode: env.mode.clone(),
        tree,
    }
}

/// Judges the findings.
pub fn diagnose(f: &Findings) -> Diagnosis {
    use Status::{Fail, Ok, Warn};
    let mut checks = Vec::new();
    let mut lld_version = None;
    match &f.linker {
        Result::Ok((resolved, version)) => {
            checks.push(Check::new(
                "real linker",
                Ok,
                resolved.path.display().to_string(),
            ));
            checks.push(Check::new("chosen by", Ok, resolved.rule.to_string()));
            match version.as_deref().map(|v| (v, lld_major(v))) {
                Result::Ok((v, Some(major))) => {
                    lld_version = Some(major);
                    checks.push(Check::new("version", Ok, v));
                    checks.push(tested_llvm(major));
                }
                other => {
                    let what = match other {
                        Result::Ok((v, _)) => format!("'{v}' is not LLD"),
                        Err(why) => why.to_string(),
                    };
                    checks.push(Check::new(
                        "version",
                        Fail,
                        format!("{what} (scripts/ld-version.sh would drop LTO)"),
                    ))
                }
            }
            checks.push(Check::new(
                "recursion",
                Ok,
                "ok: the real linker is not the shim",
            ));
        }
        Err(e) => checks.push(Check::new("real linker", Fail, e.to_string())),
    }
    if f.guard {
        checks.push(Check::new(
            "recursion",
            Fail,
            format!("{GUARD} is set in this environment"),
        ));
    }
    for (var, value) in &f.settings {
        let value = value.clone().unwrap_or_else(|| "(unset)".into());
        checks.push(Check::new(format!("env {var}"), Ok, value));
    }
    if let Err(e) = &f.mode {
        checks.push(Check::new("mode", Fail, e.clone()));
    }
    let mut not_affected = false;
    match &f.tree {
        None => {}
        Some(TreeFindings::NoKbuild(tree)) => checks.push(Check::new(
            "tree",
            Fail,
            format!(
                "{} has no scripts/Makefile.build (nor source/)",
                tree.display()
            ),
        )),
        Some(TreeFindings::Kbuild {
            tree,
            config,
            relink,
            unreadable,
        }) => {
            checks.push(Check::new("tree", Ok, tree.display().to_string()));
            for why in unreadable {
                checks.push(Check::new("unreadable", Fail, why.clone()));
            }
            match config {
                Some(k) => {
                    checks.push(Check::new(
                        "config",
                        Ok,
                        format!(
                            "LTO={:?} OBJTOOL={} MODULES={}",
                            k.lto(),
                            k.enabled("CONFIG_OBJTOOL"),
                            k.enabled("CONFIG_MODULES")
                        ),
                    ));
                    for warning in hazards(k, lld_version) {
                        checks.push(Check::new("warning", Warn, warning));
                    }
                }
                None if !unreadable.is_empty() => {}
                None => checks.push(Check::new(
                    "config",
                    Ok,
                    "not configured (no include/config/auto.conf or .config)",
                )),
            }
            let detail = match exposure(relink) {
                Exposure::Affected(why) => {
                    format!("AFFECTED: {why}; build with LD=kbuild-ld-shim")
                }
                Exposure::NotAffected(why) => {
                    not_affected = true;
                    format!("not affected: {why}; the shim will change nothing")
                }
                Exposure::Unknown(why) => {
                    checks.push(Check::new("verdict", Fail, format!("cannot judge: {why}")));
                    return finish(checks, false);
                }
            };
            checks.push(Check::new("verdict", Ok, detail));
        }
    }
    finish(checks, not_affected)
}

fn finish(checks: Vec<Check>, not_affected: bool) -> Diagnosis {
    let exit = if checks.iter().any(|c| c.status == Status::Fail) {
        ExitStatus::Failure
    } else if not_affected {
        ExitStatus::NotAffected
    } else {
        ExitStatus::Success
    };
    Diagnosis { checks, exit }
}

/// Whether the project's tests cover the real linker's LLVM `major`. An
/// untested one is only a warning, never a failure: a kernel compiled by a
/// newer clang needs the ld.lld of that LLVM, and the shim forwards every
/// option its table does not know rather than guess at it.
fn tested_llvm(major: u32) -> Check {
    let tested = TESTED_LLVM_MAJORS
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if TESTED_LLVM_MAJORS.contains(&major) {
        Check::new(
            "llvm tested",
            Status::Ok,
            format!("LLVM {major} (the tests cover LLVM {tested})"),
        )
    } else {
        Check::new(
            "llvm tested",
            Status::Warn,
            format!("LLVM {major} is untested: the tests cover LLVM {tested}; check the shim's decisions with --shim-inspect"),
        )
    }
}

/// The text form: one aligned line a check; a failed one says BROKEN.
pub fn render_text(d: &Diagnosis) -> String {
    let mut out = String::from("kbuild-ld-shim doctor\n");
    for c in &d.checks {
        // The environment lines form their own column: the names are long.
        let width = if c.name.starts_with("env ") { 28 } else { 15 };
        let broken = if c.status == Status::Fail {
            "BROKEN: "
        } else {
            ""
        };
        let _ = writeln!(out, "  {:<width$} {broken}{}", c.name, c.detail);
    }
    out
}

/// The `--json` form: the checks as an array of name, status, detail.
pub fn render_json(d: &Diagnosis) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(&d.checks).expect("checks serialise")
    )
}

/// Runs the doctor and returns its exit status.
pub fn run(argv0: OsString, tree: Option<&Path>, json: bool, env: &Environment) -> ExitStatus {
    let diagnosis = diagnose(&findings(argv0, tree, env));
    let text = if json {
        render_json(&diagnosis)
    } else {
        render_text(&diagnosis)
    };
    match crate::output::emit(&text) {
        ExitStatus::Success => diagnosis.exit,
        failed => failed,
    }
}

/// Known ways turning LTO back on can bite.
pub fn hazards(config: &Kconfig, lld_major: Option<u32>) -> Vec<String> {
    let mut warnings = Vec::new();
    let lto = config.lto() != crate::lto::Lto::None;
    if lto && config.enabled("CONFIG_RISCV") && config.enabled("CONFIG_CMODEL_MEDLOW") {
        warnings.push(
            "riscv with CONFIG_CMODEL_MEDLOW: the final ThinLTO link fails on conflicting \"Code Model\" module flags (as with the upstream fix); use CMODEL_MEDANY".into(),
        );
    }
    let clang_major = config
        .values
        .get("CONFIG_CLANG_VERSION")
        .and_then(|v| v.parse::<u32>().ok())
        .map(|v| v / 10000);
    if let (Some(clang), Some(lld)) = (clang_major, lld_major) {
        if lld < clang {
            warnings.push(format!(
                "real ld.lld is LLVM {lld} but the kernel is compiled by clang {clang}: an older ld.lld cannot read newer bitcode (use LLVM=-{clang})"
            ));
        }
    }
    if !lto {
        warnings.push("Clang LTO is not enabled: there is no bitcode to pass through".into());
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    /// make's answers for 6.13 as shipped and for the fix (695ed93bb30e);
    /// `integration/doctor.rs` and `integration/kernel.sh` get them from
    /// real make on kbuild's files.
    fn unfixed() -> Result<Relink, String> {
        Ok(Relink {
            variables: vec!["cmd_ld_single".into()],
            command: "; ld.lld -r -o d/.tmp_o.o d/o.o; mv d/.tmp_o.o d/o.o".into(),
        })
    }

    fn fixed() -> Result<Relink, String> {
        Ok(Relink {
            variables: vec!["cmd_ld_single".into()],
            command: String::new(),
        })
    }

    #[test]
    fn a_relinked_standard_object_is_affected_and_bitcode_is_not() {
        assert!(matches!(exposure(&unfixed()), Exposure::Affected(_)));
        let Exposure::NotAffected(why) = exposure(&fixed()) else {
            panic!("{:?}", exposure(&fixed()))
        };
        assert!(
            why.starts_with("cmd_ld_single leaves standard objects as bitcode"),
            "{why}"
        );
        let none = Ok(Relink {
            variables: vec![],
            command: String::new(),
        });
        assert!(
            matches!(exposure(&none), Exposure::NotAffected(ref why) if why.starts_with("no per-object relink"))
        );
        assert_eq!(
            exposure(&Err("make exited".into())),
            Exposure::Unknown("make exited".into())
        );
    }

    #[test]
    fn a_make_that_cannot_say_is_no_verdict() {
        let thin = "CONFIG_LTO_CLANG_THIN=y\nCONFIG_CLANG_VERSION=190107\n";
        let why = "kbuild's make could not say: make exited with exit status: 2: Makefile.build:3: *** missing separator.  Stop.";
        let d = diagnose(&findings(kbuild(Err(why.into()), thin)));
        assert_eq!(d.exit, ExitStatus::Failure);
        let verdict = d.checks.last().unwrap();
        assert_eq!(
            (verdict.name.as_str(), verdict.status),
            ("verdict", Status::Fail)
        );
        let text = render_text(&d);
        assert!(
            text.ends_with(&format!(
                "\n  verdict         BROKEN: cannot judge: {why}\n"
            )),
            "{text}"
        );
    }

    #[test]
    fn hazards_name_riscv_medlow_and_old_lld() {
        let k = Kconfig::parse("CONFIG_RISCV=y\nCONFIG_CMODEL_MEDLOW=y\nCONFIG_LTO_CLANG_THIN=y\nCONFIG_CLANG_VERSION=190107\n");
        let w = hazards(&k, Some(18));
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("Code Model"));
        assert!(w[1].contains("LLVM 18"));
        assert!(hazards(&k, Some(19)).len() == 1);
    }

    fn findings(tree: Option<TreeFindings>) -> Findings {
        let resolved = Resolved {
            path: PathBuf::from("/usr/bin/ld.lld"),
            rule: resolve::Rule::DefaultPath,
        };
        Findings {
            linker: Ok((resolved, Ok("Debian LLD 19.1.7".into()))),
            guard: false,
            settings: vec![("LLVM", None)],
            mode: Ok(Mode::Auto),
            tree,
        }
    }

    fn kbuild(relink: Result<Relink, String>, config: &str) -> Option<TreeFindings> {
        Some(TreeFindings::Kbuild {
            tree: PathBuf::from("/k"),
            config: Some(Kconfig::parse(config)),
            relink,
            unreadable: vec![],
        })
    }

    #[test]
    fn diagnosis_is_a_list_of_checks_and_a_status() {
        let thin = "CONFIG_LTO_CLANG_THIN=y\nCONFIG_CLANG_VERSION=190107\n";
        let d = diagnose(&findings(kbuild(unfixed(), thin)));
        assert_eq!(d.exit, ExitStatus::Success);
        let verdict = d.checks.last().unwrap();
        assert_eq!(
            (verdict.name.as_str(), verdict.status),
            ("verdict", Status::Ok)
        );
        assert!(verdict.detail.starts_with("AFFECTED: "), "{verdict:?}");
        let text = render_text(&d);
        assert!(
            text.contains("\n  version         Debian LLD 19.1.7\n"),
            "{text}"
        );
        // The environment's own column, as before the checks were a list.
        let env_line = format!("\n  env {:<24} (unset)\n", "LLVM");
        assert!(text.contains(&env_line), "{text}");

        let d = diagnose(&findings(kbuild(fixed(), thin)));
        assert_eq!(d.exit, ExitStatus::NotAffected);

        let d = diagnose(&findings(kbuild(fixed(), "CONFIG_CLANG_VERSION=190107\n")));
        assert!(d.checks.iter().any(|c| c.status == Status::Warn));
        assert_eq!(d.exit, ExitStatus::NotAffected);

        let mut broken = findings(Some(TreeFindings::NoKbuild(PathBuf::from("/nope"))));
        broken.mode = Mode::parse(Some("bogus"));
        let d = diagnose(&broken);
        assert_eq!(d.exit, ExitStatus::Failure);
        let failed: Vec<&str> = d
            .checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(failed, ["mode", "tree"]);
        assert!(render_text(&d).contains("  tree            BROKEN: /nope has no"));
    }

    fn with_linker_version(version: &str) -> Findings {
        let mut f = findings(None);
        if let Result::Ok((_, v)) = &mut f.linker {
            *v = Ok(version.to_string());
        }
        f
    }

    fn tested_check(d: &Diagnosis) -> &Check {
        let tested: Vec<&Check> = d
            .checks
            .iter()
            .filter(|c| c.name == "llvm tested")
            .collect();
        assert_eq!(tested.len(), 1, "{:?}", d.checks);
        tested[0]
    }

    #[test]
    fn a_tested_llvm_is_ok() {
        let d = diagnose(&with_linker_version("Debian LLD 16.0.6"));
        assert_eq!(d.exit, ExitStatus::Success);
        let check = tested_check(&d);
        assert_eq!(check.status, Status::Ok);
        assert_eq!(
            check.detail,
            "LLVM 16 (the tests cover LLVM 14, 15, 16, 19)"
        );
        assert!(
            render_text(&d)
                .contains("\n  llvm tested     LLVM 16 (the tests cover LLVM 14, 15, 16, 19)\n"),
            "{}",
            render_text(&d)
        );
        let json = render_json(&d);
        assert!(
            json.contains(
                "{\n    \"name\": \"llvm tested\",\n    \"status\": \"ok\",\n    \"detail\": \"LLVM 16 "
            ),
            "{json}"
        );
    }

    #[test]
    fn an_untested_llvm_warns_and_keeps_the_exit_status() {
        for (version, major) in [
            ("LLD 21.1.0 (compatible with GNU linkers)", 21),
            ("Debian LLD 13.0.1", 13),
        ] {
            let d = diagnose(&with_linker_version(version));
            assert_eq!(d.exit, ExitStatus::Success, "{version}");
            assert!(d.checks.iter().all(|c| c.status != Status::Fail), "{d:?}");
            let check = tested_check(&d);
            assert_eq!(check.status, Status::Warn, "{version}");
            assert!(
                check.detail.starts_with(&format!(
                    "LLVM {major} is untested: the tests cover LLVM 14, 15, 16, 19"
                )),
                "{check:?}"
            );
            let text = render_text(&d);
            assert!(
                text.contains(&format!("\n  llvm tested     LLVM {major} is untested: ")),
                "{text}"
            );
            assert!(!text.contains("BROKEN"), "{text}");
            let json = render_json(&d);
            assert!(
                json.contains("\"name\": \"llvm tested\",\n    \"status\": \"warn\""),
                "{json}"
            );
        }
        // The warning does not hide a tree's verdict: not affected stays 3.
        let thin = "CONFIG_LTO_CLANG_THIN=y\nCONFIG_CLANG_VERSION=210100\n";
        let mut f = with_linker_version("LLD 21.1.0");
        f.tree = kbuild(fixed(), thin);
        assert_eq!(diagnose(&f).exit, ExitStatus::NotAffected);
    }

    #[test]
    fn no_tested_check_without_an_lld_version() {
        let d = diagnose(&with_linker_version("GNU ld (GNU Binutils) 2.40"));
        assert!(d.checks.iter().all(|c| c.name != "llvm tested"), "{d:?}");
        assert_eq!(d.exit, ExitStatus::Failure);
    }

    #[test]
    fn the_lld_major_is_read_from_debian_and_upstream_version_lines_only() {
        assert_eq!(
            lld_major("Debian LLD 19.1.7 (compatible with GNU linkers)"),
            Some(19)
        );
        assert_eq!(lld_major("LLD 18.1.8"), Some(18));
        assert_eq!(lld_major("GNU ld (GNU Binutils) 2.40"), None);
    }
}
