//! `--shim-inspect`: what the shim sees in an object file, so a person can
//! check a build's objects against the shim's view of them.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::bitcode::{self, FileKind};
use crate::lto::Lto;

/// One file as the shim sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    #[serde(with = "crate::record::json_path")]
    pub path: PathBuf,
    pub kind: FileKind,
    pub bytes: u64,
    pub lto: Option<Lto>,
    pub modules: Option<usize>,
    pub producer: Option<String>,
    pub triple: Option<String>,
}

/// Examines one file; the error names the file.
pub fn inspect(path: &Path) -> Result<Inspection, String> {
    // A directory or device is not an object file; say so, not "other".
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_dir() {
        return Err(format!("{}: is a directory", path.display()));
    }
    if !meta.is_file() {
        return Err(format!("{}: not a regular file", path.display()));
    }
    let facts = bitcode::examine_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bc = facts.bitcode.as_ref();
    Ok(Inspection {
        path: path.to_path_buf(),
        kind: facts.kind,
        bytes: facts.len,
        lto: bc.map(|b| b.lto),
        modules: bc.map(|b| b.modules),
        producer: bc.and_then(|b| b.producer.clone()),
        triple: bc.and_then(|b| b.triple.clone()),
    })
}

/// A file kind in words, as `--shim-inspect` and the decision's reasons
/// name it.
pub fn kind_in_words(kind: &FileKind) -> &'static str {
    match kind {
        FileKind::Elf => "ELF",
        FileKind::RawBitcode => "raw bitcode",
        FileKind::WrappedBitcode => "wrapped bitcode",
        FileKind::Archive => "archive",
        FileKind::ThinArchive => "thin archive",
        FileKind::Other => "other",
    }
}

/// One line a person reads at a glance.
pub fn render_line(i: &Inspection) -> String {
    let kind = kind_in_words(&i.kind);
    let mut line = format!("{}: {kind}, {} bytes", i.path.display(), i.bytes);
    if let Some(lto) = i.lto {
        let lto = match lto {
            Lto::None => "no LTO summary",
            lto => lto.describe(),
        };
        line.push_str(&format!(
            ", {lto}, {} module(s), producer {}, triple {}",
            i.modules.unwrap_or(0),
            i.producer.as_deref().unwrap_or("?"),
            i.triple.as_deref().unwrap_or("?")
        ));
    }
    line
}
