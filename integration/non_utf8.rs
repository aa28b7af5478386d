//! Non-UTF-8 bytes in paths and arguments: forwarded byte for byte like
//! ld.lld-19, passed through when forced, recorded.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;

use crate::common::*;
use kbuild_ld_shim::record;

/// Non-UTF-8 file names: without a recipe the call is forwarded and equals
/// ld.lld's; forced, the bitcode is passed through; the record still gets
/// its line.
#[test]
fn non_utf8_paths_forward_like_lld_and_pass_through_when_forced() {
    let (d, bitcode) = thin_object_dir();
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
    assert!(is_elf(&out.output.unwrap()));
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
    let (d, _) = thin_object_dir();
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
