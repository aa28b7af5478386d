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
/// once somebody opens it for reading (checking, when `expect_exec`, that
/// the reader is ld.lld exec'd in the shim's place, not the shim), writes
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
    // The reader is there once a non-blocking open for writing succeeds.
    let deadline = Instant::now() + Duration::from_secs(20);
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
    if expect_exec {
        let exe = fs::read_link(format!("/proc/{}/exe", child.id())).unwrap();
        if exe == shim() {
            let _ = child.kill();
            panic!("the shim itself is reading the FIFO");
        }
    }
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

/// A FIFO input is never opened by the shim (opening it would wait for a
/// writer forever). The call is forwarded; ld.lld 19 itself blocks opening
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
