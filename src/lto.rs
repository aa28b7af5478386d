//! The one LTO kind, whoever asks: a bitcode file's summary block, the
//! kernel configuration, the audit record and `--shim-inspect` all speak of
//! the same three cases, so they share this type and its spelling.

use crate::spelling::spelled_enum;

spelled_enum! {
    pub enum Lto {
        /// ThinLTO: a module carries a GLOBALVAL_SUMMARY block (id 20), or the
        /// configuration sets `CONFIG_LTO_CLANG_THIN`. A `-fsplit-lto-unit` file
        /// whose ThinLTO half is paired with a regular-LTO half is Thin, because
        /// ld.lld still feeds its main module to the ThinLTO backend.
        Thin = "thin",
        /// Full LTO: FULL_LTO_GLOBALVAL_SUMMARY (id 24) and no ThinLTO summary
        /// (clang 19 `-flto=full`), or `CONFIG_LTO_CLANG_FULL`.
        Full = "full",
        /// No LTO: bitcode without a summary (`-emit-llvm` without `-flto`), or
        /// a configuration that enables no Clang LTO.
        None = "none",
    }
}

impl Lto {
    /// How a person reads it in a table or an explanation.
    pub fn describe(self) -> &'static str {
        match self {
            Lto::Thin => "ThinLTO",
            Lto::Full => "full LTO",
            Lto::None => "no LTO",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records written by every earlier version use these words.
    #[test]
    fn the_records_spellings_are_stable() {
        assert_eq!(Lto::SPELLINGS, ["thin", "full", "none"]);
        assert_eq!(serde_json::to_string(&Lto::Full).unwrap(), "\"full\"");
    }
}
