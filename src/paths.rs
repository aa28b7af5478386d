//! The one lexical path normaliser, for comparing paths as kbuild and
//! ld.lld write them: the relink's `.tmp_` shape and a recipe's words.

use std::path::{Component, Path, PathBuf};

/// `./a/b` and `a/./b` are `a/b`; a path of only `.` components is `.`.
/// `..` is kept: resolving it lexically would be wrong through symlinks,
/// and kbuild never writes it for objects. Bytes that are not UTF-8 are
/// kept as they are.
pub fn normalize(path: &Path) -> PathBuf {
    let out: PathBuf = path
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_go_and_dot_dots_stay() {
        for (given, want) in [
            ("./lib/.tmp_a.o", "lib/.tmp_a.o"),
            ("lib/./a.o", "lib/a.o"),
            ("lib//a.o", "lib/a.o"),
            ("./.module-common.o", ".module-common.o"),
            ("/abs/./x", "/abs/x"),
            ("../x", "../x"),
            ("a/../b", "a/../b"),
            (".", "."),
            ("./", "."),
        ] {
            assert_eq!(normalize(Path::new(given)), Path::new(want), "{given}");
        }
    }
}
