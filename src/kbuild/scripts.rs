//! kbuild's own scripts, `scripts/Makefile.build` and `scripts/Makefile.lib`:
//! the one place that reads them (as regular files under their cap) and
//! lexes them (with `make_lexer`, never by scanning lines). It answers what
//! the doctor needs to know of a tree's kbuild:
//!
//! - the per-object relink of freshly compiled bitcode
//!   ([`Scripts::relink_rule`]): `cmd_ld_single` (6.13's Makefile.lib) or
//!   `cmd_ld_single_m` (Makefile.build up to 6.12), and what its `$(if ...)`
//!   tests;
//! - whether `objtool-enabled`, which 6.13's relink tests, can be set when
//!   CONFIG_OBJTOOL is not ([`Scripts::objtool_enabled_without_objtool`]).
//!
//! Where the lexer cannot read a file far enough to tell (a line whose
//! reading depends on conditionals, an unbalanced conditional), the answer
//! is an error saying where, never a guess.

use std::io;
use std::path::Path;

use super::make_lexer::{self, Conditionals, Line, LineKind};
use crate::regular_file::{self, CappedFile};

/// kbuild's Makefile.build, as every per-directory make names it.
pub const MAKEFILE_BUILD: &str = "scripts/Makefile.build";
/// kbuild's Makefile.lib, which Makefile.build includes.
pub const MAKEFILE_LIB: &str = "scripts/Makefile.lib";

/// The scripts that define the per-object relink, in the order they are
/// searched for it.
const RELINK_FILES: &[&str] = &[MAKEFILE_LIB, MAKEFILE_BUILD];

/// The variables kbuild has defined the per-object relink in.
const RELINK_VARIABLES: &[&str] = &["cmd_ld_single", "cmd_ld_single_m"];

const OBJTOOL_ENABLED: &str = "objtool-enabled";

/// One of kbuild's scripts, lexed.
#[derive(Debug, Clone)]
pub struct Script {
    /// Its path relative to the source tree (`scripts/Makefile.lib`).
    pub file: &'static str,
    lines: Vec<Line>,
}

impl Script {
    pub fn parse(file: &'static str, text: &str) -> Script {
        Script {
            file,
            lines: make_lexer::lex(text),
        }
    }

    fn at(&self, line: &Line) -> String {
        format!("{}:{}", self.file, line.number)
    }
}

/// The relink definition found in a kbuild tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelinkRule {
    pub file: &'static str,
    pub variable: String,
    /// The make variables the `$(if ...)` condition tests (for any other
    /// part of the condition, its text).
    pub condition_terms: Vec<String>,
}

/// The relink scripts of a source tree, as far as they exist.
#[derive(Debug, Clone, Default)]
pub struct Scripts {
    scripts: Vec<Script>,
    /// A script exists but could not be read, so what the others say is
    /// not the whole of kbuild's relink.
    pub some_unreadable: bool,
}

impl Scripts {
    /// Reads Makefile.lib and Makefile.build under `srctree`; one that is
    /// missing is skipped, one that exists but cannot be read (a FIFO, a
    /// device, over its cap) is pushed to `unreadable` as `path: why`.
    /// Bytes that are not UTF-8 are replaced: they cannot change how make
    /// splits the lines, and no name the reader looks for has them.
    pub fn read(srctree: &Path, unreadable: &mut Vec<String>) -> Scripts {
        let mut scripts = Vec::new();
        let mut some_unreadable = false;
        for file in RELINK_FILES {
            let path = srctree.join(file);
            match read(&path) {
                Ok(bytes) => scripts.push(Script::parse(file, &String::from_utf8_lossy(&bytes))),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    some_unreadable = true;
                    unreadable.push(format!("{}: {e}", path.display()));
                }
            }
        }
        Scripts {
            scripts,
            some_unreadable,
        }
    }

    /// The scripts of the given texts, each `(path in the tree, text)`.
    #[cfg(test)]
    pub fn parse(texts: &[(&'static str, &str)]) -> Scripts {
        Scripts {
            scripts: texts
                .iter()
                .map(|(file, text)| Script::parse(file, text))
                .collect(),
            some_unreadable: false,
        }
    }

    /// The first definition of `cmd_ld_single` or `cmd_ld_single_m`, Makefile.lib
    /// first; `None` when neither script has one. An error when a script
    /// cannot be read as far as the definition, or the definition is not
    /// `$(if condition, ...)`.
    pub fn relink_rule(&self) -> Result<Option<RelinkRule>, String> {
        for script in &self.scripts {
            for line in &script.lines {
                let (variable, value) = match &line.kind {
                    LineKind::Assign { var, value, .. } => (var, value),
                    LineKind::Define { var, body, .. } => (var, body),
                    LineKind::Ambiguous { text } if assigns(text, is_relink) => {
                        return Err(format!(
                            "{}: a tab-led line that is a recipe on some paths through the conditionals and defines the relink on others",
                            script.at(line)
                        ))
                    }
                    LineKind::Unreadable { why } => {
                        return Err(format!("{}: {why}", script.at(line)))
                    }
                    _ => continue,
                };
                if !is_relink(variable) {
                    continue;
                }
                let condition = if_condition(value).ok_or_else(|| {
                    format!(
                        "{}: {variable} is not $(if condition, ...): cannot tell what it relinks",
                        script.at(line)
                    )
                })?;
                return Ok(Some(RelinkRule {
                    file: script.file,
                    variable: variable.clone(),
                    condition_terms: condition_terms(condition),
                }));
            }
        }
        Ok(None)
    }

    /// Whether `objtool-enabled` can be set when CONFIG_OBJTOOL is not: an
    /// assignment to it (global, or target-specific to per-object `%.o`
    /// rules) on a path through the conditionals that does not need
    /// CONFIG_OBJTOOL. Target-specific assignments for other targets
    /// (composite modules) do not decide the per-object relink.
    pub fn objtool_enabled_without_objtool(&self) -> Result<bool, String> {
        // Only CONFIG_OBJTOOL is known (unset); every other condition may go
        // either way.
        let without_objtool = |directive: &str, args: &str| match (directive, args.trim()) {
            ("ifdef", "CONFIG_OBJTOOL") => Some(false),
            ("ifndef", "CONFIG_OBJTOOL") => Some(true),
            _ => None,
        };
        for script in &self.scripts {
            let mut conditionals = Conditionals::default();
            for line in &script.lines {
                let at = script.at(line);
                if conditionals.follow(&line.kind, &at, without_objtool)? {
                    continue;
                }
                if !conditionals.active() {
                    continue;
                }
                let sets = match &line.kind {
                    LineKind::Assign { var, .. } | LineKind::Define { var, .. } => var == OBJTOOL_ENABLED,
                    LineKind::Rule { text } => per_object_assignment(text),
                    LineKind::Ambiguous { text } if assigns(text, |v| v == OBJTOOL_ENABLED) => {
                        return Err(format!(
                            "{at}: a tab-led line that is a recipe on some paths through the conditionals and sets {OBJTOOL_ENABLED} on others"
                        ))
                    }
                    LineKind::Unreadable { why } => return Err(format!("{at}: {why}")),
                    _ => false,
                };
                if sets {
                    return Ok(true);
                }
            }
            if let Some(at) = conditionals.unclosed() {
                return Err(format!("{at} has no endif"));
            }
        }
        Ok(false)
    }
}

fn read(path: &Path) -> io::Result<Vec<u8>> {
    regular_file::read_capped(path, CappedFile::KbuildMakefile)
}

fn is_relink(var: &str) -> bool {
    RELINK_VARIABLES.contains(&var)
}

/// Whether a tab-led line that may be a statement would assign a variable
/// `wanted` accepts, read as a statement.
fn assigns(text: &str, wanted: impl Fn(&str) -> bool) -> bool {
    make_lexer::lex(text.trim_start())
        .iter()
        .any(|line| match &line.kind {
            LineKind::Assign { var, .. } | LineKind::Define { var, .. } => wanted(var),
            LineKind::Rule { text } => {
                make_lexer::target_specific(text).is_some_and(|t| wanted(t.var))
            }
            _ => false,
        })
}

/// A rule line's target-specific assignment of `objtool-enabled` for the
/// per-object `%.o` rules (`$(obj)/%.o: private objtool-enabled = ...`).
fn per_object_assignment(text: &str) -> bool {
    make_lexer::target_specific(text)
        .is_some_and(|t| t.var == OBJTOOL_ENABLED && t.targets.contains("%.o"))
}

/// The condition of a value that is `$(if condition, ...)`.
fn if_condition(value: &str) -> Option<&str> {
    let inner = value.trim().strip_prefix("$(if ")?;
    let mut depth = 0usize;
    for (i, b) in inner.bytes().enumerate() {
        match b {
            b'(' | b'{' => depth += 1,
            b')' | b'}' if depth == 0 => return None,
            b')' | b'}' => depth -= 1,
            b',' if depth == 0 => return Some(&inner[..i]),
            _ => {}
        }
    }
    None
}

/// What a condition tests: the name of each `$(name)` reference, and the
/// text of every other reference or literal word.
fn condition_terms(condition: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut rest = condition.trim();
    while !rest.is_empty() {
        let len = if rest.starts_with('$') {
            make_lexer::reference_len(rest)
        } else {
            rest.find('$').unwrap_or(rest.len())
        };
        let (term, after) = rest.split_at(len);
        let inner = term
            .strip_prefix("$(")
            .and_then(|t| t.strip_suffix(')'))
            .or_else(|| term.strip_prefix("${").and_then(|t| t.strip_suffix('}')))
            .unwrap_or(term);
        if !inner.trim().is_empty() {
            terms.push(inner.trim().to_string());
        }
        rest = after;
    }
    terms
}

/// kbuild's own lines around the relink, for the tests of the reader and
/// of the doctor's verdicts on it.
#[cfg(test)]
pub mod samples {
    /// 6.13's Makefile.lib around the relink, unfixed and with 695ed93bb30e.
    pub const UNFIXED_613_LIB: &str = "ifdef CONFIG_OBJTOOL\nobjtool := $(objtree)/tools/objtool/objtool\ncmd_objtool = $(if $(objtool-enabled), ; $(objtool) $(objtool-args) $@)\nendif # CONFIG_OBJTOOL\n\nobjtool-enabled := y\n\nifdef CONFIG_LTO_CLANG\n# objtool cannot process LLVM IR. Make $(LD) covert LLVM IR to ELF here.\ncmd_ld_single = $(if $(objtool-enabled), ; $(LD) $(ld_flags) -r -o $(tmp-target) $@; mv $(tmp-target) $@)\nendif\n";
    pub const FIXED_613_LIB: &str = "ifdef CONFIG_OBJTOOL\nobjtool := $(objtree)/tools/objtool/objtool\ncmd_objtool = $(if $(objtool-enabled), ; $(objtool) $(objtool-args) $@)\n\nobjtool-enabled := y\n\nendif # CONFIG_OBJTOOL\n\nifdef CONFIG_LTO_CLANG\ncmd_ld_single = $(if $(objtool-enabled)$(is-single-obj-m), ; $(LD) $(ld_flags) -r -o $(tmp-target) $@; mv $(tmp-target) $@)\nendif\n";
    /// Debian 6.12's Makefile.build: the relink, and the assignments of
    /// objtool-enabled (per object, unguarded; per composite module).
    pub const DEBIAN_612_BUILD: &str = "ifdef CONFIG_LTO_CLANG\ncmd_ld_single_m = $(if $(is-single-obj-m), ; $(LD) $(ld_flags) -r -o $(tmp-target) $@; mv $(tmp-target) $@)\nendif\n";
    pub const DEBIAN_612_OBJTOOL: &str = "$(obj)/%.o: private objtool-enabled = $(if $(is-standard-object),$(if $(delay-objtool),$(is-single-obj-m),y))\n$(multi-obj-m): private objtool-enabled := $(delay-objtool)\n";
}

#[cfg(test)]
mod tests {
    use super::samples::*;
    use super::*;

    fn scripts(lib: &str, build: &str) -> Scripts {
        Scripts::parse(&[(MAKEFILE_LIB, lib), (MAKEFILE_BUILD, build)])
    }

    fn rule(file: &'static str, variable: &str, terms: &[&str]) -> Option<RelinkRule> {
        Some(RelinkRule {
            file,
            variable: variable.into(),
            condition_terms: terms.iter().map(|t| t.to_string()).collect(),
        })
    }

    #[test]
    fn the_relink_rule_of_each_kbuild() {
        assert_eq!(
            scripts(UNFIXED_613_LIB, "").relink_rule(),
            Ok(rule(MAKEFILE_LIB, "cmd_ld_single", &["objtool-enabled"]))
        );
        assert_eq!(
            scripts(FIXED_613_LIB, "").relink_rule(),
            Ok(rule(
                MAKEFILE_LIB,
                "cmd_ld_single",
                &["objtool-enabled", "is-single-obj-m"]
            ))
        );
        assert_eq!(
            scripts("", DEBIAN_612_BUILD).relink_rule(),
            Ok(rule(
                MAKEFILE_BUILD,
                "cmd_ld_single_m",
                &["is-single-obj-m"]
            ))
        );
        // Makefile.lib is searched first; a reference in a recipe is no
        // definition.
        assert_eq!(
            scripts(FIXED_613_LIB, DEBIAN_612_BUILD)
                .relink_rule()
                .unwrap()
                .unwrap()
                .file,
            MAKEFILE_LIB
        );
        assert_eq!(
            scripts("x.o: y\n\tcmd_ld_single = 1\n", "").relink_rule(),
            Ok(None)
        );
        assert_eq!(
            scripts("cmd_cc_o_c = $(CC) -c\n", "").relink_rule(),
            Ok(None)
        );
    }

    #[test]
    fn every_part_of_the_condition_is_a_term() {
        let terms = |value: &str| {
            scripts(&format!("cmd_ld_single := {value}\n"), "")
                .relink_rule()
                .map(|r| r.unwrap().condition_terms)
        };
        assert_eq!(
            terms("$(if ${objtool-enabled} $(is-single-obj-m), ; $(LD) -r)"),
            Ok(vec![
                "objtool-enabled".to_string(),
                "is-single-obj-m".into()
            ])
        );
        // A function call or a literal is a term of its own (and no known one).
        assert_eq!(
            terms("$(if $(filter a,$(b))y, ; $(LD) -r)"),
            Ok(vec!["filter a,$(b)".to_string(), "y".into()])
        );
        let defined = scripts(
            "define cmd_ld_single\n$(if $(is-single-obj-m), ; $(LD) -r)\nendef\n",
            "",
        );
        assert_eq!(
            defined.relink_rule(),
            Ok(rule(MAKEFILE_LIB, "cmd_ld_single", &["is-single-obj-m"]))
        );
        // Not `$(if ...)`: what it relinks is not guessed.
        for value in ["; $(LD) -r -o $(tmp-target) $@", "$(if $(x)"] {
            let err = terms(value).unwrap_err();
            assert!(
                err.starts_with(
                    "scripts/Makefile.lib:1: cmd_ld_single is not $(if condition, ...)"
                ),
                "{value}: {err}"
            );
        }
    }

    #[test]
    fn an_unreadable_script_is_no_answer() {
        let unreadable = "x.o: y\nifdef CONFIG_A\nB = 1\nendif\n\tdefine X\n";
        let err = scripts(unreadable, DEBIAN_612_BUILD)
            .relink_rule()
            .unwrap_err();
        assert!(err.starts_with("scripts/Makefile.lib:5: "), "{err}");
        let err = scripts(unreadable, "")
            .objtool_enabled_without_objtool()
            .unwrap_err();
        assert!(err.starts_with("scripts/Makefile.lib:5: "), "{err}");
        // A tab-led line that sets the variable on some paths only.
        let ambiguous = "x.o: y\nifdef CONFIG_A\nB = 1\nendif\n\tobjtool-enabled := y\n";
        let err = scripts(ambiguous, "")
            .objtool_enabled_without_objtool()
            .unwrap_err();
        assert!(err.contains("sets objtool-enabled on others"), "{err}");
        let ambiguous = "x.o: y\nifdef CONFIG_A\nB = 1\nendif\n\tcmd_ld_single = $(if $(x),;)\n";
        let err = scripts(ambiguous, "").relink_rule().unwrap_err();
        assert!(err.contains("defines the relink on others"), "{err}");
        // A definition before the unreadable line is read.
        assert!(scripts(&format!("{FIXED_613_LIB}{unreadable}"), "")
            .relink_rule()
            .unwrap()
            .is_some());
        let err = scripts("ifdef CONFIG_OBJTOOL\n", "")
            .objtool_enabled_without_objtool()
            .unwrap_err();
        assert!(err.contains("has no endif"), "{err}");
        let err = scripts("endif\n", "")
            .objtool_enabled_without_objtool()
            .unwrap_err();
        assert!(err.contains("endif without"), "{err}");
    }

    #[test]
    fn objtool_enabled_without_objtool_in_6_12_and_6_13() {
        let without =
            |lib: &str, build: &str| scripts(lib, build).objtool_enabled_without_objtool();
        assert_eq!(without(UNFIXED_613_LIB, ""), Ok(true));
        assert_eq!(without(FIXED_613_LIB, ""), Ok(false));
        // 6.12 (and 6.13's) unguarded per-object assignment; the composite
        // one does not count.
        let build = format!("{DEBIAN_612_BUILD}{DEBIAN_612_OBJTOOL}");
        assert_eq!(without("", &build), Ok(true));
        let composite_only = build.replace(
            "$(obj)/%.o: private objtool-enabled",
            "$(obj)/%.o: private other",
        );
        assert_eq!(without("", &composite_only), Ok(false));
        let guarded = build
            .replace("$(obj)/%.o:", "ifdef CONFIG_OBJTOOL\n$(obj)/%.o:")
            .replace(
                "\n$(multi-obj-m): private objtool",
                "\nendif\n$(multi-obj-m): private objtool",
            );
        assert_eq!(without(FIXED_613_LIB, &guarded), Ok(false));
    }

    #[test]
    fn objtool_enabled_is_found_on_every_path_without_objtool() {
        let without = |lib: &str| scripts(lib, "").objtool_enabled_without_objtool();
        for set in [
            "objtool-enabled := y\n",
            "objtool-enabled = y\n",
            "objtool-enabled ?= y\n",
            "override objtool-enabled := y\n",
            "export objtool-enabled := y\n",
            "define objtool-enabled\ny\nendef\n",
            "$(obj)/%.o: objtool-enabled := y\n",
            "%.o: override private objtool-enabled = y\n",
            "\tobjtool-enabled := y\n",
        ] {
            assert_eq!(without(set), Ok(true), "{set}");
            for (open, close) in [
                ("ifdef CONFIG_OBJTOOL\nelse\n", "endif\n"),
                ("ifdef CONFIG_LTO_CLANG\n", "endif\n"),
                ("ifeq ($(CONFIG_OBJTOOL),y)\n", "endif\n"),
                ("ifdef CONFIG_OBJTOOL\nelse ifdef CONFIG_X\n", "endif\n"),
                ("ifndef CONFIG_OBJTOOL\n", "endif\n"),
            ] {
                assert_eq!(
                    without(&format!("{open}{set}{close}")),
                    Ok(true),
                    "{open}{set}"
                );
            }
            for (open, close) in [
                ("ifdef CONFIG_OBJTOOL\n", "endif # CONFIG_OBJTOOL\n"),
                ("ifdef CONFIG_OBJTOOL\nifdef CONFIG_X\n", "endif\nendif\n"),
                ("ifdef CONFIG_X\nifdef CONFIG_OBJTOOL\n", "endif\nendif\n"),
                ("ifndef CONFIG_OBJTOOL\nelse\n", "endif\n"),
                ("ifdef CONFIG_X\nelse ifdef CONFIG_OBJTOOL\n", "endif\n"),
            ] {
                assert_eq!(
                    without(&format!("{open}{set}{close}")),
                    Ok(false),
                    "{open}{set}"
                );
            }
        }
        for not_set in [
            "# objtool-enabled := y\n",
            "objtool-enabled-x := y\n",
            "$(multi-obj-m): private objtool-enabled := $(delay-objtool)\n",
            "x.o: y\n\tobjtool-enabled := y\n",
            "cmd_objtool = $(if $(objtool-enabled), ; $(objtool))\n",
            "undefine objtool-enabled\n",
        ] {
            assert_eq!(without(not_set), Ok(false), "{not_set}");
        }
    }

    /// The doctor gives no verdict when a script exists but cannot be
    /// read; a missing one is just not there.
    #[test]
    fn a_script_that_cannot_be_read_is_said_apart_from_a_missing_one() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join(MAKEFILE_LIB)).unwrap();
        let mut unreadable = Vec::new();
        let scripts = Scripts::read(src.path(), &mut unreadable);
        assert!(scripts.some_unreadable);
        assert_eq!(unreadable.len(), 1, "{unreadable:?}");
        assert!(unreadable[0].contains(MAKEFILE_LIB), "{unreadable:?}");
        std::fs::remove_dir(src.path().join(MAKEFILE_LIB)).unwrap();
        let mut unreadable = Vec::new();
        assert!(!Scripts::read(src.path(), &mut unreadable).some_unreadable);
        assert!(unreadable.is_empty());
    }
}
