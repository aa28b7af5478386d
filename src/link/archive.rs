//! The member list of a GNU thin archive, as kbuild writes `vmlinux.a` and
//! `built-in.a` (`$(AR) cDPrST`): the members live in their own files and
//! the archive only names them, relative to the archive's directory.
//!
//! Format (binutils `ar.h`, llvm `ArchiveWriter.cpp`): the 8-byte magic
//! `!<thin>\n`, then 60-byte headers `name[16] date[12] uid[6] gid[6]
//! mode[8] size[10] "`\n"`. The symbol table (`/`, `/SYM64/`) and the long
//! name table (`//`) carry their data inline, padded to an even length; an
//! ordinary member's data is NOT in a thin archive, so the next header
//! follows at once. Long names are `/<offset>` into the `//` table, each
//! entry ending in `/\n`.

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::bitcode::{sniff, FileKind};

const HEADER_LEN: usize = 60;
const THIN_MAGIC: &[u8; 8] = b"!<thin>\n";

/// The most members [`thin_members`] lists (allyesconfig's vmlinux.a has
/// some 30,000): a crafted archive is 60 bytes a member, so without a cap
/// the list, and every reader's work per member, grows with the file.
pub const MAX_MEMBERS: usize = 1 << 18;

/// Why a member list could not be read; the offset is the header's byte
/// position in the archive, so a person can look at it with `od`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveError {
    /// Not a thin archive: a regular archive, an object or anything else.
    NotThin(FileKind),
    /// A header or name breaks the format.
    Malformed { offset: usize, reason: &'static str },
    /// More than [`MAX_MEMBERS`] members.
    TooManyMembers,
}

impl fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArchiveError::NotThin(kind) => {
                write!(
                    f,
                    "not a thin archive ({kind:?}; kbuild writes vmlinux.a with `ar cDPrST`)"
                )
            }
            ArchiveError::Malformed { offset, reason } => {
                write!(f, "damaged thin archive at byte {offset}: {reason}")
            }
            ArchiveError::TooManyMembers => {
                write!(f, "too large: more than {MAX_MEMBERS} members")
            }
        }
    }
}

impl std::error::Error for ArchiveError {}

/// The member paths of the thin archive `bytes`, in archive order, as
/// written (relative paths are relative to the archive's directory; use
/// [`resolve_member`]). An archive with no members gives an empty list.
pub fn thin_members(bytes: &[u8]) -> Result<Vec<PathBuf>, ArchiveError> {
    if !bytes.starts_with(THIN_MAGIC) {
        return Err(ArchiveError::NotThin(sniff(bytes)));
    }
    let mut members = Vec::new();
    let mut long_names: Option<&[u8]> = None;
    let mut pos = THIN_MAGIC.len();
    while pos < bytes.len() {
        let malformed = |reason| ArchiveError::Malformed {
            offset: pos,
            reason,
        };
        let header = bytes
            .get(pos..pos + HEADER_LEN)
            .ok_or(malformed("truncated member header"))?;
        if &header[58..60] != b"`\n" {
            return Err(malformed("member header does not end in \"`\\n\""));
        }
        let name = trim_spaces(&header[..16]);
        let size =
            parse_decimal(&header[48..58]).ok_or(malformed("member size is not a number"))?;
        let data_start = pos + HEADER_LEN;
        let inline = matches!(name, b"/" | b"/SYM64/" | b"//");
        if inline {
            let data = bytes
                .get(data_start..data_start.saturating_add(size))
                .ok_or(malformed("symbol or name table runs past the end"))?;
            if name == b"//" {
                long_names = Some(data);
            }
            pos = data_start + size + (size & 1);
            continue;
        }
        let member = if let Some(offset) = name.strip_prefix(b"/") {
            let offset =
                parse_decimal(offset).ok_or(malformed("long member name is not /<number>"))?;
            let table = long_names.ok_or(malformed("long member name before the name table"))?;
            let entry = table
                .get(offset..)
                .ok_or(malformed("long member name points past the name table"))?;
            let end = entry
                .windows(2)
                .position(|w| w == b"/\n")
                .ok_or(malformed("long member name is not terminated by \"/\\n\""))?;
            &entry[..end]
        } else {
            name.strip_suffix(b"/")
                .ok_or(malformed("short member name does not end in '/'"))?
        };
        if member.is_empty() {
            return Err(malformed("empty member name"));
        }
        if members.len() == MAX_MEMBERS {
            return Err(ArchiveError::TooManyMembers);
        }
        members.push(PathBuf::from(OsStr::from_bytes(member)));
        pos = data_start;
    }
    Ok(members)
}

/// Where a member named in the archive at `archive` lives on disk.
pub fn resolve_member(archive: &Path, member: &Path) -> PathBuf {
    if member.is_absolute() {
        member.to_path_buf()
    } else {
        archive.parent().unwrap_or(Path::new("")).join(member)
    }
}

fn trim_spaces(field: &[u8]) -> &[u8] {
    let end = field.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
    &field[..end]
}

fn parse_decimal(field: &[u8]) -> Option<usize> {
    let digits = trim_spaces(field);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn header(name: &str, size: usize) -> Vec<u8> {
        let h = format!("{name:<16}{:<12}{:<6}{:<6}{:<8}{size:<10}`\n", 0, 0, 0, 644);
        assert_eq!(h.len(), HEADER_LEN);
        h.into_bytes()
    }

    /// A thin archive naming `members`, as llvm-ar writes one: a symbol
    /// table, then a long-name table when a name does not fit in 15 bytes.
    pub(crate) fn thin_archive(members: &[&str]) -> Vec<u8> {
        let mut out = THIN_MAGIC.to_vec();
        let symtab = [0u8, 0, 0, 0];
        out.extend(header("/", symtab.len()));
        out.extend(symtab);
        let mut table = Vec::new();
        let mut names = Vec::new();
        for m in members {
            if m.len() < 16 - 1 {
                names.push(format!("{m}/"));
            } else {
                names.push(format!("/{}", table.len()));
                table.extend(m.as_bytes());
                table.extend(b"/\n");
            }
        }
        if !table.is_empty() {
            out.extend(header("//", table.len()));
            out.extend(&table);
            if table.len() % 2 == 1 {
                out.push(b'\n');
            }
        }
        for n in names {
            out.extend(header(&n, 1234));
        }
        out
    }

    #[test]
    fn short_and_long_names_in_order() {
        let bytes = thin_archive(&["init/main.o", "arch/arm64/kernel/head.o", "a.o"]);
        let got = thin_members(&bytes).unwrap();
        assert_eq!(
            got,
            vec![
                PathBuf::from("init/main.o"),
                PathBuf::from("arch/arm64/kernel/head.o"),
                PathBuf::from("a.o")
            ]
        );
    }

    #[test]
    fn an_empty_thin_archive_has_no_members() {
        assert_eq!(thin_members(b"!<thin>\n").unwrap(), Vec::<PathBuf>::new());
    }

    #[test]
    fn a_regular_archive_or_object_is_not_thin() {
        assert_eq!(
            thin_members(b"!<arch>\n"),
            Err(ArchiveError::NotThin(FileKind::Archive))
        );
        assert_eq!(
            thin_members(b"\x7fELF\x02\x01"),
            Err(ArchiveError::NotThin(FileKind::Elf))
        );
    }

    #[test]
    fn damage_is_an_error_naming_the_offset() {
        let good = thin_archive(&["kernel/fork.o"]);
        // cut inside the last header
        let cut = &good[..good.len() - 10];
        assert!(matches!(
            thin_members(cut),
            Err(ArchiveError::Malformed {
                reason: "truncated member header",
                ..
            })
        ));
        // broken terminator
        let mut bad = good.clone();
        let last = bad.len() - 1;
        bad[last] = b'x';
        assert!(matches!(
            thin_members(&bad),
            Err(ArchiveError::Malformed { .. })
        ));
        // long name pointing outside the table
        let mut bytes = thin_archive(&["drivers/very/long/name.o"]);
        let at = bytes.len() - HEADER_LEN;
        bytes[at..at + 16].copy_from_slice(b"/999            ");
        assert!(matches!(
            thin_members(&bytes),
            Err(ArchiveError::Malformed {
                reason: "long member name points past the name table",
                ..
            })
        ));
    }

    #[test]
    fn a_million_members_is_too_large_and_stops_at_the_cap() {
        let names: Vec<String> = (0..MAX_MEMBERS + 1).map(|i| format!("{i:x}.o")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let bytes = thin_archive(&names);
        assert_eq!(thin_members(&bytes), Err(ArchiveError::TooManyMembers));
        assert_eq!(
            ArchiveError::TooManyMembers.to_string(),
            "too large: more than 262144 members"
        );
        assert_eq!(
            thin_members(&thin_archive(&names[..MAX_MEMBERS]))
                .unwrap()
                .len(),
            MAX_MEMBERS
        );
    }

    #[test]
    fn members_resolve_against_the_archive_directory() {
        assert_eq!(
            resolve_member(Path::new("/o/vmlinux.a"), Path::new("init/main.o")),
            PathBuf::from("/o/init/main.o")
        );
        assert_eq!(
            resolve_member(Path::new("/o/vmlinux.a"), Path::new("/abs/x.o")),
            PathBuf::from("/abs/x.o")
        );
    }

    #[test]
    fn llvm_ar_thin_archive_reads_back() {
        let Ok(ar) = which::which("llvm-ar-19") else {
            panic!("llvm-ar-19 not found: install the Debian package llvm-19");
        };
        let dir = tempfile::tempdir().unwrap();
        let names = ["a.o", "a-rather-long-object-name.o", "sub/b.o"];
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        for n in names {
            std::fs::write(dir.path().join(n), b"\x7fELF").unwrap();
        }
        let status = std::process::Command::new(ar)
            .current_dir(dir.path())
            .args(["cDPrST", "t.a"])
            .args(names)
            .status()
            .unwrap();
        assert!(status.success());
        let bytes = std::fs::read(dir.path().join("t.a")).unwrap();
        let got: Vec<PathBuf> = thin_members(&bytes).unwrap();
        assert_eq!(got, names.iter().map(PathBuf::from).collect::<Vec<_>>());
    }
}
