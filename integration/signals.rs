//! Signals during a large passthrough copy: SIGINT, SIGTERM and SIGKILL
//! kill the shim by that signal and leave nothing behind; an inherited ignored
//! SIGINT (as make starts some jobs) does not stop the copy.

use std::fs;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

const BIG: u64 = 208 << 20;

/// Starts a forced passthrough of a 208 MB bitcode object, stops it with
/// SIGSTOP while its temporary file exists and before the rename, sends
/// `sig`, resumes it, and returns its output.
fn signal_during_copy(sig: i32, prepare: impl Fn(&mut Command)) -> (tempfile::TempDir, Output) {
    let (d, bitcode) = thin_object_dir();
    large_bitcode(&d.path().join("x.o"), &bitcode, BIG);
    let output = d.path().join(".tmp_x.o");
    for _attempt in 0..5 {
        let _ = fs::remove_file(&output);
        let mut cmd = forced(d.path());
        cmd.args(relink_args())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        prepare(&mut cmd);
        let mut child = cmd.spawn().unwrap();
        let pid = child.id() as i32;
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut caught = false;
        while Instant::now() < deadline {
            if temporary_in_flight(d.path(), pid) {
                unsafe { libc::kill(pid, libc::SIGSTOP) };
                caught = true;
                break;
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
        }
        if !caught {
            child.wait().unwrap();
            continue;
        }
        // Wait until it is really stopped.
        let stat = format!("/proc/{pid}/stat");
        while !fs::read_to_string(&stat)
            .map(|s| {
                s.rsplit_once(") ")
                    .map(|(_, r)| r.starts_with('T'))
                    .unwrap_or(false)
            })
            .unwrap_or(true)
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        if output.exists() {
            // Caught after the rename: the copy was faster than us. Again.
            unsafe { libc::kill(pid, libc::SIGCONT) };
            child.wait().unwrap();
            continue;
        }
        unsafe {
            libc::kill(pid, sig);
            libc::kill(pid, libc::SIGCONT);
        }
        return (d, child.wait_with_output().unwrap());
    }
    panic!("never caught the copy of {BIG} bytes in flight");
}

/// The shim's temporary file exists: named in `dir`, or (O_TMPFILE, where
/// the file system has it) unnamed and open in the process, which /proc
/// shows as `DIR/#INODE (deleted)`.
fn temporary_in_flight(dir: &Path, pid: i32) -> bool {
    if !leftovers(dir).is_empty() {
        return true;
    }
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        fs::read_link(fd.path()).is_ok_and(|target| {
            let target = target.as_os_str().to_string_lossy();
            target.starts_with(&*dir.to_string_lossy()) && target.ends_with(" (deleted)")
        })
    })
}

fn assert_died_by_and_left_nothing(sig: i32) {
    let (d, out) = signal_during_copy(sig, |_| {});
    assert_eq!(
        out.status.signal(),
        Some(sig),
        "{:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!d.path().join(".tmp_x.o").exists(), "an output was left");
    assert!(leftovers(d.path()).is_empty(), "{:?}", leftovers(d.path()));
    assert_eq!(fs::metadata(d.path().join("x.o")).unwrap().len(), BIG);
}

#[test]
fn sigint_during_a_large_passthrough_leaves_nothing_and_kills_by_sigint() {
    assert_died_by_and_left_nothing(libc::SIGINT);
}

#[test]
fn sigterm_during_a_large_passthrough_leaves_nothing_and_kills_by_sigterm() {
    assert_died_by_and_left_nothing(libc::SIGTERM);
}

/// SIGKILL cannot be held back or handled: the temporary file must have
/// no name while it is written (O_TMPFILE), so the kernel frees it.
#[test]
fn sigkill_during_a_large_passthrough_leaves_nothing() {
    assert_died_by_and_left_nothing(libc::SIGKILL);
}

/// make starts some jobs with SIGINT ignored; the shim keeps that choice:
/// the ignored signal does not stop the copy.
#[test]
fn an_ignored_sigint_does_not_stop_the_copy() {
    let (d, out) = signal_during_copy(libc::SIGINT, |cmd| unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            Ok(())
        });
    });
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(same_contents(
        &d.path().join("x.o"),
        &d.path().join(".tmp_x.o")
    ));
    assert!(leftovers(d.path()).is_empty());
}

/// Whether two files hold the same bytes, read a megabyte at a time (the
/// files here are hundreds of megabytes).
fn same_contents(a: &Path, b: &Path) -> bool {
    use std::io::Read;
    let (mut fa, mut fb) = (fs::File::open(a).unwrap(), fs::File::open(b).unwrap());
    if fa.metadata().unwrap().len() != fb.metadata().unwrap().len() {
        return false;
    }
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = fa.read(&mut ba).unwrap();
        fb.read_exact(&mut bb[..n]).unwrap();
        if ba[..n] != bb[..n] {
            return false;
        }
        if n == 0 {
            return true;
        }
    }
}
