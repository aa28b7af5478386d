//! Recognising kbuild's inputs and reading just enough of an LLVM bitcode
//! file to tell ThinLTO bitcode from full-LTO or plain bitcode.
//!
//! The shim runs once per object of a kernel build, so this reader must be
//! cheap on large objects and must never take the build down on a damaged
//! file: it streams, steps over every block it does not need by the length
//! word LLVM writes in front of it, and turns every inconsistency into a
//! [`BitcodeError`] instead of a panic. Facts come from LLVM's own bitstream
//! rules (llvm/docs/BitCodeFormat.rst, `BitstreamReader`, and
//! `getBitcodeModuleList` / `getLTOInfo` in `BitcodeReader.cpp`), so that a
//! file this module accepts is listed the way ld.lld would list it.
//!
//! Three layers, each in its own file: this one recognises files and holds
//! the entry points; `walker` knows LLVM's blocks (which to decode, which
//! to step over, the jump over function blocks); `bits` and `records`
//! are the bitstream underneath, the bit reader and the abbreviation-driven
//! record decoding, which know nothing about modules or summaries.

mod bits;
mod records;
#[cfg(test)]
mod test_support;
mod walker;

use std::fmt;
use std::io;
use std::path::Path;

use serde::Serialize;

pub use crate::lto::Lto;

use bits::{BitReader, ByteSource, Pread};

/// What an input file is, judged from its first bytes only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FileKind {
    /// An ELF file (relocatable object or otherwise): the shim must forward.
    Elf,
    /// A raw LLVM bitstream starting with `BC 0xC0DE`.
    RawBitcode,
    /// Bitcode inside the 20-byte wrapper header (`0x0B17C0DE`), as some
    /// toolchains (Darwin, `-fembed-bitcode` users) produce it.
    WrappedBitcode,
    /// A regular `ar` archive.
    Archive,
    /// A GNU thin archive, whose members live in other files.
    ThinArchive,
    /// Anything else, including files too short to carry any magic.
    Other,
}

impl FileKind {
    /// In words, as `--shim-inspect` and the decision's reasons name it.
    pub fn in_words(&self) -> &'static str {
        match self {
            FileKind::Elf => "ELF",
            FileKind::RawBitcode => "raw bitcode",
            FileKind::WrappedBitcode => "wrapped bitcode",
            FileKind::Archive => "archive",
            FileKind::ThinArchive => "thin archive",
            FileKind::Other => "other",
        }
    }
}

const RAW_MAGIC: [u8; 4] = [0x42, 0x43, 0xC0, 0xDE];
const WRAPPER_MAGIC: [u8; 4] = [0xDE, 0xC0, 0x17, 0x0B];
const ELF_MAGIC: [u8; 4] = [0x7F, b'E', b'L', b'F'];
const AR_MAGIC: &[u8; 8] = b"!<arch>\n";
const THIN_AR_MAGIC: &[u8; 8] = b"!<thin>\n";

/// Bytes [`sniff`] needs to tell every [`FileKind`] apart.
pub const SNIFF_LEN: usize = 8;

/// Classifies a file from its first bytes; fewer than [`SNIFF_LEN`] bytes are
/// fine, a prefix that is too short for a magic simply does not match it.
pub fn sniff(header: &[u8]) -> FileKind {
    if header.starts_with(&RAW_MAGIC) {
        FileKind::RawBitcode
    } else if header.starts_with(&WRAPPER_MAGIC) {
        FileKind::WrappedBitcode
    } else if header.starts_with(&ELF_MAGIC) {
        FileKind::Elf
    } else if header.starts_with(AR_MAGIC) {
        FileKind::Archive
    } else if header.starts_with(THIN_AR_MAGIC) {
        FileKind::ThinArchive
    } else {
        FileKind::Other
    }
}

/// What the walker learnt about one bitcode file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BitcodeFacts {
    /// The stream sat behind a bitcode wrapper header.
    pub wrapped: bool,
    /// The LTO flavour over all modules (see [`Lto`] for how a split
    /// file is summarised).
    pub lto: Lto,
    /// Number of MODULE blocks; 2 for a `-fsplit-lto-unit` file that needed
    /// splitting (clang only splits when there is type metadata, e.g. CFI).
    pub modules: usize,
    /// IDENTIFICATION STRING of the first module, e.g. `LLVM19.1.7`; lets a
    /// caller notice bitcode from a newer LLVM than the ld.lld it will use.
    pub producer: Option<String>,
    /// Target triple of the first module, e.g. `aarch64-unknown-linux-gnu`.
    pub triple: Option<String>,
}

/// What a file turned out to be, as [`examine_path`] found it; `bitcode` is
/// `Some` exactly for the two bitcode kinds, so callers can act on
/// non-bitcode inputs without errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileFacts {
    /// Kind from the magic bytes (non-regular files are `Other`).
    pub kind: FileKind,
    /// File size in bytes at the time it was examined.
    pub len: u64,
    /// Bitstream facts for `RawBitcode` / `WrappedBitcode`.
    pub bitcode: Option<BitcodeFacts>,
}

/// Why a file could not be examined.
#[derive(Debug)]
pub enum BitcodeError {
    /// The underlying reader failed for a reason other than running out of
    /// data (running out of data is reported as [`BitcodeError::Malformed`]).
    Io(io::Error),
    /// [`examine`] was handed something without a bitcode magic.
    NotBitcode(FileKind),
    /// The bitstream breaks a structural rule; `offset` is the byte in the
    /// file near which it was noticed, so a user can compare with
    /// `llvm-bcanalyzer -dump`.
    Malformed {
        /// Byte offset in the file (not in the wrapped stream).
        offset: u64,
        /// Short description of the rule that was broken.
        reason: &'static str,
    },
}

impl fmt::Display for BitcodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BitcodeError::Io(e) => write!(f, "reading bitcode: {e}"),
            BitcodeError::NotBitcode(kind) => write!(f, "not a bitcode file ({kind:?})"),
            BitcodeError::Malformed { offset, reason } => {
                write!(f, "malformed bitcode near byte {offset}: {reason}")
            }
        }
    }
}

impl std::error::Error for BitcodeError {}

/// Opens `path` read-only and reports its kind, plus bitstream facts when it
/// is bitcode. Non-regular files (FIFOs, devices, directories) are reported
/// as `Other`; they are opened non-blocking and judged from the open
/// handle, because waiting on a FIFO would block the build forever.
pub fn examine_path(path: &Path) -> Result<FileFacts, BitcodeError> {
    examine_file(path, true)
}

/// [`examine_path`] without the jump over function blocks: the walk reads
/// every function block's header, as it did before the jump existed. Public
/// only so that `benches/inprocess.rs` can measure what the jump saves; the
/// shim itself always jumps.
#[doc(hidden)]
pub fn examine_path_without_jump(path: &Path) -> Result<FileFacts, BitcodeError> {
    examine_file(path, false)
}

fn examine_file(path: &Path, jump: bool) -> Result<FileFacts, BitcodeError> {
    let file = match crate::regular_file::open_regular(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
            let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            return Ok(FileFacts {
                kind: FileKind::Other,
                len,
                bitcode: None,
            });
        }
        Err(e) => return Err(BitcodeError::Io(e)),
    };
    let len = file.metadata().map_err(BitcodeError::Io)?.len();
    let mut header = [0u8; SNIFF_LEN];
    let got = Pread(&file)
        .read_at(&mut header, 0)
        .map_err(BitcodeError::Io)?;
    let kind = sniff(&header[..got]);
    let bitcode = match kind {
        // Positioned reads (pread): one system call per refill and none to
        // seek, which is most of the walk's cost on a large object.
        FileKind::RawBitcode | FileKind::WrappedBitcode => {
            Some(walk_source(Pread(&file), len, jump)?.0)
        }
        _ => None,
    };
    Ok(FileFacts { kind, len, bitcode })
}

/// Walks the bitcode file whose bytes are `data`, as if it were `file_len`
/// bytes long (a file that changed under the reader), and returns its facts.
/// Cost follows the module-level records and top-level blocks, not the file
/// size (the walker steps over the rest); memory stays at a few KB plus the
/// abbreviation definitions, which are capped.
pub fn examine(data: &[u8], file_len: u64) -> Result<BitcodeFacts, BitcodeError> {
    walk_source(data, file_len, true).map(|(facts, _)| facts)
}

/// The walk behind [`examine_path`] and [`examine`]: finds the stream
/// (raw, or behind a wrapper header) and walks it. `jump` enables the jump
/// over the function blocks; the count of modules where it was taken comes
/// back with the facts so tests can compare both walks and see it happen.
fn walk_source<S: ByteSource>(
    mut reader: S,
    file_len: u64,
    jump: bool,
) -> Result<(BitcodeFacts, usize), BitcodeError> {
    let mut header = [0u8; WRAPPER_HEADER_LEN];
    let want = file_len.min(WRAPPER_HEADER_LEN as u64) as usize;
    let got = reader
        .read_at(&mut header[..want], 0)
        .map_err(BitcodeError::Io)?;
    let header = &header[..got];
    let (wrapped, base, len) = match sniff(header) {
        FileKind::RawBitcode => (false, 0, file_len),
        FileKind::WrappedBitcode => {
            let (offset, size) = parse_wrapper(header, file_len)?;
            (true, offset, size)
        }
        other => return Err(BitcodeError::NotBitcode(other)),
    };
    // Bit positions are u64; a stated length this large is a caller bug or
    // a lie, and would overflow them.
    if len > u64::MAX / 16 {
        return Err(malformed(0, "stated file length is implausibly large"));
    }
    // LLVM refuses streams that are not whole 32-bit words; every block
    // length is in words too, so this also catches most truncations early.
    if len % 4 != 0 {
        return Err(malformed(
            base + len,
            "bitcode stream length is not a multiple of 4",
        ));
    }
    walker::walk(BitReader::new(reader, base, len), wrapped, jump)
}

const WRAPPER_HEADER_LEN: usize = 20;

/// Returns the (offset, size) of the raw stream inside a wrapped file.
fn parse_wrapper(header: &[u8], file_len: u64) -> Result<(u64, u64), BitcodeError> {
    if header.len() < WRAPPER_HEADER_LEN {
        return Err(malformed(0, "bitcode wrapper header is truncated"));
    }
    let word = |i: usize| u64::from(u32::from_le_bytes(header[i..i + 4].try_into().unwrap()));
    // Field order: magic, version, offset, size, cputype. Version and
    // cputype do not affect where the stream is, and LLVM ignores them too.
    let (offset, size) = (word(8), word(12));
    // u64 arithmetic: two u32 fields cannot overflow it.
    if offset + size > file_len {
        return Err(malformed(
            8,
            "bitcode wrapper points beyond the end of the file",
        ));
    }
    Ok((offset, size))
}

fn malformed(offset: u64, reason: &'static str) -> BitcodeError {
    BitcodeError::Malformed { offset, reason }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn sniff_names_each_kind_by_its_magic_and_a_short_prefix_as_other() {
        assert_eq!(sniff(&[0x42, 0x43, 0xC0, 0xDE, 0x35]), FileKind::RawBitcode);
        assert_eq!(
            sniff(&[0xDE, 0xC0, 0x17, 0x0B, 0]),
            FileKind::WrappedBitcode
        );
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01\x00"), FileKind::Elf);
        assert_eq!(sniff(b"!<arch>\nfoo"), FileKind::Archive);
        assert_eq!(sniff(b"!<thin>\n"), FileKind::ThinArchive);
        assert_eq!(sniff(b"!<arch>"), FileKind::Other);
        assert_eq!(sniff(b"BC"), FileKind::Other);
        assert_eq!(sniff(b""), FileKind::Other);
    }

    #[test]
    fn bitcode_thin_lto_is_thin_with_one_module() {
        let dir = tempfile::tempdir().unwrap();
        for &version in LLVM_VERSIONS {
            let llvm = toolchain(version);
            let o = llvm.compile(dir.path(), "thin", SMALL_C, THIN);
            let facts = facts_of(&o);
            assert_eq!((facts.lto, facts.modules), (Lto::Thin, 1), "LLVM {version}");
            assert!(!facts.wrapped);
            assert_eq!(facts.triple.as_deref(), Some("x86_64-unknown-linux-gnu"));
            let producer = facts.producer.as_deref().unwrap_or("");
            assert!(
                producer.starts_with(&format!("LLVM{version}.")),
                "clang-{version} wrote producer {producer:?}"
            );
            llvm.assert_agrees(&o, &facts);
        }
    }

    /// What each of clang 14, 15, 16 and 19 emits for each flag set,
    /// established with llvm-bcanalyzer-N -dump: all four agree.
    #[test]
    fn bitcode_modes_match_clang_and_bcanalyzer() {
        let dir = tempfile::tempdir().unwrap();
        let full_split = &[X86, "-O2", "-flto=full", "-fsplit-lto-unit"];
        let full_cfi = &[
            X86,
            "-O2",
            "-flto=full",
            "-fsplit-lto-unit",
            "-fsanitize=cfi-icall",
            "-fno-sanitize-ignorelist",
            "-fvisibility=hidden",
        ];
        let cases: &[(&str, &str, &[&str], Lto, usize)] = &[
            ("thin", SMALL_C, THIN, Lto::Thin, 1),
            ("full", SMALL_C, FULL, Lto::Full, 1),
            ("plain", SMALL_C, &[X86, "-O2", "-emit-llvm"], Lto::None, 1),
            (
                "plain_o0",
                SMALL_C,
                &[X86, "-O0", "-emit-llvm"],
                Lto::None,
                1,
            ),
            // Nothing to split without type metadata: still one module.
            (
                "split_plain",
                CFI_C,
                &[X86, "-O2", "-flto=thin", "-fsplit-lto-unit"],
                Lto::Thin,
                1,
            ),
            ("full_split", CFI_C, full_split, Lto::Full, 1),
            // Thin half + regular-LTO half (which carries a full-LTO summary).
            ("split_cfi", CFI_C, SPLIT_CFI, Lto::Thin, 2),
            // Full LTO does not split, type metadata or not.
            ("full_cfi", CFI_C, full_cfi, Lto::Full, 1),
        ];
        for &version in LLVM_VERSIONS {
            let llvm = toolchain(version);
            for (name, src, args, lto, modules) in cases {
                let o = llvm.compile(dir.path(), name, src, args);
                let facts = facts_of(&o);
                let what = format!("{name}, LLVM {version}");
                assert_eq!((facts.lto, facts.modules), (*lto, *modules), "{what}");
                assert_eq!(
                    facts.triple.as_deref(),
                    Some("x86_64-unknown-linux-gnu"),
                    "{what}"
                );
                llvm.assert_agrees(&o, &facts);
            }
        }
    }

    /// Bitcode of LLVM 20 and 21, which no installed clang writes: the
    /// committed files of testdata/ (its README says where they came from).
    /// The walk, with and without the jump over function blocks, must agree
    /// with llvm-bcanalyzer-19, which reads the newer files' bitstream.
    #[test]
    fn bitcode_from_llvm_20_and_21_is_read() {
        let reference = toolchain(LLVM);
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bitcode/testdata");
        let cases = [
            ("thin", Lto::Thin, 1),
            ("full", Lto::Full, 1),
            ("split-cfi", Lto::Thin, 2),
        ];
        for (version, producer) in [(20, "LLVM20.1.2"), (21, "LLVM21.1.0")] {
            for (name, lto, modules) in cases {
                let o = dir.join(format!("llvm{version}-{name}.o"));
                let facts = facts_of(&o);
                assert_eq!(
                    (
                        facts.lto,
                        facts.modules,
                        facts.producer.as_deref(),
                        facts.triple.as_deref(),
                        facts.wrapped
                    ),
                    (
                        lto,
                        modules,
                        Some(producer),
                        Some("x86_64-unknown-linux-gnu"),
                        false
                    ),
                    "{}",
                    o.display()
                );
                reference.assert_agrees(&o, &facts);
                let data = std::fs::read(&o).unwrap();
                let (walked, _) = walk_bytes(&data, false).unwrap();
                assert_eq!(walked, facts, "{}: without the jump", o.display());
            }
        }
    }

    #[test]
    fn bitcode_triple_follows_target() {
        let llvm = toolchain(LLVM);
        let dir = tempfile::tempdir().unwrap();
        for (name, target, triple) in [
            (
                "arm64",
                "--target=aarch64-linux-gnu",
                "aarch64-unknown-linux-gnu",
            ),
            ("x86", X86, "x86_64-unknown-linux-gnu"),
            (
                "riscv",
                "--target=riscv64-linux-gnu",
                "riscv64-unknown-linux-gnu",
            ),
        ] {
            let o = llvm.compile(dir.path(), name, SMALL_C, &[target, "-O2", "-flto=thin"]);
            assert_eq!(facts_of(&o).triple.as_deref(), Some(triple), "{target}");
        }
    }

    #[test]
    fn bitcode_wrapper_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        let (raw, facts) = thin_bytes(dir.path());
        let expected = BitcodeFacts {
            wrapped: true,
            ..facts
        };
        // Plain 20-byte header, then a padded header with junk after the stream.
        for (offset, trailer) in [
            (20u32, &b""[..]),
            (64, &b"trailing junk that is not bitcode"[..]),
        ] {
            let data = wrap(&raw, offset, trailer);
            assert_eq!(sniff(&data), FileKind::WrappedBitcode);
            assert_eq!(examine_bytes(&data).unwrap(), expected);
            let path = dir.path().join(format!("wrapped{offset}.bc"));
            std::fs::write(&path, &data).unwrap();
            let input = examine_path(&path).unwrap();
            assert_eq!(input.kind, FileKind::WrappedBitcode);
            assert_eq!(input.bitcode, Some(expected.clone()));
        }
    }

    #[test]
    fn bitcode_wrapper_pointing_outside_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (raw, _) = thin_bytes(dir.path());
        let beyond = "bitcode wrapper points beyond the end of the file";
        let mut data = wrap(&raw, 20, b"");
        // size one word too large
        data[12..16].copy_from_slice(&(raw.len() as u32 + 4).to_le_bytes());
        assert_eq!(malformed_reason(examine_bytes(&data)), beyond);
        // offset near u32::MAX: must not overflow
        data[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(malformed_reason(examine_bytes(&data)), beyond);
        // header itself truncated
        assert_eq!(
            malformed_reason(examine_bytes(&data[..12])),
            "bitcode wrapper header is truncated"
        );
        // wrapper pointing at something that is not a bitstream
        let mut data = wrap(&raw, 20, b"");
        data[8..12].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(
            malformed_reason(examine_bytes(&data)),
            "bitcode wrapper does not point at a bitstream"
        );
    }

    #[test]
    fn bitcode_non_bitcode_inputs_are_classified_without_error() {
        let llvm = toolchain(LLVM);
        let dir = tempfile::tempdir().unwrap();
        let elf = llvm.compile(dir.path(), "elf", SMALL_C, &[X86, "-O2"]);
        let bc = llvm.compile(dir.path(), "bc", SMALL_C, THIN);
        let input = examine_path(&elf).unwrap();
        assert_eq!((input.kind, input.bitcode), (FileKind::Elf, None));
        assert!(matches!(
            examine(&std::fs::read(&elf).unwrap(), input.len),
            Err(BitcodeError::NotBitcode(FileKind::Elf))
        ));
        for (flags, kind) in [("rcs", FileKind::Archive), ("rcT", FileKind::ThinArchive)] {
            let ar = dir.path().join(format!("lib{flags}.a"));
            llvm.ar(flags, &ar, &[&bc, &elf]);
            let input = examine_path(&ar).unwrap();
            assert_eq!((input.kind, input.bitcode), (kind, None), "llvm-ar {flags}");
        }
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "hello").unwrap();
        assert_eq!(examine_path(&text).unwrap().kind, FileKind::Other);
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "").unwrap();
        assert_eq!(examine_path(&empty).unwrap().kind, FileKind::Other);
        assert_eq!(examine_path(dir.path()).unwrap().kind, FileKind::Other);
        assert_eq!(
            examine_path(Path::new("/dev/null")).unwrap().kind,
            FileKind::Other
        );
        assert!(matches!(
            examine_path(&dir.path().join("missing.o")),
            Err(BitcodeError::Io(_))
        ));
    }

    /// A cut file is never mistaken for a smaller complete one: either the
    /// whole answer (only where the cut removed trailing padding) or an
    /// error of the kind the cut explains.
    #[test]
    fn bitcode_every_truncation_is_an_error_or_the_full_answer() {
        let dir = tempfile::tempdir().unwrap();
        let (raw, facts) = thin_bytes(dir.path());
        let mut ok = 0;
        let mut reasons = std::collections::BTreeSet::new();
        for cut in 0..raw.len() {
            match examine_bytes(&raw[..cut]) {
                Ok(f) => {
                    assert_eq!(f, facts, "cut at {cut} of {}", raw.len());
                    ok += 1;
                }
                // Too short for the magic: not recognised as bitcode at all.
                Err(BitcodeError::NotBitcode(kind)) => {
                    assert!(cut < 4, "cut at {cut}: not bitcode ({kind:?})");
                    assert_eq!(kind, FileKind::Other);
                }
                Err(BitcodeError::Malformed { offset, reason }) => {
                    assert!(offset <= cut as u64, "cut at {cut}: error at byte {offset}");
                    if cut % 4 != 0 {
                        assert_eq!(reason, "bitcode stream length is not a multiple of 4");
                    }
                    reasons.insert(reason);
                }
                Err(e @ BitcodeError::Io(_)) => panic!("cut at {cut}: {e}"),
            }
        }
        eprintln!(
            "truncation: {ok} of {} cut points still gave the full answer; errors: {reasons:?}",
            raw.len()
        );
        // A stated length beyond the data is a short file, not a panic.
        assert_eq!(
            malformed_reason(examine(&raw[..raw.len() / 2], raw.len() as u64)),
            "file is shorter than its stated length"
        );
        // Truncated wrapped copies: the wrapper size no longer fits.
        let wrapped = wrap(&raw, 20, b"");
        for cut in (4..wrapped.len()).step_by(7) {
            let reason = malformed_reason(examine_bytes(&wrapped[..cut]));
            assert!(
                reason.starts_with("bitcode wrapper "),
                "cut at {cut}: {reason}"
            );
        }
    }

    #[test]
    fn bitcode_split_file_truncated_between_modules_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        for &version in LLVM_VERSIONS {
            let o = toolchain(version).compile(dir.path(), "split", CFI_C, SPLIT_CFI);
            let raw = std::fs::read(&o).unwrap();
            let facts = facts_of(&o);
            assert_eq!(facts.modules, 2, "LLVM {version}");
            // Block ends are word aligned, so every cut between the two
            // modules is among these; a one-module answer fails here.
            for cut in (0..raw.len()).step_by(4) {
                if let Ok(f) = examine_bytes(&raw[..cut]) {
                    assert_eq!(f, facts, "LLVM {version}: cut at {cut}");
                }
            }
        }
    }

    /// Corrupted copies of a real file: whatever the flips did, the walk
    /// returns facts or a malformed-bitcode error that points inside the
    /// file, never an I/O error and never a panic. The fuzz target
    /// (fuzz/fuzz_targets/bitcode.rs) explores far more inputs.
    #[test]
    fn bitcode_random_byte_flips_give_facts_or_a_located_error() {
        let dir = tempfile::tempdir().unwrap();
        let (raw, facts) = thin_bytes(dir.path());
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let (mut ok, mut same) = (0, 0);
        let rounds = 3000;
        for round in 0..rounds {
            let wrapped = round % 4 == 0;
            let mut data = if wrapped {
                wrap(&raw, 20, b"")
            } else {
                raw.clone()
            };
            let flips = 1 + rng.next() % 4;
            for _ in 0..flips {
                let at = (rng.next() % data.len() as u64) as usize;
                data[at] ^= 1 << (rng.next() % 8);
            }
            match examine_bytes(&data) {
                Ok(f) => {
                    assert_eq!(f.wrapped, wrapped, "round {round}");
                    ok += 1;
                    same += usize::from(f.lto == facts.lto && f.modules == facts.modules);
                }
                Err(BitcodeError::NotBitcode(kind)) => {
                    assert_eq!(kind, sniff(&data), "round {round}");
                    assert!(
                        !matches!(kind, FileKind::RawBitcode | FileKind::WrappedBitcode),
                        "round {round}: bitcode magic reported as not bitcode"
                    );
                }
                Err(BitcodeError::Malformed { offset, .. }) => {
                    assert!(offset <= data.len() as u64, "round {round}: byte {offset}");
                }
                Err(e @ BitcodeError::Io(_)) => panic!("round {round}: {e}"),
            }
        }
        eprintln!(
            "byte flips: {ok} of {rounds} corrupted copies parsed, {same} with unchanged lto/modules"
        );
        // Both outcomes happen, so both arms above were exercised.
        assert!(ok > 0 && ok < rounds, "{ok} of {rounds} parsed");
    }
}
