//! Finding the recipe that started the shim: the shell script, read from
//! /proc through the process ancestry, that names this relink.

use std::ffi::OsString;
use std::path::Path;

use crate::kbuild::recipe::{self, Reading};
use crate::procfs;

/// How many ancestors to look through for the recipe shell: make runs the
/// recipe as `sh -c` (the parent); a wrapper such as `time`, `nice` or a
/// build monitor may sit in between.
pub const MAX_ANCESTORS: usize = 4;

/// What looking for the recipe through /proc found: the shell and how its
/// script reads, or why there is none. (The decision's own view of it is
/// [`crate::relink::decision::Context`].)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipeLookup {
    /// The shell whose script names this relink, and how that script reads.
    Visible {
        pid: u32,
        reading: Reading,
    },
    NotVisible {
        why: String,
    },
}

/// Reads the process tree upwards from the parent for a shell script that
/// contains this relink.
pub fn find_recipe(input: &Path, output: &Path) -> RecipeLookup {
    find_recipe_from(std::os::unix::process::parent_id(), input, output)
}

/// As [`find_recipe`], starting at `pid` instead of the parent.
fn find_recipe_from(mut pid: u32, input: &Path, output: &Path) -> RecipeLookup {
    let mut looked = Vec::new();
    for _ in 0..MAX_ANCESTORS {
        if pid <= 1 {
            break;
        }
        let Some(argv) = procfs::cmdline(pid) else {
            looked.push(format!("{pid} (gone)"));
            break;
        };
        let script = shell_script(&argv);
        if let Some(reading) = script.and_then(|script| recipe::analyse(&script, input, output)) {
            return RecipeLookup::Visible { pid, reading };
        }
        looked.push(pid.to_string());
        match procfs::parent_of(pid) {
            Some(ppid) => pid = ppid,
            None => break,
        }
    }
    RecipeLookup::NotVisible {
        why: format!(
            "no shell recipe relinking this object among ancestors [{}]",
            looked.join(", ")
        ),
    }
}

/// The script of `<shell> [opts] -c SCRIPT ...` (also `-ec`, `-xc`...).
pub fn shell_script(argv: &[OsString]) -> Option<String> {
    let program = Path::new(argv.first()?).file_name()?.to_str()?;
    if !program.ends_with("sh") {
        return None;
    }
    let c_at = argv[1..].iter().position(|a| {
        a.to_str()
            .is_some_and(|a| a.starts_with('-') && !a.starts_with("--") && a.ends_with('c'))
    })?;
    let script = argv.get(c_at + 2)?;
    if script.len() > recipe::MAX_RECIPE_BYTES {
        return None;
    }
    Some(script.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn shell_script_is_found_after_c_flags() {
        assert_eq!(
            shell_script(&argv(&["/bin/sh", "-c", "a; b"])).as_deref(),
            Some("a; b")
        );
        assert_eq!(
            shell_script(&argv(&["bash", "-e", "-c", "x"])).as_deref(),
            Some("x")
        );
        assert_eq!(
            shell_script(&argv(&["sh", "-ec", "y"])).as_deref(),
            Some("y")
        );
        assert_eq!(shell_script(&argv(&["make", "-c", "y"])), None);
        assert_eq!(shell_script(&argv(&["sh", "script.sh"])), None);
    }

    /// A real `sh -c` recipe, read through /proc as the shim reads its
    /// parent's: the walk finds it and reads it.
    #[test]
    fn a_shell_recipe_is_found_through_proc() {
        use std::io::{BufRead, BufReader, Write};
        use std::process::{Command, Stdio};
        // `read` is a builtin: the shell itself waits, so it is the process
        // the walk reads; `true` stands in for the compiler and the linker.
        let script = "echo started; read go; \
                      true -DMODULE -DKBUILD_BASENAME='\"a\"' -DKBUILD_MODNAME='\"m\"' -c -o d/a.o d/a.c; \
                      true -r -o d/.tmp_a.o d/a.o";
        let mut sh = Command::new("sh")
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("sh (Debian package dash) runs");
        let mut started = String::new();
        BufReader::new(sh.stdout.take().unwrap())
            .read_line(&mut started)
            .unwrap();
        assert_eq!(started, "started\n", "sh has exec'd by now");
        let found = find_recipe_from(sh.id(), Path::new("d/a.o"), Path::new("d/.tmp_a.o"));
        let other = find_recipe_from(sh.id(), Path::new("d/b.o"), Path::new("d/.tmp_b.o"));
        sh.stdin.take().unwrap().write_all(b"go\n").unwrap();
        assert!(sh.wait().unwrap().success());
        // The script is found; `read` (and `true` standing in for the
        // tools) is no kbuild shape, so it reads as unproven, naming it.
        match found {
            RecipeLookup::Visible {
                pid,
                reading: Reading::Unproven(why),
            } => {
                assert_eq!(pid, sh.id());
                assert!(why.contains("`read go`"), "{why}");
            }
            other => panic!("{other:?}"),
        }
        // Another object's relink is not in this recipe: the walk goes on
        // to the test runner and names what it read.
        match other {
            RecipeLookup::NotVisible { why } => {
                assert!(why.contains(&sh.id().to_string()), "{why}")
            }
            visible => panic!("found a recipe for d/b.o: {visible:?}"),
        }
    }
}
