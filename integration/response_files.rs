//! A call with an argument starting with `@` names a response file, which
//! ld.lld reads and the shim does not: the call is forwarded before its
//! arguments are classified, so a missing file, a FIFO nobody writes, a
//! huge file or files naming each other 2^40 times cost the shim nothing,
//! and the caller sees what ld.lld-19 makes of them.

use std::ffi::CString;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

use crate::common::*;
use kbuild_ld_shim::record;

/// kbuild's own use (a composite module's parts in `m.mod`), the value of
/// `-o` from a file, a missing file, a cycle and 100 MB of file: the exit
/// status, both streams and the output are ld.lld's.
#[test]
fn response_file_calls_are_what_ld_lld_makes_of_them() {
    let (d, _) = thin_object_dir();
    let p = d.path();
    let out = p.join(".tmp_x.o");
    fs::write(p.join("x.rsp"), "x.o\n").unwrap();
    fs::write(p.join("name.rsp"), ".tmp_x.o").unwrap();
    fs::write(p.join("self.rsp"), "-r -o .tmp_x.o x.o @self.rsp").unwrap();
    let mut f = fs::File::create(p.join("big.rsp")).unwrap();
    f.write_all(b"-r -o .tmp_x.o ").unwrap();
    let pad = vec![b' '; 1 << 20];
    for _ in 0..100 {
        f.write_all(&pad).unwrap();
    }
    f.write_all(b"x.o\n").unwrap();
    drop(f);
    for (args, code) in [
        (&["-r", "-o", ".tmp_x.o", "@x.rsp"][..], 0),
        (&["-r", "-o", "@name.rsp", "x.o"], 0),
        (&["@big.rsp"], 0),
        (&["-r", "-o", ".tmp_x.o", "@missing.rsp"], 1),
        (&["@self.rsp"], 1),
    ] {
        let got = assert_same_as_lld(p, &os(args), &out, forced);
        assert_eq!(got.code, Some(code), "{args:?}: {}", got.stderr);
        if code == 0 {
            assert!(is_elf(&got.output.unwrap()), "{args:?}");
        }
    }
}

/// Under strace: whatever the `@` names (a missing file, a FIFO nobody
/// writes, a sparse 4 GiB file, forty levels of files naming the next
/// twice), the shim looks at no response file by name, execs the linker
/// with the caller's arguments at once, and records why.
#[test]
fn the_shim_opens_no_response_file() {
    let (d, _) = thin_object_dir();
    let p = d.path();
    let fifo = CString::new(p.join("fifo.rsp").as_os_str().as_bytes()).unwrap();
    // SAFETY: mkfifo on a NUL-terminated path this test owns.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    fs::File::create(p.join("huge.rsp"))
        .unwrap()
        .set_len(4 << 30)
        .unwrap();
    for i in 0..40 {
        fs::write(
            p.join(format!("r{i}.rsp")),
            format!("@r{0}.rsp @r{0}.rsp", i + 1),
        )
        .unwrap();
    }
    fs::write(p.join("r40.rsp"), "").unwrap();
    let stub = p.join("stub-ld");
    write_script(&stub, "printf '%s\\n' \"$@\" > stub-argv.txt\n");
    let rec = p.join("record.jsonl");
    let calls = [
        "-r -o .tmp_x.o @missing.rsp",
        "-r -o .tmp_x.o x.o @fifo.rsp",
        "-r -o @huge.rsp x.o",
        "-r -o .tmp_x.o x.o @r0.rsp",
    ];
    for line in calls {
        let args: Vec<&str> = line.split(' ').collect();
        let started = Instant::now();
        let trace = strace(
            p,
            "%file",
            forced(p)
                .env("KBUILD_LD_SHIM_REAL_LD", &stub)
                .env("KBUILD_LD_SHIM_RECORD", &rec)
                .args(&args),
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{line}: {:?}",
            started.elapsed()
        );
        // The trace is not empty: it shows the linker's exec.
        assert!(trace.contains("stub-ld\", ["), "{line}: {trace}");
        let named: Vec<&str> = trace
            .lines()
            .filter(|l| l.contains(".rsp") && !l.contains("execve("))
            .collect();
        assert!(named.is_empty(), "{line}: {named:#?}");
        assert_eq!(
            fs::read_to_string(p.join("stub-argv.txt")).unwrap(),
            format!("{}\n", args.join("\n"))
        );
    }
    let r = record::read_all(&rec).unwrap();
    assert_eq!(r.len(), calls.len());
    for entry in &r {
        assert_eq!(
            (entry.decision.as_str(), entry.reason.as_str()),
            ("forward", "via-response-file")
        );
    }
    assert!(leftovers(p).is_empty());
}
