//! What a release engineer relies on: the audit record under parallel
//! load, the report's totals, and inspect's view of real objects (the
//! doctor's verdicts are `doctor.rs`'s).

use std::path::Path;

use crate::common::*;
use kbuild_ld_shim::record;

const SRC: &str = "int f(int x) { return x * 3; }\n";

#[test]
fn parallel_invocations_write_whole_record_lines_and_the_report_adds_up() {
    require_toolchain();
    let d = tempfile::tempdir().unwrap();
    let bc = compile(d.path(), "obj", SRC, &["-flto=thin", "-O2"]);
    let record_path = d.path().join("record.jsonl");
    const N: usize = 64;
    for i in 0..N {
        std::fs::copy(&bc, d.path().join(format!("o{i}.o"))).unwrap();
    }
    let children: Vec<_> = (0..N)
        .map(|i| {
            let mut cmd = shim_cmd(d.path());
            cmd.env("KBUILD_LD_SHIM_RECORD", &record_path);
            if i % 2 == 0 {
                // Passthrough (forced: no recipe in a test runner).
                cmd.env("KBUILD_LD_SHIM_MODE", "force").args([
                    "-r",
                    "-o",
                    &format!(".tmp_o{i}.o"),
                    &format!("o{i}.o"),
                ]);
            } else {
                cmd.arg("--version");
            }
            cmd.stdout(std::process::Stdio::null()).spawn().unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let records = record::read_all(&record_path).unwrap();
    assert_eq!(records.len(), N);
    let mut pids: Vec<u32> = records.iter().map(|r| r.pid).collect();
    pids.sort();
    pids.dedup();
    assert_eq!(pids.len(), N, "one line per invocation");
    let passthroughs = records
        .iter()
        .filter(|r| r.decision == "passthrough")
        .count();
    assert_eq!(passthroughs, N / 2);
    let size = std::fs::metadata(&bc).unwrap().len();
    assert!(records
        .iter()
        .filter(|r| r.decision == "passthrough")
        .all(|r| r.bytes == size && r.lto == Some(kbuild_ld_shim::lto::Lto::Thin)));

    let report = run_ok(command(shim(), d.path()).args([
        "--shim-report",
        record_path.to_str().unwrap(),
        "--json",
    ]));
    let summary: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(summary["invocations"], N as u64);
    assert_eq!(summary["passthroughs"], (N / 2) as u64);
    assert_eq!(summary["passthroughs_thin"], (N / 2) as u64);
    assert_eq!(summary["forwards_by_reason"]["probe"], (N / 2) as u64);
    assert_eq!(summary["bytes_copied"], size * (N / 2) as u64);
    let micros: u64 = records.iter().map(|r| r.micros).sum();
    assert_eq!(summary["micros_in_shim"], micros);

    let text =
        run_ok(command(shim(), d.path()).args(["--shim-report", record_path.to_str().unwrap()]));
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!(
            "passthroughs       {} (thin {}, full 0)",
            N / 2,
            N / 2
        )),
        "{text}"
    );
}

#[test]
fn an_unwritable_record_costs_one_warning_not_the_build() {
    require_toolchain();
    let d = tempfile::tempdir().unwrap();
    let out = shim_cmd(d.path())
        .env(
            "KBUILD_LD_SHIM_RECORD",
            d.path().join("no/such/dir/r.jsonl"),
        )
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("kbuild-ld-shim: warn: cannot write record"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("LLD"));
}

/// A line that is not a record is counted as an anomaly with its line
/// number; only an unreadable file fails the report.
#[test]
fn report_counts_a_bad_record_line_by_its_number() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("bad.jsonl"), "{\"nope\":1}\n").unwrap();
    let out = command(shim(), d.path())
        .args(["--shim-report", "bad.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("record line 1: not a record"), "{text}");
    let out = command(shim(), d.path())
        .args(["--shim-report", "missing.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.jsonl"));
}

#[test]
fn inspect_sees_what_the_toolchain_made() {
    require_toolchain();
    let d = tempfile::tempdir().unwrap();
    compile(
        d.path(),
        "thin",
        SRC,
        &["-flto=thin", "--target=aarch64-linux-gnu"],
    );
    compile(
        d.path(),
        "full",
        SRC,
        &["-flto=full", "--target=x86_64-linux-gnu"],
    );
    let elf = compile(d.path(), "elf", SRC, &[]);
    let raw = std::fs::read(d.path().join("thin.o")).unwrap();
    // The bitcode wrapper: magic, version, offset, size, cputype.
    let mut wrapped = Vec::new();
    for word in [0x0B17_C0DEu32, 0, 20, raw.len() as u32, 0] {
        wrapped.extend_from_slice(&word.to_le_bytes());
    }
    wrapped.extend_from_slice(&raw);
    std::fs::write(d.path().join("wrapped.o"), &wrapped).unwrap();
    run_ok(command(LLVM_AR, d.path()).args(["rcs", "lib.a"]).arg(&elf));
    run_ok(command(LLVM_AR, d.path()).args(["rcT", "thin.a"]).arg(&elf));
    let out = run_ok(command(shim(), d.path()).args([
        "--shim-inspect",
        "thin.o",
        "full.o",
        "elf.o",
        "wrapped.o",
        "lib.a",
        "thin.a",
    ]));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    assert!(
        lines[0].starts_with("thin.o: raw bitcode")
            && lines[0].contains("ThinLTO, 1 module(s), producer LLVM19")
            && lines[0].contains("triple aarch64-unknown-linux-gnu"),
        "{text}"
    );
    assert!(
        lines[1].contains("full LTO") && lines[1].contains("x86_64-unknown-linux-gnu"),
        "{text}"
    );
    assert!(lines[2].starts_with("elf.o: ELF"), "{text}");
    assert!(
        lines[3].starts_with("wrapped.o: wrapped bitcode") && lines[3].contains("ThinLTO"),
        "{text}"
    );
    assert!(lines[4].starts_with("lib.a: archive"), "{text}");
    assert!(lines[5].starts_with("thin.a: thin archive"), "{text}");
    let missing = command(shim(), d.path())
        .args(["--shim-inspect", "gone.o"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).starts_with("kbuild-ld-shim: gone.o:"));
}

/// Bitcode from an LLVM newer than any installed one (committed, see
/// src/bitcode/testdata/README.md): inspect names its producer.
#[test]
fn inspect_names_a_newer_llvm_producer() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bitcode/testdata");
    let out = run_ok(command(shim(), &data).args([
        "--shim-inspect",
        "llvm20-split-cfi.o",
        "llvm21-thin.o",
    ]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text,
        "llvm20-split-cfi.o: raw bitcode, 5900 bytes, ThinLTO, 2 module(s), producer LLVM20.1.2, triple x86_64-unknown-linux-gnu\n\
         llvm21-thin.o: raw bitcode, 2496 bytes, ThinLTO, 1 module(s), producer LLVM21.1.0, triple x86_64-unknown-linux-gnu\n"
    );
}
