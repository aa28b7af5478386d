//! Records of an LLVM bitstream as the abbreviations define them
//! (llvm/docs/BitCodeFormat.rst, `BitstreamCursor::readRecord`): reading an
//! abbreviation definition, and decoding a record through one, or through
//! none, down to the few operands the walk looks at. Like the bit reader
//! underneath, this knows no block or record meanings.

use super::bits::{BitReader, ByteSource};
use super::BitcodeError;

// Abbreviation ids with a fixed meaning in every block
// (llvm/include/llvm/Bitstream/BitCodeEnums.h); ids from 4 up name the
// block's defined abbreviations.
pub(super) const END_BLOCK: u64 = 0;
pub(super) const ENTER_SUBBLOCK: u64 = 1;
pub(super) const DEFINE_ABBREV: u64 = 2;
pub(super) const UNABBREV_RECORD: u64 = 3;

/// LLVM's `MaxChunkSize`: no fixed field, vbr chunk or abbrev width is wider.
pub(super) const MAX_CHUNK: u64 = 32;

/// A bound on what file data may make us allocate: real LLVM abbreviations
/// have well under 20 operands, so this only bites on hostile or corrupt
/// input.
const MAX_ABBREV_OPS: u64 = 64;
/// Longest producer or triple string kept; longer ones are not real.
const MAX_STRING: usize = 1024;

/// One operand of an abbreviation definition.
#[derive(Debug, Clone, Copy)]
pub(super) enum AbbrevOp {
    Literal(u64),
    Fixed(u32),
    Vbr(u32),
    Array,
    Char6,
    Blob,
}

pub(super) type Abbrev = Vec<AbbrevOp>;

/// A bitstream record as far as the walker cares: its code, first two
/// operands, and the operands as a string when asked for.
pub(super) struct BitRecord {
    pub(super) code: u64,
    pub(super) first: Option<u64>,
    /// Second operand when it is a scalar (a FNENTRY's function offset).
    pub(super) second: Option<u64>,
    pub(super) text: Option<String>,
}

/// A record's operands as they are read: the first two, and all of them
/// as a bounded string when the walker wants its text; an operand that is
/// not a byte, or a string over [`MAX_STRING`], makes the text unusable.
struct Operands {
    code: u64,
    first: Option<u64>,
    second: Option<u64>,
    /// `Some` while the text is wanted and still valid.
    text: Option<Vec<u8>>,
    wants_text: bool,
}

impl Operands {
    fn new(code: u64, text_of: Option<u64>) -> Operands {
        let wants_text = text_of == Some(code);
        Operands {
            code,
            first: None,
            second: None,
            text: wants_text.then(Vec::new),
            wants_text,
        }
    }

    fn push(&mut self, v: u64) {
        if self.first.is_none() {
            self.first = Some(v);
        } else if self.second.is_none() {
            self.second = Some(v);
        }
        if let Some(bytes) = self.text.as_mut() {
            if v > 0xFF || bytes.len() >= MAX_STRING {
                self.text = None;
            } else {
                bytes.push(v as u8);
            }
        }
    }

    fn finish(self) -> BitRecord {
        BitRecord {
            code: self.code,
            first: self.first,
            second: self.second,
            text: self
                .text
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
        }
    }
}

impl<S: ByteSource> BitReader<S> {
    pub(super) fn read_abbrev_def(&mut self) -> Result<Abbrev, BitcodeError> {
        let count = self.read_vbr(5)?;
        if count > MAX_ABBREV_OPS {
            return Err(self.error("abbreviation has too many operands"));
        }
        let mut ops = Vec::with_capacity(count as usize);
        for _ in 0..count {
            if self.read(1)? == 1 {
                ops.push(AbbrevOp::Literal(self.read_vbr(8)?));
                continue;
            }
            let op = match self.read(3)? {
                enc @ (1 | 2) => {
                    let fixed = enc == 1;
                    let width = self.read_vbr(5)?;
                    if width > MAX_CHUNK {
                        return Err(self.error("fixed or vbr field wider than 32 bits"));
                    }
                    // LLVM reads fixed(0) and vbr(0) as the literal 0.
                    match (fixed, width) {
                        (_, 0) => AbbrevOp::Literal(0),
                        (true, w) => AbbrevOp::Fixed(w as u32),
                        (false, 1) => return Err(self.error("vbr field of width 1")),
                        (false, w) => AbbrevOp::Vbr(w as u32),
                    }
                }
                3 => AbbrevOp::Array,
                4 => AbbrevOp::Char6,
                5 => AbbrevOp::Blob,
                _ => return Err(self.error("unknown abbreviation operand encoding")),
            };
            ops.push(op);
        }
        Ok(ops)
    }

    /// Reads a record without an abbreviation; `text_of` names the record
    /// code whose operands are also kept as a string, if any.
    pub(super) fn read_unabbrev_record(
        &mut self,
        text_of: Option<u64>,
    ) -> Result<BitRecord, BitcodeError> {
        let code = self.read_vbr(6)?;
        let count = self.read_vbr(6)?;
        // Each operand takes at least 6 bits; checking up front keeps a
        // corrupt count from spinning until the block end is reached.
        if count.saturating_mul(6) > self.remaining() {
            return Err(self.error("record operand count runs past the block end"));
        }
        let mut ops = Operands::new(code, text_of);
        // Operands past the second are only kept for a string; otherwise
        // they are stepped over without decoding (MODULE_CODE_FUNCTION
        // records, one per function, have about 20 of them).
        let decoded = if ops.wants_text { count } else { count.min(2) };
        for _ in 0..decoded {
            ops.push(self.read_vbr(6)?);
        }
        self.skip_vbr6(count - decoded)?;
        Ok(ops.finish())
    }

    pub(super) fn read_abbrev_record(
        &mut self,
        abbrev: &[AbbrevOp],
        text_of: Option<u64>,
    ) -> Result<BitRecord, BitcodeError> {
        let Some((code_op, rest)) = abbrev.split_first() else {
            return Err(self.error("empty abbreviation"));
        };
        let code = match *code_op {
            AbbrevOp::Array | AbbrevOp::Blob => {
                return Err(self.error("abbreviation starts with an array or blob"));
            }
            op => self.read_scalar(op)?,
        };
        let mut ops = Operands::new(code, text_of);
        let mut i = 0;
        while i < rest.len() {
            match rest[i] {
                AbbrevOp::Array => {
                    if i + 2 != rest.len() {
                        return Err(self.error("array operand is not second to last"));
                    }
                    let elt = rest[i + 1];
                    let min_bits = match elt {
                        AbbrevOp::Fixed(w) | AbbrevOp::Vbr(w) => u64::from(w),
                        AbbrevOp::Char6 => 6,
                        _ => return Err(self.error("array element is not a scalar encoding")),
                    };
                    let count = self.read_vbr(6)?;
                    if count.saturating_mul(min_bits) > self.remaining() {
                        return Err(self.error("array runs past the block end"));
                    }
                    let fixed_size = !matches!(elt, AbbrevOp::Vbr(_));
                    let mut left = count;
                    // Decode what may still be kept; fixed-width elements
                    // after that need no decoding to be skipped.
                    while left > 0 && (ops.wants_text || !fixed_size || ops.second.is_none()) {
                        ops.push(self.read_scalar(elt)?);
                        left -= 1;
                    }
                    self.skip_bits(left * min_bits)?;
                    i += 2;
                }
                AbbrevOp::Blob => {
                    if i + 1 != rest.len() {
                        return Err(self.error("blob operand is not last"));
                    }
                    let len = self.read_vbr(6)?;
                    self.align32()?;
                    if len.saturating_mul(8) > self.remaining() {
                        return Err(self.error("blob runs past the block end"));
                    }
                    if ops.wants_text {
                        for _ in 0..len.min(MAX_STRING as u64 + 1) {
                            ops.push(self.read(8)?);
                        }
                        self.skip_bits(len.saturating_sub(MAX_STRING as u64 + 1) * 8)?;
                    } else if len > 0 && ops.first.is_none() {
                        ops.push(self.read(8)?);
                        self.skip_bits((len - 1) * 8)?;
                    } else {
                        self.skip_bits(len * 8)?;
                    }
                    self.align32()?;
                    i += 1;
                }
                op => {
                    ops.push(self.read_scalar(op)?);
                    i += 1;
                }
            }
        }
        Ok(ops.finish())
    }

    fn read_scalar(&mut self, op: AbbrevOp) -> Result<u64, BitcodeError> {
        match op {
            AbbrevOp::Literal(v) => Ok(v),
            AbbrevOp::Fixed(w) => self.read(w),
            AbbrevOp::Vbr(w) => self.read_vbr(w),
            AbbrevOp::Char6 => Ok(u64::from(CHAR6[self.read(6)? as usize])),
            AbbrevOp::Array | AbbrevOp::Blob => Err(self.error("array or blob used as a scalar")),
        }
    }
}

/// What each 6-bit char6 value stands for, as BitCodeFormat.rst lists them.
const CHAR6: &[u8; 64] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._";
