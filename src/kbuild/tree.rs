//! Where a kbuild recipe runs: the directories kbuild's top Makefile exports
//! to every recipe, and how `scripts/Makefile.build` derives `$(src)` (the
//! directory whose Kbuild file it reads) from `obj=`. This is the one place
//! that tells an in-tree, an `O=` and an external-module (`M=`, `MO=`) build
//! apart; everything else asks it.
//!
//! Make always runs in the output directory. What differs:
//!
//! | build | kbuild | `obj=` | `$(src)` |
//! |---|---|---|---|
//! | in-tree / `O=` | 6.12 | `lib/zstd` | `$(VPATH)/lib/zstd`, VPATH = srctree or empty |
//! | `M=DIR` | 6.12 | `DIR` (as given) | `DIR`: VPATH is empty |
//! | in-tree / `O=` | 6.13+ | `lib/zstd` | `$(srcroot)/lib/zstd`, srcroot = srctree |
//! | `M=DIR [MO=OUT]` | 6.13+ | `.` or `sub` | `$(srcroot)/.`, srcroot = DIR |
//!
//! The spelling in the tree's own Makefile.build (read by
//! [`crate::kbuild::scripts::src_rule`]) says which row applies, so a tree
//! whose rule is neither is not guessed at.

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
    /// `srcroot` (6.13 and later): srctree, or the module's source directory.
    pub srcroot: Option<OsString>,
    /// `VPATH`: srctree when building out of tree, else empty.
    pub vpath: Option<OsString>,
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

/// How a `scripts/Makefile.build` computes `$(src)`: the two spellings
/// kbuild has shipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SrcRule {
    /// `src := $(srcroot)/$(obj)` (6.13 and later).
    Srcroot,
    /// `src := $(if $(VPATH),$(VPATH)/)$(obj)` (up to 6.12).
    Vpath,
}

impl SrcRule {
    /// The spellings, as [`crate::kbuild::scripts::src_rule`] reads them
    /// from the tree's Makefile.build.
    pub const SRCROOT: &'static str = "src := $(srcroot)/$(obj)";
    pub const VPATH: &'static str = "src := $(if $(VPATH),$(VPATH)/)$(obj)";

    /// `$(src)` for `obj`, by make's string concatenation; the variable
    /// the rule names must be in the environment (kbuild exports it).
    pub fn src(self, obj: &Path, exported: &Exported) -> Result<PathBuf, String> {
        let prefix = match self {
            SrcRule::Srcroot => exported
                .srcroot
                .clone()
                .ok_or("$(src) is $(srcroot)/$(obj), but srcroot is not in the environment")?,
            SrcRule::Vpath => match &exported.vpath {
                None => {
                    return Err("$(src) depends on VPATH, which is not in the environment".into())
                }
                Some(vpath) if vpath.is_empty() => return Ok(normalize(obj)),
                Some(vpath) => vpath.clone(),
            },
        };
        let mut joined = prefix;
        joined.push("/");
        joined.push(obj.as_os_str());
        Ok(normalize(Path::new(&joined)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exported(objtree: Option<&str>, srcroot: Option<&str>, vpath: Option<&str>) -> Exported {
        Exported {
            objtree: objtree.map(OsString::from),
            srcroot: srcroot.map(OsString::from),
            vpath: vpath.map(OsString::from),
        }
    }

    #[test]
    fn src_follows_each_kind_of_build() {
        let zstd = Path::new("lib/zstd");
        // 6.12 in-tree, O=, M=/abs
        assert_eq!(
            SrcRule::Vpath.src(zstd, &exported(Some("."), None, Some(""))),
            Ok(PathBuf::from("lib/zstd"))
        );
        assert_eq!(
            SrcRule::Vpath.src(zstd, &exported(Some("."), None, Some("/usr/src/linux"))),
            Ok(PathBuf::from("/usr/src/linux/lib/zstd"))
        );
        assert_eq!(
            SrcRule::Vpath.src(
                Path::new("/home/u/mod"),
                &exported(Some("."), None, Some(""))
            ),
            Ok(PathBuf::from("/home/u/mod"))
        );
        // 6.13 O=, M=DIR built in DIR, M=DIR MO=OUT
        assert_eq!(
            SrcRule::Srcroot.src(zstd, &exported(Some("."), Some(".."), Some(".."))),
            Ok(PathBuf::from("../lib/zstd"))
        );
        assert_eq!(
            SrcRule::Srcroot.src(
                Path::new("."),
                &exported(Some("/k/out"), Some("."), Some(""))
            ),
            Ok(PathBuf::from("."))
        );
        assert_eq!(
            SrcRule::Srcroot.src(
                Path::new("sub"),
                &exported(Some("/k/out"), Some("/home/u/mod"), None)
            ),
            Ok(PathBuf::from("/home/u/mod/sub"))
        );
        // What the rule needs must be there.
        assert!(SrcRule::Srcroot
            .src(zstd, &exported(Some("."), None, Some("")))
            .is_err());
        assert!(SrcRule::Vpath
            .src(zstd, &exported(Some("."), Some("."), None))
            .is_err());
    }

    #[test]
    fn objtree_is_where_auto_conf_is() {
        let cwd = Path::new("/home/u/mod");
        assert_eq!(
            exported(None, None, None).objtree(cwd),
            PathBuf::from("/home/u/mod")
        );
        assert_eq!(
            exported(Some("."), None, None).objtree(cwd),
            PathBuf::from("/home/u/mod")
        );
        assert_eq!(
            exported(Some("/k/out"), None, None).objtree(cwd),
            PathBuf::from("/k/out")
        );
    }
}
