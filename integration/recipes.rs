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
/// inside quotes, a quoted copy of the relink, and padding up to `len`,
/// all in the one place kbuild's grammar allows free text: the arguments
/// of its `echo` log lines.
fn noisy_recipe(defines: &str, len: usize) -> String {
    let noise = concat!(
        "echo 'it'\\''s' \"a \\\"quoted\\\" \\\\ back\\\\slash \\$HOME \\`x\\`\" \\\n continued;\n",
        "echo 'line one\nline two; ld.lld -r -o .tmp_x.o x.o'; echo \"multi\nline && || ;\";\n",
        "echo '%s\\n' 'ld.lld -r -o .tmp_x.o x.o'; echo \\' \\\" \\\\;\n",
    );
    let compile = format!(
        "{CLANG} {} {defines} -c -o x.o x.c ; {} -EL -maarch64elf -z noexecstack -r -o .tmp_x.o x.o; mv .tmp_x.o x.o",
        CFLAGS.join(" "),
        shim().display()
    );
    let room = len - "set -e; ".len() - noise.len() - "echo '".len() - "'; ".len() - compile.len();
    let pattern = "\\ \" ; && | x\n";
    let fill: String = pattern.chars().cycle().take(room).collect();
    let r = format!("set -e; {noise}echo '{fill}'; {compile}");
    assert_eq!(r.len(), len);
    r
}

/// The bitcode the recipe's compile writes, compiled alone beforehand
/// (clang's output does not depend on the output's name).
fn compiled_alone(dir: &Path, defines: &str) -> Vec<u8> {
    let compile = format!(
        "{CLANG} {} {defines} -c -o x.compiled x.c",
        CFLAGS.join(" ")
    );
    run_ok(command("/bin/sh", dir).arg("-c").arg(&compile));
    fs::read(dir.join("x.compiled")).unwrap()
}

/// Through `sh -c` as make runs it, at the largest size Linux allows for
/// one argument (MAX_ARG_STRLEN, 128 KiB): the recipe is read right.
#[test]
fn recipes_with_quotes_backslashes_newlines_and_128k_are_read_right() {
    let (d, _) = thin_object_dir();
    const LEN: usize = 128 * 1024 - 1;
    let run = |defines: &str| {
        let script = noisy_recipe(defines, LEN);
        let compiled = compiled_alone(d.path(), defines);
        run_ok(&mut recipe_shell(d.path(), &script));
        (fs::read(d.path().join("x.o")).unwrap(), compiled)
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
    let reading = recipe::analyse(&script, Path::new("x.o"), Path::new(".tmp_x.o")).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let recipe::Reading::Proven(facts) = reading else {
        panic!("not proven: {reading:?}");
    };
    assert!(facts.compile.module);
    assert_eq!(facts.compile.modname.as_deref(), Some("x"));
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
/// recipe and forwards. With the shell still there the shim reads its
/// recipe (a subshell and `&`, so unproven: a forward that names it), so it
/// is the missing parent that makes the recipe invisible.
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
        (r[0].reason, fs::read(d.path().join(".tmp_x.o")).unwrap())
    };
    let (reason, out) = run("wait");
    assert_eq!(reason, "unproven-recipe");
    assert!(is_elf(&out));
    let (reason, out) = run("exit 0");
    assert_eq!(reason, "no-recipe");
    assert!(is_elf(&out));
    let mut lld = lld_cmd(d.path());
    lld.args(["-r", "-o", "direct.o", "x.o"]);
    run_ok(&mut lld);
    assert_eq!(out, fs::read(d.path().join("direct.o")).unwrap());
}
