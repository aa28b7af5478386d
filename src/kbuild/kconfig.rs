//! The kernel configuration of an object tree: `include/config/auto.conf`
//! (what kbuild's Makefiles read) and `.config`, both `CONFIG_X=value` lines.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use crate::lto::Lto;

/// The kernel configuration the shim cares about, from
/// `include/config/auto.conf` in the object tree.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Kconfig {
    pub values: HashMap<String, String>,
}

impl Kconfig {
    pub const PATH: &'static str = "include/config/auto.conf";

    /// `None` when the tree has no auto.conf (not a configured kernel tree).
    pub fn read(objtree: &Path) -> Option<Kconfig> {
        let mut text = String::new();
        crate::regular_file::open_regular(&objtree.join(Self::PATH))
            .ok()?
            .read_to_string(&mut text)
            .ok()?;
        Some(Kconfig::parse(&text))
    }

    pub fn parse(text: &str) -> Kconfig {
        let values = text
            .lines()
            .filter(|line| line.starts_with("CONFIG_"))
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
            .collect();
        Kconfig { values }
    }

    pub fn enabled(&self, symbol: &str) -> bool {
        matches!(self.values.get(symbol).map(String::as_str), Some("y" | "m"))
    }

    pub fn lto(&self) -> Lto {
        if self.enabled("CONFIG_LTO_CLANG_THIN") {
            Lto::Thin
        } else if self.enabled("CONFIG_LTO_CLANG_FULL") {
            Lto::Full
        } else {
            Lto::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kconfig_reads_lto_and_booleans() {
        let k = Kconfig::parse(
            "# comment\nCONFIG_LTO_CLANG_THIN=y\nCONFIG_MODULES=y\nCONFIG_LOCALVERSION=\"\"\n",
        );
        assert_eq!(k.lto(), Lto::Thin);
        assert!(k.enabled("CONFIG_MODULES"));
        assert!(!k.enabled("CONFIG_OBJTOOL"));
    }
}
