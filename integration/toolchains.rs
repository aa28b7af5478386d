//! ld.lld's option table across the LLVM releases the project tests
//! (`toolchains::TESTED_LLVM_MAJORS`): the committed table is exactly what
//! src/link/options/gen.py reads out of ld.lld-19, and every flag Linux 6.13 kbuild
//! gives `$(LD)` reads the same in each tested ld.lld as in the shim's table,
//! so the shim's decision does not depend on which of them the kernel uses.

use kbuild_ld_shim::link::options::{self, lookup_in, Dash, Form, OptValue};
use kbuild_ld_shim::link::request::classify;
use kbuild_ld_shim::relink::decision::{relink_candidate, Reason};
use kbuild_ld_shim::toolchains::TESTED_LLVM_MAJORS;
use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

const GEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/link/options/gen.py");
const COMMITTED: &str = include_str!("../src/link/options/lld.rs");

fn require(tool: &str, package: &str) {
    assert!(
        which::which(tool).is_ok(),
        "{tool} not found: apt-get install {package}"
    );
}

/// gen.py's output for ld.lld-N.
fn generate(llvm: u32) -> String {
    require("python3", "python3");
    require(&format!("ld.lld-{llvm}"), &format!("lld-{llvm}"));
    let out = Command::new("python3")
        .arg(GEN)
        .arg(format!("ld.lld-{llvm}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gen.py ld.lld-{llvm} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The rows of a generated table (`    ("name", Dash, Form),` lines).
fn rows(table: &str) -> Vec<(String, Dash, Form)> {
    table
        .lines()
        .filter_map(|l| l.trim().strip_prefix("(\"")?.strip_suffix("),"))
        .map(|row| {
            let (name, rest) = row.split_once("\", ").expect(row);
            let (dash, form) = rest.split_once(", ").expect(row);
            let dash = match dash {
                "One" => Dash::One,
                "Two" => Dash::Two,
                "Both" => Dash::Both,
                _ => panic!("dash in {row}"),
            };
            let form = match form {
                "Flag" => Form::Flag,
                "Joined" => Form::Joined,
                "Separate" => Form::Separate,
                "JoinedOrSeparate" => Form::JoinedOrSeparate,
                "EqForm" => Form::Eq,
                _ => panic!("form in {row}"),
            };
            (name.to_owned(), dash, form)
        })
        .collect()
}

/// How a table reads each argument: option name, dash prefix, form and value,
/// or unknown; a separate value is consumed as lld does.
fn read<S: AsRef<str>>(table: &[(S, Dash, Form)], args: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i];
        i += 1;
        if !arg.starts_with('-') || arg == "-" {
            out.push(format!("input {arg}"));
            continue;
        }
        match lookup_in(table, arg) {
            None => out.push(format!("unknown {arg}")),
            Some((row, prefix, value)) => {
                let (name, _, form) = &table[row];
                let value = match value {
                    OptValue::None => String::new(),
                    OptValue::Inline(v) => format!(" inline {v:?}"),
                    OptValue::NextArg => {
                        i += 1;
                        format!(" next {:?}", args.get(i - 1))
                    }
                };
                out.push(format!("{prefix}{} {form:?}{value}", name.as_ref()));
            }
        }
    }
    out
}

/// The arguments ld.lld-N itself reports as unknown in `flags`, asked the
/// way kbuild's ld-option asks (`$(LD) ... flags -v`). Other errors, such as
/// an emulation an older lld lacks, are about values, not option spellings.
fn unknown_to(llvm: u32, flags: &[&str]) -> Vec<String> {
    let out = Command::new(format!("ld.lld-{llvm}"))
        .args(flags)
        .arg("-v")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let unknown: Vec<String> = stderr
        .lines()
        .filter_map(|l| {
            l.split_once("error: unknown argument '")?
                .1
                .split_once('\'')
        })
        .map(|(arg, _)| arg.to_owned())
        .collect();
    assert!(
        out.status.success() || !stderr.is_empty(),
        "ld.lld-{llvm} {flags:?} -v failed without a message"
    );
    unknown
}

struct Flags {
    /// The flags as kbuild writes them into the $(LD) command line.
    args: &'static str,
    /// Where they come from in Linux 6.13's Makefiles.
    from: &'static str,
    /// Why kbuild never gives them to an ld.lld that rejects them, if one of
    /// the tested ld.lld versions does.
    guard: Option<&'static str>,
}

const fn f(args: &'static str, from: &'static str) -> Flags {
    Flags {
        args,
        from,
        guard: None,
    }
}

/// ld_flags = KBUILD_LDFLAGS + ldflags-y + LDFLAGS_$(@F) on the per-object
/// relink (scripts/Makefile.build, scripts/Makefile.lib), per architecture
/// clang builds, and the module and vmlinux flags of the other $(LD) calls.
const KBUILD: &[Flags] = &[
    f(
        "-EL -maarch64elf -z norelro -mllvm -import-instr-limit=5 -z noexecstack -r -o d/.tmp_a.o",
        "arm64: arch/arm64/Makefile -EL, ld-option -maarch64elf, LD_IS_LLD -z norelro; Makefile LTO_CLANG -mllvm, -z noexecstack; cmd_ld_single",
    ),
    f("-EB -maarch64elfb -z norelro", "arm64 CPU_BIG_ENDIAN"),
    f("-EL -maarch64linux -z norelro", "arm64 ld-option fallback"),
    f("-EB -maarch64linuxb -z norelro", "arm64 big-endian ld-option fallback"),
    f(
        "-m elf_x86_64 -mllvm -import-instr-limit=5 -z noexecstack -r -o d/.tmp_a.o",
        "x86_64: arch/x86/Makefile -m elf_$(UTS_MACHINE)",
    ),
    f("-m elf_i386", "x86 32-bit"),
    f(
        "-melf64lriscv -mllvm -mattr=+c -mllvm -mattr=+relax",
        "riscv64: arch/riscv/Makefile, LTO_CLANG",
    ),
    f("-melf32lriscv", "riscv32"),
    Flags {
        args: "--no-relax-gp",
        from: "riscv SHADOW_CALL_STACK",
        guard: Some("HAVE_SHADOW_CALL_STACK depends on $(ld-option,--no-relax-gp)"),
    },
    f("-EL -m elf64lppc", "powerpc64le: arch/powerpc/Makefile -m elf$(BITS)$(LDEMULATION)"),
    f("-EB -m elf64ppc", "powerpc64"),
    f("-m elf64loongarch", "loongarch: -m $(ld-emul)"),
    f("-m elf64_s390", "s390"),
    f("-EL", "arm: arch/arm/Makefile"),
    f("--build-id=sha1", "Makefile: KBUILD_LDFLAGS_MODULE, LDFLAGS_vmlinux"),
    f("-X", "Makefile: LDFLAGS_vmlinux with STRIP_ASM_SYMS"),
    f(
        "--pack-dyn-relocs=relr",
        "Makefile: LDFLAGS_vmlinux with RELR (ld-option)",
    ),
    f("-z pack-relative-relocs", "Makefile: RELR ld-option fallback"),
    f(
        "-shared -Bsymbolic -z notext --no-apply-dynamic-relocs",
        "arm64: LDFLAGS_vmlinux with RELOCATABLE",
    ),
    f(
        "--no-undefined -X --pic-veneer -z norelro",
        "arm: LDFLAGS_vmlinux",
    ),
    f(
        "--thinlto-cache-dir=.thinlto-cache",
        "KBUILD_LDFLAGS with LTO_CLANG_THIN in kernels before 6.12",
    ),
    Flags {
        args: "--no-warn-rwx-segments",
        from: "Makefile: KBUILD_LDFLAGS with LD_IS_BFD (ld-option)",
        guard: Some("only with CONFIG_LD_IS_BFD: kbuild never gives it to ld.lld"),
    },
    Flags {
        args: "--be8",
        from: "arm: KBUILD_LDFLAGS_MODULE, LDFLAGS_vmlinux with CPU_ENDIAN_BE8",
        guard: Some("arch/arm/mm/Kconfig: CPU_BIG_ENDIAN depends on !LD_IS_LLD"),
    },
];

#[test]
fn generator_reproduces_the_committed_table_from_ld_lld_19() {
    let generated = generate(19);
    assert!(
        generated == COMMITTED,
        "python3 src/link/options/gen.py ld.lld-19 differs from src/link/options/lld.rs:\n{}",
        first_difference(&generated, COMMITTED)
    );
    assert_eq!(rows(COMMITTED).len(), options::LLD_ROWS.len());
}

fn first_difference(a: &str, b: &str) -> String {
    let (mut la, mut lb) = (a.lines(), b.lines());
    for n in 1.. {
        match (la.next(), lb.next()) {
            (None, None) => break,
            (x, y) if x != y => return format!("line {n}: generated {x:?}, committed {y:?}"),
            _ => {}
        }
    }
    "no line differs (line endings?)".into()
}

#[test]
fn every_tested_ld_lld_reads_kbuilds_flags_as_the_shim_does() {
    let mut failures = Vec::new();
    for &llvm in TESTED_LLVM_MAJORS {
        let table = rows(&generate(llvm));
        assert!(
            table.len() > 300,
            "ld.lld-{llvm}: only {} rows",
            table.len()
        );
        for flags in KBUILD {
            let args: Vec<&str> = flags.args.split(' ').collect();
            let theirs = read(&table, &args);
            let table_unknown: Vec<String> = theirs
                .iter()
                .filter_map(|r| Some(r.strip_prefix("unknown ")?.to_owned()))
                .collect();
            // Without inputs, `-r -o x -v` only prints the version.
            let lld_unknown = unknown_to(llvm, &args);
            if table_unknown != lld_unknown {
                failures.push(format!(
                    "ld.lld-{llvm} {}: gen.py's table has {table_unknown:?} unknown, the linker {lld_unknown:?}",
                    flags.args
                ));
            }
            if !lld_unknown.is_empty() {
                if flags.guard.is_none() {
                    failures.push(format!(
                        "ld.lld-{llvm} rejects {lld_unknown:?} ({}), which kbuild passes unguarded",
                        flags.from
                    ));
                }
                continue;
            }
            let ours = read(options::LLD_ROWS, &args);
            if ours != theirs {
                failures.push(format!(
                    "{} ({}): the shim reads {ours:?}, ld.lld-{llvm} reads {theirs:?}",
                    flags.args, flags.from
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_per_object_relink_is_a_single_input_relink_in_every_shape() {
    let relinks: Vec<&Flags> = KBUILD
        .iter()
        .filter(|f| f.args.ends_with(" -r -o d/.tmp_a.o"))
        .collect();
    assert_eq!(relinks.len(), 2, "the arm64 and x86_64 relinks");
    for flags in relinks {
        let mut args: Vec<OsString> = flags.args.split(' ').map(OsString::from).collect();
        args.push("d/a.o".into());
        let req = classify(&args).unwrap();
        assert!(relink_candidate(&req).is_ok(), "{}: {req:?}", flags.args);
        assert_eq!(req.output.as_deref(), Some(Path::new("d/.tmp_a.o")));
    }
}

/// An option lld gained after the table's release (or one only GNU ld has)
/// is unknown to the shim, so the call is forwarded, never guessed at; the
/// real ld.lld-19 rejects them too, which is what makes the table complete.
#[test]
fn options_the_table_lacks_are_forwarded() {
    require("ld.lld-19", "lld-19");
    for newer in [
        "--bp-compression-sort=both",
        "--why-live=sym",
        "--no-warn-rwx-segments",
        "-i",
    ] {
        assert_eq!(unknown_to(19, &[newer]), [newer]);
        let args: Vec<OsString> = [
            "-EL",
            "-maarch64elf",
            newer,
            "-r",
            "-o",
            "d/.tmp_a.o",
            "d/a.o",
        ]
        .map(OsString::from)
        .to_vec();
        let req = classify(&args).unwrap();
        assert_eq!(req.unknown, [newer], "{newer}");
        assert!(
            matches!(relink_candidate(&req), Err(Reason::UnknownOption(u)) if u == [newer]),
            "{newer}"
        );
    }
}
