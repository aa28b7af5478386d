//! The kernel configuration of an object tree: `include/config/auto.conf`
//! (what kbuild's Makefiles read) and `.config`, both `CONFIG_X=value` lines.

use std::collections::HashMap;
use std::io;
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

    /// `None` when the tree has no auto.conf (not a configured kernel tree)
    /// or it cannot be read (see [`Kconfig::load`]).
    pub fn read(objtree: &Path) -> Option<Kconfig> {
        Kconfig::load(&objtree.join(Self::PATH)).ok()
    }

    /// The configuration file `path` (auto.conf or .config): a regular file
    /// of at most [`CappedFile::Kconfig`](crate::regular_file::CappedFile)'s cap, read
    /// without blocking; the error does not name the path.
    pub fn load(path: &Path) -> io::Result<Kconfig> {
        let text =
            crate::regular_file::read_capped_lossy(path, crate::regular_file::CappedFile::Kconfig)?;
        Ok(Kconfig::parse(&text))
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

    /// LD mode reads auto.conf on every relink: a FIFO there must not hang
    /// the build, nor /dev/zero fill its memory, nor a huge file be read.
    #[test]
    fn an_auto_conf_that_is_not_a_small_regular_file_is_not_read() {
        let d = tempfile::tempdir().unwrap();
        let conf = d.path().join(Kconfig::PATH);
        std::fs::create_dir_all(conf.parent().unwrap()).unwrap();
        let started = std::time::Instant::now();
        assert!(std::process::Command::new("mkfifo")
            .arg(&conf)
            .status()
            .unwrap()
            .success());
        assert_eq!(Kconfig::read(d.path()), None);
        std::fs::remove_file(&conf).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &conf).unwrap();
        assert_eq!(Kconfig::read(d.path()), None);
        std::fs::remove_file(&conf).unwrap();
        let f = std::fs::File::create(&conf).unwrap();
        f.set_len(1 << 40).unwrap();
        let err = Kconfig::load(&conf).unwrap_err();
        assert!(
            err.to_string().contains("larger than 16777216 bytes"),
            "{err}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        std::fs::write(&conf, "CONFIG_LTO_CLANG_FULL=y\n").unwrap();
        assert_eq!(Kconfig::read(d.path()).unwrap().lto(), Lto::Full);
    }
}
