//! Hostile recipes: quotes, backslashes, newlines and the largest argument
//! Linux allows, read right through `sh -c` as make runs them; a recipe
//! shell that is gone before the shim looks means forward.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::*;
use kbuild_ld_shim::record;

/// A hostile but valid recipe around the compile and the relink: quotes of
/// both kinds, escaped quotes, backslashes, backslash-newlines, newlines
/// inside quotes, a quoted copy of the relink, and padding up to `len`.
fn noisy_recipe(defines: &str, len: usize) -> String {
    let noise = concat!(
        ": 'it'\\''s' \"a \\\"quoted\\\" \\\\ back\\\\slash \\$HOME \\`x\\`\" \\\n continued;\n",
        ": 'line one\nline two; ld.lld -r -o .tmp_x.o x.o'; : \"multi\nline && || ;\";\n",
        "printf '%s\\n' 'ld.lld -r -o .tmp_x.o x.o' >/dev/null; : \\' \\\" \\\\;\n",
    );
    let head = format!(
        "set -e; {noise}{CLANG} {} {defines} -c -o x.o x.c ; {noise}cp x.o x.compiled; ",
        CFLAGS.join(" ")
    );
    let tail = format!(
        "{} -EL -maarch64elf -z noexecstack -r -o .tmp_x.o x.o; mv .tmp_x.o x.o",
        shim().display()
    );
    let room = len - head.len() - tail.len() - ": '".len() - "'; ".len();
    let pattern = "\\ \" ; && | x\n";
    let fill: String = pattern.chars().cycle().take(room).collect();
    let pad = format!(": '{fill}'; ");
    let r = format!("{head}{pad}{tail}");
    assert_eq!(r.len(), len);
    r
}

/// Through `sh -c` as make runs it, at the largest size Linux allows for
/// one argument (MAX_ARG_STRLEN, 128 KiB): the recipe is read right.
#[test]
fn recipes_with_quotes_backslashes_newlines_and_128k_are_read_right() {
    let (d, _) = thin_object_dir();
    const LEN: usize = 128 * 1024 - 1;
    let run = |defines: &str| {
        let script = noisy_recipe(defines, LEN);
        run_ok(&mut recipe_shell(d.path(), &script));
        (
            fs::read(d.path().join("x.o")).unwrap(),
            fs::read(d.path().join("x.compiled")).unwrap(),
        )
    };
    let (out, compiled) = run(&recipe_defines("x", "x", false));
    assert_eq!(out, compiled, "built-in object: bitcode kept");
    let (out, _) = run(&recipe_defines("x", "x", true));
    assert!(is_elf(&out), "single-object module: relinked");
    // One byte more cannot even be started: make cannot run such a recipe.
    let err = command("/bin/sh", d.path())
        .arg("-c")
        .arg(noisy_recipe(&recipe_defines("x", "x", false), 1 << 20))
        .output()
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::E2BIG));
}

/// The 1 MB recipe the kernel cannot pass to `sh -c` still reads right in
/// the recipe reader, quickly; past the reader's cap it is not a recipe.
#[test]
fn a_megabyte_recipe_reads_right_in_the_reader() {
    use kbuild_ld_shim::kbuild::recipe;
    let script = noisy_recipe(&recipe_defines("x", "x", true), 1 << 20);
    let started = Instant::now();
    let facts = recipe::analyse(&script, Path::new("x.o"), Path::new(".tmp_x.o")).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(facts.compile.unwrap().is_single_object_module());
    assert!(!facts.objtool_follows);
    let huge = noisy_recipe(
        &recipe_defines("x", "x", true),
        recipe::MAX_RECIPE_BYTES + 100,
    );
    assert_eq!(
        recipe::analyse(&huge, Path::new("x.o"), Path::new(".tmp_x.o")),
        None
    );
}

/// The recipe shell is gone before the shim looks (the relink was put in
/// the background and the shell exited): the shim is reparented, sees no
/// recipe and forwards. The same recipe with the shell still there keeps
/// the bitcode, so it is the missing parent that decides.
#[test]
fn a_recipe_shell_that_is_gone_means_forward() {
    let (d, _) = thin_object_dir();
    let rec = d.path().join("record.jsonl");
    let run = |end: &str| {
        let _ = fs::remove_file(&rec);
        let script = format!(
            "{CLANG} {} -DKBUILD_BASENAME='\"x\"' -DKBUILD_MODNAME='\"x\"' -c -o x.o x.c; \
             (sleep 0.3; exec \"$0\" -r -o .tmp_x.o x.o) & {end}",
            CFLAGS.join(" ")
        );
        // output() returns once the background shim (or ld.lld) closed the
        // inherited pipes, that is when it is done.
        run_ok(
            recipe_shell(d.path(), &script)
                .env("KBUILD_LD_SHIM_RECORD", &rec)
                .arg(shim()),
        );
        let r = record::read_all(&rec).unwrap();
        assert_eq!(r.len(), 1);
        (
            r[0].reason.clone(),
            fs::read(d.path().join(".tmp_x.o")).unwrap(),
        )
    };
    let (reason, out) = run("wait");
    assert_eq!(reason, "fixed-kernel-keeps-bitcode");
    assert_eq!(out, fs::read(d.path().join("x.o")).unwrap());
    assert!(is_bitcode(&out));
    let (reason, out) = run("exit 0");
    assert_eq!(reason, "no-recipe");
    assert!(is_elf(&out));
    let mut lld = lld_cmd(d.path());
    lld.args(["-r", "-o", "direct.o", "x.o"]);
    run_ok(&mut lld);
    assert_eq!(out, fs::read(d.path().join("direct.o")).unwrap());
}
