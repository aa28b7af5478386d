//! Faults where the passthrough writes: a read-only directory or file
//! system, a full file system, the file size limit, a vanished directory.
//! Each is one `kbuild-ld-shim:` error line, status 1, no output and no
//! temporary file left, the input untouched.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;

use crate::common::*;

#[test]
fn read_only_output_directory_fails_cleanly() {
    let (d, bitcode) = thin_object_dir();
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o555)).unwrap();
    let mut cmd = forced(d.path());
    cmd.args(relink_args());
    without_dac_override(&mut cmd);
    let out = cmd.output().unwrap();
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    assert_one_error_line(&out, &["cannot create temporary file", "Permission denied"]);
    assert!(!d.path().join(".tmp_x.o").exists());
    assert!(leftovers(d.path()).is_empty());
    assert_eq!(fs::read(d.path().join("x.o")).unwrap(), bitcode);
}

/// Runs, in a private mount namespace in `dir`, the shell commands
/// `mounts`, then the forced shim with `args`, and asserts that the shim
/// failed with status 1 and one error line containing `error`, and that
/// `ls -a listed` then shows `listing`.
#[track_caller]
fn assert_fails_cleanly_after(
    dir: &Path,
    mounts: &str,
    args: &[&str],
    error: &str,
    listed: &str,
    listing: &[&str],
) {
    let script = format!("{mounts} && \"$0\" \"$@\"; echo \"rc=$?\"; ls -a {listed}");
    let out = private_mount_namespace(dir)
        .env("KBUILD_LD_SHIM_REAL_LD", LLD)
        .env("KBUILD_LD_SHIM_MODE", "force")
        .args(["/bin/sh", "-c", &script])
        .arg(shim())
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.starts_with("rc=1\n"), "{stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("kbuild-ld-shim: ") && stderr.contains(error),
        "{stderr}"
    );
    let listed: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(listed, listing, "{stdout}");
}

/// A read-only mount (EROFS).
#[test]
fn read_only_filesystem_fails_cleanly() {
    let (d, _) = thin_object_dir();
    assert_fails_cleanly_after(
        d.path(),
        "mount --bind \"$PWD\" \"$PWD\" && mount -o remount,bind,ro \"$PWD\" && cd \"$PWD\"",
        &["-r", "-o", ".tmp_x.o", "x.o"],
        "Read-only file system",
        ".",
        &[".", "..", "x.c", "x.o"],
    );
}

/// The output's file system fills up during the copy (a 2 MB tmpfs):
/// ENOSPC is one error line, and neither the output nor the temporary file
/// is left on it.
#[test]
fn full_filesystem_during_the_copy_fails_cleanly() {
    let (d, bitcode) = thin_object_dir();
    dense_bitcode(&d.path().join("big.o"), &bitcode, 1_500_000);
    assert_fails_cleanly_after(
        d.path(),
        "mkdir m && mount -t tmpfs -o size=2m tmpfs m && cp big.o m/x.o",
        &["-r", "-o", "m/.tmp_x.o", "m/x.o"],
        "No space left on device",
        "m",
        &[".", "..", "x.o"],
    );
}

/// `ulimit -f` is exceeded during the copy: no death by SIGXFSZ with a
/// half-written temporary file, but one error line (EFBIG).
#[test]
fn file_size_limit_during_the_copy_fails_cleanly() {
    let (d, bitcode) = thin_object_dir();
    dense_bitcode(&d.path().join("x.o"), &bitcode, 1 << 20);
    let mut cmd = forced(d.path());
    cmd.args(relink_args());
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 64 << 10,
                rlim_max: 64 << 10,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.signal(),
        None,
        "killed by a signal: {:?}",
        out.status
    );
    assert_one_error_line(&out, &["copy failed", "File too large"]);
    assert!(!d.path().join(".tmp_x.o").exists());
    assert!(leftovers(d.path()).is_empty());
}

/// The output's directory cannot be missing through argv (the relink shape
/// puts the output beside its existing input), so this is the race where
/// the directory goes between the decision and the copy: the library call
/// the shim makes.
#[test]
fn missing_output_directory_fails_cleanly() {
    let (d, _) = thin_object_dir();
    let err = kbuild_ld_shim::relink::passthrough::copy_atomically(
        &d.path().join("x.o"),
        &d.path().join("gone/.tmp_x.o"),
    )
    .unwrap_err();
    assert_eq!(err.what, "cannot create temporary file");
    assert_eq!(err.source.kind(), std::io::ErrorKind::NotFound);
    assert!(leftovers(d.path()).is_empty());
}
