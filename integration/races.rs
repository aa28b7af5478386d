//! Races: many passthroughs and forwards at once in one directory.

use std::fs;
use std::process::Stdio;

use crate::common::*;
use kbuild_ld_shim::record;

/// 100 passthroughs and 100 forwards at once in one directory: every output
/// complete and right, no temporary file left, 200 whole record lines.
#[test]
fn two_hundred_parallel_calls_in_one_directory() {
    let (d, bitcode) = thin_object_dir();
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
