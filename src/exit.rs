//! The exit statuses the shim itself gives, in one place. When it execs the
//! real linker the status is the linker's own and none of these applies.

/// Why the shim ended without handing over to the real linker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Done: a passthrough, or a `--shim-*` command that succeeded (for
    /// `--shim-doctor`: the tree is affected, or no tree was given).
    Success,
    /// The work failed: a passthrough that could not copy, a file that could
    /// not be read, a broken setup found by `--shim-doctor`.
    Failure,
    /// The command line or the environment is wrong (an unknown
    /// `KBUILD_LD_SHIM_MODE`, a bad `--shim-*` argument), as clap reports it.
    Usage,
    /// Nothing for the shim to do here; distinct so a recipe can gate on it.
    /// `--shim-doctor`: the tree's kbuild does not carry the 6.13 relink.
    /// `--shim-verify`: the configuration asks for no Clang LTO.
    NotAffected,
    /// `--shim-verify`: a C object the fixed kernel keeps as bitcode is ELF,
    /// or no built-in object is bitcode.
    LtoLost,
    /// `--shim-verify`: a module object that modpost reads is bitcode, not
    /// ELF (one that cannot be read is `Failure`: cannot tell).
    ModulesNotElf,
    /// The real linker exists but cannot be executed (a shell's 126).
    CannotExecute,
    /// No real linker: none found, or the "real" one was the shim again (a
    /// shell's 127 for a command it cannot find).
    NotFound,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Usage => 2,
            ExitStatus::NotAffected => 3,
            ExitStatus::LtoLost => 4,
            ExitStatus::ModulesNotElf => 5,
            ExitStatus::CannotExecute => 126,
            ExitStatus::NotFound => 127,
        }
    }
}
