//! Where a kbuild recipe runs: the object tree kbuild's top Makefile exports
//! to every recipe. Make always runs in the output directory; in an
//! external-module build of 6.13 and later that is the module's directory,
//! and `objtree` (exported, absolute) names the kernel's.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::paths::normalize;

/// The directories kbuild's top Makefile exports, as the recipe's
/// environment holds them; `None` when the variable is not set at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exported {
    /// `objtree`: `.` in kernel builds, the kernel's output directory
    /// (absolute) in external-module builds of 6.13 and later.
    pub objtree: Option<OsString>,
}

impl Exported {
    /// The kernel's object tree as seen from make's directory `cwd`: where
    /// `include/config/auto.conf` is.
    pub fn objtree(&self, cwd: &Path) -> PathBuf {
        match self.objtree.as_deref().filter(|o| !o.is_empty()) {
            Some(objtree) => normalize(&cwd.join(objtree)),
            None => cwd.to_path_buf(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_object_tree_is_exported_objtree_from_makes_directory() {
        let none = Exported::default();
        assert_eq!(none.objtree(Path::new("/k/out")), PathBuf::from("/k/out"));
        let dot = Exported {
            objtree: Some(".".into()),
        };
        assert_eq!(dot.objtree(Path::new("/k/out")), PathBuf::from("/k/out"));
        let external = Exported {
            objtree: Some("/k/out".into()),
        };
        assert_eq!(
            external.objtree(Path::new("/src/mod")),
            PathBuf::from("/k/out")
        );
    }
}
