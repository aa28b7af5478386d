//! The one LTO kind, whoever asks: a bitcode file's summary block, the
//! kernel configuration, the audit record and `--shim-inspect` all speak of
//! the same three cases, so they share this type and its spelling.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lto {
    /// ThinLTO: a module carries a GLOBALVAL_SUMMARY block (id 20), or the
    /// configuration sets `CONFIG_LTO_CLANG_THIN`. A `-fsplit-lto-unit` file
    /// whose ThinLTO half is paired with a regular-LTO half is Thin, because
    /// ld.lld still feeds its main module to the ThinLTO backend.
    Thin,
    /// Full LTO: FULL_LTO_GLOBALVAL_SUMMARY (id 24) and no ThinLTO summary
    /// (clang 19 `-flto=full`), or `CONFIG_LTO_CLANG_FULL`.
    Full,
    /// No LTO: bitcode without a summary (`-emit-llvm` without `-flto`), or
    /// a configuration that enables no Clang LTO.
    None,
}

impl Lto {
    /// The record's and JSON's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Lto::Thin => "thin",
            Lto::Full => "full",
            Lto::None => "none",
        }
    }

    /// How a person reads it in a table or an explanation.
    pub fn describe(self) -> &'static str {
        match self {
            Lto::Thin => "ThinLTO",
            Lto::Full => "full LTO",
            Lto::None => "no LTO",
        }
    }
}

impl fmt::Display for Lto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_spelling_is_the_records() {
        for lto in [Lto::Thin, Lto::Full, Lto::None] {
            let json = serde_json::to_string(&lto).unwrap();
            assert_eq!(json, format!("\"{}\"", lto.as_str()));
            assert_eq!(serde_json::from_str::<Lto>(&json).unwrap(), lto);
        }
    }
}
