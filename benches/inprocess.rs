//! In-process cost of the shim's decision work (criterion; `cargo bench`).
//!
//! What is measured, each on real-shaped input:
//! - argv classification (`request::classify`) of kbuild command lines:
//!   the per-object relink and the long `vmlinux.o` link;
//! - the bitstream walk (`bitcode::examine_path`) on ThinLTO bitcode files of
//!   about 100 KB, 1 MB, 5 MB and 50 MB, plus a 2 MB file with a tenth of the
//!   5 MB one's functions, ten times longer (the walk follows the block
//!   count, not the size);
//! - the same walk without its jump over the function blocks
//!   (`bitcode::examine_path_without_jump`), reading every function block's
//!   header: what the jump saves, file by file;
//! - recipe parsing (`recipe::analyse`) of a ~5 KB unfixed-6.13 arm64 recipe;
//! - the whole decision (`evaluate::evaluate`) of a relink of the 5 MB file.
//!
//! The bitcode files are generated once by `benches/gen-bitcode.sh`
//! (clang-19 -O2 -flto=thin on synthetic C) into `target/bench-data/` and
//! reused; the 50 MB one takes a few minutes the first time. Set
//! `KBUILD_LD_SHIM_BENCH_NO_50MB=1` to skip it.

use std::ffi::OsString;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use kbuild_ld_shim::bitcode;
use kbuild_ld_shim::environment::Mode;
use kbuild_ld_shim::kbuild::recipe;
use kbuild_ld_shim::kbuild::tree::Exported;
use kbuild_ld_shim::link::request;
use kbuild_ld_shim::relink::decision::Decision;
use kbuild_ld_shim::relink::evaluate;

/// (label, functions, statements per function): the generator's knobs.
const FILES: &[(&str, usize, usize)] = &[
    ("100KB", 200, 10),
    ("1MB", 600, 40),
    ("5MB", 3000, 40),
    ("2MB-300fn-long", 300, 400),
    ("50MB", 30000, 40),
];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data_dir() -> PathBuf {
    // CARGO_TARGET_DIR when set, else target/ beside Cargo.toml.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("target"));
    target.join("bench-data")
}

/// Path of the generated file for (functions, statements), generating it
/// with clang-19 if it is not cached yet.
fn bitcode_file(funcs: usize, stmts: usize) -> PathBuf {
    let out = data_dir().join(format!("fn{funcs}x{stmts}.o"));
    if !out.exists() {
        eprintln!("generating {} (clang-19, once)...", out.display());
        let status = Command::new("bash")
            .arg(manifest_dir().join("benches/gen-bitcode.sh"))
            .arg(&out)
            .arg(funcs.to_string())
            .arg(stmts.to_string())
            .status()
            .expect("running benches/gen-bitcode.sh");
        assert!(status.success(), "benches/gen-bitcode.sh failed");
    }
    out
}

fn os(words: &[&str]) -> Vec<OsString> {
    words.iter().map(OsString::from).collect()
}

/// KBUILD_LDFLAGS of an arm64 LTO build, as the unfixed kernel passes them
/// ahead of every relocatable link.
const KBUILD_LDFLAGS: &[&str] = &[
    "-EL",
    "-maarch64elf",
    "-z",
    "norelro",
    "-mllvm",
    "-import-instr-limit=5",
    "-z",
    "noexecstack",
];

/// kbuild 6.13's per-object relink.
const RELINK_TAIL: &[&str] = &["-r", "-o", "kernel/.tmp_fork.o", "kernel/fork.o"];

/// The vmlinux.o link (Makefile.vmlinux_o), the longest ordinary LD call.
const VMLINUX_O_TAIL: &[&str] = &[
    "-r",
    "-o",
    "vmlinux.o",
    "--whole-archive",
    "vmlinux.a",
    "--no-whole-archive",
    "--start-group",
    "./drivers/firmware/efi/libstub/lib.a",
    "lib/lib.a",
    "arch/arm64/lib/lib.a",
    "--end-group",
];

fn ld_call(tail: &[&str]) -> Vec<OsString> {
    let mut args = os(KBUILD_LDFLAGS);
    args.extend(os(tail));
    args
}

/// A ~5 KB recipe as make hands it to `sh -c` on an unfixed 6.13 arm64
/// tree: the compile with kbuild's full flag list, the relink and the mv,
/// and the trailing fixdep / .cmd bookkeeping.
fn kbuild_recipe() -> String {
    let mut flags = String::new();
    for w in [
        "-Wp,-MMD,kernel/.fork.o.d",
        "-nostdinc",
        "-I./arch/arm64/include",
        "-I./arch/arm64/include/generated",
        "-I./include",
        "-I./include",
        "-I./arch/arm64/include/uapi",
        "-I./arch/arm64/include/generated/uapi",
        "-I./include/uapi",
        "-I./include/generated/uapi",
        "-include ./include/linux/compiler-version.h",
        "-include ./include/linux/kconfig.h",
        "-include ./include/linux/compiler_types.h",
        "-D__KERNEL__",
        "--target=aarch64-linux-gnu",
        "-fintegrated-as",
        "-Werror=unknown-warning-option",
        "-Werror=ignored-optimization-argument",
        "-Werror=option-ignored",
        "-Werror=unused-command-line-argument",
        "-mlittle-endian",
        "-DKASAN_SHADOW_SCALE_SHIFT=",
        "-fmacro-prefix-map=./=",
        "-std=gnu11",
        "-fshort-wchar",
        "-funsigned-char",
        "-fno-common",
        "-fno-PIE",
        "-fno-strict-aliasing",
        "-mgeneral-regs-only",
        "-DCONFIG_CC_HAS_K_CONSTRAINT=1",
        "-Wno-psabi",
        "-fno-asynchronous-unwind-tables",
        "-fno-unwind-tables",
        "-mbranch-protection=pac-ret",
        "-Wa,-march=armv8.5-a",
        "-DARM64_ASM_ARCH='\"armv8.5-a\"'",
        "-DKASAN_SHADOW_SCALE_SHIFT=",
        "-fno-delete-null-pointer-checks",
        "-O2",
        "-fstack-protector-strong",
        "-fno-omit-frame-pointer",
        "-fno-optimize-sibling-calls",
        "-ftrivial-auto-var-init=zero",
        "-fno-stack-clash-protection",
        "-fzero-call-used-regs=used-gpr",
        "-fpatchable-function-entry=4,2",
        "-falign-functions=8",
        "-fstrict-flex-arrays=3",
        "-fno-strict-overflow",
        "-fno-stack-check",
        "-flto=thin",
        "-fsplit-lto-unit",
        "-fvisibility=hidden",
        "-Wall",
        "-Wundef",
        "-Werror=implicit-function-declaration",
        "-Werror=implicit-int",
        "-Werror=return-type",
        "-Werror=strict-prototypes",
        "-Wno-format-security",
        "-Wno-trigraphs",
        "-Wno-frame-address",
        "-Wno-address-of-packed-member",
        "-Wmissing-declarations",
        "-Wmissing-prototypes",
        "-Wframe-larger-than=2048",
        "-Wno-gnu",
        "-Wvla",
        "-Wno-pointer-sign",
        "-Wcast-function-type",
        "-Wimplicit-fallthrough",
        "-Werror=date-time",
        "-Werror=incompatible-pointer-types",
        "-Wenum-conversion",
        "-Wextra",
        "-Wunused",
        "-Wno-unused-but-set-variable",
        "-Wno-unused-const-variable",
        "-Wno-format-overflow",
        "-Wno-override-init",
        "-Wno-pointer-to-enum-cast",
        "-Wno-tautological-constant-out-of-range-compare",
        "-Wno-unaligned-access",
        "-Wno-enum-compare-conditional",
        "-Wno-missing-field-initializers",
        "-Wno-type-limits",
        "-Wno-shift-negative-value",
        "-Wno-enum-enum-conversion",
        "-Wno-sign-compare",
        "-Wno-unused-parameter",
        "-g",
        "-gdwarf-5",
    ] {
        flags.push_str(w);
        flags.push(' ');
    }
    // Pad with a realistic -D list until the recipe is about 5 KB.
    let mut script = String::new();
    let mut i = 0;
    loop {
        script.clear();
        script.push_str("set -e;  trap 'rm -f kernel/fork.o; trap - HUP; kill -s HUP $$' HUP; ");
        script.push_str("echo '  CC      kernel/fork.o'; clang ");
        script.push_str(&flags);
        for k in 0..i {
            script.push_str(&format!("-DCONFIG_PAD_{k}=1 "));
        }
        script.push_str(
            "-DKBUILD_MODFILE='\"kernel/fork\"' -DKBUILD_BASENAME='\"fork\"' \
             -DKBUILD_MODNAME='\"fork\"' -D__KBUILD_MODNAME=kmod_fork -c -o kernel/fork.o \
             kernel/fork.c ; ld.lld -EL -maarch64elf -z norelro -mllvm -import-instr-limit=5 \
             -z noexecstack -r -o kernel/.tmp_fork.o kernel/fork.o; \
             mv kernel/.tmp_fork.o kernel/fork.o; \
             scripts/basic/fixdep kernel/.fork.o.d kernel/fork.o 'clang ...' > kernel/.fork.o.cmd; \
             rm -f kernel/.fork.o.d",
        );
        if script.len() >= 5000 {
            return script;
        }
        i += 1;
    }
}

fn bench_classify(c: &mut Criterion) {
    let relink = ld_call(RELINK_TAIL);
    let vmlinux = ld_call(VMLINUX_O_TAIL);
    let mut g = c.benchmark_group("classify");
    g.bench_function("relink-12-args", |b| {
        b.iter(|| request::classify(black_box(&relink)).unwrap())
    });
    g.bench_function("vmlinux.o-20-args", |b| {
        b.iter(|| request::classify(black_box(&vmlinux)).unwrap())
    });
    g.finish();
}

fn bench_recipe(c: &mut Criterion) {
    let script = kbuild_recipe();
    let (input, output) = (Path::new("kernel/fork.o"), Path::new("kernel/.tmp_fork.o"));
    assert!(matches!(
        recipe::analyse(&script, input, output),
        Some(recipe::Reading::Proven(_))
    ));
    let mut g = c.benchmark_group("recipe");
    g.throughput(Throughput::Bytes(script.len() as u64));
    g.bench_function(format!("analyse-{}B", script.len()), |b| {
        b.iter(|| recipe::analyse(black_box(&script), input, output).unwrap())
    });
    g.finish();
}

fn bench_walk(c: &mut Criterion) {
    walk_group(c, "examine_path", bitcode::examine_path, |path, facts| {
        assert_eq!(
            facts.bitcode.as_ref().map(|b| b.lto),
            Some(bitcode::Lto::Thin),
            "{}",
            path.display()
        );
    });
    // Both walks must give the same answer for the comparison to mean
    // anything.
    walk_group(
        c,
        "examine_path_without_jump",
        bitcode::examine_path_without_jump,
        |path, facts| {
            assert_eq!(
                *facts,
                bitcode::examine_path(path).unwrap(),
                "{}",
                path.display()
            )
        },
    );
}

/// One criterion group timing `walk` over every file of [`FILES`] (the 50 MB
/// one skipped when KBUILD_LD_SHIM_BENCH_NO_50MB is set), after `check` has
/// asserted that its answer on that file is the right one.
fn walk_group(
    c: &mut Criterion,
    group: &str,
    walk: fn(&Path) -> Result<bitcode::FileFacts, bitcode::BitcodeError>,
    check: impl Fn(&Path, &bitcode::FileFacts),
) {
    let skip_50 = std::env::var_os("KBUILD_LD_SHIM_BENCH_NO_50MB").is_some();
    let mut g = c.benchmark_group(group);
    g.measurement_time(Duration::from_secs(4));
    for &(label, funcs, stmts) in FILES {
        if skip_50 && label == "50MB" {
            continue;
        }
        let path = bitcode_file(funcs, stmts);
        let len = std::fs::metadata(&path).unwrap().len();
        check(&path, &walk(&path).unwrap());
        g.throughput(Throughput::Bytes(len));
        g.bench_with_input(
            BenchmarkId::new(format!("{label}-{funcs}fn"), len),
            &path,
            |b, p| b.iter(|| walk(black_box(p)).unwrap()),
        );
    }
    g.finish();
}

fn bench_evaluate(c: &mut Criterion) {
    let big = bitcode_file(3000, 40);
    // A kernel-shaped object tree: auto.conf with ThinLTO, the input under
    // kernel/ (a hard link when possible, so nothing is copied).
    let tree = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tree.path().join("include/config")).unwrap();
    std::fs::create_dir_all(tree.path().join("kernel")).unwrap();
    std::fs::write(
        tree.path().join("include/config/auto.conf"),
        "CONFIG_LTO_CLANG_THIN=y\nCONFIG_LTO_CLANG=y\nCONFIG_MODULES=y\nCONFIG_ARM64=y\n",
    )
    .unwrap();
    let input = tree.path().join("kernel/fork.o");
    if std::fs::hard_link(&big, &input).is_err() {
        std::fs::copy(&big, &input).unwrap();
    }
    let args = ld_call(RELINK_TAIL);
    // kbuild exports objtree `.` to a kernel build's recipes.
    let exported = Exported {
        objtree: Some(".".into()),
    };
    // No make recipe is our ancestor here, so force mode is what reaches
    // the passthrough decision; the /proc walk still runs in full.
    let eval = evaluate::evaluate(Mode::Force, &args, tree.path(), &exported);
    assert!(
        matches!(eval.decision, Decision::Passthrough(..)),
        "{:?}",
        eval.decision
    );
    let short = os(&["--version"]);
    let mut g = c.benchmark_group("evaluate");
    g.bench_function("relink-5MB-force", |b| {
        b.iter(|| evaluate::evaluate(Mode::Force, black_box(&args), tree.path(), &exported))
    });
    g.bench_function("forward---version", |b| {
        b.iter(|| evaluate::evaluate(Mode::Auto, black_box(&short), tree.path(), &exported))
    });
    g.finish();
}

criterion_group!(
    benches,
    bench_classify,
    bench_recipe,
    bench_walk,
    bench_evaluate
);
criterion_main!(benches);
