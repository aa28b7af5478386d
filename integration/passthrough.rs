//! The passthrough on kbuild's real recipe shape, run through `sh -c` as
//! make runs it, so the shim reads its parent's recipe from /proc for real.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::*;

const LDFLAGS: &str = "-EL -maarch64elf -z norelro -mllvm -import-instr-limit=5 -z noexecstack";

const CALLER_C: &str = "int add_one(int x);\nint loop_sum(int n) { int s = 0; for (int i = 0; i < n; i++) s = add_one(s); return s; }\nvoid _start(void) { volatile int r = loop_sum(1000); (void)r; for (;;) {} }\n";

/// kbuild 6.13's `cmd_cc_o_c` + `cmd_ld_single` (+ objtool), one `sh -c`.
fn recipe(ld: &Path, dir: &str, stem: &str, defines: &str, objtool: bool) -> String {
    let obj = format!("{dir}/{stem}.o");
    let tmp = format!("{dir}/.tmp_{stem}.o");
    let mut r = format!(
        "set -e; echo '  CC      {obj}'; {CLANG} {} {defines} -c -o {obj} {dir}/{stem}.c ; \
         {} {LDFLAGS} -r -o {tmp} {obj}; mv {tmp} {obj}",
        CFLAGS.join(" "),
        ld.display()
    );
    if objtool {
        r.push_str(&format!("; ./objtool --module {obj}"));
    }
    r.push_str(&format!(
        "; printf '%s\\n' 'savedcmd_{obj} := clang -c -o {obj}; ld.lld -r -o {tmp} {obj}' > {dir}/.{stem}.o.cmd"
    ));
    r
}

/// The recipe of `lib/<stem>.o` with `ld` as $(LD), ready to run in `dir`
/// by a make whose `$(obj-m)` is `obj_m`. `lib/<stem>.compiled` is what
/// the recipe's compile writes, compiled alone beforehand (nothing but
/// kbuild's commands may sit in the recipe, and clang's output does not
/// depend on the output's name).
fn build(
    dir: &Path,
    ld: &Path,
    stem: &str,
    defines: &str,
    objtool: bool,
    obj_m: &[&str],
) -> Command {
    let compile = format!(
        "{CLANG} {} {defines} -c -o lib/{stem}.compiled lib/{stem}.c",
        CFLAGS.join(" ")
    );
    run_ok(command("/bin/sh", dir).arg("-c").arg(&compile));
    recipe_under_make(dir, &recipe(ld, "lib", stem, defines, objtool), obj_m)
}

/// A fresh directory with `lib/caller.c`, `lib/callee.c` and a stand-in
/// `./objtool`, where the recipes of `lib/` objects run.
fn lib_tree() -> tempfile::TempDir {
    require_toolchain();
    let d = tempfile::tempdir().unwrap();
    fs::create_dir(d.path().join("lib")).unwrap();
    fs::write(d.path().join("lib/caller.c"), CALLER_C).unwrap();
    fs::write(d.path().join("lib/callee.c"), CALLEE_C).unwrap();
    // Stand-in objtool: refuses anything that is not ELF, like the real one.
    write_script(
        &d.path().join("objtool"),
        "for a; do f=$a; done\n[ \"$(head -c 4 \"$f\" | od -An -tx1 | tr -d ' ')\" = 7f454c46 ] || { echo \"objtool: $f is not ELF\" >&2; exit 1; }\n",
    );
    d
}

fn read(dir: &Path, rel: &str) -> Vec<u8> {
    fs::read(dir.join(rel)).unwrap()
}

/// Relinks `lib/<stem>.compiled` with ld.lld-19 directly, as the fixed
/// kernel would, for a byte comparison.
fn direct_relink(dir: &Path, stem: &str) -> Vec<u8> {
    let out = format!("lib/{stem}.direct");
    let mut cmd = lld_cmd(dir);
    cmd.args(LDFLAGS.split(' '))
        .args(["-r", "-o", &out, &format!("lib/{stem}.compiled")]);
    run_ok(&mut cmd);
    read(dir, &out)
}

#[test]
fn builtin_object_stays_the_compilers_bitcode() {
    let d = lib_tree();
    let record = d.path().join("record.jsonl");
    let defines = recipe_defines("callee", "callee", false);
    run_ok(
        build(d.path(), &shim(), "callee", &defines, false, &[])
            .env("KBUILD_LD_SHIM_RECORD", &record),
    );
    let out = read(d.path(), "lib/callee.o");
    assert_eq!(out, read(d.path(), "lib/callee.compiled"));
    assert!(is_bitcode(&out));
    let line = fs::read_to_string(&record).unwrap();
    assert!(line.contains("\"decision\":\"passthrough\""), "{line}");
    assert!(
        line.contains("\"reason\":\"fixed-kernel-keeps-bitcode\""),
        "{line}"
    );
    assert!(line.contains("\"lto\":\"thin\""), "{line}");
}

/// A module object that make does not list in `$(obj-m)`: a composite's
/// part, named like its module or not.
#[test]
fn composite_part_and_mod_o_stay_bitcode() {
    for modname in ["crcmod", "callee"] {
        let d = lib_tree();
        let record = d.path().join("record.jsonl");
        let defines = recipe_defines("callee", modname, true);
        run_ok(
            build(
                d.path(),
                &shim(),
                "callee",
                &defines,
                false,
                &["lib/crcmod.o"],
            )
            .env("KBUILD_LD_SHIM_RECORD", &record),
        );
        assert_eq!(
            read(d.path(), "lib/callee.o"),
            read(d.path(), "lib/callee.compiled")
        );
        let line = fs::read_to_string(&record).unwrap();
        assert!(line.contains("\"reason\":\"not-in-obj-m\""), "{line}");
        assert!(line.contains("\"in_obj_m\":false"), "{line}");
    }
}

/// Runs the recipe for `lib/callee.o` with `defines` (and objtool after
/// the relink when asked) and asserts the object became exactly the ELF
/// that ld.lld-19 makes from the compiler's bitcode.
fn assert_becomes_the_elf_lld_makes(defines: &str, objtool: bool, obj_m: &[&str]) {
    let d = lib_tree();
    run_ok(&mut build(
        d.path(),
        &shim(),
        "callee",
        defines,
        objtool,
        obj_m,
    ));
    let out = read(d.path(), "lib/callee.o");
    assert!(is_elf(&out));
    assert_eq!(out, direct_relink(d.path(), "callee"));
}

#[test]
fn single_object_module_becomes_the_elf_lld_makes() {
    assert_becomes_the_elf_lld_makes(
        &recipe_defines("callee", "callee", true),
        false,
        &["lib/callee.o"],
    );
}

#[test]
fn objtool_followed_object_becomes_elf_and_objtool_accepts_it() {
    // The stand-in objtool fails the recipe on anything but ELF.
    assert_becomes_the_elf_lld_makes(&recipe_defines("callee_mod", "callee", true), true, &[]);
}

#[test]
fn no_visible_recipe_forwards_unless_forced() {
    let d = lib_tree();
    let compiled = compile(&d.path().join("lib"), "solo", CALLEE_C, CFLAGS);
    let run = |mode: &str| {
        run_ok(shim_cmd(d.path()).env("KBUILD_LD_SHIM_MODE", mode).args([
            "-r",
            "-o",
            "lib/.tmp_solo.o",
            "lib/solo.o",
        ]));
        read(d.path(), "lib/.tmp_solo.o")
    };
    assert!(is_elf(&run("auto")), "no recipe: do what kbuild asked");
    assert_eq!(run("force"), fs::read(&compiled).unwrap());
    assert!(is_elf(&run("off")));
}

/// The point of the product: with the passthrough the final ThinLTO link
/// inlines `add_one` into the loop; with the relink it stays a call.
#[test]
fn final_link_inlines_across_files_only_with_the_passthrough() {
    let calls_to_add_one = |ld: &Path| {
        let d = lib_tree();
        for stem in ["caller", "callee"] {
            let defines = recipe_defines(stem, stem, false);
            run_ok(&mut build(d.path(), ld, stem, &defines, false, &[]));
        }
        let mut link = lld_cmd(d.path());
        link.args(LDFLAGS.split(' ')).args([
            "-e",
            "_start",
            "-o",
            "vmlinux",
            "lib/caller.o",
            "lib/callee.o",
        ]);
        run_ok(&mut link);
        let dis = run_ok(command(LLVM_OBJDUMP, d.path()).args(["-d", "vmlinux"]));
        String::from_utf8_lossy(&dis.stdout)
            .lines()
            .filter(|l| l.contains("bl\t") && l.contains("<add_one>"))
            .count()
    };
    assert_eq!(calls_to_add_one(&shim()), 0, "inlined through the shim");
    assert!(
        calls_to_add_one(Path::new(LLD)) >= 1,
        "a real call after ld.lld -r"
    );
}

#[test]
fn explain_reports_the_rule_and_writes_nothing() {
    let d = lib_tree();
    compile(&d.path().join("lib"), "x", CALLEE_C, CFLAGS);
    let out =
        run_ok(shim_cmd(d.path()).args(["--shim-explain", "-r", "-o", "lib/.tmp_x.o", "lib/x.o"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("decision: forward\nreason:   no-recipe"),
        "{text}"
    );
    assert!(text.contains("Thin"), "{text}");
    assert!(!d.path().join("lib/.tmp_x.o").exists());
}
