//! Running a helper program (the real linker's `--version`, the build's
//! make for its `$(obj-m)`) so that it can neither hang the shim nor flood
//! it: stdin from /dev/null, its own process group, killed whole at a
//! deadline or past a size cap (along with anything it started in the
//! background), and its output read to the end only within those bounds.

use std::io::{self, Read};
use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Why [`bounded`] has no output to give.
#[derive(Debug)]
pub enum Bounded {
    /// It could not be started.
    Spawn(io::Error),
    /// Still running, or its output still open, at the deadline.
    TimedOut,
    /// More output than the cap.
    TooLarge,
    /// Its output could not be read.
    Io(io::Error),
}

/// Runs `cmd` to its end within `timeout`, with at most `max_stdout` and
/// `max_stderr` bytes of output.
pub fn bounded(
    cmd: &mut Command,
    timeout: Duration,
    max_stdout: usize,
    max_stderr: usize,
) -> Result<Output, Bounded> {
    let deadline = Instant::now() + timeout;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(Bounded::Spawn)?;
    let group = child.id() as libc::pid_t;
    let stdout = read_capped(child.stdout.take(), max_stdout, group);
    let stderr = read_capped(child.stderr.take(), max_stderr, group);
    let (tx, exited) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let left = || deadline.saturating_duration_since(Instant::now());
    let status = match exited.recv_timeout(left()) {
        Ok(status) => status.map_err(Bounded::Io)?,
        Err(_) => {
            kill(group);
            return Err(Bounded::TimedOut);
        }
    };
    // Anything it left running in the background would hold its output
    // open: it goes with the helper.
    kill(group);
    let received =
        |rx: mpsc::Receiver<_>| rx.recv_timeout(left()).unwrap_or(Err(Bounded::TimedOut));
    Ok(Output {
        status,
        stdout: received(stdout)?,
        stderr: received(stderr)?,
    })
}

/// Kills the helper's process `group`, which `process_group(0)` made and
/// which nothing else joins.
fn kill(group: libc::pid_t) {
    // SAFETY: a signal to a process group this module created.
    unsafe { libc::kill(-group, libc::SIGKILL) };
}

/// Reads `pipe` to its end in a thread; past `max` bytes the helper is
/// killed and the answer is [`Bounded::TooLarge`].
fn read_capped(
    pipe: Option<impl Read + Send + 'static>,
    max: usize,
    group: libc::pid_t,
) -> mpsc::Receiver<Result<Vec<u8>, Bounded>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let Some(pipe) = pipe else {
            let _ = tx.send(Ok(Vec::new()));
            return;
        };
        let mut buf = Vec::new();
        let read = pipe.take(max as u64 + 1).read_to_end(&mut buf);
        let _ = tx.send(match read {
            Err(e) => Err(Bounded::Io(e)),
            Ok(_) if buf.len() > max => {
                kill(group);
                Err(Bounded::TooLarge)
            }
            Ok(_) => Ok(buf),
        });
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", script]);
        cmd
    }

    #[test]
    fn a_child_that_hangs_is_killed_at_the_deadline() {
        let started = Instant::now();
        let got = bounded(
            &mut sh("echo partial; exec sleep 30"),
            Duration::from_millis(300),
            1024,
            1024,
        );
        assert!(matches!(got, Err(Bounded::TimedOut)), "{got:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        // Output closed, process still running: the same.
        let got = bounded(
            &mut sh("exec >&- 2>&-; exec sleep 30"),
            Duration::from_millis(300),
            1024,
            1024,
        );
        assert!(matches!(got, Err(Bounded::TimedOut)), "{got:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_child_that_prints_without_end_is_stopped_at_the_cap() {
        let started = Instant::now();
        let got = bounded(
            &mut sh("exec yes 'LLD 19.1.7'"),
            Duration::from_secs(10),
            4096,
            1024,
        );
        assert!(matches!(got, Err(Bounded::TooLarge)), "{got:?}");
        let got = bounded(&mut sh("exec yes >&2"), Duration::from_secs(10), 1024, 4096);
        assert!(matches!(got, Err(Bounded::TooLarge)), "{got:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn output_and_status_come_back_whole() {
        let got = bounded(
            &mut sh("echo out; echo err >&2; exit 3"),
            Duration::from_secs(10),
            64,
            64,
        )
        .unwrap();
        assert_eq!(
            (got.stdout.as_slice(), got.stderr.as_slice()),
            (&b"out\n"[..], &b"err\n"[..])
        );
        assert_eq!(got.status.code(), Some(3));
        // Ended, with a process it started still holding its output open.
        let started = Instant::now();
        let got = bounded(
            &mut sh("sleep 8 & echo 'LLD 19.1.7'"),
            Duration::from_secs(10),
            64,
            64,
        )
        .unwrap();
        assert_eq!(got.stdout, b"LLD 19.1.7\n");
        assert!(started.elapsed() < Duration::from_secs(5));
        let got = bounded(
            &mut Command::new("/nonexistent/ld.lld"),
            Duration::from_secs(10),
            64,
            64,
        );
        assert!(matches!(got, Err(Bounded::Spawn(_))), "{got:?}");
    }
}
