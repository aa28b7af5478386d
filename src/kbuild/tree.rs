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
//! The spelling in the tree's own Makefile.build says which row applies, so
//! a tree whose rule is neither is not guessed at.

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

/// kbuild's Makefile.build, as every per-directory make names it.
pub const MAKEFILE_BUILD: &str = "scripts/Makefile.build";

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
    const SRCROOT: &'static str = "src := $(srcroot)/$(obj)";
    const VPATH: &'static str = "src := $(if $(VPATH),$(VPATH)/)$(obj)";

    /// The rule of a Makefile.build's text: its first assignment to `src`
    /// must be one of kbuild's spellings.
    pub fn parse(text: &str) -> Result<SrcRule, String> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|line| {
                line.strip_prefix("src")
                    .is_some_and(|rest| rest.trim_start().starts_with([':', '=', '?', '+']))
            })
            .ok_or_else(|| format!("{MAKEFILE_BUILD} assigns no `src`"))?;
        match line {
            Self::SRCROOT => Ok(SrcRule::Srcroot),
            Self::VPATH => Ok(SrcRule::Vpath),
            other => Err(format!(
                "{MAKEFILE_BUILD} computes `{other}`, no spelling kbuild has shipped"
            )),
        }
    }

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

    /// The first lines of scripts/Makefile.build in 6.12 and in 6.13.
    const BUILD_6_12: &str = "# SPDX-License-Identifier: GPL-2.0\n# ===\n# Building\n\nsrc := $(if $(VPATH),$(VPATH)/)$(obj)\n\nPHONY := $(obj)/\n";
    const BUILD_6_13: &str = "# SPDX-License-Identifier: GPL-2.0\n# ===\n# Building\n\nsrc := $(srcroot)/$(obj)\n\nPHONY := $(obj)/\n";

    #[test]
    fn the_rule_is_read_from_kbuilds_own_spelling() {
        assert_eq!(SrcRule::parse(BUILD_6_12), Ok(SrcRule::Vpath));
        assert_eq!(SrcRule::parse(BUILD_6_13), Ok(SrcRule::Srcroot));
        for other in [
            "src := $(obj)\n",
            "src = $(srcroot)/$(obj)\n",
            "src := $(srctree)/$(obj)\n",
            "src := $(srcroot)/$(obj)/x\n",
        ] {
            let err = SrcRule::parse(other).unwrap_err();
            assert!(
                err.contains("no spelling kbuild has shipped"),
                "{other}: {err}"
            );
        }
        // A comment or a longer name is not the assignment.
        assert!(SrcRule::parse("# src := $(srcroot)/$(obj)\nsrcs := 1\n")
            .unwrap_err()
            .contains("assigns no `src`"));
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
