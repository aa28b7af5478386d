//! The make query on a real GNU make: what a makefile's parse-time
//! commands may do when the shim re-reads it, and that every build asks
//! its own make.

use std::fs;
use std::path::Path;
use std::process::Output;

use crate::common::*;

const LDFLAGS: &str = "-EL -maarch64elf -z noexecstack";

/// A part of module `m` (not in obj-m): passed through when make answers.
fn part_recipe() -> String {
    format!(
        "set -e; {CLANG} {} {} -c -o d/part.o d/part.c ; {} {LDFLAGS} -r -o d/.tmp_part.o d/part.o; mv d/.tmp_part.o d/part.o",
        CFLAGS.join(" "),
        recipe_defines("part", "m", true),
        shim().display()
    )
}

fn tree() -> tempfile::TempDir {
    require_toolchain();
    let d = tempfile::tempdir().unwrap();
    fs::create_dir(d.path().join("d")).unwrap();
    fs::write(d.path().join("d/part.c"), CALLEE_C).unwrap();
    d
}

/// Runs the part's recipe under a make reading `makefile_text`; the record
/// line and make's output.
fn run(dir: &Path, mode: &str, makefile_text: &str) -> (Output, String) {
    let record = dir.join("record.jsonl");
    let _ = fs::remove_file(&record);
    let out = recipe_under_makefile(dir, &part_recipe(), makefile_text)
        .env("KBUILD_LD_SHIM_MODE", mode)
        .env("KBUILD_LD_SHIM_RECORD", &record)
        .output()
        .unwrap();
    (out, fs::read_to_string(&record).unwrap_or_default())
}

/// kbuild's own parse-time commands (Makefile.build's mkdir, Kbuild.include's
/// test-ge and read-file, Makefile.compiler's try-run) run in the query,
/// and make's answer is used.
#[test]
fn kbuilds_parse_time_commands_leave_the_answer_standing() {
    let d = tree();
    let makefile = format!(
        "obj-m := d/m.o\n\
         $(shell mkdir -p d)\n\
         NEW := $(shell test 190000 -ge 150000 && echo y)\n\
         ORDER := $(shell cat d/part.c 2>/dev/null)\n\
         TMPOUT := .tmp_$$$$\n\
         FLAG := $(shell set -e; TMP=$(TMPOUT)/tmp; trap \"rm -rf $(TMPOUT)\" EXIT; mkdir -p $(TMPOUT); \
         if ({CLANG} -Werror -c -x c /dev/null -o \"$$TMP\") >/dev/null 2>&1; then echo \"-Dok\"; else echo \"\"; fi)\n\
         ifneq ($(NEW)$(FLAG),y-Dok)\n$(error the parse-time commands did not answer: $(NEW)$(FLAG))\nendif\n"
    );
    let (out, line) = run(d.path(), "strict", &makefile);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(line.contains("\"reason\":\"not-in-obj-m\""), "{line}");
    assert!(is_bitcode(&fs::read(d.path().join("d/part.o")).unwrap()));
    // try-run's temporary directory is gone again; the query's cache is
    // all that stays.
    let tmp: Vec<String> = fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp_"))
        .collect();
    assert_eq!(tmp, vec![".tmp_kbuild-ld-shim.obj-m".to_string()]);
}

/// Any other parse-time command is refused in the query: it does not run
/// again while the build goes on, and the object is forwarded (strict
/// mode: refused with one line naming the command).
#[test]
fn a_parse_time_command_that_writes_is_refused_and_the_object_forwarded() {
    let d = tree();
    let makefile = "obj-m := d/m.o\n$(shell echo parsed >> parses.log)\n";
    let (out, line) = run(d.path(), "auto", makefile);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs::read_to_string(d.path().join("parses.log")).unwrap(),
        "parsed\n"
    );
    assert!(line.contains("\"reason\":\"obj-m-unknown\""), "{line}");
    assert!(line.contains("echo parsed >> parses.log"), "{line}");
    assert!(is_elf(&fs::read(d.path().join("d/part.o")).unwrap()));

    let (out, _) = run(d.path(), "strict", makefile);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let shim_lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("kbuild-ld-shim:"))
        .collect();
    assert_eq!(shim_lines.len(), 1, "{stderr}");
    assert!(
        shim_lines[0].contains("d/part.o") && shim_lines[0].contains("echo parsed"),
        "{stderr}"
    );
}

/// The answer is kept for the make process that gave it: the next build
/// (another make) asks again, and sees its own obj-m.
#[test]
fn every_build_asks_its_own_make() {
    let d = tree();
    let (_, first) = run(d.path(), "strict", "obj-m := d/m.o\n");
    assert!(
        first.contains("\"in_obj_m\":false") && first.contains("\"cached\":false"),
        "{first}"
    );
    let (out, second) = run(d.path(), "strict", "obj-m := d/part.o\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        second.contains("\"in_obj_m\":true") && second.contains("\"cached\":false"),
        "{second}"
    );
    assert!(
        second.contains("\"reason\":\"single-object-module\""),
        "{second}"
    );
    assert!(is_elf(&fs::read(d.path().join("d/part.o")).unwrap()));
    // One cache file for the directory, under a name make clean removes.
    let kept: Vec<_> = fs::read_dir(d.path())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.contains("kbuild-ld-shim").then_some(name)
        })
        .collect();
    assert_eq!(kept, vec![".tmp_kbuild-ld-shim.obj-m".to_string()]);
}
