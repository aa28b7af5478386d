//! Safety of what the shim writes: an exclusive, unpredictable temporary
//! file, planted symlinks never followed, the input never changed, no
//! shell or helper ever exec'd. Traced with strace where the system calls
//! are the point.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

use crate::common::*;

/// The temporary file is created with O_EXCL under a name that differs on
/// every run, in the output's directory, or (where the file system has
/// O_TMPFILE) created without a name and linked under such a name, which
/// linkat never does through an existing name; symlinks planted at the
/// names one could predict are never followed; the input is opened
/// read-only.
#[test]
fn temporary_file_is_exclusive_unpredictable_and_input_read_only() {
    let (d, bitcode) = thin_object_dir();
    let victim = d.path().join("victim");
    fs::write(&victim, b"keep").unwrap();
    for name in [
        ".tmp_x.o.tmp",
        ".kbuild-ld-shim.tmp",
        ".kbuild-ld-shim..tmp",
        ".tmp_x.o~",
        "x.o.tmp",
    ] {
        std::os::unix::fs::symlink(&victim, d.path().join(name)).unwrap();
    }
    let mut names = Vec::new();
    for _ in 0..2 {
        let log = strace(
            d.path(),
            "openat,open,rename,renameat,renameat2,link,linkat",
            forced(d.path()).args(relink_args()),
        );
        let temp_open: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(TMP_PREFIX) && l.contains("open"))
            .collect();
        let unnamed: Vec<&str> = log.lines().filter(|l| l.contains("O_TMPFILE")).collect();
        let name = if unnamed.is_empty() {
            assert_eq!(temp_open.len(), 1, "{log}");
            assert!(temp_open[0].contains("O_CREAT|O_EXCL"), "{}", temp_open[0]);
            temp_open[0].split('"').nth(1).unwrap().to_owned()
        } else {
            assert!(temp_open.is_empty() && unnamed.len() == 1, "{log}");
            let links: Vec<&str> = log.lines().filter(|l| l.contains("link")).collect();
            assert_eq!(links.len(), 1, "{log}");
            assert!(links[0].ends_with("= 0"), "{}", links[0]);
            links[0].split('"').nth(3).unwrap().to_owned()
        };
        assert!(
            Path::new(&name)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(TMP_PREFIX),
            "{name}"
        );
        assert!(
            Path::new(&name).parent() == Some(d.path()) || !name.contains('/'),
            "{name}"
        );
        let rename: Vec<&str> = log.lines().filter(|l| l.contains("rename")).collect();
        assert_eq!(rename.len(), 1, "{log}");
        assert!(
            rename[0].contains(&name) && rename[0].contains(".tmp_x.o\""),
            "{}",
            rename[0]
        );
        let input_open: Vec<&str> = log.lines().filter(|l| l.contains("\"x.o\"")).collect();
        assert!(!input_open.is_empty(), "{log}");
        for l in &input_open {
            assert!(
                l.contains("O_RDONLY")
                    && !l.contains("O_WRONLY")
                    && !l.contains("O_RDWR")
                    && !l.contains("O_TRUNC"),
                "{l}"
            );
        }
        names.push(name);
        assert_eq!(fs::read(d.path().join(".tmp_x.o")).unwrap(), bitcode);
    }
    assert_ne!(names[0], names[1]);
    assert_eq!(fs::read(&victim).unwrap(), b"keep");
    let left: Vec<_> = leftovers(d.path())
        .into_iter()
        .filter(|p| !fs::symlink_metadata(p).unwrap().file_type().is_symlink())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A symlink at the output is replaced by the rename, never written
/// through; the input is never changed (bytes, mode and mtime), neither by
/// a passthrough nor by a forward.
#[test]
fn output_symlink_is_replaced_and_input_never_changes() {
    let (d, bitcode) = thin_object_dir();
    let x = d.path().join("x.o");
    let before = fs::metadata(&x).unwrap();
    let victim = d.path().join("victim");
    fs::write(&victim, b"keep").unwrap();
    let out = d.path().join(".tmp_x.o");
    std::os::unix::fs::symlink(&victim, &out).unwrap();
    run_ok(forced(d.path()).args(relink_args()));
    assert!(fs::symlink_metadata(&out).unwrap().file_type().is_file());
    assert_eq!(fs::read(&out).unwrap(), bitcode);
    assert_eq!(fs::read(&victim).unwrap(), b"keep");
    run_ok(
        shim_cmd(d.path())
            .env("KBUILD_LD_SHIM_MODE", "off")
            .args(relink_args()),
    );
    assert!(is_elf(&fs::read(&out).unwrap()));
    let after = fs::metadata(&x).unwrap();
    assert_eq!(fs::read(&x).unwrap(), bitcode);
    assert_eq!(
        (after.mode(), after.mtime(), after.mtime_nsec(), after.ino()),
        (
            before.mode(),
            before.mtime(),
            before.mtime_nsec(),
            before.ino()
        )
    );
}

/// No shell, no helper: the only programs ever exec'd are the shim and,
/// for a forward, the real linker.
#[test]
fn no_shell_is_ever_started() {
    let (d, _) = thin_object_dir();
    let execs = |cmd: &mut Command| -> Vec<String> {
        strace(d.path(), "execve,execveat", cmd)
            .lines()
            .filter(|l| l.contains("execve") && !l.contains("resumed"))
            .map(|l| l.split('"').nth(1).unwrap_or("?").to_owned())
            .collect()
    };
    let me = shim().display().to_string();
    assert_eq!(
        execs(forced(d.path()).args(relink_args())),
        std::slice::from_ref(&me)
    );
    assert_eq!(
        execs(shim_cmd(d.path()).args(relink_args())),
        [me.clone(), LLD.to_owned()]
    );
    assert_eq!(
        execs(shim_cmd(d.path()).arg("--version")),
        [me.clone(), LLD.to_owned()]
    );
    assert_eq!(
        execs(shim_cmd(d.path()).args(["--shim-explain", "-r", "-o", ".tmp_x.o", "x.o"])),
        [me]
    );
}

/// The record is never a way to write through a planted symlink: one
/// warning, the file behind the link untouched, the build goes on.
#[test]
fn record_path_symlink_is_not_followed_and_costs_one_warning() {
    let (d, bitcode) = thin_object_dir();
    let victim = d.path().join("victim");
    fs::write(&victim, b"keep").unwrap();
    let rec = d.path().join("record.jsonl");
    std::os::unix::fs::symlink(&victim, &rec).unwrap();
    let out = run_ok(
        forced(d.path())
            .env("KBUILD_LD_SHIM_RECORD", &rec)
            .args(relink_args()),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("kbuild-ld-shim: warn: cannot write record"),
        "{stderr}"
    );
    assert!(stderr.contains("symlink"), "{stderr}");
    assert_eq!(fs::read(&victim).unwrap(), b"keep");
    assert_eq!(fs::read(d.path().join(".tmp_x.o")).unwrap(), bitcode);
    // A forward through the same record path: also one warning, and lld ran.
    let out = run_ok(
        shim_cmd(d.path())
            .env("KBUILD_LD_SHIM_RECORD", &rec)
            .args(relink_args()),
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    assert!(is_elf(&fs::read(d.path().join(".tmp_x.o")).unwrap()));
    assert_eq!(fs::read(&victim).unwrap(), b"keep");
}
