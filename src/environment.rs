//! Every environment variable the shim reads or sets, named once, and the
//! process facts read once per call (the mode and the current directory)
//! so no module asks the process again.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::kbuild::tree::Exported;
use crate::spelling::spelled_enum;

/// `auto` (default), `off`, `force` or `strict`: see [`Mode`].
pub const MODE: &str = "KBUILD_LD_SHIM_MODE";
/// env_logger's filter syntax; unset means warnings only.
pub const LOG: &str = "KBUILD_LD_SHIM_LOG";
/// A JSON-lines file that gets one audit record per call.
pub const RECORD: &str = "KBUILD_LD_SHIM_RECORD";
/// Names the real linker explicitly (a path, or a name looked up on PATH).
pub const REAL_LD: &str = "KBUILD_LD_SHIM_REAL_LD";
/// Set in the real linker's environment; seeing it on entry means the
/// "real" linker was the shim again.
pub const GUARD: &str = "KBUILD_LD_SHIM_GUARD";
/// kbuild's convention for the LLVM tools: `1`, `-19` or `/prefix/`.
pub const LLVM: &str = "LLVM";
/// Where the real linker is looked up by name.
pub const PATH: &str = "PATH";
/// What a `~` at the start of a PATH entry stands for.
pub const HOME: &str = "HOME";

/// kbuild's object tree, which its top Makefile exports to every
/// recipe (and so to the linker): see [`crate::kbuild::tree`].
pub const KBUILD_OBJTREE: &str = "objtree";

/// The variables a person may set, in the order `--shim-doctor` shows them.
pub const SETTINGS: [&str; 5] = [REAL_LD, MODE, LOG, RECORD, LLVM];

spelled_enum! {
    /// `KBUILD_LD_SHIM_MODE`.
    pub enum Mode {
        /// Decide from the recipe; forward when none is visible.
        Auto = "auto",
        /// Always forward: the kill switch.
        Off = "off",
        /// Like auto, but pass the relink shape through when no recipe is
        /// visible (for CONFIG_MODULES=n trees and unusual build wrappers).
        Force = "force",
        /// Like auto, but a bitcode relink whose recipe is not proven to be
        /// kbuild's fails instead of being forwarded: for deploys that would
        /// rather stop than lose LTO silently.
        Strict = "strict",
    }
}

impl Mode {
    /// Unset or empty means auto; any other unknown value is an error, so a
    /// typo in a distro recipe cannot silently change behaviour.
    pub fn parse(value: Option<&str>) -> Result<Mode, String> {
        match value {
            None | Some("") => Ok(Mode::Auto),
            Some(value) => Mode::from_spelling(value).ok_or_else(|| {
                format!(
                    "{MODE}='{value}' is not one of {}",
                    Mode::SPELLINGS.join(", ")
                )
            }),
        }
    }
}

/// What the process environment says, read once at start.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The mode, or the error line for a value that is not one.
    pub mode: Result<Mode, String>,
    /// The directory the call was made in; `.` if it cannot be named (it
    /// was removed), which still resolves relative paths as the kernel does.
    pub cwd: PathBuf,
    /// The audit record's path; empty counts as unset.
    pub record: Option<PathBuf>,
    /// The log filter, when one is set.
    pub log: Option<OsString>,
    /// The recursion guard is set: the shim is running as its own linker.
    pub guard: bool,
    /// The linker-resolution inputs; empty counts as unset.
    pub real_ld: Option<OsString>,
    pub llvm: Option<OsString>,
    pub path: Option<OsString>,
    /// kbuild's exported directories, as the recipe's environment has them.
    pub kbuild: Exported,
}

impl Environment {
    pub fn read() -> Environment {
        let non_empty = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        let mode = std::env::var_os(MODE);
        Environment {
            // A value that is not UTF-8 is as unknown as a misspelt one.
            mode: Mode::parse(mode.as_deref().map(|v| v.to_str().unwrap_or("(not UTF-8)"))),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            record: non_empty(RECORD).map(PathBuf::from),
            log: std::env::var_os(LOG),
            guard: std::env::var_os(GUARD).is_some(),
            real_ld: non_empty(REAL_LD),
            llvm: non_empty(LLVM),
            path: std::env::var_os(PATH),
            kbuild: Exported {
                objtree: std::env::var_os(KBUILD_OBJTREE),
            },
        }
    }
}

/// The value of each variable a person may set, as `--shim-doctor` shows it.
pub fn settings() -> Vec<(&'static str, Option<String>)> {
    let value = |name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
    SETTINGS.iter().map(|&name| (name, value(name))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_or_empty_mode_is_auto_and_a_misspelt_one_is_an_error() {
        assert_eq!(Mode::parse(None), Ok(Mode::Auto));
        assert_eq!(Mode::parse(Some("")), Ok(Mode::Auto));
        assert_eq!(Mode::parse(Some("off")), Ok(Mode::Off));
        assert_eq!(Mode::parse(Some("force")), Ok(Mode::Force));
        assert_eq!(Mode::parse(Some("strict")), Ok(Mode::Strict));
        assert_eq!(
            Mode::parse(Some("Off")).unwrap_err(),
            format!("{MODE}='Off' is not one of auto, off, force, strict")
        );
        for &mode in Mode::ALL {
            assert_eq!(Mode::parse(Some(mode.as_str())), Ok(mode));
        }
    }
}
