//! The verdict as text for a person or as one JSON document.

use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{ConfigFacts, Facts, Judgement, ModuleTally, Tally, Verdict};

/// Paths listed in the text output per problem; JSON lists all.
const TEXT_LIST_LIMIT: usize = 5;

/// The JSON document: the facts and the verdict, paths lossily decoded.
#[derive(Debug, Serialize)]
struct JsonReport<'a> {
    #[serde(with = "crate::output::json_path")]
    tree: &'a Path,
    /// The kernel object tree, when `tree` is an external module's directory.
    #[serde(
        with = "crate::output::json_path::option",
        skip_serializing_if = "Option::is_none"
    )]
    kernel: Option<PathBuf>,
    verdict: Verdict,
    exit: i32,
    reason: &'a str,
    config: Option<&'a ConfigFacts>,
    config_error: Option<&'a String>,
    vmlinux_a: Option<&'a Tally>,
    vmlinux_a_error: Option<&'a String>,
    modules: Option<&'a ModuleTally>,
    modules_error: Option<&'a String>,
    /// ThinLTO-promoted `.llvm.` symbols in vmlinux; null without vmlinux.
    vmlinux_promoted_symbols: Option<u64>,
    vmlinux_error: Option<&'a String>,
    seconds: f64,
}

/// Why a file that is there could not be read.
fn error<T>(read: &Option<Result<T, String>>) -> Option<&String> {
    read.as_ref()?.as_ref().err()
}

pub fn render_json(facts: &Facts, j: &Judgement, seconds: f64) -> String {
    let report = JsonReport {
        tree: &facts.tree,
        kernel: facts.kernel.clone(),
        verdict: j.verdict,
        exit: j.verdict.exit_status().code(),
        reason: &j.reason,
        config: facts.config.as_ref().ok(),
        config_error: facts.config.as_ref().err(),
        vmlinux_a: j.builtin.as_ref(),
        vmlinux_a_error: error(&facts.vmlinux_a),
        modules: j.modules.as_ref(),
        modules_error: error(&facts.modules),
        vmlinux_promoted_symbols: facts.vmlinux.clone().and_then(Result::ok),
        vmlinux_error: error(&facts.vmlinux),
        seconds,
    };
    let mut text = serde_json::to_string_pretty(&report).expect("the report serialises");
    text.push('\n');
    text
}

/// At most [`TEXT_LIST_LIMIT`] paths on one line.
fn listed(paths: &[String]) -> String {
    let mut line = paths[..paths.len().min(TEXT_LIST_LIMIT)].join(" ");
    if paths.len() > TEXT_LIST_LIMIT {
        line.push_str(&format!(
            " ... ({} in all; --json lists every one)",
            paths.len()
        ));
    }
    line
}

/// The five-second table: one row per object set, then the problems.
pub fn render_text(facts: &Facts, j: &Judgement, seconds: f64) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "tree      {}", facts.tree.display());
    if let Some(kernel) = &facts.kernel {
        let _ = writeln!(
            out,
            "kernel    {} (the tree is an external module's)",
            kernel.display()
        );
    }
    let _ = match &facts.config {
        Ok(c) => writeln!(
            out,
            "config    {}, {}, objtool {}, modules {}",
            c.arch.unwrap_or("unknown arch"),
            c.lto.describe(),
            if c.objtool { "y" } else { "n" },
            if c.modules { "y" } else { "n" }
        ),
        Err(e) => writeln!(out, "config    {e}"),
    };
    let parts = j
        .modules
        .as_ref()
        .map(|m| &m.parts)
        .filter(|p| p.objects > 0);
    let rows: Vec<(&str, &Tally)> = j
        .builtin
        .iter()
        .map(|t| ("vmlinux.a", t))
        .chain(parts.map(|p| ("module parts", p)))
        .collect();
    if !rows.is_empty() {
        let _ = writeln!(
            out,
            "  {:<14}{:>8}{:>9}{:>14}{:>11}{:>9}{:>8}",
            "", "objects", "bitcode", "ELF as fixed", "ELF LOST", "no .cmd", "broken"
        );
    }
    for (label, t) in &rows {
        let _ = writeln!(
            out,
            "  {label:<14}{:>8}{:>9}{:>14}{:>11}{:>9}{:>8}",
            t.objects,
            t.bitcode(),
            t.elf_as_fixed(),
            t.lost.len(),
            t.unexplained.len(),
            t.unreadable.len()
        );
    }
    for (label, t) in &rows {
        let _ = writeln!(
            out,
            "  {label:<14}bitcode {} thin, {} full, {} no summary; ELF as fixed: {} asm, {} no -flto, {} objtool, {} not C",
            t.bitcode_thin,
            t.bitcode_full,
            t.bitcode_plain,
            t.elf_assembly,
            t.elf_no_flto,
            t.elf_objtool,
            t.elf_not_c
        );
    }
    let _ = match (&facts.vmlinux_a, &facts.kernel) {
        (None, None) => writeln!(out, "vmlinux.a missing"),
        (Some(Err(e)), _) => writeln!(out, "vmlinux.a {e}"),
        _ => Ok(()),
    };
    let _ = match (&j.modules, &facts.modules) {
        (Some(m), _) => writeln!(
            out,
            "modules   {} in modules.order; module objects (modpost reads them): {} ELF, {} not ELF{}",
            m.modules,
            m.objects_elf,
            m.objects_not_elf.len(),
            match m.objects_unreadable.len() {
                0 => String::new(),
                n => format!(", {n} unreadable"),
            }
        ),
        (None, Some(Err(e))) => writeln!(out, "modules   {e}"),
        (None, _) => writeln!(out, "modules   no modules.order"),
    };
    let _ = match (&facts.vmlinux, &facts.kernel) {
        (None, None) => writeln!(out, "vmlinux   missing"),
        (None, Some(_)) => Ok(()),
        (Some(Ok(n)), _) => writeln!(out, "vmlinux   {n} ThinLTO-promoted .llvm. symbols"),
        (Some(Err(e)), _) => writeln!(out, "vmlinux   {e}"),
    };
    let mut problems: Vec<(&str, &[String])> = Vec::new();
    for (_, t) in &rows {
        problems.push(("lost", &t.lost));
        problems.push(("no .cmd", &t.unexplained));
        problems.push(("broken", &t.unreadable));
    }
    if let Some(m) = &j.modules {
        problems.push(("not ELF", &m.objects_not_elf));
        problems.push(("broken", &m.objects_unreadable));
    }
    for (label, paths) in problems.into_iter().filter(|(_, p)| !p.is_empty()) {
        let _ = writeln!(out, "{label:<9} {}", listed(paths));
    }
    let _ = writeln!(
        out,
        "verdict   {} (exit {}): {}  [{seconds:.3}s]",
        j.verdict.headline(),
        j.verdict.exit_status().code(),
        j.reason
    );
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{facts, obj, C_LTO};
    use super::*;
    use crate::commands::verify::{judge, ObjectFacts};
    use std::path::PathBuf;

    #[test]
    fn json_survives_non_utf8_paths() {
        use std::os::unix::ffi::OsStrExt;
        let mut f = facts(vec![obj("x.o", ObjectFacts::Elf(Some(C_LTO)))]);
        f.tree = PathBuf::from(std::ffi::OsStr::from_bytes(b"/o/\xff"));
        if let Some(Ok(m)) = &mut f.vmlinux_a {
            m[0].path = PathBuf::from(std::ffi::OsStr::from_bytes(b"bad\xfe.o"));
        }
        let j = judge(&f);
        let v: serde_json::Value = serde_json::from_str(&render_json(&f, &j, 0.0)).unwrap();
        assert_eq!(v["exit"], 4);
        assert_eq!(v["verdict"], "lost");
        assert_eq!(v["vmlinux_a"]["lost"][0], "bad\u{fffd}.o");
        assert!(render_text(&f, &j, 0.0).contains("LTO LOST (exit 4)"));
    }

    /// Release pipelines read these keys: every count of a tally, next to
    /// the paths it counts, for built-in objects and module parts alike.
    #[test]
    fn json_tallies_keep_their_keys_and_counts() {
        use crate::kbuild::cmd_file::{SavedCommand, Source};
        use crate::lto::Lto;
        let elf = |source, flto, objtool| {
            ObjectFacts::Elf(Some(SavedCommand {
                source,
                flto,
                objtool,
            }))
        };
        let mut f = facts(vec![
            obj("t.o", ObjectFacts::Bitcode(Lto::Thin)),
            obj("f.o", ObjectFacts::Bitcode(Lto::Full)),
            obj("p.o", ObjectFacts::Bitcode(Lto::None)),
            obj("s.o", elf(Source::Assembly, false, false)),
            obj("n.o", elf(Source::C, false, false)),
            obj("o.o", elf(Source::C, true, true)),
            obj("r.o", elf(Source::Rust, false, false)),
            obj("lost.o", ObjectFacts::Elf(Some(C_LTO))),
            obj("why.o", ObjectFacts::Elf(None)),
            obj("bad.o", ObjectFacts::Unreadable("malformed".into())),
        ]);
        f.modules = Some(Ok(vec![super::super::Module {
            object: obj("m.o", elf(Source::None, false, false)),
            parts: vec![
                obj("m_a.o", ObjectFacts::Bitcode(Lto::Thin)),
                obj("m_b.o", ObjectFacts::Elf(Some(C_LTO))),
            ],
        }]));
        let j = judge(&f);
        let v: serde_json::Value = serde_json::from_str(&render_json(&f, &j, 0.0)).unwrap();
        assert_eq!(
            v["vmlinux_a"],
            serde_json::json!({
                "objects": 10, "bitcode_thin": 1, "bitcode_full": 1, "bitcode_plain": 1,
                "elf": 6, "elf_assembly": 1, "elf_no_flto": 1, "elf_objtool": 1,
                "elf_not_c": 1, "elf_lost": 1, "elf_unexplained": 1, "unreadable": 1,
                "lost": ["lost.o"], "unexplained": ["why.o"],
                "unreadable_detail": ["bad.o: malformed"],
            })
        );
        assert_eq!(v["modules"]["modules"], 1);
        assert_eq!(v["modules"]["objects_elf"], 1);
        assert_eq!(v["modules"]["parts"]["objects"], 2);
        assert_eq!(v["modules"]["parts"]["elf_lost"], 1);
        assert_eq!(v["modules"]["parts"]["lost"], serde_json::json!(["m_b.o"]));
        assert_eq!(v["verdict"], "cannot-tell");
    }
}
