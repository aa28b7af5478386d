//! Reading a make recipe (the `sh -c` script that started the shim) for the
//! facts kbuild does not pass to the linker: whether the object was compiled
//! as a module, its KBUILD_BASENAME and KBUILD_MODNAME, and whether objtool
//! reads it right after the relink.
//!
//! The script is split into simple commands with a small shell lexer
//! (quotes, backslashes, `;`, `&&`, `||`, `|`, `&`, newlines, parentheses).
//! Expansions are not performed: kbuild recipes reach the shell with make
//! variables already expanded, and a word we cannot read literally simply
//! fails to match.

use std::path::Path;

use crate::paths::normalize;

/// Upper bound on the script size the shim will look at; recipes are a few
/// KB, and a larger one is not a kbuild object recipe.
pub const MAX_RECIPE_BYTES: usize = 4 << 20;

/// What the recipe says about the object being relinked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipeFacts {
    /// The compile that wrote the input (`... -c -o <input> ...`), if the
    /// recipe has one before the relink.
    pub compile: Option<CompileFacts>,
    /// A command named `objtool` reads the input after the relink.
    pub objtool_follows: bool,
}

/// The kbuild defines on the compile of the input.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompileFacts {
    pub module: bool,
    pub basename: Option<String>,
    pub modname: Option<String>,
}

impl CompileFacts {
    /// kbuild's `is-single-obj-m`: a module whose only object is this one,
    /// which shows as KBUILD_BASENAME == KBUILD_MODNAME under `-DMODULE`.
    pub fn is_single_object_module(&self) -> bool {
        self.module && self.basename.is_some() && self.basename == self.modname
    }
}

/// Splits a shell script into simple commands (lists of words, quotes
/// removed). Returns `None` for a script the lexer cannot read (an
/// unterminated quote): such a recipe is treated as not visible.
pub fn split_commands(script: &str) -> Option<Vec<Vec<String>>> {
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = script.chars().peekable();
    let finish_word = |words: &mut Vec<String>, word: &mut String, in_word: &mut bool| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        ch => word.push(ch),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            ch @ ('$' | '`' | '"' | '\\') => word.push(ch),
                            '\n' => {}
                            ch => {
                                word.push('\\');
                                word.push(ch);
                            }
                        },
                        ch => word.push(ch),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(ch) => {
                    in_word = true;
                    word.push(ch);
                }
                None => {
                    in_word = true;
                    word.push('\\');
                }
            },
            ';' | '&' | '|' | '\n' | '(' | ')' => {
                finish_word(&mut words, &mut word, &mut in_word);
                if !words.is_empty() {
                    commands.push(std::mem::take(&mut words));
                }
            }
            c if c.is_ascii_whitespace() => finish_word(&mut words, &mut word, &mut in_word),
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    finish_word(&mut words, &mut word, &mut in_word);
    if !words.is_empty() {
        commands.push(words);
    }
    Some(commands)
}

/// Finds the relink of `input` into `output` in the script and reads the
/// facts around it. `None` when the script does not contain that relink, so
/// the caller can look further up the process tree.
pub fn analyse(script: &str, input: &Path, output: &Path) -> Option<RecipeFacts> {
    if script.len() > MAX_RECIPE_BYTES {
        return None;
    }
    let commands = split_commands(script)?;
    let input = normalize(input);
    let output = normalize(output);
    let relink_at = commands
        .iter()
        .position(|cmd| is_relink(cmd, &input, &output))?;
    let compile = commands[..relink_at]
        .iter()
        .rev()
        .find(|cmd| is_compile_of(cmd, &input))
        .map(|cmd| compile_facts(cmd));
    let objtool_follows = commands[relink_at + 1..]
        .iter()
        .any(|cmd| is_objtool_on(cmd, &input));
    Some(RecipeFacts {
        compile,
        objtool_follows,
    })
}

fn same_path(word: &str, path: &Path) -> bool {
    normalize(Path::new(word)) == path
}

/// Value of `-o`, separate or joined.
fn output_of(cmd: &[String]) -> Option<&str> {
    let mut found = None;
    let mut words = cmd.iter();
    while let Some(w) = words.next() {
        if w == "-o" {
            found = words.next().map(String::as_str);
        } else if let Some(v) = w.strip_prefix("--output=") {
            found = Some(v);
        }
    }
    found
}

fn is_relink(cmd: &[String], input: &Path, output: &Path) -> bool {
    let relocatable = cmd[1..].iter().any(|w| w == "-r" || w == "--relocatable");
    relocatable
        && output_of(cmd).is_some_and(|o| same_path(o, output))
        && cmd[1..].iter().any(|w| same_path(w, input))
}

fn is_compile_of(cmd: &[String], input: &Path) -> bool {
    cmd.iter().any(|w| w == "-c") && output_of(cmd).is_some_and(|o| same_path(o, input))
}

fn is_objtool_on(cmd: &[String], input: &Path) -> bool {
    let program_is_objtool = Path::new(&cmd[0])
        .file_name()
        .is_some_and(|name| name == "objtool");
    program_is_objtool && cmd[1..].iter().any(|w| same_path(w, input))
}

fn compile_facts(cmd: &[String]) -> CompileFacts {
    let mut facts = CompileFacts::default();
    for w in cmd {
        if w == "-DMODULE" {
            facts.module = true;
        } else if let Some(v) = w.strip_prefix("-DKBUILD_BASENAME=") {
            facts.basename = Some(unquote(v));
        } else if let Some(v) = w.strip_prefix("-DKBUILD_MODNAME=") {
            facts.modname = Some(unquote(v));
        }
    }
    facts
}

/// kbuild passes `-DKBUILD_MODNAME='"name"'`; after the shell the C string
/// quotes remain.
fn unquote(v: &str) -> String {
    v.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A recipe text of integration/recipe-texts.txt, which also seeds the
    /// recipe fuzz target.
    fn text(name: &str) -> &'static str {
        include_str!("../integration/recipe-texts.txt")
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
            .unwrap_or_else(|| panic!("no {name:?} in integration/recipe-texts.txt"))
    }

    fn facts(script: &str, input: &str, output: &str) -> Option<RecipeFacts> {
        analyse(script, Path::new(input), Path::new(output))
    }

    #[test]
    fn lexer_handles_kbuild_quoting() {
        let cmds = split_commands(text("lexer-quoting")).unwrap();
        assert_eq!(
            cmds,
            vec![
                vec!["a", "b cd\"e", "f g"],
                vec!["h"],
                vec!["i"],
                vec!["j"],
                vec!["k", "it's", "x\\ y"],
            ]
        );
        assert_eq!(split_commands("echo 'unterminated"), None);
    }

    #[test]
    fn single_object_module_is_recognised() {
        let f = facts(
            text("arm64-module"),
            "lib/crc-ccitt.o",
            "lib/.tmp_crc-ccitt.o",
        )
        .unwrap();
        let c = f.compile.unwrap();
        assert!(c.is_single_object_module());
        assert_eq!(c.basename.as_deref(), Some("crc_ccitt"));
        assert!(!f.objtool_follows);
    }

    #[test]
    fn builtin_and_composite_part_are_not_single_object_modules() {
        let builtin = text("arm64-module").replace("-DMODULE ", "");
        let c = facts(&builtin, "lib/crc-ccitt.o", "lib/.tmp_crc-ccitt.o")
            .unwrap()
            .compile
            .unwrap();
        assert!(!c.module && !c.is_single_object_module());
        let part = text("arm64-module").replace(
            "-DKBUILD_MODNAME='\"crc_ccitt\"'",
            "-DKBUILD_MODNAME='\"crc\"'",
        );
        let c = facts(&part, "lib/crc-ccitt.o", "lib/.tmp_crc-ccitt.o")
            .unwrap()
            .compile
            .unwrap();
        assert!(c.module && !c.is_single_object_module());
    }

    #[test]
    fn objtool_after_the_relink_is_seen_only_on_the_same_object() {
        let x86 = text("x86-objtool-after-relink");
        let f = facts(x86, "drivers/m.mod.o", "drivers/.tmp_m.mod.o").unwrap();
        assert!(f.objtool_follows);
        let other = x86.replace("--module drivers/m.mod.o", "--module drivers/other.o");
        assert!(
            !facts(&other, "drivers/m.mod.o", "drivers/.tmp_m.mod.o")
                .unwrap()
                .objtool_follows
        );
    }

    #[test]
    fn paths_compare_after_normalisation() {
        let top = text("top-level-module-common");
        let f = facts(top, ".module-common.o", "./.tmp_.module-common.o").unwrap();
        assert!(f.compile.is_some());
    }

    #[test]
    fn a_recipe_without_this_relink_is_not_ours() {
        assert_eq!(
            facts(text("arm64-module"), "lib/crc16.o", "lib/.tmp_crc16.o"),
            None
        );
        // The quoted copy in the fixdep arguments is one word, never a command.
        let only_quoted = text("quoted-relink-only");
        assert_eq!(facts(only_quoted, "lib/a.o", "lib/.tmp_a.o"), None);
    }

    #[test]
    fn relink_without_a_compile_reports_no_compile() {
        let f = facts(text("relink-without-compile"), "d/a.o", "d/.tmp_a.o");
        assert_eq!(f.unwrap().compile, None);
    }
}
