//! The transparent LD: every call that is not a passthrough behaves exactly
//! like the real ld.lld-19 called directly (stdout, stderr, exit status,
//! output bytes), and the real linker is found by the documented rules.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use crate::common::*;

const MAIN_C: &str =
    "int helper(int);\nvoid _start(void) { volatile int r = helper(41); (void)r; for (;;) {} }\n";
const HELPER_C: &str = "int helper(int x) { return x + 1; }\n";

/// Makes a fresh directory with `setup`, runs `args` there through
/// ld.lld-19 directly and through the shim (pointed at ld.lld-19), and
/// asserts the caller sees the same stdout, stderr, status and `output`
/// file (absent from both, when the call writes none).
#[track_caller]
fn assert_same_as_lld_after(setup: impl Fn(&Path), args: &[&'static str], output: &str) -> Outcome {
    require_toolchain();
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    assert_same_as_lld(d.path(), &os(args), &d.path().join(output), shim_cmd)
}

fn two_objects(dir: &Path) {
    compile(dir, "main", MAIN_C, &["-O2", "-ffreestanding"]);
    compile(dir, "helper", HELPER_C, &["-O2"]);
}

/// [`assert_same_as_lld_after`] for a link that succeeds and writes the ELF
/// `output`.
#[track_caller]
fn assert_links_like_lld(setup: impl Fn(&Path), args: &[&'static str], output: &str) {
    let out = assert_same_as_lld_after(setup, args, output);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(is_elf(&out.output.unwrap()));
}

#[test]
fn final_link_of_a_small_program_is_identical() {
    assert_links_like_lld(
        two_objects,
        &["-o", "prog", "main.o", "helper.o", "--build-id=sha1"],
        "prog",
    );
}

#[test]
fn relocatable_link_of_two_elf_objects_is_identical() {
    assert_links_like_lld(
        two_objects,
        &["-r", "-o", "both.o", "main.o", "helper.o"],
        "both.o",
    );
}

#[test]
fn response_file_link_is_identical() {
    let setup = |dir: &Path| {
        two_objects(dir);
        std::fs::write(dir.join("objs.rsp"), "main.o\n'helper.o'\n").unwrap();
    };
    assert_links_like_lld(setup, &["-r", "-o", "rsp.o", "@objs.rsp"], "rsp.o");
}

#[test]
fn probes_print_exactly_what_lld_prints() {
    let version = assert_same_as_lld_after(|_| {}, &["--version"], "a.out");
    let first = &version.stdout;
    // scripts/ld-version.sh reads this first line.
    assert!(
        first.starts_with("Debian LLD 19") || first.starts_with("LLD 19"),
        "{first}"
    );
    assert_same_as_lld_after(|_| {}, &["-v"], "a.out");
    assert_same_as_lld_after(|_| {}, &["--help"], "a.out");
    // kbuild's ld-option probe shape.
    assert_same_as_lld_after(|_| {}, &["-z", "noexecstack", "-v"], "a.out");
}

#[test]
fn errors_are_lld_errors_with_lld_status() {
    let unknown = assert_same_as_lld_after(two_objects, &["--frobnicate", "main.o"], "a.out");
    assert_ne!(unknown.code, Some(0));
    assert!(unknown.stderr.contains("frobnicate"), "{}", unknown.stderr);
    let missing = assert_same_as_lld_after(|_| {}, &["-r", "-o", "x.o", "nope.o"], "x.o");
    assert_ne!(missing.code, Some(0));
    assert!(missing.stderr.contains("nope.o"), "{}", missing.stderr);
}

#[test]
fn non_utf8_arguments_reach_lld_byte_for_byte() {
    require_toolchain();
    let d = tempfile::tempdir().unwrap();
    let name = OsString::from_vec(b"in\xffput.o".to_vec());
    let direct = lld_cmd(d.path())
        .args(["-r", "-o", "o.o"])
        .arg(&name)
        .output()
        .unwrap();
    let shimmed = shim_cmd(d.path())
        .args(["-r", "-o", "o.o"])
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

/// `ld.lld ARG` found on `path`, the way make finds `$(LD)`.
fn ld_lld_on_path(path: impl AsRef<OsStr>, arg: &str) -> Output {
    command("ld.lld", Path::new("/"))
        .env("PATH", path)
        .arg(arg)
        .output()
        .unwrap()
}

/// `--version` through the shim with `real_ld` as the real linker: the
/// exit status and stderr.
fn version_with_real_ld(dir: &Path, real_ld: &Path) -> (Option<i32>, String) {
    let out = command(shim(), dir)
        .env("KBUILD_LD_SHIM_REAL_LD", real_ld)
        .arg("--version")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), err)
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
        copy_executable(shim, at);
    });
    let relative = tempfile::tempdir().unwrap();
    std::fs::create_dir(relative.path().join("bin")).unwrap();
    copy_executable(&shim(), &relative.path().join("kbuild-ld-shim"));
    symlink("../kbuild-ld-shim", relative.path().join("bin/ld.lld")).unwrap();
    for dir in [
        absolute.path().to_path_buf(),
        copy.path().to_path_buf(),
        relative.path().join("bin"),
    ] {
        let out = ld_lld_on_path(path_with(&dir), "--version");
        assert_eq!(out.stdout, expected.stdout, "through {dir:?}");
        assert!(out.status.success());
        let which = ld_lld_on_path(path_with(&dir), "--shim-which");
        let text = String::from_utf8_lossy(&which.stdout);
        assert!(text.starts_with("/usr/lib/llvm-19/bin/ld.lld\n"), "{text}");
        assert!(text.contains("masquerade"), "{text}");
    }
}

#[test]
fn a_path_holding_only_the_shim_fails_fast_with_127() {
    let d = masquerade_dir(|shim, at| symlink(shim, at).unwrap());
    let started = Instant::now();
    let out = ld_lld_on_path(d.path(), "--version");
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
    copy_executable(&shim(), &copy);
    let (code, err) = version_with_real_ld(d.path(), &copy);
    assert_eq!(code, Some(127));
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
    let (code, err) = version_with_real_ld(d.path(), &plain);
    assert_eq!(code, Some(126));
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
    // Without the prefix, --help is the linker's: ld.lld's own help,
    // nothing of the shim's.
    let linker_help = command(shim(), Path::new("/"))
        .env("LLVM", "-19")
        .arg("--help")
        .output()
        .unwrap();
    assert!(linker_help.status.success());
    let text = String::from_utf8_lossy(&linker_help.stdout);
    assert!(text.starts_with("OVERVIEW: lld"), "{text}");
    assert!(!text.contains("--shim-"), "{text}");
}
