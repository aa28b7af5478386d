//! Faults of the relink's input: missing, unreadable, a directory, a FIFO.
//! Each call is forwarded and the caller sees exactly what ld.lld-19 alone
//! gives (stdout, stderr, status, output file); the shim never hangs and
//! leaves no temporary file.

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

#[test]
fn missing_input_is_forwarded_and_lld_reports_it() {
    let (d, _) = thin_object_dir();
    fs::remove_file(d.path().join("x.o")).unwrap();
    let out = assert_same_as_lld(d.path(), &relink_args(), &d.path().join(".tmp_x.o"), forced);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("x.o"), "{}", out.stderr);
}

/// The same mode-000 input as an ordinary user and as root sees it.
#[test]
fn unreadable_input_is_forwarded_and_lld_reports_it() {
    require_root("root's view of a mode-000 input is half of it");
    let (d, bitcode) = thin_object_dir();
    let x = d.path().join("x.o");
    fs::set_permissions(&x, fs::Permissions::from_mode(0o000)).unwrap();
    let out = assert_same_as_lld_with(
        d.path(),
        &relink_args(),
        &d.path().join(".tmp_x.o"),
        forced,
        without_dac_override,
    );
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("Permission denied"), "{}", out.stderr);
    // What root with its capabilities sees: the file is readable, so the
    // forced passthrough copies it.
    run_ok(forced(d.path()).args(relink_args()));
    assert_eq!(fs::read(d.path().join(".tmp_x.o")).unwrap(), bitcode);
}

#[test]
fn directory_input_is_forwarded_and_lld_reports_it() {
    let (d, _) = thin_object_dir();
    fs::remove_file(d.path().join("x.o")).unwrap();
    fs::create_dir(d.path().join("x.o")).unwrap();
    let out = assert_same_as_lld(d.path(), &relink_args(), &d.path().join(".tmp_x.o"), forced);
    assert_eq!(out.code, Some(1));
}

/// Runs a linker call whose `fifo` argument names a FIFO: plays the writer
/// once somebody opens it for reading (first checking, when `expect_exec`,
/// that the shim execs ld.lld without waiting on the FIFO), writes
/// `content` and returns what the caller sees.
fn run_with_fifo(
    mut cmd: Command,
    fifo: &Path,
    args: &[&OsStr],
    content: &[u8],
    output: &Path,
    expect_exec: bool,
) -> (Option<i32>, Vec<u8>, Vec<u8>, bool) {
    let _ = fs::remove_file(output);
    let mut child = cmd
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    if expect_exec {
        // The shim opens the FIFO for an instant (non-blocking, to see what
        // it is) before it execs ld.lld, so a reader seen while the process
        // is still the shim proves nothing, and one seen at that instant
        // may be gone before the write. The reader that must get the bytes
        // is ld.lld's: wait for the exec, which a shim blocked on the FIFO
        // never reaches.
        let proc_exe = format!("/proc/{}/exe", child.id());
        while fs::read_link(&proc_exe).is_ok_and(|exe| exe == shim()) {
            if Instant::now() >= deadline {
                let _ = child.kill();
                panic!("the shim itself is reading the FIFO: no exec of ld.lld in 20 s");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    // The reader is there once a non-blocking open for writing succeeds.
    let writer = loop {
        match fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(fifo)
        {
            Ok(w) => break w,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                let _ = child.kill();
                panic!("nobody opened the FIFO: {e}");
            }
        }
    };
    (&writer).write_all(content).unwrap();
    drop(writer);
    let out = child.wait_with_output().unwrap();
    (out.status.code(), out.stdout, out.stderr, output.exists())
}

fn mkfifo(path: &Path) {
    let _ = fs::remove_file(path);
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

/// A FIFO input is never waited on by the shim (a blocking open would wait
/// for a writer forever; the shim opens it non-blocking, only to see what
/// it is). The call is forwarded; ld.lld 19 itself blocks opening
/// a FIFO until a writer comes, so the test plays the writer and compares.
#[test]
fn fifo_input_never_hangs_the_shim() {
    let (d, _) = thin_object_dir();
    let x = d.path().join("x.o");
    mkfifo(&x);
    let out = d.path().join(".tmp_x.o");
    let args = relink_args();
    let lld = run_with_fifo(
        lld_cmd(d.path()),
        &x,
        &args,
        b"not an object\n",
        &out,
        false,
    );
    assert_eq!(lld.0, Some(1));
    assert_eq!(
        run_with_fifo(forced(d.path()), &x, &args, b"not an object\n", &out, true),
        lld
    );
    assert_eq!(
        run_with_fifo(
            shim_cmd(d.path()),
            &x,
            &args,
            b"not an object\n",
            &out,
            true
        ),
        lld
    );
}
