//! What the bitcode tests share: real clang output with llvm-bcanalyzer's
//! reading of it as the reference, small C sources and flag sets that make
//! each kind of file, and a bit writer for the streams clang never writes.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::records::{DEFINE_ABBREV, END_BLOCK, ENTER_SUBBLOCK, UNABBREV_RECORD};
use super::{examine, examine_path, walk_source, BitcodeError, BitcodeFacts, Lto};

/// The LLVM versions whose bitcode the walk is checked against: the
/// project's one list of tested releases. Each must be installed: a missing
/// one fails the test, naming its package.
pub(super) use crate::toolchains::TESTED_LLVM_MAJORS as LLVM_VERSIONS;

/// The version for the tests that need one toolchain rather than all: the
/// one the benches and the integration tests build with.
pub(super) const LLVM: u32 = 19;

/// clang-N and llvm-bcanalyzer-N of one LLVM version, checked to run.
pub(super) struct Toolchain {
    pub(super) version: u32,
}

/// The toolchain of LLVM `version`. A missing or broken clang-N or
/// llvm-bcanalyzer-N fails the calling test with one line naming the
/// Debian package to install; a test never passes without its reference.
pub(super) fn toolchain(version: u32) -> Toolchain {
    require(&format!("clang-{version}"), &format!("clang-{version}"));
    require(
        &format!("llvm-bcanalyzer-{version}"),
        &format!("llvm-{version}"),
    );
    Toolchain { version }
}

fn require(tool: &str, package: &str) {
    match Command::new(tool).arg("--version").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "{tool} --version failed ({}): install the Debian package {package}",
            out.status
        ),
        Err(e) => panic!("{tool} cannot be run ({e}): install the Debian package {package}"),
    }
}

impl Toolchain {
    /// Compiles `src` with `args` into `dir` (file names carry the version,
    /// so several toolchains can share a directory); a failing compile
    /// fails the test with clang's stderr.
    pub(super) fn compile(&self, dir: &Path, name: &str, src: &str, args: &[&str]) -> PathBuf {
        let v = self.version;
        let c = dir.join(format!("{name}-{v}.c"));
        let o = dir.join(format!("{name}-{v}.o"));
        std::fs::write(&c, src).unwrap();
        let out = Command::new(format!("clang-{v}"))
            .args(args)
            .arg("-c")
            .arg(&c)
            .arg("-o")
            .arg(&o)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "clang-{v} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        o
    }

    /// Makes `archive` from `members` with llvm-ar-N and its `flags`.
    pub(super) fn ar(&self, flags: &str, archive: &Path, members: &[&Path]) {
        let v = self.version;
        let status = Command::new(format!("llvm-ar-{v}"))
            .arg(flags)
            .arg(archive)
            .args(members)
            .status()
            .unwrap_or_else(|e| {
                panic!("llvm-ar-{v} cannot be run ({e}): install the Debian package llvm-{v}")
            });
        assert!(status.success(), "llvm-ar-{v} {flags} failed");
    }

    /// llvm-bcanalyzer-N's reading of `path`: the reference the walk must
    /// agree with.
    pub(super) fn dump(&self, path: &Path) -> Dump {
        let v = self.version;
        let out = Command::new(format!("llvm-bcanalyzer-{v}"))
            .arg("-dump")
            .arg(path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "llvm-bcanalyzer-{v} -dump {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Dump::parse(&String::from_utf8_lossy(&out.stdout))
    }

    /// Checks the walk's facts against llvm-bcanalyzer-N: module count,
    /// summary kind and producer string.
    pub(super) fn assert_agrees(&self, path: &Path, facts: &BitcodeFacts) {
        let dump = self.dump(path);
        let what = format!("{} (LLVM {})", path.display(), self.version);
        assert_eq!(facts.modules, dump.modules, "{what}: module count");
        assert_eq!(facts.lto, dump.lto(), "{what}: summary kind");
        assert_eq!(facts.producer, dump.producer, "{what}: producer");
    }
}

/// What llvm-bcanalyzer -dump shows of a file, as far as the tests check it.
#[derive(Debug, Default)]
pub(super) struct Dump {
    pub(super) modules: usize,
    pub(super) thin_summaries: usize,
    pub(super) full_summaries: usize,
    /// The first IDENTIFICATION block's STRING, e.g. `LLVM19.1.7`.
    pub(super) producer: Option<String>,
    /// Modules with at least one FUNCTION_BLOCK.
    pub(super) modules_with_function_blocks: usize,
    /// The first module's VSTOFFSET operand.
    pub(super) vst_offset: Option<u32>,
}

impl Dump {
    fn parse(text: &str) -> Dump {
        let mut dump = Dump::default();
        let (mut in_identification, mut functions_seen) = (false, false);
        for line in text.lines().map(str::trim_start) {
            let tag = line.split([' ', '>']).next().unwrap_or("");
            match tag {
                "<IDENTIFICATION_BLOCK_ID" => in_identification = true,
                "</IDENTIFICATION_BLOCK_ID" => in_identification = false,
                "<STRING" if in_identification && dump.producer.is_none() => {
                    dump.producer = line
                        .split("record string = '")
                        .nth(1)
                        .and_then(|s| s.strip_suffix('\''))
                        .map(String::from);
                }
                "<MODULE_BLOCK" => {
                    dump.modules += 1;
                    functions_seen = false;
                }
                "<FUNCTION_BLOCK" if !functions_seen => {
                    functions_seen = true;
                    dump.modules_with_function_blocks += 1;
                }
                "<GLOBALVAL_SUMMARY_BLOCK" => dump.thin_summaries += 1,
                "<FULL_LTO_GLOBALVAL_SUMMARY_BLOCK" => dump.full_summaries += 1,
                "<VSTOFFSET" if dump.vst_offset.is_none() => {
                    dump.vst_offset = line
                        .split("op0=")
                        .nth(1)
                        .and_then(|s| s.trim_end_matches("/>").parse().ok());
                }
                _ => {}
            }
        }
        dump
    }

    /// The summary kind as `getLTOInfo` over all modules reports it.
    pub(super) fn lto(&self) -> Lto {
        if self.thin_summaries > 0 {
            Lto::Thin
        } else if self.full_summaries > 0 {
            Lto::Full
        } else {
            Lto::None
        }
    }
}

pub(super) const SMALL_C: &str =
    "int g(int x) { return x * 3; }\nint main(void) { return g(2); }\n";

/// An indirect call through a struct of function pointers: with
/// `-fsanitize=cfi-icall` it carries type metadata, which is what makes
/// `-fsplit-lto-unit` actually emit a second module.
pub(super) const CFI_C: &str = "struct ops { int (*f)(int); };\n\
    static int g(int x) { return x * 3; }\n\
    const struct ops o = { g };\n\
    int call(const struct ops *p, int v) { return p->f(v) + 1; }\n\
    int main(void) { return call(&o, 2); }\n";

pub(super) const X86: &str = "--target=x86_64-linux-gnu";
pub(super) const THIN: &[&str] = &[X86, "-O2", "-flto=thin"];
pub(super) const FULL: &[&str] = &[X86, "-O2", "-flto=full"];
/// A split ThinLTO unit that really splits (with [`CFI_C`]): a thin half
/// and a regular-LTO half with a full-LTO summary. `-fno-sanitize-ignorelist`
/// because clang otherwise insists on its default `cfi_ignorelist.txt`
/// (Debian's libclang-rt-N-dev), whose entries name C++ library functions
/// only and leave these C files' bitcode byte for byte the same.
pub(super) const SPLIT_CFI: &[&str] = &[
    X86,
    "-O2",
    "-flto=thin",
    "-fsplit-lto-unit",
    "-fsanitize=cfi-icall",
    "-fno-sanitize-ignorelist",
    "-fvisibility=hidden",
];

/// C source of `functions` functions of `statements` statements each, the
/// shape benches/gen-bitcode.sh makes.
pub(super) fn big_c(functions: usize, statements: usize) -> String {
    let mut s = String::new();
    for i in 0..functions {
        s.push_str(&format!("unsigned f{i}(unsigned *p, unsigned x) {{\n"));
        for c in 0..statements {
            s.push_str(&format!(
                "  x = x * {} + p[{}]; p[{}] = x ^ {};\n",
                2 * c + 3,
                (c * 7 + i) % 64,
                (c * 5 + i) % 64,
                c + i
            ));
        }
        s.push_str("  return x;\n}\n");
    }
    s
}

/// The bitcode facts of `path`, which must be bitcode.
pub(super) fn facts_of(path: &Path) -> BitcodeFacts {
    let f = examine_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    f.bitcode
        .unwrap_or_else(|| panic!("{}: not bitcode ({:?})", path.display(), f.kind))
}

/// A small ThinLTO object of LLVM [`LLVM`]: its bytes and facts.
pub(super) fn thin_bytes(dir: &Path) -> (Vec<u8>, BitcodeFacts) {
    let o = toolchain(LLVM).compile(dir, "small", SMALL_C, THIN);
    let facts = facts_of(&o);
    (std::fs::read(&o).unwrap(), facts)
}

pub(super) fn examine_bytes(data: &[u8]) -> Result<BitcodeFacts, BitcodeError> {
    examine(data, data.len() as u64)
}

/// Walks `data` with the jump over function blocks on or off; returns
/// the facts and the number of modules where the jump was taken.
pub(super) fn walk_bytes(data: &[u8], jump: bool) -> Result<(BitcodeFacts, usize), BitcodeError> {
    walk_source(data, data.len() as u64, jump)
}

/// The reason of a [`BitcodeError::Malformed`]; anything else fails the test.
pub(super) fn malformed_reason<T: std::fmt::Debug>(
    result: Result<T, BitcodeError>,
) -> &'static str {
    match result {
        Err(BitcodeError::Malformed { reason, .. }) => reason,
        other => panic!("expected a malformed-bitcode error, got {other:?}"),
    }
}

/// `raw` inside a bitcode wrapper header whose stream starts at `offset`,
/// followed by `trailer`.
pub(super) fn wrap(raw: &[u8], offset: u32, trailer: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for w in [0x0B17_C0DE_u32, 0, offset, raw.len() as u32, 0x0100_0007] {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out.resize(offset as usize, 0xAA);
    out.extend_from_slice(raw);
    out.extend_from_slice(trailer);
    out
}

/// xorshift64: deterministic corruption without a rand dependency.
pub(super) struct XorShift(pub(super) u64);

impl XorShift {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Minimal bitstream writer, for the streams and fields clang does not
/// write (BLOCKINFO abbreviations for MODULE, an abbreviated TRIPLE, blobs,
/// char6 arrays, overlong and corrupt values).
#[derive(Default)]
pub(super) struct BitWriter {
    pub(super) bytes: Vec<u8>,
    pub(super) bit: u64,
}

impl BitWriter {
    pub(super) fn emit(&mut self, v: u64, n: u32) {
        for i in 0..n {
            if self.bit.is_multiple_of(8) {
                self.bytes.push(0);
            }
            let b = (v >> i) & 1;
            *self.bytes.last_mut().unwrap() |= (b as u8) << (self.bit % 8);
            self.bit += 1;
        }
    }

    pub(super) fn vbr(&mut self, mut v: u64, w: u32) {
        let hi = 1u64 << (w - 1);
        while v >= hi {
            self.emit((v & (hi - 1)) | hi, w);
            v >>= w - 1;
        }
        self.emit(v, w);
    }

    pub(super) fn align32(&mut self) {
        while !self.bit.is_multiple_of(32) {
            self.emit(0, 1);
        }
    }

    /// Returns the byte index of the length word to patch.
    pub(super) fn enter(&mut self, cur_width: u32, id: u64, width: u32) -> usize {
        self.emit(ENTER_SUBBLOCK, cur_width);
        self.vbr(id, 8);
        self.vbr(u64::from(width), 4);
        self.align32();
        let at = self.bytes.len();
        self.emit(0, 32);
        at
    }

    pub(super) fn end(&mut self, width: u32, len_at: usize) {
        self.emit(END_BLOCK, width);
        self.align32();
        let words = ((self.bytes.len() - len_at - 4) / 4) as u32;
        self.bytes[len_at..len_at + 4].copy_from_slice(&words.to_le_bytes());
    }

    pub(super) fn unabbrev(&mut self, width: u32, code: u64, ops: &[u64]) {
        self.emit(UNABBREV_RECORD, width);
        self.vbr(code, 6);
        self.vbr(ops.len() as u64, 6);
        for &o in ops {
            self.vbr(o, 6);
        }
    }

    /// ops: (is_literal, encoding or literal value, width)
    pub(super) fn define_abbrev(&mut self, width: u32, ops: &[(bool, u64, u64)]) {
        self.emit(DEFINE_ABBREV, width);
        self.vbr(ops.len() as u64, 5);
        for &(lit, v, w) in ops {
            self.emit(u64::from(lit), 1);
            if lit {
                self.vbr(v, 8);
            } else {
                self.emit(v, 3);
                if v == 1 || v == 2 {
                    self.vbr(w, 5);
                }
            }
        }
    }
}

pub(super) fn char6(c: u8) -> u64 {
    u64::from(match c {
        b'a'..=b'z' => c - b'a',
        b'A'..=b'Z' => c - b'A' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'.' => 62,
        _ => 63,
    })
}
