//! The block walk: which of LLVM's blocks are decoded (IDENTIFICATION,
//! MODULE's own records, BLOCKINFO, the module-level VALUE_SYMTAB when
//! jumping), which are only stepped over by their length word (everything
//! else), and what the records that are decoded say. Block and record ids
//! come from llvm/include/llvm/Bitcode/LLVMBitCodes.h; summaries are judged
//! as `getLTOInfo` in BitcodeReader.cpp judges them.

use super::bits::{BitReader, ByteSource};
use super::records::{
    Abbrev, BitRecord, DEFINE_ABBREV, END_BLOCK, ENTER_SUBBLOCK, MAX_CHUNK, UNABBREV_RECORD,
};
use super::{BitcodeError, BitcodeFacts, Lto, RAW_MAGIC};

// Block ids; BLOCKINFO's is from llvm/include/llvm/Bitstream/BitCodeEnums.h.
pub(super) const BLOCKINFO_BLOCK_ID: u64 = 0;
pub(super) const MODULE_BLOCK_ID: u64 = 8;
pub(super) const FUNCTION_BLOCK_ID: u64 = 12;
pub(super) const IDENTIFICATION_BLOCK_ID: u64 = 13;
pub(super) const VALUE_SYMTAB_BLOCK_ID: u64 = 14;
pub(super) const GLOBALVAL_SUMMARY_BLOCK_ID: u64 = 20;
pub(super) const STRTAB_BLOCK_ID: u64 = 23;
pub(super) const FULL_LTO_GLOBALVAL_SUMMARY_BLOCK_ID: u64 = 24;

pub(super) const MODULE_CODE_VERSION: u64 = 1;
pub(super) const MODULE_CODE_TRIPLE: u64 = 2;
/// `[offset]`: word offset of the module-level VALUE_SYMTAB block.
pub(super) const MODULE_CODE_VSTOFFSET: u64 = 13;
/// `[valueid, offset]` in a module-level VALUE_SYMTAB: word offset of the
/// function's block.
pub(super) const VST_CODE_FNENTRY: u64 = 3;
pub(super) const IDENTIFICATION_CODE_STRING: u64 = 1;
pub(super) const BLOCKINFO_CODE_SETBID: u64 = 1;

/// Abbreviation id width outside any block.
const TOP_LEVEL_ABBREV_WIDTH: u32 = 2;
/// A bound on what file data may make us allocate: a module defines a
/// handful of abbreviations, so this only bites on hostile or corrupt input.
const MAX_ABBREVS_PER_BLOCK: usize = 256;
/// Decoded nesting is structurally at most top level → MODULE → BLOCKINFO
/// because everything else is skipped; the cap makes that a checked rule.
const MAX_DEPTH: u32 = 3;
/// A lone IDENTIFICATION block is a module cut off or a stream spliced.
const NO_MODULE_AFTER_IDENTIFICATION: &str = "IDENTIFICATION block not followed by a MODULE block";

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

/// Where a block's contents end, in bits from the stream start.
#[derive(Clone, Copy)]
struct BlockScope {
    abbrev_width: u32,
    end: u64,
}

/// One entry of a block as [`Walker::block_entries`] hands it on.
enum Entry {
    Record(BitRecord),
    /// A sub-block whose header has been read: `start` is the bit of its
    /// ENTER_SUBBLOCK, `scope` its contents. Whoever receives it moves the
    /// reader past it, by stepping over it or by walking it.
    SubBlock {
        id: u64,
        scope: BlockScope,
        start: u64,
    },
}

/// Walks the bitstream `bits` (the raw stream, unwrapped; `wrapped` says
/// whether it was) and returns its facts with the count of modules whose
/// function blocks were jumped over; `jump` turns the jump on.
pub(super) fn walk<S: ByteSource>(
    bits: BitReader<S>,
    wrapped: bool,
    jump: bool,
) -> Result<(BitcodeFacts, usize), BitcodeError> {
    let mut walker = Walker {
        bits,
        blockinfo: BlockInfo::default(),
        facts: BitcodeFacts {
            wrapped,
            lto: Lto::None,
            modules: 0,
            producer: None,
            triple: None,
        },
        modules_awaiting_strtab: 0,
        jump,
        jumps: 0,
    };
    walker.walk()?;
    Ok((walker.facts, walker.jumps))
}

struct Walker<R> {
    bits: BitReader<R>,
    blockinfo: BlockInfo,
    facts: BitcodeFacts,
    /// Modules whose names live in a string table that has not been seen
    /// yet. A file cut right after a module block looks well formed, and
    /// this is what tells it apart from a complete one.
    modules_awaiting_strtab: usize,
    /// Use the module's function index to jump over its function blocks
    /// (see [`Walker::jump_past_functions`]); off only to compare the
    /// two walks (tests, the benchmark).
    jump: bool,
    /// Modules whose function blocks were jumped over.
    jumps: usize,
}

impl<S: ByteSource> Walker<S> {
    fn walk(&mut self) -> Result<(), BitcodeError> {
        let magic = self.bits.read(32)?;
        if magic != u64::from(u32::from_le_bytes(RAW_MAGIC)) {
            return Err(self
                .bits
                .error("bitcode wrapper does not point at a bitstream"));
        }
        let stream_end = self.bits.len_bytes() * 8;
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
            let code = self.bits.read(TOP_LEVEL_ABBREV_WIDTH)?;
            if code == END_BLOCK {
                return Err(self.bits.error("END_BLOCK at top level"));
            }
            let block = match code {
                ENTER_SUBBLOCK => Some(self.enter_subblock(stream_end)?),
                _ => None,
            };
            if after_identification && block.map(|(id, _)| id) != Some(MODULE_BLOCK_ID) {
                return Err(self.bits.error(NO_MODULE_AFTER_IDENTIFICATION));
            }
            let Some((id, scope)) = block else {
                // Ids >= 4 do not fit in 2 bits, so a top-level abbrev can
                // never be used; it only has to be stepped over.
                if code == DEFINE_ABBREV {
                    self.bits.read_abbrev_def()?;
                } else {
                    self.bits.read_unabbrev_record(None)?;
                }
                continue;
            };
            if !after_identification {
                module_start = entry_start;
            }
            after_identification = id == IDENTIFICATION_BLOCK_ID;
            match id {
                IDENTIFICATION_BLOCK_ID => self.identification_block(&scope)?,
                MODULE_BLOCK_ID => self.module_block(&scope, module_start)?,
                BLOCKINFO_BLOCK_ID => self.blockinfo_block(&scope, 1)?,
                STRTAB_BLOCK_ID => {
                    self.modules_awaiting_strtab = 0;
                    self.bits.skip_to(scope.end)?;
                }
                _ => self.bits.skip_to(scope.end)?,
            }
        }
        if after_identification {
            return Err(self.bits.error(NO_MODULE_AFTER_IDENTIFICATION));
        }
        if self.facts.modules == 0 {
            return Err(self.bits.error("no MODULE block"));
        }
        if self.modules_awaiting_strtab > 0 {
            return Err(self
                .bits
                .error("module names a string table that is missing"));
        }
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
        let text_of = Some(IDENTIFICATION_CODE_STRING).filter(|_| self.facts.producer.is_none());
        self.block_entries(scope, &mut abbrevs, text_of, |walker, entry| {
            match entry {
                // Only the wanted STRING records carry text; the first kept wins.
                Entry::Record(rec) => {
                    walker.facts.producer = walker.facts.producer.take().or(rec.text)
                }
                Entry::SubBlock { scope, .. } => walker.bits.skip_to(scope.end)?,
            }
            Ok(())
        })
    }

    /// `start` is the bit where this module's bitcode starts, the base of
    /// the offsets in its VSTOFFSET and FNENTRY records.
    ///
    /// Sub-blocks (functions, metadata, constants, summaries) are most of
    /// the file; only their header is read. BLOCKINFO is the exception
    /// because its abbreviations could change how later records decode.
    fn module_block(&mut self, scope: &BlockScope, start: u64) -> Result<(), BitcodeError> {
        let mut abbrevs = self.blockinfo.module.clone();
        let first_module = self.facts.modules == 0;
        let text_of = first_module.then_some(MODULE_CODE_TRIPLE);
        let module = *scope;
        let mut summary_seen = false;
        let mut uses_strtab = false;
        let mut vst_offset = None;
        let mut jump_tried = !self.jump;
        self.block_entries(scope, &mut abbrevs, text_of, |walker, entry| {
            match entry {
                Entry::Record(rec) => match rec.code {
                    MODULE_CODE_VSTOFFSET => vst_offset = rec.first,
                    // Version 2 (LLVM >= 5) keeps global names in the
                    // top-level STRTAB.
                    MODULE_CODE_VERSION => uses_strtab = rec.first.is_some_and(|v| v >= 2),
                    MODULE_CODE_TRIPLE if first_module && walker.facts.triple.is_none() => {
                        walker.facts.triple = rec.text
                    }
                    _ => {}
                },
                Entry::SubBlock {
                    id: BLOCKINFO_BLOCK_ID,
                    scope,
                    ..
                } => walker.blockinfo_block(&scope, 2)?,
                Entry::SubBlock {
                    id: FUNCTION_BLOCK_ID,
                    scope,
                    start: block_start,
                } if !jump_tried => {
                    jump_tried = true;
                    let last_end = walker.jump_past_functions(
                        &module,
                        start,
                        vst_offset,
                        block_start,
                        scope.end,
                    );
                    // Without the jump, on past this one block as usual
                    // (its end was checked against the module's).
                    walker.bits.set_limit(module.end);
                    walker.bits.seek(last_end.unwrap_or(scope.end));
                    walker.jumps += usize::from(last_end.is_some());
                }
                Entry::SubBlock {
                    id: id @ (GLOBALVAL_SUMMARY_BLOCK_ID | FULL_LTO_GLOBALVAL_SUMMARY_BLOCK_ID),
                    scope,
                    ..
                } => {
                    // getLTOInfo stops at the first summary block of either
                    // kind; later ones do not change the answer.
                    if !summary_seen {
                        summary_seen = true;
                        // Over modules, a ThinLTO summary anywhere makes
                        // the file Thin (see [`Lto`]).
                        if id == GLOBALVAL_SUMMARY_BLOCK_ID {
                            walker.facts.lto = Lto::Thin;
                        } else if walker.facts.lto == Lto::None {
                            walker.facts.lto = Lto::Full;
                        }
                    }
                    walker.bits.skip_to(scope.end)?;
                }
                Entry::SubBlock { scope, .. } => walker.bits.skip_to(scope.end)?,
            }
            Ok(())
        })?;
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
    /// block as before; the caller also sets the position and limit.
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
        self.block_entries(&vst_scope, &mut abbrevs, None, |walker, entry| {
            match entry {
                Entry::Record(rec) => {
                    if rec.code == VST_CODE_FNENTRY {
                        if let Some(offset) = rec.second {
                            last = last.max(Some(offset));
                        }
                    }
                }
                Entry::SubBlock { scope, .. } => walker.bits.skip_to(scope.end)?,
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
        self.bits.seek(last_fn);
        if self.bits.read(module.abbrev_width).ok()? != ENTER_SUBBLOCK {
            return None;
        }
        let (id, fn_scope) = self.enter_subblock(vst).ok()?;
        (id == FUNCTION_BLOCK_ID).then_some(fn_scope.end)
    }

    /// Reads a block's entries until END_BLOCK: abbreviation definitions
    /// are kept in `abbrevs` for the records after them, and each record
    /// (code `text_of`'s with its text) and each sub-block (header read)
    /// goes to `on_entry`. The block's end is the reader's limit meanwhile,
    /// so no entry can read past it; the caller's limit is restored after.
    fn block_entries(
        &mut self,
        scope: &BlockScope,
        abbrevs: &mut Vec<Abbrev>,
        text_of: Option<u64>,
        mut on_entry: impl FnMut(&mut Self, Entry) -> Result<(), BitcodeError>,
    ) -> Result<(), BitcodeError> {
        let saved_limit = self.bits.set_limit(scope.end);
        loop {
            match self.bits.read(scope.abbrev_width)? {
                END_BLOCK => {
                    self.bits.align32()?;
                    break;
                }
                ENTER_SUBBLOCK => {
                    let start = self.bits.pos() - u64::from(scope.abbrev_width);
                    let (id, sub) = self.enter_subblock(scope.end)?;
                    on_entry(
                        self,
                        Entry::SubBlock {
                            id,
                            scope: sub,
                            start,
                        },
                    )?;
                }
                DEFINE_ABBREV => {
                    let abbrev = self.bits.read_abbrev_def()?;
                    if abbrevs.len() >= MAX_ABBREVS_PER_BLOCK {
                        return Err(self.bits.error("too many abbreviations in one block"));
                    }
                    abbrevs.push(abbrev);
                }
                UNABBREV_RECORD => {
                    let rec = self.bits.read_unabbrev_record(text_of)?;
                    on_entry(self, Entry::Record(rec))?;
                }
                n => {
                    let Some(abbrev) = usize::try_from(n - 4).ok().and_then(|i| abbrevs.get(i))
                    else {
                        return Err(self.bits.error("undefined abbreviation id"));
                    };
                    // `abbrevs` is the caller's, not part of `self`: no clone.
                    let rec = self.bits.read_abbrev_record(abbrev, text_of)?;
                    on_entry(self, Entry::Record(rec))?;
                }
            }
        }
        self.bits.set_limit(saved_limit);
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
                    let abbrev = self.bits.read_abbrev_def()?;
                    if let Some(list) = self.blockinfo.for_block(id) {
                        if list.len() >= MAX_ABBREVS_PER_BLOCK {
                            return Err(self.bits.error("too many abbreviations in one block"));
                        }
                        list.push(abbrev);
                    }
                }
                UNABBREV_RECORD => {
                    let rec = self.bits.read_unabbrev_record(None)?;
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
        self.bits.set_limit(saved_limit);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::bits::Pread;
    use super::super::test_support::*;
    use super::super::{walk_source, BitcodeError, BitcodeFacts, FileKind, Lto, RAW_MAGIC};
    use super::*;
    use std::cell::Cell;
    use std::fs::File;
    use std::io;
    use std::time::Instant;

    #[test]
    fn bitcode_jump_over_functions_matches_full_walk() {
        let dir = tempfile::tempdir().unwrap();
        let many = big_c(40, 3);
        let cases: &[(&str, &str, &[&str])] = &[
            ("thin", SMALL_C, THIN),
            ("full", SMALL_C, FULL),
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
            ("split_cfi", CFI_C, SPLIT_CFI),
            (
                "arm64",
                SMALL_C,
                &["--target=aarch64-linux-gnu", "-O2", "-flto=thin"],
            ),
            ("many_thin", &many, THIN),
            ("many_full", &many, FULL),
            ("one_fn", "int f(int x) { return x + 1; }\n", THIN),
            ("no_fn", "int v = 3;\n", THIN),
        ];
        let (mut files, mut jumped, mut modules) = (0, 0, 0);
        for (version, (name, src, args)) in LLVM_VERSIONS
            .iter()
            .copied()
            .flat_map(|v| cases.iter().map(move |case| (v, case)))
        {
            let llvm = toolchain(version);
            let o = llvm.compile(dir.path(), name, src, args);
            let raw = std::fs::read(&o).unwrap();
            let with_functions = llvm.dump(&o).modules_with_function_blocks;
            let name = format!("{name}, LLVM {version}");
            for data in [raw.clone(), wrap(&raw, 20, b""), wrap(&raw, 64, b"junk")] {
                let (full, none) = walk_bytes(&data, false).unwrap();
                let (fast, jumps) = walk_bytes(&data, true).unwrap();
                assert_eq!(none, 0);
                assert_eq!(fast, full, "{name}");
                files += 1;
                jumped += jumps;
                modules += full.modules;
                // Every module clang writes with a function body carries the
                // index the jump needs.
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
        let llvm = toolchain(LLVM);
        let dir = tempfile::tempdir().unwrap();
        let o = llvm.compile(dir.path(), "idx", &big_c(40, 3), THIN);
        let raw = std::fs::read(&o).unwrap();
        let value = llvm.dump(&o).vst_offset.expect("VSTOFFSET in the dump");
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
        assert_eq!(
            malformed_reason(examine_bytes(&finish(w))),
            "undefined abbreviation id"
        );
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
        assert_eq!(
            malformed_reason(examine_bytes(&finish(w))),
            "vbr value too long"
        );
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
        let BitcodeError::Malformed { offset, .. } = err else {
            panic!("{err:?}");
        };
        // The user sees the byte to look at in llvm-bcanalyzer -dump.
        assert_eq!(
            err.to_string(),
            format!(
                "malformed bitcode near byte {offset}: \
                 block extends past its parent or the end of file"
            )
        );
        // Missing END_BLOCK: the module's records run into its end. Zero
        // padding would read as END_BLOCK, so the record fills the block's
        // one word exactly (2 + 6 + 6 + 3 * 6 bits).
        let mut w = BitWriter::default();
        w.emit(magic, 32);
        let m = w.enter(2, MODULE_BLOCK_ID, 2);
        w.unabbrev(2, MODULE_CODE_VERSION, &[2, 0, 0]);
        assert_eq!(w.bit % 32, 0);
        w.bytes[m..m + 4].copy_from_slice(&1u32.to_le_bytes());
        assert_eq!(
            malformed_reason(examine_bytes(&finish(w))),
            "read past the end of a block"
        );
        // An IDENTIFICATION block without its MODULE.
        let mut w = BitWriter::default();
        w.emit(magic, 32);
        let id = w.enter(2, IDENTIFICATION_BLOCK_ID, 4);
        w.end(4, id);
        let st = w.enter(2, STRTAB_BLOCK_ID, 3);
        w.end(3, st);
        assert_eq!(
            malformed_reason(examine_bytes(&finish(w))),
            "IDENTIFICATION block not followed by a MODULE block"
        );
        // Huge array count in a module record.
        let mut w = BitWriter::default();
        w.emit(magic, 32);
        let m = w.enter(2, MODULE_BLOCK_ID, 3);
        w.define_abbrev(3, &[(true, 9, 0), (false, 3, 0), (false, 2, 6)]);
        w.emit(4, 3);
        w.vbr(u64::MAX >> 2, 6);
        w.end(3, m);
        assert_eq!(
            malformed_reason(examine_bytes(&finish(w))),
            "array runs past the block end"
        );
        // Not bitcode at all.
        assert!(matches!(
            examine_bytes(b"\x7fELF\0\0\0\0"),
            Err(BitcodeError::NotBitcode(FileKind::Elf))
        ));
        assert_eq!(
            malformed_reason(examine_bytes(b"BC\xC0\xDE")),
            "no MODULE block"
        );
    }

    /// The shim's own positioned reads, counting the bytes actually
    /// pulled from the file.
    struct Counting<'a> {
        inner: Pread<'a>,
        bytes: &'a Cell<u64>,
        reads: &'a Cell<u64>,
    }

    impl ByteSource for Counting<'_> {
        fn read_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
            let n = self.inner.read_at(buf, offset)?;
            self.bytes.set(self.bytes.get() + n as u64);
            self.reads.set(self.reads.get() + 1);
            Ok(n)
        }
    }

    #[test]
    fn bitcode_large_file_is_walked_without_reading_function_bodies() {
        let llvm = toolchain(LLVM);
        let dir = tempfile::tempdir().unwrap();
        let t = Instant::now();
        let o = llvm.compile(dir.path(), "big", &big_c(3000, 40), THIN);
        let compile_time = t.elapsed();
        let len = std::fs::metadata(&o).unwrap().len();
        let file = File::open(&o).unwrap();
        let (bytes, reads) = (Cell::new(0), Cell::new(0));
        let counting = Counting {
            inner: Pread(&file),
            bytes: &bytes,
            reads: &reads,
        };
        let t = Instant::now();
        let facts = walk_source(counting, len, true).unwrap().0;
        let walk_time = t.elapsed();
        eprintln!(
            "large file: {len} bytes (clang {compile_time:.1?}); examine took {walk_time:.2?}, \
             read {} bytes ({:.2}% of the file) in {} reads",
            bytes.get(),
            bytes.get() as f64 * 100.0 / len as f64,
            reads.get()
        );
        assert!(len > 4_000_000, "generated file is only {len} bytes");
        assert_eq!((facts.lto, facts.modules), (Lto::Thin, 1));
        assert!(
            bytes.get() * 10 < len,
            "read {} of {len} bytes",
            bytes.get()
        );
        llvm.assert_agrees(&o, &facts);
    }
}
