//! Hostile files and children against the real binary: every command
//! reads bounded and never blocks. FIFOs and devices where kbuild's files
//! should be, files far over any real size, crafted ELF and archive
//! headers, a linker that hangs or never stops printing, a record file at
//! the `ulimit -f` limit. (Response files are never read: see
//! `response_files.rs`.)
//! Each test runs the shim under a deadline, so a regression is a failure
//! naming the hang, not a test run that never ends.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// Runs `cmd` to its end, or kills it at `limit` and fails the test: what
/// these tests prove is that nothing waits forever. stdout and stderr go
/// through files, so a child that prints without end cannot block on a
/// full pipe nor make the test hold its output.
#[track_caller]
fn output_within(cmd: &mut Command, limit: Duration) -> Output {
    let d = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (d.path().join("stdout"), d.path().join("stderr"));
    let mut child = cmd
        .stdout(fs::File::create(&out_path).unwrap())
        .stderr(fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{cmd:?} still running after {limit:?} (killed); stderr so far: {}",
                String::from_utf8_lossy(&fs::read(&err_path).unwrap_or_default())
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: fs::read(&out_path).unwrap(),
        stderr: fs::read(&err_path).unwrap(),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn mkfifo(path: &Path) {
    let _ = fs::remove_file(path);
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo: install the Debian package coreutils");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A sparse file of `len` bytes: as large as wanted, costing no disk.
fn sparse(path: &Path, len: u64) {
    let _ = fs::remove_file(path);
    fs::File::create(path).unwrap().set_len(len).unwrap();
}

// ------------------------------------------------------------------ doctor

/// A kbuild tree the doctor calls affected, with a configuration.
fn doctor_tree() -> tempfile::TempDir {
    kbuild_tree(KbuildRelink::Unfixed613, "CONFIG_LTO_CLANG_THIN=y\n")
}

fn doctor(tree: &Path, linker: &Path, limit: Duration) -> (Option<i32>, String) {
    let out = output_within(
        command(shim(), Path::new("/"))
            .env("KBUILD_LD_SHIM_REAL_LD", linker)
            .arg("--shim-doctor")
            .arg(tree),
        limit,
    );
    (out.status.code(), text(&out.stdout))
}

#[test]
fn doctor_reads_a_sane_tree_as_affected() {
    require_toolchain();
    let d = doctor_tree();
    let (code, out) = doctor(d.path(), Path::new(LLD), Duration::from_secs(20));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("AFFECTED"), "{out}");
}

/// A FIFO, /dev/zero or a huge file in place of one of kbuild's scripts
/// or the configuration: the doctor hung (FIFO) or grew without bound
/// (/dev/zero); now it fails at once, naming the file and what it is.
#[test]
fn doctor_fails_at_once_on_fifos_devices_and_huge_files_in_the_tree() {
    require_toolchain();
    for (file, make) in [
        ("scripts/Makefile.lib", "fifo"),
        ("scripts/Makefile.lib", "zero"),
        ("scripts/Makefile.lib", "huge"),
        // make reads these first: it is never started on one of them.
        ("scripts/Makefile.build", "fifo"),
        ("scripts/Kbuild.include", "zero"),
        ("include/config/auto.conf", "fifo"),
        ("include/config/auto.conf", "zero"),
        (".config", "fifo"),
        (".config", "zero"),
        (".config", "huge"),
    ] {
        let d = doctor_tree();
        if file == ".config" {
            fs::remove_file(d.path().join("include/config/auto.conf")).unwrap();
        }
        let path = d.path().join(file);
        let what = match make {
            "fifo" => {
                mkfifo(&path);
                "is a FIFO, not a regular file".to_string()
            }
            "zero" => {
                let _ = fs::remove_file(&path);
                std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
                "is a character device, not a regular file".to_string()
            }
            _ => {
                sparse(&path, 1 << 40);
                "is larger than".to_string()
            }
        };
        let started = Instant::now();
        let (code, out) = doctor(d.path(), Path::new(LLD), Duration::from_secs(20));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{file} {make}: {:?}",
            started.elapsed()
        );
        assert_eq!(code, Some(1), "{file} {make}: {out}");
        let line = out
            .lines()
            .find(|l| l.contains("unreadable"))
            .unwrap_or_else(|| panic!("{file} {make}: no unreadable line in {out}"));
        assert!(line.contains("BROKEN"), "{line}");
        assert!(line.contains(&path.display().to_string()), "{line}");
        assert!(line.contains(&what), "{file} {make}: {line}");
    }
}

/// A linker that never answers `--version`: the doctor waited forever;
/// now it kills it after 10 s and says so.
#[test]
fn doctor_kills_a_linker_that_hangs_on_version() {
    let d = tempfile::tempdir().unwrap();
    let linker = d.path().join("ld.lld");
    write_script(&linker, "exec sleep 1000\n");
    let started = Instant::now();
    let (code, out) = doctor(d.path(), &linker, Duration::from_secs(40));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(10) && took < Duration::from_secs(20),
        "{took:?}"
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(
            "version         BROKEN: the real linker did not answer --version within 10 s (killed)"
        ),
        "{out}"
    );
}

/// A linker whose `--version` never stops printing: the doctor kept all
/// of it (587 MB measured); now it stops at 64 KiB and says so.
#[test]
fn doctor_stops_a_linker_that_prints_without_end() {
    let d = tempfile::tempdir().unwrap();
    let linker = d.path().join("ld.lld");
    write_script(
        &linker,
        "exec yes 'LLD 19.1.7 (compatible with GNU linkers)'\n",
    );
    let started = Instant::now();
    let (code, out) = doctor(d.path(), &linker, Duration::from_secs(20));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("the real linker printed more than 65536 bytes for --version (stopped)"),
        "{out}"
    );
}

// ------------------------------------------------------------------ LD mode

/// LD mode reads auto.conf on every relink, and read it whole: a sparse
/// 1 GiB one made the shim hold 1 GiB. Now it is refused unread, and the
/// passthrough goes on as without it, in a few MB.
#[test]
fn ld_mode_does_not_read_a_huge_auto_conf() {
    let (d, bitcode) = thin_object_dir();
    fs::create_dir_all(d.path().join("include/config")).unwrap();
    sparse(&d.path().join("include/config/auto.conf"), 1 << 30);
    let started = Instant::now();
    let mut child = forced(d.path())
        .args(relink_args())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    // SAFETY: wait4 on our own child, into local values.
    let (status, usage) = loop {
        let mut status = 0;
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        match unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) } {
            0 if started.elapsed() < Duration::from_secs(30) => {
                std::thread::sleep(Duration::from_millis(10))
            }
            0 => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the shim still runs after 30 s");
            }
            got => {
                assert_eq!(got, pid);
                break (status, usage);
            }
        }
    };
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    let peak_kib = usage.ru_maxrss;
    assert!(peak_kib < 64 << 10, "the shim held {peak_kib} KiB");
    assert_eq!(fs::read(d.path().join(".tmp_x.o")).unwrap(), bitcode);
}

// ------------------------------------------------------------------ verify

/// An object tree that verifies as kept: ThinLTO auto.conf, a thin
/// vmlinux.a naming one bitcode object, and a real linked vmlinux.
fn verify_tree() -> tempfile::TempDir {
    let (d, _) = thin_object_dir();
    let p = d.path();
    fs::create_dir_all(p.join("include/config")).unwrap();
    fs::write(
        p.join("include/config/auto.conf"),
        "CONFIG_ARM64=y\nCONFIG_LTO_CLANG_THIN=y\nCONFIG_MODULES=y\n",
    )
    .unwrap();
    run_ok(command(LLVM_AR, p).args(["cDPrST", "vmlinux.a", "x.o"]));
    compile(
        p,
        "start",
        "int _start(void) { return 0; }\n",
        &["--target=aarch64-linux-gnu", "-O2", "-ffreestanding"],
    );
    run_ok(command(LLD, p).args(["-o", "vmlinux", "start.o"]));
    d
}

fn verify(tree: &Path) -> (Option<i32>, String) {
    let out = output_within(
        command(shim(), tree).args(["--shim-verify", "."]),
        Duration::from_secs(30),
    );
    (out.status.code(), text(&out.stdout) + &text(&out.stderr))
}

#[track_caller]
fn assert_cannot_tell(tree: &Path, needles: &[&str]) {
    let started = Instant::now();
    let (code, out) = verify(tree);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("CANNOT TELL (exit 1)"), "{out}");
    for n in needles {
        assert!(out.contains(n), "{n:?} not in {out}");
    }
}

/// The ELF64 section header of the first SHT_SYMTAB in `elf`, by offset.
fn symtab_header(elf: &[u8]) -> usize {
    let u16_at = |at: usize| u16::from_le_bytes(elf[at..at + 2].try_into().unwrap()) as usize;
    let shoff = u64::from_le_bytes(elf[0x28..0x30].try_into().unwrap()) as usize;
    let (shentsize, shnum) = (u16_at(0x3a), u16_at(0x3c));
    (0..shnum)
        .map(|i| shoff + i * shentsize)
        .find(|&h| u32::from_le_bytes(elf[h + 4..h + 8].try_into().unwrap()) == 2)
        .expect("vmlinux has a symbol table")
}

#[test]
fn verify_a_sane_tree_is_kept() {
    let d = verify_tree();
    let (code, out) = verify(d.path());
    assert_eq!(code, Some(0), "{out}");
}

/// A symbol table claimed to be 2^46 bytes: the shim aborted allocating
/// it (exit 134); now the size is checked against the file first.
#[test]
fn verify_a_vmlinux_with_a_crafted_section_size_cannot_tell() {
    let d = verify_tree();
    let path = d.path().join("vmlinux");
    let mut elf = fs::read(&path).unwrap();
    let h = symtab_header(&elf);
    elf[h + 0x20..h + 0x28].copy_from_slice(&(1u64 << 46).to_le_bytes());
    fs::write(&path, &elf).unwrap();
    assert_cannot_tell(
        d.path(),
        &[
            "vmlinux",
            "the symbol table",
            "runs past the end of the file",
        ],
    );
}

/// A symbol table of 1 GB inside a sparse vmlinux: well-formed, and the
/// shim held all of it (1 GB); now it is over the symbol cap, unread.
#[test]
fn verify_a_vmlinux_with_a_sparse_huge_symbol_table_is_too_large() {
    let d = verify_tree();
    let path = d.path().join("vmlinux");
    let mut elf = fs::read(&path).unwrap();
    let end = elf.len() as u64;
    let h = symtab_header(&elf);
    elf[h + 0x18..h + 0x20].copy_from_slice(&end.to_le_bytes());
    elf[h + 0x20..h + 0x28].copy_from_slice(&(1u64 << 30).to_le_bytes());
    fs::write(&path, &elf).unwrap();
    fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(end + (1 << 30))
        .unwrap();
    assert_cannot_tell(
        d.path(),
        &["vmlinux", "too large", "symbols in the symbol tables"],
    );
}

/// A thin archive of 300,000 members (a million cost 407 MB): over the
/// member cap, refused before any member is looked at.
#[test]
fn verify_an_archive_of_too_many_members_is_too_large() {
    let d = verify_tree();
    let mut ar = b"!<thin>\n".to_vec();
    for i in 0..300_000u32 {
        let name = format!("m{i:x}.o/");
        ar.extend(
            format!(
                "{name:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n",
                0, 0, 0, 644, 100
            )
            .as_bytes(),
        );
    }
    fs::write(d.path().join("vmlinux.a"), ar).unwrap();
    assert_cannot_tell(
        d.path(),
        &["vmlinux.a", "too large: more than 262144 members"],
    );
}

/// A `.mod` listing two million parts took 13 s: a file that large is
/// over the .mod cap, and a smaller one listing 70,000 parts over the
/// part cap.
#[test]
fn verify_a_mod_file_of_too_many_parts_is_too_large() {
    let d = verify_tree();
    let p = d.path();
    fs::write(p.join("modules.order"), "m.o\n").unwrap();
    fs::copy(p.join("start.o"), p.join("m.o")).unwrap();
    fs::write(p.join("m.mod"), "p.o\n".repeat(2_000_000)).unwrap();
    assert_cannot_tell(p, &["m.mod", "is larger than 4194304 bytes"]);
    fs::write(p.join("m.mod"), "p.o\n".repeat(70_000)).unwrap();
    assert_cannot_tell(p, &["m.mod", "too large: lists more than 65536 parts"]);
}

/// A module object that is missing or a FIFO is not a wrong build (5):
/// nothing can be told of it (1). The FIFO is not waited on.
#[test]
fn verify_a_missing_or_fifo_module_object_cannot_tell() {
    let d = verify_tree();
    let p = d.path();
    fs::write(p.join("modules.order"), "m.o\n").unwrap();
    assert_cannot_tell(p, &["m.o: No such file or directory"]);
    mkfifo(&p.join("m.o"));
    assert_cannot_tell(p, &["m.o: is a FIFO, not a regular file"]);
    // A bitcode module object is still a wrong build.
    fs::remove_file(p.join("m.o")).unwrap();
    fs::copy(p.join("x.o"), p.join("m.o")).unwrap();
    assert_eq!(verify(p).0, Some(5));
}

// ------------------------------------------------------------------ record

/// A scratch directory holding `y.o`, an ELF object ld.lld-19 links with `-r`.
fn dir_with_an_elf_object() -> tempfile::TempDir {
    require_toolchain();
    let d = tempfile::tempdir().unwrap();
    compile(
        d.path(),
        "y",
        "int y(void) { return 2; }\n",
        &["--target=aarch64-linux-gnu", "-O2"],
    );
    d
}

/// The link wrote `out.o`, and the record's failure (`cause`) cost one
/// warning line and nothing else.
fn assert_linked_with_one_record_warning(p: &Path, err: &str, cause: &str) {
    assert!(is_elf(&fs::read(p.join("out.o")).unwrap()));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("kbuild-ld-shim: warn: cannot write record") && err.contains(cause),
        "{err}"
    );
}

/// A record file already at the `ulimit -f` limit: SIGXFSZ killed the
/// shim (exit 153) before the link ran. Now the record costs one warning,
/// and ld.lld-19's link runs and writes its output.
#[test]
fn a_record_at_the_file_size_limit_costs_a_warning_not_the_link() {
    let d = dir_with_an_elf_object();
    let p = d.path();
    // dash's `ulimit -f` counts 512-byte blocks: 2048 is 1 MiB.
    let record = p.join("record.jsonl");
    fs::write(&record, vec![b'\n'; 1 << 20]).unwrap();
    let probe = command("/bin/sh", p)
        .args(["-c", "ulimit -f 2048; printf x >> record.jsonl"])
        .status()
        .unwrap();
    assert!(!probe.success(), "the record is not at the limit");
    assert_eq!(fs::metadata(&record).unwrap().len(), 1 << 20);

    let out = output_within(
        command("/bin/sh", p)
            .env("KBUILD_LD_SHIM_REAL_LD", LLD)
            .env("KBUILD_LD_SHIM_RECORD", &record)
            .args(["-c", "ulimit -f 2048; exec \"$0\" -r -o out.o y.o"])
            .arg(shim()),
        Duration::from_secs(30),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_linked_with_one_record_warning(p, &err, "File too large");
    assert_eq!(fs::metadata(&record).unwrap().len(), 1 << 20);
}

/// The record on a full file system (a 64 KiB tmpfs, filled): ENOSPC is
/// one warning and ld.lld-19's link runs and writes its output.
#[test]
fn a_record_on_a_full_file_system_costs_a_warning_not_the_link() {
    let d = dir_with_an_elf_object();
    let p = d.path();
    let script = "mkdir m && mount -t tmpfs -o size=64k tmpfs m && \
        { head -c 1048576 /dev/zero > m/fill 2>/dev/null; : > m/record.jsonl; } && \
        \"$0\" -r -o out.o y.o; echo \"rc=$?\"";
    let out = output_within(
        private_mount_namespace(p)
            .env("KBUILD_LD_SHIM_REAL_LD", LLD)
            .env("KBUILD_LD_SHIM_RECORD", "m/record.jsonl")
            .args(["/bin/sh", "-c", script])
            .arg(shim()),
        Duration::from_secs(30),
    );
    let (stdout, err) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(stdout, "rc=0\n", "{err}");
    assert_linked_with_one_record_warning(p, &err, "No space left on device");
}

/// A call with 12,000 long input names made a 1.3 MB record line, which
/// the shim wrote and its own report then rejected. Now the line is held
/// to the reader's limit and the report reads it.
#[test]
fn the_record_line_of_a_huge_call_is_one_the_report_reads() {
    require_toolchain();
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let names: Vec<String> = (0..12_000)
        .map(|i| format!("drivers/{}/{i}.o", "n".repeat(100)))
        .collect();
    fs::write(p.join("many.rsp"), names.join("\n")).unwrap();
    let record = p.join("record.jsonl");
    let out = output_within(
        shim_cmd(p)
            .env("KBUILD_LD_SHIM_RECORD", &record)
            .args(["-o", "out", "@many.rsp"]),
        Duration::from_secs(30),
    );
    assert_ne!(out.status.code(), Some(0), "ld.lld finds no such inputs");
    let line = fs::read(&record).unwrap();
    assert!(line.len() <= kbuild_ld_shim::record::MAX_LINE_BYTES + 1);
    let report = output_within(
        command(shim(), p).args(["--shim-report", "record.jsonl", "--json"]),
        Duration::from_secs(30),
    );
    assert!(report.status.success(), "{}", text(&report.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(summary["invocations"], 1, "{summary}");
    assert_eq!(summary["bad_lines"], 0, "{summary}");
}

/// The report names an over-long line by its number, as such, and reads
/// on: the records around it are counted.
#[test]
fn the_report_names_an_over_long_line_and_goes_on() {
    let d = tempfile::tempdir().unwrap();
    let good = r#"{"time":1.0,"pid":1,"cwd":"/k","decision":"forward","reason":"probe","detail":"d","output":null,"inputs":[],"lto":null,"bytes":0,"micros":5}"#;
    let long = format!(
        "{{\"detail\":\"{}\"}}",
        "x".repeat(kbuild_ld_shim::record::MAX_LINE_BYTES)
    );
    fs::write(
        d.path().join("r.jsonl"),
        format!("{good}\n{long}\n{good}\n"),
    )
    .unwrap();
    let out = output_within(
        command(shim(), d.path()).args(["--shim-report", "r.jsonl"]),
        Duration::from_secs(30),
    );
    assert!(out.status.success());
    let t = text(&out.stdout);
    assert!(
        t.contains("record line 2: longer than 1048576 bytes"),
        "{t}"
    );
    assert!(t.contains("invocations        2"), "{t}");
}
