//! The one ELF fact `--shim-verify` shows: how many ThinLTO-promoted
//! symbols vmlinux has.

use std::os::unix::fs::FileExt;
use std::path::Path;

/// The most section headers read (a linked vmlinux has about 50; an
/// object built with -ffunction-sections some 100,000).
pub const MAX_SECTIONS: usize = 1 << 20;

/// The most symbols read, all symbol tables together (allyesconfig's
/// vmlinux: about a million).
pub const MAX_SYMBOLS: u64 = 1 << 24;

/// The most string table bytes read, all symbol tables' together
/// (allyesconfig's vmlinux: some 40 MB).
pub const MAX_STRING_TABLE: u64 = 128 << 20;

/// Symbols read per positioned read of the symbol table.
const SYMBOLS_PER_READ: usize = 4096;

/// Number of symbols in `path`'s ELF symbol table whose name contains
/// `.llvm.`: the suffix ThinLTO gives a local symbol it promotes so another
/// module can import it (`foo.llvm.1234`). Reads only the section headers,
/// the symbol table (a piece at a time) and its string table, so a large
/// vmlinux costs a few MB of reads. Every size and offset in the file is
/// checked against the file's own size and the caps above before anything
/// is allocated: a crafted header is an error, never an allocation the
/// file does not justify. Hand-written: 60 lines against a new crate for
/// one count.
pub fn promoted_symbols(path: &Path) -> Result<u64, String> {
    const SHT_SYMTAB: u64 = 2;
    let file = crate::regular_file::open_regular(path).map_err(|e| e.to_string())?;
    let file_len = file.metadata().map_err(|e| e.to_string())?.len();
    // The range is checked first, so no buffer is larger than the file.
    let read_at = |what: &str, offset: u64, len: u64| -> Result<Vec<u8>, String> {
        check_range(file_len, what, offset, len)?;
        let mut buf = vec![0u8; len as usize];
        file.read_exact_at(&mut buf, offset)
            .map_err(|e| format!("reading {what} ({len} bytes at byte {offset}): {e}"))?;
        Ok(buf)
    };
    let mut ident = [0u8; 64];
    let got = file.read_at(&mut ident, 0).map_err(|e| e.to_string())?;
    if got < 52 || &ident[..4] != b"\x7fELF" {
        return Err("not an ELF file".into());
    }
    if !matches!(ident[4], 1 | 2) {
        return Err("unknown ELF class".into());
    }
    if !matches!(ident[5], 1 | 2) {
        return Err("unknown ELF byte order".into());
    }
    // ELFCLASS64 and ELFDATA2MSB are both 2.
    let elf = Elf {
        wide: ident[4] == 2,
        big: ident[5] == 2,
    };
    if elf.wide && got < 64 {
        return Err("truncated ELF header".into());
    }
    let shoff = elf.word(&ident, 0x28, 0x20);
    let shentsize = elf.fixed(&ident, 0x3a, 0x2e, 2) as usize;
    let shnum = elf.fixed(&ident, 0x3c, 0x30, 2);
    if shoff == 0 {
        return Err("no section headers".into());
    }
    if shentsize < if elf.wide { 64 } else { 40 } {
        return Err("section header entries too small".into());
    }
    if shentsize > 128 {
        return Err(format!("section header entries of {shentsize} bytes"));
    }
    let first = read_at("the first section header", shoff, shentsize as u64)?;
    // More than 0xff00 sections: the count is in section 0's sh_size.
    let shnum = match shnum {
        0 => elf.word(&first, 0x20, 0x14),
        n => n,
    };
    if shnum > MAX_SECTIONS as u64 {
        return Err(format!(
            "too large: {shnum} sections, more than {MAX_SECTIONS}"
        ));
    }
    let shnum = shnum as usize;
    let table = read_at("the section headers", shoff, (shnum * shentsize) as u64)?;
    // sh_type, sh_offset, sh_size, sh_link, sh_entsize
    let section = |i: usize| -> Option<(u64, u64, u64, u64, u64)> {
        let h = table.get(i * shentsize..(i + 1) * shentsize)?;
        Some((
            elf.uint(h, 4, 4),
            elf.word(h, 0x18, 0x10),
            elf.word(h, 0x20, 0x14),
            elf.fixed(h, 0x28, 0x18, 4),
            elf.word(h, 0x38, 0x24),
        ))
    };
    let mut count = 0;
    // Over all symbol tables: a crafted file may have a million of them.
    let (mut all_symbols, mut all_strings) = (0u64, 0u64);
    for i in 0..shnum {
        let Some((kind, offset, size, link, entsize)) = section(i) else {
            break;
        };
        if kind != SHT_SYMTAB {
            continue;
        }
        let (_, str_offset, str_size, _, _) =
            section(link as usize).ok_or("symbol table links to a missing string table")?;
        if !(4..=4096).contains(&entsize) {
            return Err(format!("symbol entries of {entsize} bytes"));
        }
        let symbols = size / entsize;
        // Inside the file first (a crafted size says so), then the caps.
        check_range(file_len, "the symbol table", offset, symbols * entsize)?;
        check_range(file_len, "the string table", str_offset, str_size)?;
        all_symbols += symbols;
        all_strings += str_size;
        if all_symbols > MAX_SYMBOLS {
            return Err(format!(
                "too large: {all_symbols} symbols in the symbol tables, more than {MAX_SYMBOLS}"
            ));
        }
        if all_strings > MAX_STRING_TABLE {
            return Err(format!(
                "too large: string tables of {all_strings} bytes, more than {MAX_STRING_TABLE}"
            ));
        }
        let strings = read_at("the string table", str_offset, str_size)?;
        let promoted = names_with_llvm_suffix(&strings);
        for first in (0..symbols).step_by(SYMBOLS_PER_READ) {
            let n = (symbols - first).min(SYMBOLS_PER_READ as u64);
            let chunk = read_at("the symbol table", offset + first * entsize, n * entsize)?;
            for sym in chunk.chunks_exact(entsize as usize) {
                // `promoted` has one entry more than `strings`: the empty name at its end.
                let name_at = elf.uint(sym, 0, 4) as usize;
                let is_promoted = promoted
                    .get(name_at)
                    .ok_or("symbol name outside the string table")?;
                count += u64::from(*is_promoted);
            }
        }
    }
    Ok(count)
}

/// For every offset into `strings`, whether the NUL-terminated name that
/// starts there contains `.llvm.`; one backward pass, so a crafted table
/// whose symbols all point into one long name costs linear time, not
/// quadratic.
fn names_with_llvm_suffix(strings: &[u8]) -> Vec<bool> {
    const NEEDLE: &[u8] = b".llvm.";
    let mut contains = vec![false; strings.len() + 1];
    for i in (0..strings.len()).rev() {
        contains[i] = strings[i] != 0 && (strings[i..].starts_with(NEEDLE) || contains[i + 1]);
    }
    contains
}

struct Elf {
    wide: bool,
    big: bool,
}

impl Elf {
    /// The `len`-byte unsigned number at `at` in `b`, in the file's byte order.
    fn uint(&self, b: &[u8], at: usize, len: usize) -> u64 {
        let bytes = b[at..at + len].iter();
        let next = |n: u64, byte: &u8| n << 8 | u64::from(*byte);
        if self.big {
            bytes.fold(0, next)
        } else {
            bytes.rev().fold(0, next)
        }
    }

    /// A field of `len` bytes in both classes, at `at64` in ELF64 and at
    /// `at32` in ELF32.
    fn fixed(&self, b: &[u8], at64: usize, at32: usize, len: usize) -> u64 {
        self.uint(b, if self.wide { at64 } else { at32 }, len)
    }

    /// An address, offset or size: 8 bytes at `at64` in ELF64, 4 at `at32`
    /// in ELF32.
    fn word(&self, b: &[u8], at64: usize, at32: usize) -> u64 {
        let len = if self.wide { 8 } else { 4 };
        self.fixed(b, at64, at32, len)
    }
}

/// `len` bytes at `offset` lie inside a file of `file_len` bytes.
fn check_range(file_len: u64, what: &str, offset: u64, len: u64) -> Result<(), String> {
    match offset.checked_add(len) {
        Some(end) if end <= file_len => Ok(()),
        _ => Err(format!(
            "{what} ({len} bytes at byte {offset}) runs past the end of the file ({file_len} bytes)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn names_are_matched_from_any_offset_in_one_pass() {
        let strings = b"\0foo.llvm.12\0bar\0x.llvm\0";
        let got = names_with_llvm_suffix(strings);
        assert_eq!(got.len(), strings.len() + 1);
        let at = |s: &[u8]| strings.windows(s.len()).position(|w| w == s).unwrap();
        assert!(got[at(b"foo.llvm")]);
        // A name sharing the tail of another (as linkers pack them).
        assert!(got[at(b"o.llvm")]);
        assert!(got[at(b".llvm.12")]);
        assert!(!got[at(b"llvm.12")]);
        assert!(!got[0] && !got[at(b"bar")] && !got[at(b"x.llvm")]);
        assert!(!got[strings.len()]);
    }

    #[test]
    fn promoted_symbols_counted_from_a_real_link() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        std::fs::write(p.join("a.c"), "static __attribute__((noinline)) int helper(int x) { return x * 3; }\nint a(int x) { return helper(x) + 1; }\n").unwrap();
        std::fs::write(
            p.join("b.c"),
            "int a(int);\nint _start(void) { return a(2); }\n",
        )
        .unwrap();
        for f in ["a", "b"] {
            let st = Command::new("clang-19")
                .current_dir(p)
                .args([
                    "--target=aarch64-linux-gnu",
                    "-O2",
                    "-flto=thin",
                    "-ffreestanding",
                    "-c",
                    "-o",
                ])
                .arg(format!("{f}.o"))
                .arg(format!("{f}.c"))
                .status()
                .expect("clang-19: install the Debian package clang-19");
            assert!(st.success());
        }
        let st = Command::new("ld.lld-19")
            .current_dir(p)
            .args(["-o", "vmlinux", "a.o", "b.o"])
            .status()
            .expect("ld.lld-19: install the Debian package lld-19");
        assert!(st.success());
        let want = Command::new("llvm-nm-19")
            .arg(p.join("vmlinux"))
            .output()
            .expect("llvm-nm-19: install the Debian package llvm-19");
        let want = String::from_utf8_lossy(&want.stdout)
            .lines()
            .filter(|l| l.contains(".llvm."))
            .count() as u64;
        assert!(
            want > 0,
            "ThinLTO promoted nothing: the test proves nothing"
        );
        assert_eq!(promoted_symbols(&p.join("vmlinux")).unwrap(), want);
        assert!(promoted_symbols(&p.join("a.c")).is_err());
    }
}
