//! The transparent LD: every call that is not a passthrough behaves exactly
//! like the real ld.lld-19 called directly (stdout, stderr, exit status,
//! output bytes), and the real linker is found by the documented rules.

mod common;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use common::*;

const MAIN_C: &str =
    "int helper(int);\nvoid _start(void) { volatile int r = helper(41); (void)r; for (;;) {} }\n";
const HELPER_C: &str = "int helper(int x) { return x + 1; }\n";

/// Runs the same arguments through ld.lld-19 directly and through the shim
/// (pointed at ld.lld-19), each in its own copy of `setup`'s directory, and
/// asserts identical stdout, stderr, status and output files.
fn assert_same_as_lld(args: &[&str], setup: impl Fn(&Path), outputs: &[&str]) -> Output {
    require_toolchain();
    let direct = tempfile::tempdir().unwrap();
    let shimmed = tempfile::tempdir().unwrap();
    setup(direct.path());
    setup(shimmed.path());
    let a = command(LLD, direct.path()).args(args).output().unwrap();
    let b = command(shim(), shimmed.path())
        .env("KBUILD_LD_SHIM_REAL_LD", LLD)
        .args(args)
        .output()
        .unwrap();
    // Paths printed by the linker differ only by the temporary directory.
    let norm = |bytes: &[u8], dir: &Path| {
        String::from_utf8_lossy(bytes).replace(&dir.display().to_string(), "<dir>")
    };
    assert_eq!(a.status.code(), b.status.code(), "exit status for {args:?}");
    assert_eq!(
        norm(&a.stdout, direct.path()),
        norm(&b.stdout, shimmed.path()),
        "stdout for {args:?}"
    );
    assert_eq!(
        norm(&a.stderr, direct.path()),
        norm(&b.stderr, shimmed.path()),
        "stderr for {args:?}"
    );
    for out in outputs {
        let x = std::fs::read(direct.path().join(out)).unwrap();
        let y = std::fs::read(shimmed.path().join(out)).unwrap();
        assert!(x == y, "{out} differs between ld.lld and the shim");
    }
    b
}

fn two_objects(dir: &Path) {
    compile(dir, "main", MAIN_C, &["-O2", "-ffreestanding"]);
    compile(dir, "helper", HELPER_C, &["-O2"]);
}

#[test]
fn final_link_of_a_small_program_is_identical() {
    let out = assert_same_as_lld(
        &["-o", "prog", "main.o", "helper.o", "--build-id=sha1"],
        two_objects,
        &["prog"],
    );
    assert!(out.status.success());
}

#[test]
fn relocatable_link_of_two_elf_objects_is_identical() {
    assert_same_as_lld(
        &["-r", "-o", "both.o", "main.o", "helper.o"],
        two_objects,
        &["both.o"],
    );
}

#[test]
fn response_file_link_is_identical() {
    let setup = |dir: &Path| {
        two_objects(dir);
        std::fs::write(dir.join("objs.rsp"), "main.o\n'helper.o'\n").unwrap();
    };
    assert_same_as_lld(&["-r", "-o", "rsp.o", "@objs.rsp"], setup, &["rsp.o"]);
}

#[test]
fn probes_print_exactly_what_lld_prints() {
    let version = assert_same_as_lld(&["--version"], |_| {}, &[]);
    let first = String::from_utf8_lossy(&version.stdout);
    // scripts/ld-version.sh reads this first line.
    assert!(
        first.starts_with("Debian LLD 19") || first.starts_with("LLD 19"),
        "{first}"
    );
    assert_same_as_lld(&["-v"], |_| {}, &[]);
    assert_same_as_lld(&["--help"], |_| {}, &[]);
    // kbuild's ld-option probe shape.
    assert_same_as_lld(&["-z", "noexecstack", "-v"], |_| {}, &[]);
}

#[test]
fn errors_are_lld_errors_with_lld_status() {
    let unknown = assert_same_as_lld(&["--frobnicate", "main.o"], two_objects, &[]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("frobnicate"));
    let missing = assert_same_as_lld(&["-r", "-o", "x.o", "nope.o"], |_| {}, &[]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope.o"));
}

#[test]
fn non_utf8_arguments_reach_lld_byte_for_byte() {
    require_toolchain();
    let d = tempfile::tempdir().unwrap();
    let name = OsString::from_vec(b"in\xffput.o".to_vec());
    let direct = command(LLD, d.path())
        .arg("-r")
        .arg("-o")
        .arg("o.o")
        .arg(&name)
        .output()
        .unwrap();
    let shimmed = command(shim(), d.path())
        .env("KBUILD_LD_SHIM_REAL_LD", LLD)
        .arg("-r")
        .arg("-o")
        .arg("o.o")
        .arg(&name)
        .output()
        .unwrap();
    assert_eq!(direct.status.code(), shimmed.status.code());
    assert_eq!(direct.stderr, shimmed.stderr);
    assert!(
        direct.stderr.windows(1).any(|w| w == b"\xff"),
        "lld echoes the raw byte"
    );
}

fn masquerade_dir(link: impl Fn(&Path, &Path)) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    link(&shim(), &d.path().join("ld.lld"));
    d
}

fn path_with(first: &Path) -> OsString {
    std::env::join_paths([first, Path::new("/usr/lib/llvm-19/bin")]).unwrap()
}

#[test]
fn masquerade_reaches_the_real_ld_lld_three_ways() {
    require_toolchain();
    let expected = command("/usr/lib/llvm-19/bin/ld.lld", Path::new("/"))
        .arg("--version")
        .output()
        .unwrap();
    let absolute = masquerade_dir(|shim, at| symlink(shim, at).unwrap());
    let copy = masquerade_dir(|shim, at| {
        std::fs::copy(shim, at).unwrap();
    });
    let relative = tempfile::tempdir().unwrap();
    std::fs::create_dir(relative.path().join("bin")).unwrap();
    std::fs::copy(shim(), relative.path().join("kbuild-ld-shim")).unwrap();
    symlink("../kbuild-ld-shim", relative.path().join("bin/ld.lld")).unwrap();
    for dir in [
        absolute.path().to_path_buf(),
        copy.path().to_path_buf(),
        relative.path().join("bin"),
    ] {
        let out = command("ld.lld", Path::new("/"))
            .env("PATH", path_with(&dir))
            .arg("--version")
            .output()
            .unwrap();
        assert_eq!(out.stdout, expected.stdout, "through {dir:?}");
        assert!(out.status.success());
        let which = command("ld.lld", Path::new("/"))
            .env("PATH", path_with(&dir))
            .arg("--shim-which")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&which.stdout);
        assert!(text.starts_with("/usr/lib/llvm-19/bin/ld.lld\n"), "{text}");
        assert!(text.contains("masquerade"), "{text}");
    }
}

#[test]
fn a_path_holding_only_the_shim_fails_fast_with_127() {
    let d = masquerade_dir(|shim, at| symlink(shim, at).unwrap());
    let started = Instant::now();
    let out = command("ld.lld", Path::new("/"))
        .env("PATH", d.path())
        .arg("--version")
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(out.status.code(), Some(127));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("kbuild-ld-shim: no real linker found"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_copy_of_the_shim_as_the_real_linker_is_caught_by_the_guard() {
    let d = tempfile::tempdir().unwrap();
    let copy = d.path().join("not-really-lld");
    std::fs::copy(shim(), &copy).unwrap();
    let out = command(shim(), d.path())
        .env("KBUILD_LD_SHIM_REAL_LD", &copy)
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(127));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("recursive invocation"), "{err}");
}

#[test]
fn llvm_variable_selects_the_versioned_linker() {
    require_toolchain();
    let d = tempfile::tempdir().unwrap();
    let which = |llvm: &str| {
        let out = command(shim(), d.path())
            .env("PATH", "/usr/bin:/bin")
            .env("LLVM", llvm)
            .arg("--shim-which")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(which("-19").starts_with("/usr/bin/ld.lld-19\nrule: kbuild LLVM=-19"));
    assert!(which("/usr/lib/llvm-19/bin/").starts_with("/usr/lib/llvm-19/bin/ld.lld\n"));
    // And the forwarded call really runs it.
    let out = command(shim(), d.path())
        .env("PATH", "/usr/bin:/bin")
        .env("LLVM", "-19")
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("LLD 19"));
}

#[test]
fn not_executable_real_linker_gives_126() {
    let d = tempfile::tempdir().unwrap();
    let plain = d.path().join("ld.lld");
    std::fs::write(&plain, "not a program").unwrap();
    let out = command(shim(), d.path())
        .env("KBUILD_LD_SHIM_REAL_LD", &plain)
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(126));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("kbuild-ld-shim: cannot run"), "{err}");
}

#[test]
fn shim_interface_is_only_under_shim_prefix() {
    let out = command(shim(), Path::new("/"))
        .arg("--shim-version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("kbuild-ld-shim {}", env!("CARGO_PKG_VERSION"))
    );
    let help = command(shim(), Path::new("/"))
        .arg("--shim-help")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("--shim-which"));
    let bad = command(shim(), Path::new("/"))
        .arg("--shim-nonsense")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
