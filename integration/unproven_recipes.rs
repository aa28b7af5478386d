//! Passthrough only on proof, end to end: recipes outside kbuild's grammar
//! (the reproductions a hostile tester found: `-Wp,-DMODULE`, objtool
//! through `$VAR`, `trap`, `xargs`, a glob) run through a real `sh -c` with
//! real clang bitcode and real ld.lld. In `auto` each is forwarded, so the
//! stand-in objtool gets ELF; in `strict` each fails its link with one line
//! and writes nothing, while kbuild's own recipes keep their decisions.

use std::fs;
use std::path::Path;
use std::process::Output;

use crate::common::*;

const LDFLAGS: &str = "-EL -maarch64elf -z norelro -z noexecstack";

/// A built-in object's defines: the fixed kernel keeps it as bitcode.
const BUILTIN: &str =
    "-DKBUILD_BASENAME='\"foo\"' -DKBUILD_MODNAME='\"foo\"' -D__KBUILD_MODNAME=kmod_foo";

/// A fresh tree with `d/foo.c` and a stand-in objtool that fails on
/// anything but ELF, as the real one does on bitcode.
fn tree() -> tempfile::TempDir {
    require_toolchain();
    let t = tempfile::tempdir().unwrap();
    fs::create_dir_all(t.path().join("d")).unwrap();
    fs::create_dir_all(t.path().join("tools/objtool")).unwrap();
    fs::write(t.path().join("d/foo.c"), CALLEE_C).unwrap();
    write_script(
        &t.path().join("tools/objtool/objtool"),
        "for a; do f=$a; done\n[ \"$(head -c 4 \"$f\" | od -An -tx1 | tr -d ' ')\" = 7f454c46 ] || { echo \"objtool: $f is not ELF\" >&2; exit 1; }\n",
    );
    t
}

/// kbuild's recipe of `d/foo.o` with `defines` on the compile, `head`
/// before it and `tail` after the `mv`, run by `sh -c` in `mode`.
fn run(dir: &Path, mode: &str, defines: &str, head: &str, tail: &str) -> (Output, String) {
    let script = format!(
        "set -e; echo '  CC      d/foo.o'; {head}{CLANG} {} {defines} -c -o d/foo.o d/foo.c ; \
         {} {LDFLAGS} -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o{tail}",
        CFLAGS.join(" "),
        shim().display()
    );
    let record = dir.join("record.jsonl");
    let _ = fs::remove_file(&record);
    let out = recipe_shell(dir, &script)
        .env("KBUILD_LD_SHIM_MODE", mode)
        .env("KBUILD_LD_SHIM_RECORD", &record)
        .env("OBJTOOL", "./tools/objtool/objtool")
        .output()
        .unwrap();
    let line = fs::read_to_string(&record).unwrap_or_default();
    (out, line)
}

/// As [`run`], without head or tail, as the recipe of a make whose
/// `$(obj-m)` is `obj_m`.
fn run_under_make(dir: &Path, mode: &str, defines: &str, obj_m: &[&str]) -> (Output, String) {
    let script = format!(
        "set -e; echo '  CC      d/foo.o'; {CLANG} {} {defines} -c -o d/foo.o d/foo.c ; \
         {} {LDFLAGS} -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o",
        CFLAGS.join(" "),
        shim().display()
    );
    let record = dir.join("record.jsonl");
    let _ = fs::remove_file(&record);
    let out = recipe_under_make(dir, &script, obj_m)
        .env("KBUILD_LD_SHIM_MODE", mode)
        .env("KBUILD_LD_SHIM_RECORD", &record)
        .output()
        .unwrap();
    let line = fs::read_to_string(&record).unwrap_or_default();
    (out, line)
}

/// (defines, head, tail) of each reproduction.
fn reproductions() -> Vec<(String, &'static str, &'static str)> {
    vec![
        (format!("-Wp,-DMODULE {BUILTIN}"), "", ""),
        (BUILTIN.to_string(), "", "; $OBJTOOL --link d/foo.o"),
        (
            BUILTIN.to_string(),
            "trap './tools/objtool/objtool --link d/foo.o' EXIT; ",
            "",
        ),
        (
            BUILTIN.to_string(),
            "",
            "; echo d/foo.o | xargs ./tools/objtool/objtool --link",
        ),
        (
            BUILTIN.to_string(),
            "",
            "; ./tools/objtool/objtool --link d/fo*.o",
        ),
    ]
}

/// Each passed the bitcode through before (objtool then failed on it, or
/// modpost would have); now each is forwarded and names why.
#[test]
fn reproductions_forward_in_auto() {
    let d = tree();
    for (defines, head, tail) in reproductions() {
        let (out, line) = run(d.path(), "auto", &defines, head, tail);
        let case = format!("{defines} | {head} | {tail}");
        assert!(
            out.status.success(),
            "{case}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            is_elf(&fs::read(d.path().join("d/foo.o")).unwrap()),
            "{case}: {line}"
        );
        assert!(
            line.contains("\"decision\":\"forward\"")
                && line.contains("\"reason\":\"unproven-recipe\""),
            "{case}: {line}"
        );
    }
}

/// In strict mode each reproduction fails its link: exit status non-zero,
/// one line naming the object and the construct, no output written, and
/// nothing after the link ran (`set -e`).
#[test]
fn reproductions_fail_in_strict() {
    let d = tree();
    for (defines, head, tail) in reproductions() {
        let (out, line) = run(d.path(), "strict", &defines, head, tail);
        let case = format!("{defines} | {head} | {tail}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{case}: {stderr}");
        // One line from the shim; a recipe's own EXIT trap may add its own
        // after it.
        let shim_lines = stderr
            .lines()
            .filter(|l| l.starts_with("kbuild-ld-shim"))
            .count();
        assert_eq!(shim_lines, 1, "{case}: {stderr}");
        assert!(
            stderr.starts_with(
                "kbuild-ld-shim: KBUILD_LD_SHIM_MODE=strict: d/foo.o: unproven recipe: "
            ),
            "{case}: {stderr}"
        );
        assert!(!d.path().join("d/.tmp_foo.o").exists(), "{case}");
        // The compile's bitcode is still there, untouched: the mv never ran.
        assert!(is_bitcode(&fs::read(d.path().join("d/foo.o")).unwrap()));
        assert!(
            line.contains("\"decision\":\"error\"")
                && line.contains("\"reason\":\"unproven-recipe\""),
            "{case}: {line}"
        );
    }
}

/// The construct is named in the line, at its place: what a user needs to
/// find it in a 5 KB recipe.
#[test]
fn strict_names_the_construct() {
    let d = tree();
    for (defines, head, tail, named) in [
        (format!("-Wp,-DMODULE {BUILTIN}"), "", "", "-Wp,-DMODULE"),
        (
            BUILTIN.to_string(),
            "",
            "; $OBJTOOL --link d/foo.o",
            "`$` expansion at byte",
        ),
        (
            BUILTIN.to_string(),
            "",
            "; ./tools/objtool/objtool d/fo*.o",
            "glob `*` at byte",
        ),
    ] {
        let (out, _) = run(d.path(), "strict", &defines, head, tail);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(named), "{named:?} not in {stderr}");
    }
}

/// kbuild's own recipes in strict mode: a built-in object still passes
/// through (the compiler's bitcode), a single-object module and an object
/// objtool reads next are still forwarded (ELF, objtool accepts it), and
/// the record says why.
#[test]
fn strict_keeps_kbuilds_own_decisions() {
    let d = tree();
    let (out, line) = run(d.path(), "strict", BUILTIN, "", "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        line.contains("\"reason\":\"fixed-kernel-keeps-bitcode\""),
        "{line}"
    );
    assert!(is_bitcode(&fs::read(d.path().join("d/foo.o")).unwrap()));
    let single = format!("-DMODULE {BUILTIN}");
    let (out, line) = run_under_make(d.path(), "strict", &single, &["d/foo.o"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        line.contains("\"reason\":\"single-object-module\""),
        "{line}"
    );
    assert!(is_elf(&fs::read(d.path().join("d/foo.o")).unwrap()));
    let (out, line) = run(
        d.path(),
        "strict",
        BUILTIN,
        "",
        "; ./tools/objtool/objtool --link d/foo.o",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(line.contains("\"reason\":\"objtool-follows\""), "{line}");
}

/// `--shim-explain` names the unproven construct and, in strict mode, that
/// the link would fail; it writes nothing.
#[test]
fn explain_shows_the_unproven_reason() {
    let d = tree();
    let bitcode = compile(&d.path().join("d"), "foo", CALLEE_C, CFLAGS);
    let script = format!(
        "{CLANG} {} -Wp,-DMODULE -c -o d/foo.o d/foo.c; {} --shim-explain -r -o d/.tmp_foo.o d/foo.o; echo",
        CFLAGS.join(" "),
        shim().display()
    );
    assert!(is_bitcode(&fs::read(&bitcode).unwrap()));
    for (mode, decision) in [
        ("auto", "decision: forward"),
        ("strict", "decision: fail (strict mode)"),
    ] {
        let out = run_ok(
            command("/bin/sh", d.path())
                .env("KBUILD_LD_SHIM_MODE", mode)
                .args(["-c", &script]),
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.starts_with(decision), "{text}");
        assert!(
            text.contains("reason:   unproven-recipe (unproven recipe: "),
            "{text}"
        );
        assert!(text.contains("-Wp,-DMODULE"), "{text}");
        assert!(!d.path().join("d/.tmp_foo.o").exists());
    }
}
