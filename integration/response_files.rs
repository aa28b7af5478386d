//! Hostile response files (cycles, 10,000-deep nesting, 100 MB): the shim
//! forwards them at once, and the caller sees what ld.lld-19 gives.

use std::fs;
use std::io::Write;
use std::time::{Duration, Instant};

use crate::common::*;
use kbuild_ld_shim::record;

#[test]
fn response_file_cycles_are_forwarded_like_lld() {
    let (d, _) = thin_object_dir();
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
    let (d, _) = thin_object_dir();
    for i in 0..10_000 {
        let text = if i < 9_999 {
            format!("@r{}.rsp", i + 1)
        } else {
            "-r -o .tmp_x.o x.o".into()
        };
        fs::write(d.path().join(format!("r{i}.rsp")), text).unwrap();
    }
    let stub = d.path().join("stub-ld");
    write_script(&stub, "printf '%s\\n' \"$0\" \"$@\" > stub-argv.txt\n");
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
    let (d, _) = thin_object_dir();
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
    assert!(is_elf(&out.output.unwrap()));
}
