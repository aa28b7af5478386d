//! Hardening: hostile inputs, faults and races never cost a build or a byte.
//!
//! Every case runs the real binary with the real ld.lld-19 and asserts the
//! exact outcome: either the shim's result is byte for byte what ld.lld
//! gives for the same call (stdout, stderr, exit status, output file), or the
//! shim fails with one `kbuild-ld-shim:` line, a non-zero status, no output
//! and no temporary file. The tests run as root (as CI does): where root's
//! DAC override would hide a permission fault, the child drops
//! CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from its bounding set before
//! exec, so it and the ld.lld it execs run as an ordinary user would.

mod common;

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use kbuild_ld_shim::record;

const CFLAGS: &[&str] = &[
    "--target=aarch64-linux-gnu",
    "-O2",
    "-flto=thin",
    "-fsplit-lto-unit",
    "-ffreestanding",
    "-fno-PIE",
];
const CALLEE_C: &str = "int add_one(int x) { return x + 1; }\n";
const TMP_PREFIX: &str = ".kbuild-ld-shim.";

// ---------------------------------------------------------------- helpers

/// A fresh directory holding `x.o`, ThinLTO bitcode made by clang-19.
fn tree() -> (tempfile::TempDir, Vec<u8>) {
    require_toolchain();
    let d = tempfile::tempdir().unwrap();
    let o = compile(d.path(), "x", CALLEE_C, CFLAGS);
    let bytes = fs::read(o).unwrap();
    (d, bytes)
}

fn shim_cmd(dir: &Path) -> Command {
    let mut cmd = command(shim(), dir);
    cmd.env("KBUILD_LD_SHIM_REAL_LD", LLD);
    cmd
}

fn forced(dir: &Path) -> Command {
    let mut cmd = shim_cmd(dir);
    cmd.env("KBUILD_LD_SHIM_MODE", "force");
    cmd
}

fn lld_cmd(dir: &Path) -> Command {
    command(LLD, dir)
}

/// Temporary files of the shim left anywhere under `dir`.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return found;
    };
    for e in entries.flatten() {
        let p = e.path();
        if e.file_name().as_bytes().starts_with(TMP_PREFIX.as_bytes()) {
            found.push(p.clone());
        }
        if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            found.extend(leftovers(&p));
        }
    }
    found
}

/// What a caller of a linker can observe.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    code: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
    output: Option<Vec<u8>>,
}

fn outcome(cmd: &mut Command, output: &Path) -> Outcome {
    let _ = fs::remove_file(output);
    let out = cmd.output().expect("spawn");
    let o = Outcome {
        code: out.status.code(),
        signal: out.status.signal(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        output: fs::read(output).ok(),
    };
    let _ = fs::remove_file(output);
    o
}

/// Runs `args` through plain ld.lld and through the shim (prepared by
/// `shim`) and asserts the caller sees the very same thing.
fn assert_same_as_lld(
    dir: &Path,
    args: &[&OsStr],
    output: &Path,
    shim: fn(&Path) -> Command,
) -> Outcome {
    assert_same_as_lld_with(dir, args, output, shim, |_| {})
}

fn assert_same_as_lld_with(
    dir: &Path,
    args: &[&OsStr],
    output: &Path,
    shim: fn(&Path) -> Command,
    prepare: impl Fn(&mut Command),
) -> Outcome {
    let mut lld = lld_cmd(dir);
    lld.args(args);
    prepare(&mut lld);
    let expected = outcome(&mut lld, output);
    let mut s = shim(dir);
    s.args(args);
    prepare(&mut s);
    let got = outcome(&mut s, output);
    assert_eq!(got, expected, "shim and ld.lld differ on {args:?}");
    assert!(leftovers(dir).is_empty(), "{:?}", leftovers(dir));
    got
}

fn os(args: &[&'static str]) -> Vec<&'static OsStr> {
    let args: Vec<&'static str> = args.to_vec();
    args.into_iter().map(OsStr::new).collect()
}

/// The shim failed cleanly: status 1, exactly one stderr line with the
/// program's prefix containing every `needle`, nothing on stdout.
fn assert_one_error_line(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("kbuild-ld-shim: "), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{n:?} not in {stderr}");
    }
}

/// In the child before exec: give up the capabilities that let root ignore
/// file permissions (the bounding set bounds what root gets at exec).
fn without_dac_override(cmd: &mut Command) {
    unsafe {
        cmd.pre_exec(|| {
            for cap in [1, 2] {
                // CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
                if libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}

/// `bitcode` inside the bitcode wrapper (0x0B17C0DE), padded with zeros to
/// `size` bytes (sparse): a bitcode object as large as needed that the
/// shim's bitstream walk accepts.
fn large_bitcode(path: &Path, bitcode: &[u8], size: u64) {
    let mut f = fs::File::create(path).unwrap();
    for word in [0x0B17_C0DEu32, 0, 20, bitcode.len() as u32, 0] {
        f.write_all(&word.to_le_bytes()).unwrap();
    }
    f.write_all(bitcode).unwrap();
    f.set_len(size).unwrap();
}

/// Like [`large_bitcode`], with every padding byte written (no holes), for
/// file systems whose space must really be used.
fn dense_bitcode(path: &Path, bitcode: &[u8], size: u64) {
    large_bitcode(path, bitcode, 20 + bitcode.len() as u64);
    let mut f = fs::OpenOptions::new().append(true).open(path).unwrap();
    let rest = size - f.metadata().unwrap().len();
    f.write_all(&vec![0xa5; rest as usize]).unwrap();
}

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

fn relink_args() -> Vec<&'static OsStr> {
    os(&["-r", "-o", ".tmp_x.o", "x.o"])
}

// ------------------------------------------------------- 2. faults: inputs

#[test]
fn missing_input_is_forwarded_and_lld_reports_it() {
    let (d, _) = tree();
    fs::remove_file(d.path().join("x.o")).unwrap();
    let out = assert_same_as_lld(d.path(), &relink_args(), &d.path().join(".tmp_x.o"), forced);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("x.o"), "{}", out.stderr);
}

#[test]
fn unreadable_input_is_forwarded_and_lld_reports_it() {
    let (d, bitcode) = tree();
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
    let (d, _) = tree();
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
            .custom_flags_nonblock()
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
    let (d, _) = tree();
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

trait NonBlock {
    fn custom_flags_nonblock(&mut self) -> &mut Self;
}

impl NonBlock for fs::OpenOptions {
    fn custom_flags_nonblock(&mut self) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::custom_flags(self, libc::O_NONBLOCK)
    }
}

// ------------------------------------------------------ 2. faults: output

#[test]
fn read_only_output_directory_fails_cleanly() {
    let (d, bitcode) = tree();
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

/// A read-only mount (EROFS), in a private mount namespace.
#[test]
fn read_only_filesystem_fails_cleanly() {
    let (d, _) = tree();
    let script = "mount --bind \"$PWD\" \"$PWD\" && mount -o remount,bind,ro \"$PWD\" && cd \"$PWD\" && \"$0\" \"$@\"; echo \"rc=$?\"; ls -a";
    let out = command("unshare", d.path())
        .env("KBUILD_LD_SHIM_REAL_LD", LLD)
        .env("KBUILD_LD_SHIM_MODE", "force")
        .args(["-m", "/bin/sh", "-c", script])
        .arg(shim())
        .args(relink_args())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("rc=1\n"), "{stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("kbuild-ld-shim: ") && stderr.contains("Read-only file system"),
        "{stderr}"
    );
    let listing: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(listing, [".", "..", "x.c", "x.o"], "{stdout}");
}

/// The output's file system fills up during the copy (a 2 MB tmpfs in a
/// private mount namespace): ENOSPC is one error line, and neither the
/// output nor the temporary file is left on it.
#[test]
fn full_filesystem_during_the_copy_fails_cleanly() {
    let (d, bitcode) = tree();
    dense_bitcode(&d.path().join("big.o"), &bitcode, 1_500_000);
    let script = "mkdir m && mount -t tmpfs -o size=2m tmpfs m && cp big.o m/x.o && \"$0\" \"$@\"; echo \"rc=$?\"; ls -a m";
    let out = command("unshare", d.path())
        .env("KBUILD_LD_SHIM_REAL_LD", LLD)
        .env("KBUILD_LD_SHIM_MODE", "force")
        .args(["-m", "/bin/sh", "-c", script])
        .arg(shim())
        .args(["-r", "-o", "m/.tmp_x.o", "m/x.o"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.starts_with("rc=1\n"), "{stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("kbuild-ld-shim: ") && stderr.contains("No space left on device"),
        "{stderr}"
    );
    let listing: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(listing, [".", "..", "x.o"], "{stdout}");
}

/// `ulimit -f` is exceeded during the copy: no death by SIGXFSZ with a
/// half-written temporary file, but one error line (EFBIG).
#[test]
fn file_size_limit_during_the_copy_fails_cleanly() {
    let (d, bitcode) = tree();
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
    let (d, _) = tree();
    let err = kbuild_ld_shim::passthrough::copy_atomically(
        &d.path().join("x.o"),
        &d.path().join("gone/.tmp_x.o"),
    )
    .unwrap_err();
    assert_eq!(err.what, "cannot create temporary file");
    assert_eq!(err.source.kind(), std::io::ErrorKind::NotFound);
    assert!(leftovers(d.path()).is_empty());
}

// ----------------------------------------------------------- 2. signals

const BIG: u64 = 208 << 20;

/// Starts a forced passthrough of a 208 MB bitcode object, stops it with
/// SIGSTOP while its temporary file exists and before the rename, sends
/// `sig`, resumes it, and returns its output.
fn signal_during_copy(sig: i32, prepare: impl Fn(&mut Command)) -> (tempfile::TempDir, Output) {
    let (d, bitcode) = tree();
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
            if !leftovers(d.path()).is_empty() {
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

// ------------------------------------------------- 2. hostile response files

#[test]
fn response_file_cycles_are_forwarded_like_lld() {
    let (d, _) = tree();
    fs::write(d.path().join("a.rsp"), "-r @b.rsp").unwrap();
    fs::write(d.path().join("b.rsp"), "-o .tmp_x.o x.o @./a.rsp").unwrap();
    fs::write(d.path().join("self.rsp"), "-r -o .tmp_x.o x.o @self.rsp").unwrap();
    for top in ["@a.rsp", "@self.rsp"] {
        let out = assert_same_as_lld(d.path(), &os(&[top]), &d.path().join(".tmp_x.o"), forced);
        assert_eq!(out.code, Some(1));
        assert!(out.stderr.contains("recursive expansion"), "{}", out.stderr);
    }
}

/// ld.lld 19 follows 10,000 nested response files, but needs minutes of
/// system time for it; the shim stops reading at its depth cap and execs
/// the linker with the caller's arguments untouched, at once. A stand-in
/// linker records what it was given.
#[test]
fn ten_thousand_deep_nesting_is_forwarded_at_once() {
    let (d, _) = tree();
    for i in 0..10_000 {
        let text = if i < 9_999 {
            format!("@r{}.rsp", i + 1)
        } else {
            "-r -o .tmp_x.o x.o".into()
        };
        fs::write(d.path().join(format!("r{i}.rsp")), text).unwrap();
    }
    let stub = d.path().join("stub-ld");
    fs::write(
        &stub,
        "#!/bin/sh\nprintf '%s\\n' \"$0\" \"$@\" > stub-argv.txt\n",
    )
    .unwrap();
    fs::set_permissions(&stub, fs::Permissions::from_mode(0o755)).unwrap();
    let rec = d.path().join("record.jsonl");
    let started = Instant::now();
    run_ok(
        forced(d.path())
            .env("KBUILD_LD_SHIM_REAL_LD", &stub)
            .env("KBUILD_LD_SHIM_RECORD", &rec)
            .args(["-z", "noexecstack", "@r0.rsp"]),
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let argv = fs::read_to_string(d.path().join("stub-argv.txt")).unwrap();
    assert_eq!(
        argv,
        format!("{}\n-z\nnoexecstack\n@r0.rsp\n", stub.display())
    );
    let r = record::read_all(&rec).unwrap();
    assert_eq!(
        (r[0].decision.as_str(), r[0].reason.as_str()),
        ("forward", "response-file")
    );
    assert!(r[0].detail.contains("nested more than"), "{}", r[0].detail);
    assert!(leftovers(d.path()).is_empty());
}

/// 100 MB of response file: the shim reads at most its cap, forwards, and
/// ld.lld's ELF relink comes out byte for byte.
#[test]
fn hundred_megabyte_response_file_is_forwarded_like_lld() {
    let (d, _) = tree();
    let mut f = fs::File::create(d.path().join("big.rsp")).unwrap();
    f.write_all(b"-r -o .tmp_x.o ").unwrap();
    let pad = vec![b' '; 1 << 20];
    for _ in 0..100 {
        f.write_all(&pad).unwrap();
    }
    f.write_all(b"x.o\n").unwrap();
    drop(f);
    let out = assert_same_as_lld(
        d.path(),
        &os(&["@big.rsp"]),
        &d.path().join(".tmp_x.o"),
        forced,
    );
    assert_eq!(out.code, Some(0));
    assert!(out.output.unwrap().starts_with(b"\x7fELF"));
}

// ----------------------------------------------------------- 2. non-UTF-8

/// Non-UTF-8 file names: without a recipe the call is forwarded and equals
/// ld.lld's; forced, the bitcode is passed through; the record still gets
/// its line.
#[test]
fn non_utf8_paths_forward_like_lld_and_pass_through_when_forced() {
    let (d, bitcode) = tree();
    let dir = OsStr::from_bytes(b"d\xff");
    fs::create_dir(d.path().join(dir)).unwrap();
    let input = Path::new(dir).join(OsStr::from_bytes(b"\xfe.o"));
    let output = Path::new(dir).join(OsStr::from_bytes(b".tmp_\xfe.o"));
    fs::write(d.path().join(&input), &bitcode).unwrap();
    let args = [
        OsStr::new("-r"),
        OsStr::new("-o"),
        output.as_os_str(),
        input.as_os_str(),
    ];
    let rec = d.path().join("record.jsonl");
    let out = assert_same_as_lld_with(d.path(), &args, &d.path().join(&output), shim_cmd, |c| {
        c.env("KBUILD_LD_SHIM_RECORD", &rec);
    });
    assert_eq!(out.code, Some(0));
    assert!(out.output.unwrap().starts_with(b"\x7fELF"));
    run_ok(
        forced(d.path())
            .env("KBUILD_LD_SHIM_RECORD", &rec)
            .args(args),
    );
    assert_eq!(fs::read(d.path().join(&output)).unwrap(), bitcode);
    let r = record::read_all(&rec).unwrap();
    let decisions: Vec<&str> = r.iter().map(|r| r.decision.as_str()).collect();
    assert_eq!(decisions, ["forward", "passthrough"]);
}

/// Non-UTF-8 bytes in every argument, options and `@file` included.
#[test]
fn non_utf8_in_every_argument_forwards_like_lld() {
    let (d, _) = tree();
    let args: Vec<&OsStr> = [
        &b"-r\xff"[..],
        b"--\xfe=\xfd",
        b"-o",
        b".tmp_\xfc.o",
        b"\xfb.o",
        b"@\xfa.rsp",
        b"-z\xf9",
    ]
    .iter()
    .map(|b| OsStr::from_bytes(b))
    .collect();
    for shim in [shim_cmd as fn(&Path) -> Command, forced] {
        let out = assert_same_as_lld(
            d.path(),
            &args,
            &d.path().join(OsStr::from_bytes(b".tmp_\xfc.o")),
            shim,
        );
        assert_eq!(out.code, Some(1));
    }
}

// ------------------------------------------------------------ 2. recipes

fn recipe_defines(stem: &str, modname: &str, module: bool) -> String {
    format!(
        "{}-DKBUILD_BASENAME='\"{stem}\"' -DKBUILD_MODNAME='\"{modname}\"' -D__KBUILD_MODNAME=kmod_{modname}",
        if module { "-DMODULE " } else { "" }
    )
}

/// A hostile but valid recipe around the compile and the relink: quotes of
/// both kinds, escaped quotes, backslashes, backslash-newlines, newlines
/// inside quotes, a quoted copy of the relink, and padding up to `len`.
fn noisy_recipe(defines: &str, len: usize) -> String {
    let noise = concat!(
        ": 'it'\\''s' \"a \\\"quoted\\\" \\\\ back\\\\slash \\$HOME \\`x\\`\" \\\n continued;\n",
        ": 'line one\nline two; ld.lld -r -o .tmp_x.o x.o'; : \"multi\nline && || ;\";\n",
        "printf '%s\\n' 'ld.lld -r -o .tmp_x.o x.o' >/dev/null; : \\' \\\" \\\\;\n",
    );
    let head = format!(
        "set -e; {noise}{CLANG} {} {defines} -c -o x.o x.c ; {noise}cp x.o x.compiled; ",
        CFLAGS.join(" ")
    );
    let tail = format!(
        "{} -EL -maarch64elf -z noexecstack -r -o .tmp_x.o x.o; mv .tmp_x.o x.o",
        shim().display()
    );
    let room = len - head.len() - tail.len() - ": '".len() - "'; ".len();
    let pattern = "\\ \" ; && | x\n";
    let fill: String = pattern.chars().cycle().take(room).collect();
    let pad = format!(": '{fill}'; ");
    let r = format!("{head}{pad}{tail}");
    assert_eq!(r.len(), len);
    r
}

/// Through `sh -c` as make runs it, at the largest size Linux allows for
/// one argument (MAX_ARG_STRLEN, 128 KiB): the recipe is read right.
#[test]
fn recipes_with_quotes_backslashes_newlines_and_128k_are_read_right() {
    let (d, _) = tree();
    const LEN: usize = 128 * 1024 - 1;
    let run = |defines: &str| {
        let script = noisy_recipe(defines, LEN);
        run_ok(
            command("/bin/sh", d.path())
                .env("KBUILD_LD_SHIM_REAL_LD", LLD)
                .arg("-c")
                .arg(&script),
        );
        (
            fs::read(d.path().join("x.o")).unwrap(),
            fs::read(d.path().join("x.compiled")).unwrap(),
        )
    };
    let (out, compiled) = run(&recipe_defines("x", "x", false));
    assert_eq!(out, compiled, "built-in object: bitcode kept");
    let (out, _) = run(&recipe_defines("x", "x", true));
    assert!(
        out.starts_with(b"\x7fELF"),
        "single-object module: relinked"
    );
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
    use kbuild_ld_shim::recipe;
    let script = noisy_recipe(&recipe_defines("x", "x", true), 1 << 20);
    let started = Instant::now();
    let facts = recipe::analyse(&script, Path::new("x.o"), Path::new(".tmp_x.o")).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(facts.compile.unwrap().is_single_object_module());
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
/// recipe and forwards. The same recipe with the shell still there keeps
/// the bitcode, so it is the missing parent that decides.
#[test]
fn a_recipe_shell_that_is_gone_means_forward() {
    let (d, _) = tree();
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
            command("/bin/sh", d.path())
                .env("KBUILD_LD_SHIM_REAL_LD", LLD)
                .env("KBUILD_LD_SHIM_RECORD", &rec)
                .arg("-c")
                .arg(script)
                .arg(shim()),
        );
        let r = record::read_all(&rec).unwrap();
        assert_eq!(r.len(), 1);
        (
            r[0].reason.clone(),
            fs::read(d.path().join(".tmp_x.o")).unwrap(),
        )
    };
    let (reason, out) = run("wait");
    assert_eq!(reason, "fixed-kernel-keeps-bitcode");
    assert_eq!(out, fs::read(d.path().join("x.o")).unwrap());
    assert!(out.starts_with(b"BC\xc0\xde"));
    let (reason, out) = run("exit 0");
    assert_eq!(reason, "no-recipe");
    assert!(out.starts_with(b"\x7fELF"));
    let mut lld = lld_cmd(d.path());
    lld.args(["-r", "-o", "direct.o", "x.o"]);
    run_ok(&mut lld);
    assert_eq!(out, fs::read(d.path().join("direct.o")).unwrap());
}

// ------------------------------------------------- 3. safety of written files

fn strace(dir: &Path, trace: &str, cmd: &mut Command) -> String {
    let log = dir.join(format!("strace-{}.log", std::process::id()));
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let envs: Vec<_> = cmd
        .get_envs()
        .map(|(k, v)| (k.to_owned(), v.map(|v| v.to_owned())))
        .collect();
    let mut s = command("strace", dir);
    s.args(["-f", "-qq", "-e", &format!("trace={trace}"), "-o"])
        .arg(&log)
        .arg(program)
        .args(args);
    for (k, v) in envs {
        match v {
            Some(v) => s.env(k, v),
            None => s.env_remove(k),
        };
    }
    run_ok(&mut s);
    let text = fs::read_to_string(&log).unwrap();
    fs::remove_file(&log).unwrap();
    text
}

/// The temporary file is created with O_EXCL under a name that differs on
/// every run, in the output's directory; symlinks planted at the names one
/// could predict are never followed; the input is opened read-only.
#[test]
fn temporary_file_is_exclusive_unpredictable_and_input_read_only() {
    let (d, bitcode) = tree();
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
            "openat,open,rename,renameat,renameat2",
            forced(d.path()).args(relink_args()),
        );
        let temp_open: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(TMP_PREFIX) && l.contains("open"))
            .collect();
        assert_eq!(temp_open.len(), 1, "{log}");
        assert!(temp_open[0].contains("O_CREAT|O_EXCL"), "{}", temp_open[0]);
        let name = temp_open[0].split('"').nth(1).unwrap().to_owned();
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
    let (d, bitcode) = tree();
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
    assert!(fs::read(&out).unwrap().starts_with(b"\x7fELF"));
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
    let (d, _) = tree();
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
    let (d, bitcode) = tree();
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
    assert!(fs::read(d.path().join(".tmp_x.o"))
        .unwrap()
        .starts_with(b"\x7fELF"));
    assert_eq!(fs::read(&victim).unwrap(), b"keep");
}

// ------------------------------------------------------------- 4. races

/// 100 passthroughs and 100 forwards at once in one directory: every output
/// complete and right, no temporary file left, 200 whole record lines.
#[test]
fn two_hundred_parallel_calls_in_one_directory() {
    let (d, bitcode) = tree();
    let dir = d.path();
    // A larger passthrough input makes the copies overlap for real.
    large_bitcode(&dir.join("big.o"), &bitcode, 4 << 20);
    let big = fs::read(dir.join("big.o")).unwrap();
    for i in 0..100 {
        fs::write(dir.join(format!("p{i}.o")), &big).unwrap();
        fs::write(dir.join(format!("f{i}.o")), &bitcode).unwrap();
    }
    run_ok(lld_cmd(dir).args(["-r", "-o", "expected.o", "x.o"]));
    let expected_elf = fs::read(dir.join("expected.o")).unwrap();
    let rec = dir.join("record.jsonl");
    let mut children = Vec::new();
    for i in 0..100 {
        for (stem, mode) in [("p", "force"), ("f", "auto")] {
            let child = shim_cmd(dir)
                .env("KBUILD_LD_SHIM_MODE", mode)
                .env("KBUILD_LD_SHIM_RECORD", &rec)
                .args([
                    "-r",
                    "-o",
                    &format!(".tmp_{stem}{i}.o"),
                    &format!("{stem}{i}.o"),
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            children.push(child);
        }
    }
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for i in 0..100 {
        assert!(
            fs::read(dir.join(format!(".tmp_p{i}.o"))).unwrap() == big,
            "p{i}"
        );
        assert!(
            fs::read(dir.join(format!(".tmp_f{i}.o"))).unwrap() == expected_elf,
            "f{i}"
        );
    }
    assert!(leftovers(dir).is_empty(), "{:?}", leftovers(dir));
    let records = record::read_all(&rec).unwrap();
    assert_eq!(records.len(), 200);
    assert_eq!(fs::read_to_string(&rec).unwrap().lines().count(), 200);
    let passthroughs = records
        .iter()
        .filter(|r| r.decision == "passthrough")
        .count();
    let forwards = records.iter().filter(|r| r.decision == "forward").count();
    assert_eq!((passthroughs, forwards), (100, 100));
    assert!(records
        .iter()
        .filter(|r| r.decision == "passthrough")
        .all(|r| r.bytes == 4 << 20));
    let mut pids: Vec<u32> = records.iter().map(|r| r.pid).collect();
    pids.sort();
    pids.dedup();
    assert_eq!(pids.len(), 200);
}
