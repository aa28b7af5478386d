//! kbuild's `.N.o.cmd` files, as `--shim-verify` reads them: the saved
//! command of each object and what it says of how the object was built.

use std::ffi::OsString;
use std::io;
use std::path::Path;

use serde::Serialize;

use crate::regular_file::{read_capped, CappedFile};
use crate::spelling::spelled_enum;

spelled_enum! {
    /// Where a source file came from, as its recipe shows it.
    pub enum Source {
        C = "c",
        Assembly = "assembly",
        Rust = "rust",
        /// No source file in the recipe: objcopy, a link, a generated object.
        None = "none",
    }
}

/// What one object's `.N.o.cmd` says of how it was built: what
/// `--shim-verify` needs to tell whether the fixed kernel would also have
/// made it ELF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SavedCommand {
    pub source: Source,
    /// The compile's last `-flto*` / `-fno-lto` switch was `-flto*`.
    pub flto: bool,
    /// objtool ran on the object in the same recipe.
    pub objtool: bool,
}

/// The recipe facts in a `.N.o.cmd` file: `savedcmd_<obj> := <command>`
/// (`cmd_<obj>` before 6.5) and, after fixdep, `source_<obj> := <file>`.
/// `None` when the file holds no saved command.
pub fn saved_command(cmd_text: &str) -> Option<SavedCommand> {
    let assignment = |prefixes: &[&str]| {
        cmd_text.lines().find_map(|line| {
            prefixes.iter().any(|p| line.starts_with(p)).then_some(())?;
            line.split_once(" := ").map(|(_, v)| v.trim())
        })
    };
    let command = assignment(&["savedcmd_", "cmd_"])?;
    let mut segments = command.split(';');
    let compile: Vec<&str> = segments.next().unwrap_or("").split_whitespace().collect();
    // clang obeys the last of them, so read from the end
    let flto = compile
        .iter()
        .rev()
        .find_map(|&t| match t {
            "-fno-lto" => Some(false),
            _ => (t == "-flto" || t.starts_with("-flto=")).then_some(true),
        })
        .unwrap_or(false);
    let objtool = segments.any(|segment| {
        let program = segment.split_whitespace().next().unwrap_or("");
        Path::new(program).file_name() == Some("objtool".as_ref())
    });
    let source_file = assignment(&["source_"]).or_else(|| {
        let is_source = |t: &&str| !t.starts_with('-') && source_kind(t) != Source::None;
        compile.iter().copied().find(is_source)
    });
    Some(SavedCommand {
        source: source_file.map_or(Source::None, source_kind),
        flto,
        objtool,
    })
}

fn source_kind(file: &str) -> Source {
    match Path::new(file).extension().and_then(|e| e.to_str()) {
        Some("c") => Source::C,
        Some("S" | "s") => Source::Assembly,
        Some("rs") => Source::Rust,
        _ => Source::None,
    }
}

/// The saved command of `D/N.o`, from `D/.N.o.cmd`; `None` when it has no
/// `.cmd` file (or none with a saved command), an error when that file
/// cannot be read.
pub fn read(object: &Path) -> Result<Option<SavedCommand>, String> {
    let mut name = OsString::from(".");
    name.push(object.file_name().unwrap_or_default());
    name.push(".cmd");
    match read_capped(&object.with_file_name(&name), CappedFile::CmdFile) {
        Ok(bytes) => Ok(saved_command(&String::from_utf8_lossy(&bytes))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", name.to_string_lossy())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_command_of_a_relinked_c_object() {
        let r = saved_command(
            "savedcmd_kernel/fork.o := clang -Wp,-MMD,kernel/.fork.o.d -flto=thin -fsplit-lto-unit -c -o kernel/fork.o kernel/fork.c ; ld.lld -r -o kernel/.tmp_fork.o kernel/fork.o; mv kernel/.tmp_fork.o kernel/fork.o\n\nsource_kernel/fork.o := kernel/fork.c\n\ndeps_kernel/fork.o := \\\n  include/linux/objtool.h \\\n",
        )
        .unwrap();
        assert_eq!(
            r,
            SavedCommand {
                source: Source::C,
                flto: true,
                objtool: false
            }
        );
    }
}
