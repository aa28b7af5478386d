//! Every `--shim-*` command with a stdout that cannot take its output:
//! closed, full (/dev/full) and a pipe whose reader is gone. None may
//! panic (exit 134 with panic=abort). A broken pipe ends quietly with the
//! command's own status; full is one error line and exit 1; closed is
//! /dev/null (`app::prepare_process` opens it on a closed descriptor 0-2
//! at start-up, so no file the shim opens can become its stdout).

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::common::*;

/// A tree with a bitcode object and a record, so every command has
/// something to print.
fn tree() -> tempfile::TempDir {
    require_toolchain();
    let d = tempfile::tempdir().unwrap();
    compile(
        d.path(),
        "x",
        "int f(void) { return 1; }\n",
        &["-O2", "-flto=thin", "--target=x86_64-linux-gnu"],
    );
    std::fs::write(
        d.path().join("record.jsonl"),
        r#"{"time":1.0,"pid":1,"cwd":"/k","decision":"forward","reason":"no-recipe","detail":"d","output":"a/.tmp_b.o","inputs":["a/b.o"],"lto":"thin","bytes":0,"micros":5}
"#,
    )
    .unwrap();
    d
}

const COMMANDS: &[&[&str]] = &[
    &["--shim-help"],
    &["--shim-version"],
    &["--shim-which"],
    &["--shim-explain", "-r", "-o", ".tmp_x.o", "x.o"],
    &["--shim-inspect", "x.o"],
    &["--shim-inspect", "x.o", "--json"],
    &["--shim-report", "record.jsonl"],
    &["--shim-report", "record.jsonl", "--json"],
    &["--shim-doctor"],
    &["--shim-doctor", "."],
    &["--shim-manpage"],
];

fn shim_in(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = command(shim(), dir);
    cmd.env("KBUILD_LD_SHIM_REAL_LD", LLD).args(args);
    cmd
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn every_command_survives_a_closed_full_or_broken_stdout() {
    let d = tree();
    for args in COMMANDS {
        let normal = shim_in(d.path(), args).output().unwrap();
        let status = normal.status.code();
        assert!(
            status.is_some() && !normal.stdout.is_empty(),
            "{args:?}: {normal:?}"
        );

        // Closed: fd 1 does not exist in the child.
        let mut cmd = shim_in(d.path(), args);
        // SAFETY: close(2) only, between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::close(1);
                Ok(())
            });
        }
        let out = cmd.stderr(Stdio::piped()).output().unwrap();
        assert_eq!(
            out.status.code(),
            status,
            "{args:?} closed: {}",
            stderr_of(&out)
        );
        assert!(
            out.stderr.is_empty(),
            "{args:?} closed: {}",
            stderr_of(&out)
        );

        let out = shim_in(d.path(), args)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let err = stderr_of(&out);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?} full: {:?} {err}",
            out.status
        );
        assert_eq!(err.lines().count(), 1, "{args:?} full: {err}");
        assert!(
            err.starts_with("kbuild-ld-shim: cannot write to stdout")
                && err.contains("No space left on device"),
            "{args:?} full: {err}"
        );

        // A pipe whose reader is gone: EPIPE on the first write.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = shim_in(d.path(), args).stdout(writer).output().unwrap();
        assert_eq!(
            out.status.signal(),
            None,
            "{args:?} broken pipe: {:?}",
            out.status
        );
        assert_eq!(
            out.status.code(),
            status,
            "{args:?} broken pipe: {}",
            stderr_of(&out)
        );
        assert!(
            out.stderr.is_empty(),
            "{args:?} broken pipe: {}",
            stderr_of(&out)
        );
    }
}

#[test]
fn a_full_stderr_keeps_the_exit_status() {
    let d = tree();
    let out = shim_in(d.path(), &["--version"])
        .env("KBUILD_LD_SHIM_MODE", "bogus")
        .stderr(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{:?}", out.status);
    let out = shim_in(d.path(), &["--shim-no-such-command"])
        .stderr(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{:?}", out.status);
}

/// `--shim-report` reads records as LD mode reads inputs: /dev/zero, a
/// FIFO without writer and a 1 GB file of one line each answer within a
/// second with one error line; a torn line is an anomaly, not a failure.
#[test]
fn report_on_devices_fifos_huge_files_and_torn_lines() {
    let d = tree();
    let fifo = d.path().join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let huge = d.path().join("huge.jsonl");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    for (target, needle) in [
        (Path::new("/dev/zero"), "not a regular file"),
        (fifo.as_path(), "not a regular file"),
        (huge.as_path(), "256 MiB"),
    ] {
        let started = std::time::Instant::now();
        let out = shim_in(d.path(), &["--shim-report"])
            .arg(target)
            .output()
            .unwrap();
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(1), "{target:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
        assert!(out.stdout.is_empty());
    }
    let good = std::fs::read_to_string(d.path().join("record.jsonl")).unwrap();
    std::fs::write(
        d.path().join("torn.jsonl"),
        format!("{good}{}\n{good}", &good[..30]),
    )
    .unwrap();
    let out = run_ok(&mut shim_in(d.path(), &["--shim-report", "torn.jsonl"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("invocations        2"), "{text}");
    assert!(text.contains("bad record lines   1"), "{text}");
    assert!(text.contains("record line 2: not a record"), "{text}");
}

/// A path that is not UTF-8 never aborts a JSON output: it is written as
/// its text and its bytes (`{"lossy": ..., "hex": ...}`).
#[test]
fn non_utf8_paths_in_json_are_lossless_not_an_abort() {
    use std::os::unix::ffi::OsStrExt;
    let d = tree();
    let odd = std::ffi::OsStr::from_bytes(b"x\xff.o");
    std::fs::copy(d.path().join("x.o"), d.path().join(odd)).unwrap();
    let out = run_ok(
        shim_in(d.path(), &["--shim-inspect"])
            .arg(odd)
            .arg("--json"),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("\"lossy\": \"x\u{fffd}.o\"") && text.contains("\"hex\": \"78ff2e6f\""),
        "{text}"
    );
}

/// Each error names what is wrong with what the user named, and every
/// --shim-* command treats extra words and `--` alike.
#[test]
fn errors_name_the_real_cause_and_commands_agree_on_arguments() {
    let d = tree();
    let script = d.path().join("ld.lld");
    write_executable(&script, b"#!/no/such/interpreter\n");
    let out = command(shim(), d.path())
        .env("KBUILD_LD_SHIM_REAL_LD", &script)
        .arg("--version")
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(126), "{err}");
    assert!(err.contains("interpreter"), "{err}");

    for (target, why) in [
        (d.path().to_path_buf(), "is a directory"),
        (d.path().join("record.jsonl"), "is not executable"),
    ] {
        let out = command(shim(), d.path())
            .env("KBUILD_LD_SHIM_REAL_LD", &target)
            .arg("--shim-which")
            .output()
            .unwrap();
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(126), "{err}");
        assert!(err.contains(why) && out.stdout.is_empty(), "{err}");
        let out = command(shim(), d.path())
            .env("KBUILD_LD_SHIM_REAL_LD", &target)
            .arg("--shim-doctor")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(why) && !text.contains("''"), "{text}");
    }

    let out = shim_in(d.path(), &["--shim-inspect", "."])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("is a directory") && out.stdout.is_empty(),
        "{err}"
    );

    let out = shim_in(d.path(), &["--shim-which", "extra", "words"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));

    std::fs::copy(d.path().join("x.o"), d.path().join("-weird.o")).unwrap();
    let out = run_ok(&mut shim_in(
        d.path(),
        &["--shim-inspect", "--", "-weird.o"],
    ));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("-weird.o: "));
}
