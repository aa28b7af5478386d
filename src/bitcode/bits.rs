//! The bit reader under the walk: little-endian fixed-width and VBR fields
//! of an LLVM bitstream (llvm/docs/BitCodeFormat.rst), read from a file
//! through a small readahead window so that stepping over a block costs no
//! reading at all. It knows positions and limits, not what the bits mean.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use super::{malformed, BitcodeError};

/// Reads at absolute offsets; what [`BitReader`] needs from a file.
pub(super) trait ByteSource {
    /// Reads into `buf` from `offset` until `buf` is full or EOF; returns
    /// the bytes read (short only at EOF, which is no error here: a short
    /// file is simply `Other`, a short stream malformed).
    fn read_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
}

/// A `File` read with pread: no seek calls and no shared file position.
pub(super) struct Pread<'a>(pub(super) &'a File);

impl ByteSource for Pread<'_> {
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

/// A file's bytes in memory (the fuzz target's input).
impl ByteSource for &[u8] {
    fn read_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let rest = usize::try_from(offset).map_or(&[][..], |i| self.get(i..).unwrap_or_default());
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        Ok(n)
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
pub(super) struct BitReader<S> {
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

impl<S: ByteSource> BitReader<S> {
    pub(super) fn new(inner: S, base: u64, len: u64) -> Self {
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

    pub(super) fn len_bytes(&self) -> u64 {
        self.len
    }

    pub(super) fn pos(&self) -> u64 {
        self.pos
    }

    pub(super) fn remaining(&self) -> u64 {
        self.limit - self.pos
    }

    pub(super) fn error(&self, reason: &'static str) -> BitcodeError {
        malformed(self.base + self.pos / 8, reason)
    }

    /// Sets the bit no read may pass; returns the one it replaces.
    pub(super) fn set_limit(&mut self, limit: u64) -> u64 {
        std::mem::replace(&mut self.limit, limit)
    }

    #[inline]
    pub(super) fn read(&mut self, n: u32) -> Result<u64, BitcodeError> {
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
    pub(super) fn read_vbr(&mut self, width: u32) -> Result<u64, BitcodeError> {
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
    pub(super) fn skip_vbr6(&mut self, mut n: u64) -> Result<(), BitcodeError> {
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

    pub(super) fn align32(&mut self) -> Result<(), BitcodeError> {
        let aligned = self.pos.div_ceil(32) * 32;
        self.skip_to(aligned)
    }

    /// Moves to `target`, backwards too, for the jumps through the module's
    /// function index; the caller checks `target` against the block bounds.
    pub(super) fn seek(&mut self, target: u64) {
        self.pos = target;
    }

    pub(super) fn skip_bits(&mut self, n: u64) -> Result<(), BitcodeError> {
        self.skip_to(self.pos.saturating_add(n))
    }

    /// Moves to `target` (a bit position) without reading; the next read
    /// seeks the source only if the target is outside the buffered window.
    pub(super) fn skip_to(&mut self, target: u64) -> Result<(), BitcodeError> {
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
        let got = self.inner.read_at(&mut self.buf, file_pos);
        // Only what was read stays buffered: nothing after an error.
        self.buf.truncate(*got.as_ref().unwrap_or(&0));
        match got {
            Ok(0) => Err(malformed(
                file_pos,
                "file is shorter than its stated length",
            )),
            Ok(_) => Ok(()),
            Err(e) => Err(BitcodeError::Io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{BitWriter, XorShift};
    use super::*;

    fn reader(bytes: &[u8]) -> BitReader<&[u8]> {
        BitReader::new(bytes, 0, bytes.len() as u64)
    }

    fn reason<T: std::fmt::Debug>(result: Result<T, BitcodeError>) -> &'static str {
        super::super::test_support::malformed_reason(result)
    }

    /// Values around every chunk boundary of a `width`-bit VBR, and the
    /// largest a u64 holds.
    fn vbr_values(width: u32) -> Vec<u64> {
        let mut values = vec![0, 1, u64::MAX, u64::MAX - 1, u64::from(u32::MAX)];
        let step = width - 1;
        let mut shift = step;
        while shift < 64 {
            let edge = 1u64 << shift;
            values.extend([edge - 1, edge, edge + 1]);
            shift += step;
        }
        values
    }

    #[test]
    fn read_vbr_decodes_what_the_writer_wrote_at_every_width() {
        for width in 2..=32 {
            let values = vbr_values(width);
            let mut w = BitWriter::default();
            // An odd start so values straddle bytes and buffered words.
            w.emit(0b101, 3);
            for &v in &values {
                w.vbr(v, width);
            }
            let end = w.bit;
            let mut r = reader(&w.bytes);
            assert_eq!(r.read(3).unwrap(), 0b101);
            for &v in &values {
                assert_eq!(r.read_vbr(width).unwrap(), v, "width {width}");
            }
            assert_eq!(r.pos(), end, "width {width}");
        }
    }

    #[test]
    fn read_vbr_rejects_values_over_64_bits_instead_of_wrapping() {
        for width in [4, 6, 8, 32] {
            let payload = width - 1;
            // u64::MAX plus one more payload bit: one chunk too many.
            let mut w = BitWriter::default();
            let chunks = 64_u32.div_ceil(payload);
            for _ in 0..chunks {
                w.emit((1 << width) - 1, width);
            }
            w.emit(1, width);
            w.emit(0, 64);
            assert_eq!(
                reason(reader(&w.bytes).read_vbr(width)),
                "vbr value too long",
                "width {width}"
            );
            // Continuation chunks carrying zeros run past 64 bits too.
            let mut w = BitWriter::default();
            for _ in 0..=chunks {
                w.emit(1 << payload, width);
            }
            w.emit(0, 64);
            w.emit(0, width);
            assert_eq!(
                reason(reader(&w.bytes).read_vbr(width)),
                "vbr value too long",
                "zero chunks, width {width}"
            );
        }
    }

    #[test]
    fn read_vbr_stops_at_the_end_of_the_data() {
        let mut w = BitWriter::default();
        w.vbr(u64::from(u32::MAX), 6);
        let mut bytes = w.bytes;
        bytes.truncate(2);
        assert_eq!(
            reason(reader(&bytes).read_vbr(6)),
            "unexpected end of bitcode stream"
        );
    }

    /// A long run of vbr6 values of every length (1 to 13 chunks), so
    /// skipping crosses refills, the word-at-a-time path and the fallback
    /// for values too long for one word.
    fn vbr6_run() -> (Vec<u8>, Vec<u64>, Vec<u64>) {
        let mut rng = XorShift(0x0123_4567_89AB_CDEF);
        let mut w = BitWriter::default();
        let (mut values, mut starts) = (Vec::new(), Vec::new());
        for i in 0..4000 {
            let bits = rng.next() % 65;
            let v = match i % 50 {
                0 => u64::MAX,
                _ if bits == 64 => rng.next(),
                _ => rng.next() & ((1u64 << bits) - 1),
            };
            starts.push(w.bit);
            values.push(v);
            w.vbr(v, 6);
        }
        starts.push(w.bit);
        (w.bytes, values, starts)
    }

    #[test]
    fn skip_vbr6_lands_where_reading_the_values_would() {
        let (bytes, values, starts) = vbr6_run();
        // From the start: every count up to a few hundred values.
        for n in 0..300 {
            let mut r = reader(&bytes);
            r.skip_vbr6(n as u64).unwrap();
            assert_eq!(r.pos(), starts[n], "skip {n}");
            assert_eq!(r.read_vbr(6).unwrap(), values[n], "after skip {n}");
        }
        // Through the whole run: skips of every size from 0 to 40
        // interleaved with reads.
        let mut rng = XorShift(42);
        let mut r = reader(&bytes);
        let mut i = 0;
        while i < values.len() {
            let n = (rng.next() % 41).min((values.len() - i) as u64);
            r.skip_vbr6(n).unwrap();
            i += n as usize;
            assert_eq!(r.pos(), starts[i], "skip {n} to value {i}");
            if i < values.len() {
                assert_eq!(r.read_vbr(6).unwrap(), values[i], "value {i}");
                i += 1;
            }
        }
        assert_eq!(r.pos(), starts[values.len()]);
    }

    #[test]
    fn skip_vbr6_reports_what_read_vbr_reports() {
        // An overlong value among short ones, and data ending mid-value.
        let mut w = BitWriter::default();
        w.vbr(5, 6);
        for _ in 0..13 {
            w.emit(0x3F, 6);
        }
        w.emit(0, 64);
        w.emit(0, 6);
        assert_eq!(reason(reader(&w.bytes).skip_vbr6(2)), "vbr value too long");
        let mut w = BitWriter::default();
        for v in [1, 2, 3] {
            w.vbr(v, 6);
        }
        w.emit(0x20, 6);
        let bytes = w.bytes;
        assert_eq!(
            reason(reader(&bytes).skip_vbr6(4)),
            "unexpected end of bitcode stream"
        );
        let mut r = reader(&bytes);
        r.skip_vbr6(3).unwrap();
        assert_eq!(r.pos(), 18);
        // Within a block, its end is the limit.
        let mut r = reader(&bytes);
        r.set_limit(12);
        assert_eq!(reason(r.skip_vbr6(3)), "read past the end of a block");
    }

    #[test]
    fn fixed_reads_match_the_bits_across_refills() {
        let mut rng = XorShift(7);
        let mut w = BitWriter::default();
        let mut fields = Vec::new();
        while w.bytes.len() < 40_000 {
            let n = 1 + (rng.next() % 56) as u32;
            let v = rng.next() & ((1u64 << n) - 1);
            w.emit(v, n);
            fields.push((n, v));
        }
        let mut r = reader(&w.bytes);
        for (i, &(n, v)) in fields.iter().enumerate() {
            assert_eq!(r.read(n).unwrap(), v, "field {i} ({n} bits)");
        }
        // Jumping about: aligned skips and seeks backwards still read true.
        let mut r = reader(&w.bytes);
        r.skip_bits(13).unwrap();
        r.align32().unwrap();
        assert_eq!(r.pos(), 32);
        r.seek(fields[0].0.into());
        assert_eq!(r.read(fields[1].0).unwrap(), fields[1].1);
        assert_eq!(reason(r.skip_to(0)), "skip past the end of a block");
    }

    #[test]
    fn a_source_shorter_than_its_stated_length_is_an_error() {
        let bytes = [0xFFu8; 16];
        let mut r = BitReader::new(&bytes[..], 0, 64);
        assert_eq!(r.read(56).unwrap(), (1 << 56) - 1);
        r.skip_bits(128 - 56).unwrap();
        let err = r.read(8).unwrap_err();
        let BitcodeError::Malformed { offset, reason } = err else {
            panic!("{err:?}");
        };
        assert_eq!(
            (offset, reason),
            (16, "file is shorter than its stated length")
        );
    }
}
