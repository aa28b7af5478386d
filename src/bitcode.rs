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

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;

use serde::Serialize;

pub use crate::lto::Lto;

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

/// What [`examine_path`] found; `bitcode` is `Some` exactly for the two
/// bitcode kinds, so callers can act on non-bitcode inputs without errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputFacts {
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

impl std::error::Error for BitcodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BitcodeError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Opens `path` read-only and reports its kind, plus bitstream facts when it
/// is bitcode. Non-regular files (FIFOs, devices, directories) are reported
/// as `Other`; they are opened non-blocking and judged from the open
/// handle, because waiting on a FIFO would block the build forever.
pub fn examine_path(path: &Path) -> Result<InputFacts, BitcodeError> {
    let mut file = match crate::regular_file::open_regular(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
            let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            return Ok(InputFacts {
                kind: FileKind::Other,
                len,
                bitcode: None,
            });
        }
        Err(e) => return Err(BitcodeError::Io(e)),
    };
    let len = file.metadata().map_err(BitcodeError::Io)?.len();
    let mut header = [0u8; SNIFF_LEN];
    let got = read_up_to(&mut file, &mut header).map_err(BitcodeError::Io)?;
    let kind = sniff(&header[..got]);
    let bitcode = match kind {
        // Positioned reads (pread): one system call per refill and none to
        // seek, which is most of the walk's cost on a large object.
        FileKind::RawBitcode | FileKind::WrappedBitcode => Some(examine_source(Pread(&file), len)?),
        _ => None,
    };
    Ok(InputFacts { kind, len, bitcode })
}

/// Reads until `buf` is full or EOF; unlike `read_exact`, a short file is
/// not an error because short files are simply `Other`.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Walks the bitstream in `reader` (whose total size is `file_len`; the
/// reader may be at any position) and returns its facts.
///
/// Cost is proportional to the module-level records and top-level blocks,
/// not to the file size: function bodies, metadata, constants, summaries and
/// the string table are stepped over by seeking, and a module's run of
/// function blocks is jumped over in one step through its own function index
/// (the VSTOFFSET record and the module-level value symbol table). Memory stays at a few KB
/// plus the abbreviation definitions, which are capped.
pub fn examine<R: Read + Seek>(reader: R, file_len: u64) -> Result<BitcodeFacts, BitcodeError> {
    examine_source(
        SeekRead {
            inner: reader,
            pos: None,
        },
        file_len,
    )
}

/// Reads at absolute offsets; what [`BitReader`] needs from a file.
trait Source {
    /// Reads into `buf` from `offset` until `buf` is full or EOF; returns
    /// the bytes read (short only at EOF).
    fn read_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
}

/// A `File` read with pread: no seek calls and no shared file position.
struct Pread<'a>(&'a File);

impl Source for Pread<'_> {
    fn read_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let mut got = 0;
        while got < buf.len() {
            match self.0.read_at(&mut buf[got..], offset + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(got)
    }
}

/// Any `Read + Seek`, seeking only when the wanted offset is not where the
/// previous read left it.
struct SeekRead<R> {
    inner: R,
    pos: Option<u64>,
}

impl<R: Read + Seek> Source for SeekRead<R> {
    fn read_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        if self.pos != Some(offset) {
            self.pos = None;
            self.inner.seek(SeekFrom::Start(offset))?;
        }
        let got = read_up_to(&mut self.inner, buf)?;
        self.pos = Some(offset + got as u64);
        Ok(got)
    }
}

fn examine_source<S: Source>(reader: S, file_len: u64) -> Result<BitcodeFacts, BitcodeError> {
    walk_source(reader, file_len, true).map(|(facts, _)| facts)
}

/// The walk behind [`examine_source`]; `jump` enables the jump over the
/// function blocks, and the count of modules where it was taken is returned
/// with the facts so tests can compare both walks and see the jump happen.
fn walk_source<S: Source>(
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
    let mut walker = Walker {
        bits: BitReader::new(reader, base, len),
        blockinfo: BlockInfo::default(),
        facts: BitcodeFacts {
            wrapped,
            lto: Lto::None,
            modules: 0,
            producer: None,
            triple: None,
        },
        saw_thin: false,
        saw_full: false,
        modules_awaiting_strtab: 0,
        jump,
        jumps: 0,
    };
    walker.walk()?;
    Ok((walker.facts, walker.jumps))
}

const WRAPPER_HEADER_LEN: usize = 20;

/// Returns the (offset, size) of the raw stream inside a wrapped file.
fn parse_wrapper(header: &[u8], file_len: u64) -> Result<(u64, u64), BitcodeError> {
    if header.len() < WRAPPER_HEADER_LEN {
        return Err(malformed(0, "bitcode wrapper header is truncated"));
    }
    let word = |i: usize| {
        u64::from(u32::from_le_bytes([
            header[i],
            header[i + 1],
            header[i + 2],
            header[i + 3],
        ]))
    };
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

// Block and record ids from llvm/include/llvm/Bitcode/LLVMBitCodes.h and
// llvm/include/llvm/Bitstream/BitCodeEnums.h.
const BLOCKINFO_BLOCK_ID: u64 = 0;
const MODULE_BLOCK_ID: u64 = 8;
const FUNCTION_BLOCK_ID: u64 = 12;
const IDENTIFICATION_BLOCK_ID: u64 = 13;
const VALUE_SYMTAB_BLOCK_ID: u64 = 14;
const GLOBALVAL_SUMMARY_BLOCK_ID: u64 = 20;
const STRTAB_BLOCK_ID: u64 = 23;
const FULL_LTO_GLOBALVAL_SUMMARY_BLOCK_ID: u64 = 24;

const END_BLOCK: u64 = 0;
const ENTER_SUBBLOCK: u64 = 1;
const DEFINE_ABBREV: u64 = 2;
const UNABBREV_RECORD: u64 = 3;

const MODULE_CODE_VERSION: u64 = 1;
const MODULE_CODE_TRIPLE: u64 = 2;
/// `[offset]`: word offset of the module-level VALUE_SYMTAB block.
const MODULE_CODE_VSTOFFSET: u64 = 13;
/// `[valueid, offset]` in a module-level VALUE_SYMTAB: word offset of the
/// function's block.
const VST_CODE_FNENTRY: u64 = 3;
const IDENTIFICATION_CODE_STRING: u64 = 1;
const BLOCKINFO_CODE_SETBID: u64 = 1;

/// Abbreviation id width outside any block.
const TOP_LEVEL_ABBREV_WIDTH: u32 = 2;
/// LLVM's `MaxChunkSize`: no fixed field, vbr chunk or abbrev width is wider.
const MAX_CHUNK: u64 = 32;

/// Bounds on what file data may make us allocate. Real LLVM abbreviations
/// have well under 20 operands and a module defines a handful of them, so
/// these only bite on hostile or corrupt input.
const MAX_ABBREV_OPS: u64 = 64;
const MAX_ABBREVS_PER_BLOCK: usize = 256;
/// Longest producer or triple string kept; longer ones are not real.
const MAX_STRING: usize = 1024;
/// Decoded nesting is structurally at most top level → MODULE → BLOCKINFO
/// because everything else is skipped; the cap makes that a checked rule.
const MAX_DEPTH: u32 = 3;

/// One operand of an abbreviation definition.
#[derive(Debug, Clone, Copy)]
enum AbbrevOp {
    Literal(u64),
    Fixed(u32),
    Vbr(u32),
    Array,
    Char6,
    Blob,
}

type Abbrev = Vec<AbbrevOp>;

/// Abbreviations that BLOCKINFO registered for the blocks this walker
/// decodes. Abbreviations for other block ids are parsed and dropped because
/// those blocks are only ever skipped.
#[derive(Default)]
struct BlockInfo {
    module: Vec<Abbrev>,
    identification: Vec<Abbrev>,
    value_symtab: Vec<Abbrev>,
}

impl BlockInfo {
    fn for_block(&mut self, id: u64) -> Option<&mut Vec<Abbrev>> {
        match id {
            MODULE_BLOCK_ID => Some(&mut self.module),
            IDENTIFICATION_BLOCK_ID => Some(&mut self.identification),
            VALUE_SYMTAB_BLOCK_ID => Some(&mut self.value_symtab),
            _ => None,
        }
    }
}

/// Which strings of a record the walker wants kept.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    Nothing,
    /// Keep operands of records with this code as bytes.
    StringOf(u64),
}

/// A record as far as the walker cares: its code, first two operands, and
/// the operands as a string when asked for.
struct Record {
    code: u64,
    first: Option<u64>,
    /// Second operand when it is a scalar (a FNENTRY's function offset).
    second: Option<u64>,
    text: Option<String>,
}

/// Collects record operands into a bounded string; any operand that is not
/// a byte or a string over [`MAX_STRING`] makes the string unusable.
struct TextSink {
    bytes: Vec<u8>,
    valid: bool,
}

impl TextSink {
    fn push(&mut self, v: u64) {
        if !self.valid {
            return;
        }
        if v > 0xFF || self.bytes.len() >= MAX_STRING {
            self.valid = false;
            self.bytes = Vec::new();
        } else {
            self.bytes.push(v as u8);
        }
    }

    fn finish(self) -> Option<String> {
        self.valid
            .then(|| String::from_utf8_lossy(&self.bytes).into_owned())
    }
}

/// Where a block's contents end, in bits from the stream start.
struct BlockScope {
    abbrev_width: u32,
    end: u64,
}

struct Walker<R> {
    bits: BitReader<R>,
    blockinfo: BlockInfo,
    facts: BitcodeFacts,
    saw_thin: bool,
    saw_full: bool,
    /// Modules whose names live in a string table that has not been seen
    /// yet. A file cut right after a module block looks well formed, and
    /// this is what tells it apart from a complete one.
    modules_awaiting_strtab: usize,
    /// Use the module's function index to jump over its function blocks
    /// (see [`Walker::jump_past_functions`]); off only to compare in tests.
    jump: bool,
    /// Modules whose function blocks were jumped over.
    jumps: usize,
}

impl<S: Source> Walker<S> {
    fn walk(&mut self) -> Result<(), BitcodeError> {
        let magic = self.bits.read(32)?;
        if magic != u64::from(u32::from_le_bytes(RAW_MAGIC)) {
            return Err(self
                .bits
                .error("bitcode wrapper does not point at a bitstream"));
        }
        let stream_end = self.bits.len_bits();
        let mut after_identification = false;
        // Where the current module's bitcode starts (its IDENTIFICATION
        // block, else the MODULE block itself): LLVM's offsets are relative
        // to it, as the BCBegin of getBitcodeModuleList.
        let mut module_start = 0;
        loop {
            // Like LLVM, treat fewer than 8 trailing bytes as padding left by
            // tools such as Apple's ar rather than as a broken entry.
            if self.bits.pos() / 8 + 8 >= self.bits.len_bytes() {
                break;
            }
            let entry_start = self.bits.pos();
            match self.bits.read(TOP_LEVEL_ABBREV_WIDTH)? {
                END_BLOCK => return Err(self.bits.error("END_BLOCK at top level")),
                ENTER_SUBBLOCK => {
                    let (id, scope) = self.enter_subblock(stream_end)?;
                    if after_identification && id != MODULE_BLOCK_ID {
                        return Err(self
                            .bits
                            .error("IDENTIFICATION block not followed by a MODULE block"));
                    }
                    if !after_identification {
                        module_start = entry_start;
                    }
                    after_identification = false;
                    match id {
                        IDENTIFICATION_BLOCK_ID => {
                            self.identification_block(&scope)?;
                            after_identification = true;
                        }
                        MODULE_BLOCK_ID => self.module_block(&scope, module_start)?,
                        BLOCKINFO_BLOCK_ID => self.blockinfo_block(&scope, 1)?,
                        STRTAB_BLOCK_ID => {
                            self.modules_awaiting_strtab = 0;
                            self.bits.skip_to(scope.end)?;
                        }
                        _ => self.bits.skip_to(scope.end)?,
                    }
                }
                DEFINE_ABBREV => {
                    if after_identification {
                        return Err(self
                            .bits
                            .error("IDENTIFICATION block not followed by a MODULE block"));
                    }
                    // Ids >= 4 do not fit in 2 bits, so a top-level abbrev can
                    // never be used; it only has to be stepped over.
                    self.read_abbrev_def()?;
                }
                _ => {
                    if after_identification {
                        return Err(self
                            .bits
                            .error("IDENTIFICATION block not followed by a MODULE block"));
                    }
                    self.read_unabbrev_record(Keep::Nothing)?;
                }
            }
        }
        if after_identification {
            return Err(self
                .bits
                .error("IDENTIFICATION block not followed by a MODULE block"));
        }
        if self.facts.modules == 0 {
            return Err(self.bits.error("no MODULE block"));
        }
        if self.modules_awaiting_strtab > 0 {
            return Err(self
                .bits
                .error("module names a string table that is missing"));
        }
        self.facts.lto = if self.saw_thin {
            Lto::Thin
        } else if self.saw_full {
            Lto::Full
        } else {
            Lto::None
        };
        Ok(())
    }

    /// Reads an ENTER_SUBBLOCK header (after its abbrev id) and checks that
    /// the block fits inside its parent, which bounds every later skip.
    fn enter_subblock(&mut self, parent_end: u64) -> Result<(u64, BlockScope), BitcodeError> {
        let id = self.bits.read_vbr(8)?;
        let abbrev_width = self.bits.read_vbr(4)?;
        if abbrev_width == 0 || abbrev_width > MAX_CHUNK {
            return Err(self.bits.error("block abbreviation width out of range"));
        }
        self.bits.align32()?;
        let words = self.bits.read(32)?;
        let end = self.bits.pos() + words * 32;
        if end > parent_end {
            return Err(self
                .bits
                .error("block extends past its parent or the end of file"));
        }
        Ok((
            id,
            BlockScope {
                abbrev_width: abbrev_width as u32,
                end,
            },
        ))
    }

    fn identification_block(&mut self, scope: &BlockScope) -> Result<(), BitcodeError> {
        let mut abbrevs = self.blockinfo.identification.clone();
        let want = if self.facts.producer.is_none() {
            Keep::StringOf(IDENTIFICATION_CODE_STRING)
        } else {
            Keep::Nothing
        };
        self.block_records(scope, &mut abbrevs, want, |walker, rec| {
            if rec.code == IDENTIFICATION_CODE_STRING && walker.facts.producer.is_none() {
                walker.facts.producer = rec.text;
            }
            Ok(())
        })
    }

    /// `start` is the bit where this module's bitcode starts, the base of
    /// the offsets in its VSTOFFSET and FNENTRY records.
    fn module_block(&mut self, scope: &BlockScope, start: u64) -> Result<(), BitcodeError> {
        let mut abbrevs = self.blockinfo.module.clone();
        let first_module = self.facts.modules == 0;
        let want = if first_module {
            Keep::StringOf(MODULE_CODE_TRIPLE)
        } else {
            Keep::Nothing
        };
        let mut summary_seen = false;
        let mut uses_strtab = false;
        let mut vst_offset = None;
        let mut jump_tried = !self.jump;
        let end = scope.end;
        let saved_limit = self.bits.set_limit(end);
        // Sub-blocks (functions, metadata, constants, summaries) are most of
        // the file; only their header is read. BLOCKINFO is the exception
        // because its abbreviations could change how later records decode.
        loop {
            let id = self.bits.read(scope.abbrev_width)?;
            match id {
                END_BLOCK => {
                    self.bits.align32()?;
                    break;
                }
                ENTER_SUBBLOCK => {
                    let block_start = self.bits.pos() - u64::from(scope.abbrev_width);
                    let (sub, sub_scope) = self.enter_subblock(end)?;
                    match sub {
                        BLOCKINFO_BLOCK_ID => self.blockinfo_block(&sub_scope, 2)?,
                        FUNCTION_BLOCK_ID if !jump_tried => {
                            jump_tried = true;
                            let here = self.bits.pos();
                            let last_end = self.jump_past_functions(
                                scope,
                                start,
                                vst_offset,
                                block_start,
                                sub_scope.end,
                            );
                            self.bits.restore_limit(end);
                            match last_end {
                                Some(to) => {
                                    self.jumps += 1;
                                    self.bits.seek(to);
                                }
                                None => {
                                    self.bits.seek(here);
                                    self.bits.skip_to(sub_scope.end)?;
                                }
                            }
                        }
                        GLOBALVAL_SUMMARY_BLOCK_ID | FULL_LTO_GLOBALVAL_SUMMARY_BLOCK_ID => {
                            // getLTOInfo stops at the first summary block of
                            // either kind; later ones do not change the answer.
                            if !summary_seen {
                                summary_seen = true;
                                if sub == GLOBALVAL_SUMMARY_BLOCK_ID {
                                    self.saw_thin = true;
                                } else {
                                    self.saw_full = true;
                                }
                            }
                            self.bits.skip_to(sub_scope.end)?;
                        }
                        _ => self.bits.skip_to(sub_scope.end)?,
                    }
                }
                DEFINE_ABBREV => {
                    let abbrev = self.read_abbrev_def()?;
                    if abbrevs.len() >= MAX_ABBREVS_PER_BLOCK {
                        return Err(self.bits.error("too many abbreviations in one block"));
                    }
                    abbrevs.push(abbrev);
                }
                UNABBREV_RECORD => {
                    let rec = self.read_unabbrev_record(want)?;
                    if rec.code == MODULE_CODE_VSTOFFSET {
                        vst_offset = rec.first;
                    }
                    self.module_record(rec, first_module, &mut uses_strtab);
                }
                n => {
                    let abbrev = usize::try_from(n - 4).ok().and_then(|i| abbrevs.get(i));
                    let Some(abbrev) = abbrev else {
                        return Err(self.bits.error("undefined abbreviation id"));
                    };
                    // `abbrevs` is a local, not part of `self`: no clone.
                    let rec = self.read_abbrev_record(abbrev, want)?;
                    if rec.code == MODULE_CODE_VSTOFFSET {
                        vst_offset = rec.first;
                    }
                    self.module_record(rec, first_module, &mut uses_strtab);
                }
            }
        }
        self.bits.restore_limit(saved_limit);
        self.facts.modules += 1;
        if uses_strtab {
            self.modules_awaiting_strtab += 1;
        }
        Ok(())
    }

    /// Finds where the module's last function block ends, so the walk can
    /// continue there instead of stepping over every function block (one
    /// read each, most of the walk's time on a large ThinLTO object).
    ///
    /// Called at the first function block (header at `first_fn`, contents
    /// ending at `first_fn_end`). The VSTOFFSET record points at the
    /// module-level VALUE_SYMTAB block, whose FNENTRY records give each
    /// function block's offset; the largest is the last function block,
    /// which LLVM's own reader skips the same way (`LastFunctionBlockBit`).
    /// Both offsets are in 32-bit words counted from one word before
    /// `start` (BitcodeWriter subtracts the module's start bit and adds 1).
    ///
    /// This trusts LLVM's layout, where the function blocks follow each
    /// other with nothing in between; what comes after the last one (the
    /// summary, the VALUE_SYMTAB, the hash, END_BLOCK) is still walked and
    /// checked. Any inconsistency returns `None` and the caller walks every
    /// block as before; the caller also restores the position and limit.
    fn jump_past_functions(
        &mut self,
        module: &BlockScope,
        start: u64,
        vst_offset: Option<u64>,
        first_fn: u64,
        first_fn_end: u64,
    ) -> Option<u64> {
        let word_at = |offset: u64| -> Option<u64> {
            let bit = offset.checked_sub(1)?.checked_mul(32)?.checked_add(start)?;
            (bit < module.end).then_some(bit)
        };
        let vst = word_at(vst_offset?)?;
        if vst < first_fn_end {
            return None;
        }
        self.bits.seek(vst);
        if self.bits.read(module.abbrev_width).ok()? != ENTER_SUBBLOCK {
            return None;
        }
        let (id, vst_scope) = self.enter_subblock(module.end).ok()?;
        if id != VALUE_SYMTAB_BLOCK_ID {
            return None;
        }
        let mut abbrevs = self.blockinfo.value_symtab.clone();
        let mut last: Option<u64> = None;
        self.block_records(&vst_scope, &mut abbrevs, Keep::Nothing, |_, rec| {
            if rec.code == VST_CODE_FNENTRY {
                if let Some(offset) = rec.second {
                    last = last.max(Some(offset));
                }
            }
            Ok(())
        })
        .ok()?;
        let last_fn = word_at(last?)?;
        if last_fn < first_fn || last_fn >= vst {
            return None;
        }
        if last_fn == first_fn {
            return Some(first_fn_end);
        }
        self.bits.restore_limit(module.end);
        self.bits.seek(last_fn);
        if self.bits.read(module.abbrev_width).ok()? != ENTER_SUBBLOCK {
            return None;
        }
        let (id, fn_scope) = self.enter_subblock(vst).ok()?;
        (id == FUNCTION_BLOCK_ID).then_some(fn_scope.end)
    }

    fn module_record(&mut self, rec: Record, first_module: bool, uses_strtab: &mut bool) {
        match rec.code {
            // Version 2 (LLVM >= 5) keeps global names in the top-level STRTAB.
            MODULE_CODE_VERSION => *uses_strtab = rec.first.is_some_and(|v| v >= 2),
            MODULE_CODE_TRIPLE if first_module && self.facts.triple.is_none() => {
                self.facts.triple = rec.text
            }
            _ => {}
        }
    }

    /// Decodes a block's records until END_BLOCK, skipping its sub-blocks;
    /// used for IDENTIFICATION, which has no sub-blocks of interest.
    fn block_records(
        &mut self,
        scope: &BlockScope,
        abbrevs: &mut Vec<Abbrev>,
        want: Keep,
        mut on_record: impl FnMut(&mut Self, Record) -> Result<(), BitcodeError>,
    ) -> Result<(), BitcodeError> {
        let saved_limit = self.bits.set_limit(scope.end);
        loop {
            match self.bits.read(scope.abbrev_width)? {
                END_BLOCK => {
                    self.bits.align32()?;
                    break;
                }
                ENTER_SUBBLOCK => {
                    let (_, sub) = self.enter_subblock(scope.end)?;
                    self.bits.skip_to(sub.end)?;
                }
                DEFINE_ABBREV => {
                    let abbrev = self.read_abbrev_def()?;
                    if abbrevs.len() >= MAX_ABBREVS_PER_BLOCK {
                        return Err(self.bits.error("too many abbreviations in one block"));
                    }
                    abbrevs.push(abbrev);
                }
                UNABBREV_RECORD => {
                    let rec = self.read_unabbrev_record(want)?;
                    on_record(self, rec)?;
                }
                n => {
                    let Some(abbrev) = usize::try_from(n - 4).ok().and_then(|i| abbrevs.get(i))
                    else {
                        return Err(self.bits.error("undefined abbreviation id"));
                    };
                    let rec = self.read_abbrev_record(abbrev, want)?;
                    on_record(self, rec)?;
                }
            }
        }
        self.bits.restore_limit(saved_limit);
        Ok(())
    }

    /// BLOCKINFO: DEFINE_ABBREVs here belong to the block named by the last
    /// SETBID, not to BLOCKINFO itself.
    fn blockinfo_block(&mut self, scope: &BlockScope, depth: u32) -> Result<(), BitcodeError> {
        if depth > MAX_DEPTH {
            return Err(self.bits.error("blocks nested too deeply"));
        }
        let saved_limit = self.bits.set_limit(scope.end);
        let mut target: Option<u64> = None;
        loop {
            match self.bits.read(scope.abbrev_width)? {
                END_BLOCK => {
                    self.bits.align32()?;
                    break;
                }
                ENTER_SUBBLOCK => return Err(self.bits.error("sub-block inside BLOCKINFO")),
                DEFINE_ABBREV => {
                    let Some(id) = target else {
                        return Err(self.bits.error("BLOCKINFO abbreviation before SETBID"));
                    };
                    let abbrev = self.read_abbrev_def()?;
                    if let Some(list) = self.blockinfo.for_block(id) {
                        if list.len() >= MAX_ABBREVS_PER_BLOCK {
                            return Err(self.bits.error("too many abbreviations in one block"));
                        }
                        list.push(abbrev);
                    }
                }
                UNABBREV_RECORD => {
                    let rec = self.read_unabbrev_record(Keep::Nothing)?;
                    if rec.code == BLOCKINFO_CODE_SETBID {
                        let Some(id) = rec.first else {
                            return Err(self.bits.error("SETBID without a block id"));
                        };
                        target = Some(id);
                    }
                }
                _ => return Err(self.bits.error("abbreviated record inside BLOCKINFO")),
            }
        }
        self.bits.restore_limit(saved_limit);
        Ok(())
    }

    fn read_abbrev_def(&mut self) -> Result<Abbrev, BitcodeError> {
        let count = self.bits.read_vbr(5)?;
        if count > MAX_ABBREV_OPS {
            return Err(self.bits.error("abbreviation has too many operands"));
        }
        let mut ops = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let is_literal = self.bits.read(1)? == 1;
            if is_literal {
                ops.push(AbbrevOp::Literal(self.bits.read_vbr(8)?));
                continue;
            }
            let op = match self.bits.read(3)? {
                enc @ (1 | 2) => {
                    let fixed = enc == 1;
                    let width = self.bits.read_vbr(5)?;
                    if width > MAX_CHUNK {
                        return Err(self.bits.error("fixed or vbr field wider than 32 bits"));
                    }
                    // LLVM reads fixed(0) and vbr(0) as the literal 0.
                    match (fixed, width) {
                        (_, 0) => AbbrevOp::Literal(0),
                        (true, w) => AbbrevOp::Fixed(w as u32),
                        (false, 1) => return Err(self.bits.error("vbr field of width 1")),
                        (false, w) => AbbrevOp::Vbr(w as u32),
                    }
                }
                3 => AbbrevOp::Array,
                4 => AbbrevOp::Char6,
                5 => AbbrevOp::Blob,
                _ => return Err(self.bits.error("unknown abbreviation operand encoding")),
            };
            ops.push(op);
        }
        Ok(ops)
    }

    fn read_unabbrev_record(&mut self, want: Keep) -> Result<Record, BitcodeError> {
        let code = self.bits.read_vbr(6)?;
        let count = self.bits.read_vbr(6)?;
        // Each operand takes at least 6 bits; checking up front keeps a
        // corrupt count from spinning until the block end is reached.
        if count.saturating_mul(6) > self.bits.remaining() {
            return Err(self
                .bits
                .error("record operand count runs past the block end"));
        }
        let mut sink = (want == Keep::StringOf(code)).then(|| TextSink {
            bytes: Vec::new(),
            valid: true,
        });
        let (mut first, mut second) = (None, None);
        // Operands past the second are only kept for a string; otherwise
        // they are stepped over without decoding (MODULE_CODE_FUNCTION
        // records, one per function, have about 20 of them).
        let decoded = if sink.is_some() { count } else { count.min(2) };
        for i in 0..decoded {
            let v = self.bits.read_vbr(6)?;
            match i {
                0 => first = Some(v),
                1 => second = Some(v),
                _ => {}
            }
            if let Some(s) = sink.as_mut() {
                s.push(v);
            }
        }
        self.bits.skip_vbr6(count - decoded)?;
        Ok(Record {
            code,
            first,
            second,
            text: sink.and_then(TextSink::finish),
        })
    }

    fn read_abbrev_record(
        &mut self,
        abbrev: &[AbbrevOp],
        want: Keep,
    ) -> Result<Record, BitcodeError> {
        let Some((code_op, rest)) = abbrev.split_first() else {
            return Err(self.bits.error("empty abbreviation"));
        };
        let code = match *code_op {
            AbbrevOp::Array | AbbrevOp::Blob => {
                return Err(self.bits.error("abbreviation starts with an array or blob"));
            }
            op => self.read_scalar(op)?,
        };
        let mut sink = (want == Keep::StringOf(code)).then(|| TextSink {
            bytes: Vec::new(),
            valid: true,
        });
        let (mut first, mut second) = (None, None);
        let note = |first: &mut Option<u64>,
                    second: &mut Option<u64>,
                    sink: &mut Option<TextSink>,
                    v: u64| {
            if first.is_none() {
                *first = Some(v);
            } else if second.is_none() {
                *second = Some(v);
            }
            if let Some(s) = sink.as_mut() {
                s.push(v);
            }
        };
        let mut i = 0;
        while i < rest.len() {
            match rest[i] {
                AbbrevOp::Array => {
                    if i + 2 != rest.len() {
                        return Err(self.bits.error("array operand is not second to last"));
                    }
                    let elt = rest[i + 1];
                    let min_bits = match elt {
                        AbbrevOp::Fixed(w) | AbbrevOp::Vbr(w) => u64::from(w),
                        AbbrevOp::Char6 => 6,
                        _ => return Err(self.bits.error("array element is not a scalar encoding")),
                    };
                    let count = self.bits.read_vbr(6)?;
                    if count.saturating_mul(min_bits) > self.bits.remaining() {
                        return Err(self.bits.error("array runs past the block end"));
                    }
                    let fixed_size = !matches!(elt, AbbrevOp::Vbr(_));
                    let mut left = count;
                    // Decode what may still be kept; fixed-width elements
                    // after that need no decoding to be skipped.
                    while left > 0 && (sink.is_some() || !fixed_size || second.is_none()) {
                        let v = self.read_scalar(elt)?;
                        note(&mut first, &mut second, &mut sink, v);
                        left -= 1;
                    }
                    self.bits.skip_bits(left * min_bits)?;
                    i += 2;
                }
                AbbrevOp::Blob => {
                    if i + 1 != rest.len() {
                        return Err(self.bits.error("blob operand is not last"));
                    }
                    let len = self.bits.read_vbr(6)?;
                    self.bits.align32()?;
                    if len.saturating_mul(8) > self.bits.remaining() {
                        return Err(self.bits.error("blob runs past the block end"));
                    }
                    if sink.is_some() {
                        for _ in 0..len.min(MAX_STRING as u64 + 1) {
                            let v = self.bits.read(8)?;
                            note(&mut first, &mut second, &mut sink, v);
                        }
                        self.bits
                            .skip_bits(len.saturating_sub(MAX_STRING as u64 + 1) * 8)?;
                    } else if len > 0 && first.is_none() {
                        first = Some(self.bits.read(8)?);
                        self.bits.skip_bits((len - 1) * 8)?;
                    } else {
                        self.bits.skip_bits(len * 8)?;
                    }
                    self.bits.align32()?;
                    i += 1;
                }
                op => {
                    let v = self.read_scalar(op)?;
                    note(&mut first, &mut second, &mut sink, v);
                    i += 1;
                }
            }
        }
        Ok(Record {
            code,
            first,
            second,
            text: sink.and_then(TextSink::finish),
        })
    }

    fn read_scalar(&mut self, op: AbbrevOp) -> Result<u64, BitcodeError> {
        match op {
            AbbrevOp::Literal(v) => Ok(v),
            AbbrevOp::Fixed(w) => self.bits.read(w),
            AbbrevOp::Vbr(w) => self.bits.read_vbr(w),
            AbbrevOp::Char6 => Ok(u64::from(decode_char6(self.bits.read(6)? as u8))),
            AbbrevOp::Array | AbbrevOp::Blob => {
                Err(self.bits.error("array or blob used as a scalar"))
            }
        }
    }
}

fn decode_char6(v: u8) -> u8 {
    match v {
        0..=25 => b'a' + v,
        26..=51 => b'A' + (v - 26),
        52..=61 => b'0' + (v - 52),
        62 => b'.',
        _ => b'_',
    }
}

/// Refill size right after a seek: enough for a block header and a few
/// records, small enough that hopping from block to block reads little.
const MIN_READAHEAD: usize = 32;
/// Largest refill, reached after a run of sequential reads.
const MAX_READAHEAD: usize = 8192;

/// Little-endian bit reader over `[base, base + len)` of a seekable source,
/// with a readahead window that starts small after every seek and grows
/// while reading stays sequential. Reads past the current limit (the end of
/// the innermost decoded block) are errors, so no loop can run off the end.
struct BitReader<S> {
    inner: S,
    base: u64,
    len: u64,
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    buf_start: u64,
    /// Bit position in the stream.
    pos: u64,
    limit: u64,
    readahead: usize,
}

impl<S: Source> BitReader<S> {
    fn new(inner: S, base: u64, len: u64) -> Self {
        BitReader {
            inner,
            base,
            len,
            buf: Vec::with_capacity(MAX_READAHEAD),
            buf_start: 0,
            pos: 0,
            limit: len * 8,
            readahead: MIN_READAHEAD,
        }
    }

    fn len_bits(&self) -> u64 {
        self.len * 8
    }

    fn len_bytes(&self) -> u64 {
        self.len
    }

    fn pos(&self) -> u64 {
        self.pos
    }

    fn remaining(&self) -> u64 {
        self.limit - self.pos
    }

    fn error(&self, reason: &'static str) -> BitcodeError {
        malformed(self.base + self.pos / 8, reason)
    }

    fn set_limit(&mut self, limit: u64) -> u64 {
        std::mem::replace(&mut self.limit, limit)
    }

    fn restore_limit(&mut self, limit: u64) {
        self.limit = limit;
    }

    #[inline]
    fn read(&mut self, n: u32) -> Result<u64, BitcodeError> {
        debug_assert!(n <= 56);
        if u64::from(n) > self.remaining() {
            return Err(self.error(if self.limit == self.len * 8 {
                "unexpected end of bitcode stream"
            } else {
                "read past the end of a block"
            }));
        }
        // Fast path: the next 8 bytes are buffered, so one little-endian
        // load holds all n bits (n + shift <= 56 + 7 < 64).
        let idx = self.pos / 8;
        if let Some(i) = idx.checked_sub(self.buf_start) {
            let i = i as usize;
            if let Some(bytes) = self.buf.get(i..i + 8) {
                let word = u64::from_le_bytes(bytes.try_into().unwrap());
                let value = (word >> (self.pos % 8)) & ((1u64 << n) - 1);
                self.pos += u64::from(n);
                return Ok(value);
            }
        }
        self.read_slow(n)
    }

    /// Byte by byte, refilling as needed: near the buffer's end.
    #[cold]
    fn read_slow(&mut self, n: u32) -> Result<u64, BitcodeError> {
        let mut value = 0u64;
        let mut got = 0u32;
        while got < n {
            let byte = self.byte_at(self.pos / 8)?;
            let shift = (self.pos % 8) as u32;
            let take = (8 - shift).min(n - got);
            let bits = (u64::from(byte) >> shift) & ((1u64 << take) - 1);
            value |= bits << got;
            got += take;
            self.pos += u64::from(take);
        }
        Ok(value)
    }

    /// VBR with `width`-bit chunks; more than 64 payload bits is corruption,
    /// not a big number, so it is an error rather than a wrap.
    fn read_vbr(&mut self, width: u32) -> Result<u64, BitcodeError> {
        debug_assert!((2..=32).contains(&width));
        let hi = 1u64 << (width - 1);
        let mut value = 0u64;
        let mut shift = 0u32;
        loop {
            let chunk = self.read(width)?;
            let payload = chunk & (hi - 1);
            if shift >= 64 || (shift > 0 && payload >> (64 - shift) != 0) {
                return Err(self.error("vbr value too long"));
            }
            value |= payload << shift;
            if chunk & hi == 0 {
                return Ok(value);
            }
            shift += width - 1;
        }
    }

    /// Steps over `n` vbr6 values, up to nine chunks per buffered word:
    /// a value ends at the first chunk whose bit 5 is clear. Each step ends
    /// on a value boundary, and a value with nine or more chunks goes
    /// through [`BitReader::read_vbr`], so overlong values are reported
    /// exactly as when decoding.
    fn skip_vbr6(&mut self, mut n: u64) -> Result<(), BitcodeError> {
        /// Bit 5 of each of the nine 6-bit chunks in the low 54 bits.
        const CONTINUE: u64 = 0x0020_8208_2082_0820;
        while n > 0 {
            let idx = self.pos / 8;
            let word = idx
                .checked_sub(self.buf_start)
                .and_then(|i| self.buf.get(i as usize..i as usize + 8))
                .filter(|_| self.remaining() >= 54)
                .map(|bytes| u64::from_le_bytes(bytes.try_into().unwrap()) >> (self.pos % 8));
            let ends = word.map_or(0, |w| !w & CONTINUE);
            if ends == 0 {
                self.read_vbr(6)?;
                n -= 1;
                continue;
            }
            let k = u64::from(ends.count_ones());
            let last = if k <= n {
                n -= k;
                63 - ends.leading_zeros()
            } else {
                let mut e = ends;
                for _ in 1..n {
                    e &= e - 1;
                }
                n = 0;
                e.trailing_zeros()
            };
            self.pos += u64::from(last) + 1;
        }
        Ok(())
    }

    fn align32(&mut self) -> Result<(), BitcodeError> {
        let aligned = self.pos.div_ceil(32) * 32;
        self.skip_to(aligned)
    }

    /// Moves to `target`, backwards too, for the jumps through the module's
    /// function index; the caller checks `target` against the block bounds.
    fn seek(&mut self, target: u64) {
        self.pos = target;
    }

    fn skip_bits(&mut self, n: u64) -> Result<(), BitcodeError> {
        if n > self.remaining() {
            return Err(self.error("skip past the end of a block"));
        }
        self.pos += n;
        Ok(())
    }

    /// Moves to `target` (a bit position) without reading; the next read
    /// seeks the source only if the target is outside the buffered window.
    fn skip_to(&mut self, target: u64) -> Result<(), BitcodeError> {
        if target < self.pos || target > self.limit {
            return Err(self.error("skip past the end of a block"));
        }
        self.pos = target;
        Ok(())
    }

    fn byte_at(&mut self, idx: u64) -> Result<u8, BitcodeError> {
        let buffered = self.buf_start..self.buf_start + self.buf.len() as u64;
        if !buffered.contains(&idx) {
            self.refill(idx)?;
        }
        Ok(self.buf[(idx - self.buf_start) as usize])
    }

    fn refill(&mut self, idx: u64) -> Result<(), BitcodeError> {
        let sequential = !self.buf.is_empty() && idx == self.buf_start + self.buf.len() as u64;
        self.readahead = if sequential {
            (self.readahead * 2).min(MAX_READAHEAD)
        } else {
            MIN_READAHEAD
        };
        let file_pos = self.base + idx;
        let want = (self.len - idx).min(self.readahead as u64) as usize;
        // Never shrinks below what was allocated, so refills do not allocate.
        self.buf.resize(want, 0);
        self.buf_start = idx;
        let got = match self.inner.read_at(&mut self.buf, file_pos) {
            Ok(got) => got,
            Err(e) => {
                self.buf.clear();
                return Err(BitcodeError::Io(e));
            }
        };
        if got == 0 {
            self.buf.clear();
            return Err(malformed(
                file_pos,
                "file is shorter than its stated length",
            ));
        }
        self.buf.truncate(got);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::path::PathBuf;
    use std::process::Command;
    use std::time::Instant;

    const CLANG: &str = "clang-19";

    fn have_clang() -> bool {
        let ok = Command::new(CLANG)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("SKIP: {CLANG} not found; bitcode tests need real clang output");
        }
        ok
    }

    /// Compiles `src` with `args`; panics with clang's stderr on failure so a
    /// broken toolchain is visible rather than silently skipped.
    fn compile(dir: &Path, name: &str, src: &str, args: &[&str]) -> PathBuf {
        let c = dir.join(format!("{name}.c"));
        let o = dir.join(format!("{name}.o"));
        std::fs::write(&c, src).unwrap();
        let out = Command::new(CLANG)
            .args(args)
            .arg("-c")
            .arg(&c)
            .arg("-o")
            .arg(&o)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "clang {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        o
    }

    const SMALL_C: &str = "int g(int x) { return x * 3; }\nint main(void) { return g(2); }\n";
    /// An indirect call through a struct of function pointers: with
    /// `-fsanitize=cfi-icall` it carries type metadata, which is what makes
    /// `-fsplit-lto-unit` actually emit a second module. Compiled with
    /// `-fno-sanitize-ignorelist`: clang otherwise insists on reading its
    /// default `cfi_ignorelist.txt` (Debian's libclang-rt-N-dev), whose
    /// entries name C++ library functions only and leave this C file's
    /// bitcode byte for byte the same.
    const CFI_C: &str = "struct ops { int (*f)(int); };\n\
        static int g(int x) { return x * 3; }\n\
        const struct ops o = { g };\n\
        int call(const struct ops *p, int v) { return p->f(v) + 1; }\n\
        int main(void) { return call(&o, 2); }\n";

    const X86: &str = "--target=x86_64-linux-gnu";

    fn facts_of(path: &Path) -> BitcodeFacts {
        let f = examine_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        f.bitcode
            .unwrap_or_else(|| panic!("{}: not bitcode ({:?})", path.display(), f.kind))
    }

    /// `llvm-bcanalyzer-19 -dump` of `path`: the reference the walker must
    /// agree with.
    fn bcanalyzer_dump(path: &Path) -> String {
        let out = Command::new("llvm-bcanalyzer-19")
            .arg("-dump")
            .arg(path)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// (modules, thin summary present, full summary present) per
    /// llvm-bcanalyzer.
    fn bcanalyzer(path: &Path) -> (usize, bool, bool) {
        let text = bcanalyzer_dump(path);
        let count = |tag: &str| {
            text.lines()
                .filter(|l| l.trim_start().starts_with(tag))
                .count()
        };
        (
            count("<MODULE_BLOCK "),
            count("<GLOBALVAL_SUMMARY_BLOCK ") > 0,
            count("<FULL_LTO_GLOBALVAL_SUMMARY_BLOCK ") > 0,
        )
    }

    fn assert_agrees_with_bcanalyzer(path: &Path, facts: &BitcodeFacts) {
        let (modules, thin, full) = bcanalyzer(path);
        assert_eq!(facts.modules, modules, "module count vs llvm-bcanalyzer");
        let expected = if thin {
            Lto::Thin
        } else if full {
            Lto::Full
        } else {
            Lto::None
        };
        assert_eq!(facts.lto, expected, "summary kind vs llvm-bcanalyzer");
    }

    #[test]
    fn sniff_recognises_magics() {
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
        if !have_clang() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let o = compile(dir.path(), "thin", SMALL_C, &[X86, "-O2", "-flto=thin"]);
        let facts = facts_of(&o);
        assert_eq!(facts.lto, Lto::Thin);
        assert_eq!(facts.modules, 1);
        assert!(!facts.wrapped);
        assert_eq!(facts.triple.as_deref(), Some("x86_64-unknown-linux-gnu"));
        let producer = facts.producer.as_deref().unwrap();
        assert!(producer.starts_with("LLVM19"), "producer {producer}");
        assert_agrees_with_bcanalyzer(&o, &facts);
    }

    #[test]
    fn bitcode_modes_match_clang19_and_bcanalyzer() {
        if !have_clang() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        // What clang-19 emits, established by llvm-bcanalyzer-19 -dump.
        let cases: &[(&str, &str, &[&str], Lto, usize)] = &[
            ("full", SMALL_C, &[X86, "-O2", "-flto=full"], Lto::Full, 1),
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
            (
                "full_split",
                CFI_C,
                &[X86, "-O2", "-flto=full", "-fsplit-lto-unit"],
                Lto::Full,
                1,
            ),
            // Thin half + regular-LTO half (which carries a full-LTO summary).
            (
                "split_cfi",
                CFI_C,
                &[
                    X86,
                    "-O2",
                    "-flto=thin",
                    "-fsplit-lto-unit",
                    "-fsanitize=cfi-icall",
                    "-fno-sanitize-ignorelist",
                    "-fvisibility=hidden",
                ],
                Lto::Thin,
                2,
            ),
        ];
        for (name, src, args, lto, modules) in cases {
            let o = compile(dir.path(), name, src, args);
            let facts = facts_of(&o);
            assert_eq!((facts.lto, facts.modules), (*lto, *modules), "{name}");
            assert_eq!(
                facts.triple.as_deref(),
                Some("x86_64-unknown-linux-gnu"),
                "{name}"
            );
            assert_agrees_with_bcanalyzer(&o, &facts);
        }
    }

    #[test]
    fn bitcode_triple_follows_target() {
        if !have_clang() {
            return;
        }
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
            let o = compile(dir.path(), name, SMALL_C, &[target, "-O2", "-flto=thin"]);
            assert_eq!(facts_of(&o).triple.as_deref(), Some(triple), "{target}");
        }
    }

    fn wrap(raw: &[u8], offset: u32, trailer: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for w in [0x0B17_C0DE_u32, 0, offset, raw.len() as u32, 0x0100_0007] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.resize(offset as usize, 0xAA);
        out.extend_from_slice(raw);
        out.extend_from_slice(trailer);
        out
    }

    fn thin_bytes(dir: &Path) -> (Vec<u8>, BitcodeFacts) {
        let o = compile(dir, "small", SMALL_C, &[X86, "-O2", "-flto=thin"]);
        let facts = facts_of(&o);
        (std::fs::read(&o).unwrap(), facts)
    }

    fn examine_bytes(data: &[u8]) -> Result<BitcodeFacts, BitcodeError> {
        examine(Cursor::new(data), data.len() as u64)
    }

    #[test]
    fn bitcode_wrapper_is_followed() {
        if !have_clang() {
            return;
        }
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
        if !have_clang() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let (raw, _) = thin_bytes(dir.path());
        let mut data = wrap(&raw, 20, b"");
        // size one word too large
        data[12..16].copy_from_slice(&(raw.len() as u32 + 4).to_le_bytes());
        let err = examine_bytes(&data).unwrap_err();
        assert!(err.to_string().contains("beyond the end"), "{err}");
        // offset near u32::MAX: must not overflow
        data[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(examine_bytes(&data).is_err());
        // header itself truncated
        assert!(examine_bytes(&data[..12]).is_err());
        // wrapper pointing at something that is not a bitstream
        let mut data = wrap(&raw, 20, b"");
        data[8..12].copy_from_slice(&0u32.to_le_bytes());
        assert!(examine_bytes(&data).is_err());
    }

    #[test]
    fn bitcode_non_bitcode_inputs_are_classified_without_error() {
        if !have_clang() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let elf = compile(dir.path(), "elf", SMALL_C, &[X86, "-O2"]);
        let bc = compile(dir.path(), "bc", SMALL_C, &[X86, "-O2", "-flto=thin"]);
        let input = examine_path(&elf).unwrap();
        assert_eq!((input.kind, input.bitcode), (FileKind::Elf, None));
        assert!(matches!(
            examine(File::open(&elf).unwrap(), input.len),
            Err(BitcodeError::NotBitcode(FileKind::Elf))
        ));
        for (flags, kind) in [("rcs", FileKind::Archive), ("rcT", FileKind::ThinArchive)] {
            let ar = dir.path().join(format!("lib{flags}.a"));
            let st = Command::new("llvm-ar-19")
                .arg(flags)
                .arg(&ar)
                .arg(&bc)
                .arg(&elf)
                .status()
                .unwrap();
            assert!(st.success());
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

    #[test]
    fn bitcode_every_truncation_is_an_error_or_the_full_answer() {
        if !have_clang() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let (raw, facts) = thin_bytes(dir.path());
        let mut ok = 0;
        for cut in 0..raw.len() {
            match examine_bytes(&raw[..cut]) {
                Ok(f) => {
                    assert_eq!(f, facts, "cut at {cut} of {}", raw.len());
                    ok += 1;
                }
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
        eprintln!(
            "truncation: {ok} of {} cut points still gave the full answer",
            raw.len()
        );
        // A stated length beyond the data is a short file, not a panic.
        assert!(examine(Cursor::new(&raw[..raw.len() / 2]), raw.len() as u64).is_err());
        // Truncated wrapped copies: the wrapper size no longer fits.
        let wrapped = wrap(&raw, 20, b"");
        for cut in (0..wrapped.len()).step_by(7) {
            assert!(
                examine_bytes(&wrapped[..cut]).is_err(),
                "wrapped cut at {cut}"
            );
        }
    }

    #[test]
    fn bitcode_split_file_truncated_between_modules_is_an_error() {
        if !have_clang() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let args = [
            X86,
            "-O2",
            "-flto=thin",
            "-fsplit-lto-unit",
            "-fsanitize=cfi-icall",
            "-fno-sanitize-ignorelist",
            "-fvisibility=hidden",
        ];
        let o = compile(dir.path(), "split", CFI_C, &args);
        let raw = std::fs::read(&o).unwrap();
        let facts = facts_of(&o);
        assert_eq!(facts.modules, 2);
        for cut in (0..raw.len()).step_by(4) {
            if let Ok(f) = examine_bytes(&raw[..cut]) {
                assert_eq!(f, facts, "cut at {cut}");
            }
        }
    }

    /// Walks `data` with the jump over function blocks on or off; returns
    /// the facts and the number of modules where the jump was taken.
    fn walk_bytes(data: &[u8], jump: bool) -> Result<(BitcodeFacts, usize), BitcodeError> {
        let source = SeekRead {
            inner: Cursor::new(data),
            pos: None,
        };
        walk_source(source, data.len() as u64, jump)
    }

    /// Modules that contain at least one FUNCTION_BLOCK, per bcanalyzer.
    fn modules_with_function_blocks(path: &Path) -> usize {
        let (mut count, mut seen) = (0, false);
        for line in bcanalyzer_dump(path).lines() {
            let line = line.trim_start();
            if line.starts_with("<MODULE_BLOCK ") {
                seen = false;
            } else if line.starts_with("<FUNCTION_BLOCK ") && !seen {
                seen = true;
                count += 1;
            }
        }
        count
    }

    #[test]
    fn bitcode_jump_over_functions_matches_full_walk() {
        if !have_clang() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let thin = [X86, "-O2", "-flto=thin"];
        let cfi = [
            X86,
            "-O2",
            "-flto=thin",
            "-fsplit-lto-unit",
            "-fsanitize=cfi-icall",
            "-fno-sanitize-ignorelist",
            "-fvisibility=hidden",
        ];
        let many = big_c(40, 3);
        let cases: &[(&str, &str, &[&str])] = &[
            ("thin", SMALL_C, &thin),
            ("full", SMALL_C, &[X86, "-O2", "-flto=full"]),
            ("plain", SMALL_C, &[X86, "-O2", "-emit-llvm"]),
            ("plain_o0", SMALL_C, &[X86, "-O0", "-emit-llvm"]),
            (
                "split_plain",
                CFI_C,
                &[X86, "-O2", "-flto=thin", "-fsplit-lto-unit"],
            ),
            (
                "full_split",
                CFI_C,
                &[X86, "-O2", "-flto=full", "-fsplit-lto-unit"],
            ),
            ("split_cfi", CFI_C, &cfi),
            (
                "arm64",
                SMALL_C,
                &["--target=aarch64-linux-gnu", "-O2", "-flto=thin"],
            ),
            ("many_thin", &many, &thin),
            ("many_full", &many, &[X86, "-O2", "-flto=full"]),
            ("one_fn", "int f(int x) { return x + 1; }\n", &thin),
            ("no_fn", "int v = 3;\n", &thin),
        ];
        let (mut files, mut jumped, mut modules) = (0, 0, 0);
        for (name, src, args) in cases {
            let o = compile(dir.path(), name, src, args);
            let raw = std::fs::read(&o).unwrap();
            let with_functions = modules_with_function_blocks(&o);
            for data in [raw.clone(), wrap(&raw, 20, b""), wrap(&raw, 64, b"junk")] {
                let (full, none) = walk_bytes(&data, false).unwrap();
                let (fast, jumps) = walk_bytes(&data, true).unwrap();
                assert_eq!(none, 0);
                assert_eq!(fast, full, "{name}");
                files += 1;
                jumped += jumps;
                modules += full.modules;
                // Every module clang-19 writes with a function body carries
                // the index the jump needs.
                assert_eq!(jumps, with_functions, "{name}: jump not taken");
            }
            let step = if raw.len() > 20_000 { 13 } else { 1 };
            for cut in (0..raw.len()).step_by(step) {
                match (
                    walk_bytes(&raw[..cut], false),
                    walk_bytes(&raw[..cut], true),
                ) {
                    (Ok((a, _)), Ok((b, _))) => assert_eq!(a, b, "{name} cut at {cut}"),
                    (Err(_), Err(_)) => {}
                    (a, b) => panic!("{name} cut at {cut}: full {a:?}, jump {b:?}"),
                }
            }
        }
        eprintln!("jump over functions: taken in {jumped} of {modules} modules in {files} files");
    }

    #[test]
    fn bitcode_corrupt_function_index_falls_back_to_full_walk() {
        if !have_clang() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let o = compile(
            dir.path(),
            "idx",
            &big_c(40, 3),
            &[X86, "-O2", "-flto=thin"],
        );
        let raw = std::fs::read(&o).unwrap();
        let dump = Command::new("llvm-bcanalyzer-19")
            .arg("-dump")
            .arg(&o)
            .output()
            .unwrap();
        let dump = String::from_utf8_lossy(&dump.stdout);
        let line = dump.lines().find(|l| l.contains("<VSTOFFSET ")).unwrap();
        let value: u32 = line
            .split("op0=")
            .nth(1)
            .unwrap()
            .trim_end_matches("/>")
            .parse()
            .unwrap();
        // VSTOFFSET is a fixed(32) field at whatever bit the record puts it.
        let bits_at = |data: &[u8], bit: usize| {
            (0..32).fold(0u32, |v, k| {
                let b = bit + k;
                v | (u32::from(data[b / 8] >> (b % 8) & 1) << k)
            })
        };
        let at: Vec<usize> = (0..(raw.len() - 4) * 8)
            .filter(|&bit| bits_at(&raw, bit) == value)
            .collect();
        assert!(!at.is_empty(), "VSTOFFSET word {value} not found");
        let (mut fallbacks, mut agreed) = (0, 0);
        for &i in &at {
            for bad in [
                0,
                1,
                2,
                value - 1,
                value + 1,
                value + 2,
                value / 2,
                u32::MAX,
            ] {
                let mut data = raw.clone();
                for k in 0..32 {
                    let b = i + k;
                    data[b / 8] &= !(1 << (b % 8));
                    data[b / 8] |= ((bad >> k & 1) as u8) << (b % 8);
                }
                assert_eq!(bits_at(&data, i), bad);
                match (walk_bytes(&data, false), walk_bytes(&data, true)) {
                    (Ok((a, _)), Ok((b, jumps))) => {
                        assert_eq!(a, b, "VSTOFFSET {bad} at {i}");
                        fallbacks += usize::from(jumps == 0);
                    }
                    (Err(_), Err(_)) => {}
                    (a, b) => panic!("VSTOFFSET {bad} at {i}: full {a:?}, jump {b:?}"),
                }
                agreed += 1;
            }
        }
        eprintln!(
            "corrupt VSTOFFSET: {agreed} copies agreed, {fallbacks} fell back to the full walk"
        );
        assert!(fallbacks > 0);
    }

    /// Interleaved timing of both walks on the files benches/gen-bitcode.sh
    /// leaves in target/bench-data; run with
    /// `cargo test --release --lib bitcode_walk_timing -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn bitcode_walk_timing() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
        for name in ["fn3000x40.o", "fn30000x40.o", "fn300x400.o", "fn600x40.o"] {
            let path = data.join(name);
            let Ok(file) = File::open(&path) else {
                eprintln!("SKIP {name}: run benches/gen-bitcode.sh");
                continue;
            };
            let len = file.metadata().unwrap().len();
            let rounds = 200;
            let mut times = [Vec::new(), Vec::new()];
            let mut jumps = 0;
            for _ in 0..rounds {
                for (i, jump) in [false, true].into_iter().enumerate() {
                    let t = Instant::now();
                    let (_, j) = walk_source(Pread(&file), len, jump).unwrap();
                    times[i].push(t.elapsed());
                    jumps += j;
                }
            }
            for t in &mut times {
                t.sort();
            }
            let (full, fast) = (times[0][rounds / 2], times[1][rounds / 2]);
            eprintln!(
                "{name} ({len} bytes): full walk median {full:.1?} (p10 {:.1?}), \
                 jump median {fast:.1?} (p10 {:.1?}), ratio {:.1}x, jumps {jumps}/{rounds}",
                times[0][rounds / 10],
                times[1][rounds / 10],
                full.as_secs_f64() / fast.as_secs_f64()
            );
        }
    }

    /// xorshift64: deterministic corruption without a rand dependency.
    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn bitcode_random_byte_flips_never_panic() {
        if !have_clang() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let (raw, facts) = thin_bytes(dir.path());
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let (mut ok, mut same) = (0, 0);
        let rounds = 3000;
        for round in 0..rounds {
            let mut data = if round % 4 == 0 {
                wrap(&raw, 20, b"")
            } else {
                raw.clone()
            };
            let flips = 1 + rng.next() % 4;
            for _ in 0..flips {
                let at = (rng.next() % data.len() as u64) as usize;
                data[at] ^= 1 << (rng.next() % 8);
            }
            if let Ok(f) = examine_bytes(&data) {
                ok += 1;
                same += usize::from(f.lto == facts.lto && f.modules == facts.modules);
            }
        }
        eprintln!("byte flips: {ok} of {rounds} corrupted copies parsed, {same} with unchanged lto/modules");
    }

    /// Minimal bitstream writer so the abbreviation paths clang does not
    /// exercise (BLOCKINFO abbrevs for MODULE, abbreviated TRIPLE, blobs,
    /// char6 arrays) are tested too.
    #[derive(Default)]
    struct BitWriter {
        bytes: Vec<u8>,
        bit: u64,
    }

    impl BitWriter {
        fn emit(&mut self, v: u64, n: u32) {
            for i in 0..n {
                if self.bit.is_multiple_of(8) {
                    self.bytes.push(0);
                }
                let b = (v >> i) & 1;
                *self.bytes.last_mut().unwrap() |= (b as u8) << (self.bit % 8);
                self.bit += 1;
            }
        }
        fn vbr(&mut self, mut v: u64, w: u32) {
            let hi = 1u64 << (w - 1);
            while v >= hi {
                self.emit((v & (hi - 1)) | hi, w);
                v >>= w - 1;
            }
            self.emit(v, w);
        }
        fn align32(&mut self) {
            while !self.bit.is_multiple_of(32) {
                self.emit(0, 1);
            }
        }
        /// Returns the byte index of the length word to patch.
        fn enter(&mut self, cur_width: u32, id: u64, width: u32) -> usize {
            self.emit(ENTER_SUBBLOCK, cur_width);
            self.vbr(id, 8);
            self.vbr(u64::from(width), 4);
            self.align32();
            let at = self.bytes.len();
            self.emit(0, 32);
            at
        }
        fn end(&mut self, width: u32, len_at: usize) {
            self.emit(END_BLOCK, width);
            self.align32();
            let words = ((self.bytes.len() - len_at - 4) / 4) as u32;
            self.bytes[len_at..len_at + 4].copy_from_slice(&words.to_le_bytes());
        }
        fn unabbrev(&mut self, width: u32, code: u64, ops: &[u64]) {
            self.emit(UNABBREV_RECORD, width);
            self.vbr(code, 6);
            self.vbr(ops.len() as u64, 6);
            for &o in ops {
                self.vbr(o, 6);
            }
        }
        /// ops: (is_literal, encoding or literal value, width)
        fn define_abbrev(&mut self, width: u32, ops: &[(bool, u64, u64)]) {
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

    fn char6(c: u8) -> u64 {
        u64::from(match c {
            b'a'..=b'z' => c - b'a',
            b'A'..=b'Z' => c - b'A' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'.' => 62,
            _ => 63,
        })
    }

    /// A hand-built stream: top-level BLOCKINFO giving MODULE an abbrev for
    /// TRIPLE (fixed(8) array), IDENTIFICATION with a char6 producer, and a
    /// MODULE with a blob record, a skipped summary block and a STRTAB.
    fn crafted(summary: Option<u64>) -> Vec<u8> {
        let mut w = BitWriter::default();
        w.emit(u64::from(u32::from_le_bytes(RAW_MAGIC)), 32);
        let bi = w.enter(2, BLOCKINFO_BLOCK_ID, 3);
        w.unabbrev(3, BLOCKINFO_CODE_SETBID, &[MODULE_BLOCK_ID]);
        w.define_abbrev(
            3,
            &[(true, MODULE_CODE_TRIPLE, 0), (false, 3, 0), (false, 1, 8)],
        );
        w.end(3, bi);
        let id = w.enter(2, IDENTIFICATION_BLOCK_ID, 4);
        w.define_abbrev(4, &[(true, 1, 0), (false, 3, 0), (false, 4, 0)]);
        w.emit(4, 4);
        w.vbr(8, 6);
        for c in b"Crafted1" {
            w.emit(char6(*c), 6);
        }
        w.end(4, id);
        let m = w.enter(2, MODULE_BLOCK_ID, 3);
        w.unabbrev(3, MODULE_CODE_VERSION, &[2]);
        // Abbrev 4 comes from BLOCKINFO; 5 is local: [code 16 literal, blob].
        w.define_abbrev(3, &[(true, 16, 0), (false, 5, 0)]);
        w.emit(5, 3);
        w.vbr(13, 6);
        w.align32();
        for b in b"blob contents" {
            w.emit(u64::from(*b), 8);
        }
        w.align32();
        w.emit(4, 3);
        let triple = b"armv7-none-eabi";
        w.vbr(triple.len() as u64, 6);
        for b in triple {
            w.emit(u64::from(*b), 8);
        }
        if let Some(sid) = summary {
            let s = w.enter(3, sid, 4);
            w.unabbrev(4, 1, &[1, 2, 3]);
            w.end(4, s);
        }
        w.end(3, m);
        let st = w.enter(2, STRTAB_BLOCK_ID, 3);
        w.unabbrev(3, 1, &[0; 10]);
        w.end(3, st);
        w.bytes
    }

    #[test]
    fn bitcode_crafted_stream_uses_blockinfo_and_abbreviated_triple() {
        for (summary, lto) in [
            (Some(GLOBALVAL_SUMMARY_BLOCK_ID), Lto::Thin),
            (Some(FULL_LTO_GLOBALVAL_SUMMARY_BLOCK_ID), Lto::Full),
            (None, Lto::None),
        ] {
            let data = crafted(summary);
            let facts = examine_bytes(&data).unwrap();
            assert_eq!(
                facts,
                BitcodeFacts {
                    wrapped: false,
                    lto,
                    modules: 1,
                    producer: Some("Crafted1".into()),
                    triple: Some("armv7-none-eabi".into()),
                }
            );
            for cut in 0..data.len() {
                if let Ok(f) = examine_bytes(&data[..cut]) {
                    assert_eq!(f, facts, "cut at {cut}");
                }
            }
        }
    }

    #[test]
    fn bitcode_corrupt_structures_are_errors() {
        let magic = u64::from(u32::from_le_bytes(RAW_MAGIC));
        let finish = |w: BitWriter| {
            let mut b = w.bytes;
            b.resize(b.len().div_ceil(4) * 4 + 16, 0);
            b
        };
        // Undefined abbreviation id inside MODULE.
        let mut w = BitWriter::default();
        w.emit(magic, 32);
        let m = w.enter(2, MODULE_BLOCK_ID, 3);
        w.emit(6, 3);
        w.end(3, m);
        let err = examine_bytes(&finish(w)).unwrap_err();
        assert!(err.to_string().contains("undefined abbreviation"), "{err}");
        // Overlong vbr.
        let mut w = BitWriter::default();
        w.emit(magic, 32);
        let m = w.enter(2, MODULE_BLOCK_ID, 3);
        w.emit(UNABBREV_RECORD, 3);
        for _ in 0..20 {
            w.emit(0x3F, 6);
        }
        w.emit(0, 6);
        w.end(3, m);
        let err = examine_bytes(&finish(w)).unwrap_err();
        assert!(err.to_string().contains("vbr"), "{err}");
        // Sub-block whose length runs past its parent.
        let mut w = BitWriter::default();
        w.emit(magic, 32);
        let m = w.enter(2, MODULE_BLOCK_ID, 3);
        let f = w.enter(3, 12, 4);
        w.end(4, f);
        w.end(3, m);
        let mut data = finish(w);
        data[f..f + 4].copy_from_slice(&1000u32.to_le_bytes());
        let err = examine_bytes(&data).unwrap_err();
        assert!(err.to_string().contains("past its parent"), "{err}");
        // Missing END_BLOCK: the module's records run into its end.
        let mut w = BitWriter::default();
        w.emit(magic, 32);
        let m = w.enter(2, MODULE_BLOCK_ID, 3);
        w.unabbrev(3, MODULE_CODE_VERSION, &[2]);
        w.align32();
        let words = ((w.bytes.len() - m - 4) / 4) as u32;
        w.bytes[m..m + 4].copy_from_slice(&words.to_le_bytes());
        assert!(examine_bytes(&finish(w)).is_err());
        // An IDENTIFICATION block without its MODULE.
        let mut w = BitWriter::default();
        w.emit(magic, 32);
        let id = w.enter(2, IDENTIFICATION_BLOCK_ID, 4);
        w.end(4, id);
        let st = w.enter(2, STRTAB_BLOCK_ID, 3);
        w.end(3, st);
        assert!(examine_bytes(&finish(w)).is_err());
        // Huge array count in a module record.
        let mut w = BitWriter::default();
        w.emit(magic, 32);
        let m = w.enter(2, MODULE_BLOCK_ID, 3);
        w.define_abbrev(3, &[(true, 9, 0), (false, 3, 0), (false, 2, 6)]);
        w.emit(4, 3);
        w.vbr(u64::MAX >> 2, 6);
        w.end(3, m);
        assert!(examine_bytes(&finish(w)).is_err());
        // Not bitcode at all.
        assert!(matches!(
            examine_bytes(b"\x7fELF\0\0\0\0"),
            Err(BitcodeError::NotBitcode(FileKind::Elf))
        ));
        assert!(examine_bytes(b"BC\xC0\xDE").is_err());
    }

    /// Read + Seek adapter counting the bytes actually pulled from the file.
    struct Counting<R> {
        inner: R,
        bytes: u64,
        reads: u64,
        seeks: u64,
    }

    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.bytes += n as u64;
            self.reads += 1;
            Ok(n)
        }
    }

    impl<R: Seek> Seek for Counting<R> {
        fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
            self.seeks += 1;
            self.inner.seek(pos)
        }
    }

    fn big_c(functions: usize, statements: usize) -> String {
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

    #[test]
    fn bitcode_large_file_is_walked_without_reading_function_bodies() {
        if !have_clang() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let t = Instant::now();
        let o = compile(
            dir.path(),
            "big",
            &big_c(3000, 40),
            &[X86, "-O2", "-flto=thin"],
        );
        let compile_time = t.elapsed();
        let len = std::fs::metadata(&o).unwrap().len();
        let mut counting = Counting {
            inner: File::open(&o).unwrap(),
            bytes: 0,
            reads: 0,
            seeks: 0,
        };
        let t = Instant::now();
        let facts = examine(&mut counting, len).unwrap();
        let walk_time = t.elapsed();
        eprintln!(
            "large file: {len} bytes (clang {compile_time:.1?}); examine took {walk_time:.2?}, \
             read {} bytes ({:.2}% of the file) in {} reads and {} seeks",
            counting.bytes,
            counting.bytes as f64 * 100.0 / len as f64,
            counting.reads,
            counting.seeks
        );
        assert!(len > 4_000_000, "generated file is only {len} bytes");
        assert_eq!((facts.lto, facts.modules), (Lto::Thin, 1));
        assert!(
            counting.bytes * 10 < len,
            "read {} of {len} bytes",
            counting.bytes
        );
        assert_agrees_with_bcanalyzer(&o, &facts);
    }
}
