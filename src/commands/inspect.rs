//! `--shim-inspect`: what the shim sees in an object file, so a person can
//! check a build's objects against the shim's view of them.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::bitcode::{self, FileKind};
use crate::exit::ExitStatus;
use crate::logging::error_line;
use crate::lto::Lto;
use crate::output::emit;

/// One file as the shim sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    #[serde(with = "crate::output::json_path")]
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

/// One line a person reads at a glance.
pub fn render_line(i: &Inspection) -> String {
    let kind = i.kind.in_words();
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
/// `--shim-inspect`: every file that can be read is shown; each that
/// cannot is one error line and makes the status a failure.
pub fn run(files: &[PathBuf], json: bool) -> ExitStatus {
    let mut status = ExitStatus::Success;
    let mut found = Vec::new();
    for file in files {
        match inspect(file) {
            Ok(i) => found.push(i),
            Err(e) => {
                error_line(e);
                status = ExitStatus::Failure;
            }
        }
    }
    let text = if json {
        format!(
            "{}\n",
            serde_json::to_string_pretty(&found).expect("inspection serialises")
        )
    } else {
        found.iter().map(|i| render_line(i) + "\n").collect()
    };
    match emit(&text) {
        ExitStatus::Success => status,
        failed => failed,
    }
}
