//! Reading a make recipe (the `sh -c` script that started the shim) for the
//! facts kbuild does not pass to the linker: whether the object was compiled
//! as a module, its KBUILD_BASENAME and KBUILD_MODNAME, and whether objtool
//! reads it right after the relink.
//!
//! The script is split into simple commands with a small shell lexer
//! (quotes, backslashes, `;`, `&&`, `||`, `|`, `&`, newlines, parentheses,
//! backquotes, redirection operators). Expansions are not performed: kbuild
//! recipes reach the shell with make variables already expanded, and a word
//! we cannot read literally simply fails to match.
//!
//! The reading errs towards forwarding, the direction that is always safe:
//! objtool is seen wherever a word names it (after `env`, an assignment,
//! `{`, `then`, inside an `sh -c '...'` word), and a module is seen in every
//! spelling of the define (`-DMODULE`, `-D MODULE`, `-DMODULE=1`).

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
            // `2>&1`, `>|`, `<>`, `&>`: the operator ends the word but not the
            // command, so the words after a redirection stay in it.
            '<' | '>' => {
                finish_word(&mut words, &mut word, &mut in_word);
                while chars
                    .next_if(|&ch| matches!(ch, '<' | '>' | '&' | '|'))
                    .is_some()
                {}
            }
            '&' if chars.peek() == Some(&'>') => {
                finish_word(&mut words, &mut word, &mut in_word);
            }
            ';' | '&' | '|' | '\n' | '(' | ')' | '`' => {
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
        .any(|cmd| is_objtool_on(cmd, &input, NESTED_SCRIPT_DEPTH));
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

/// How deep `sh -c '... objtool ...'` words inside words are read.
const NESTED_SCRIPT_DEPTH: u32 = 3;

/// Whether a word of `cmd` names objtool (its file name is `objtool`) and a
/// later word of the same command names the input. Any word, not only the
/// first: objtool behind `env`, `VAR=1`, `{`, `then`, `exec`, `nice` still
/// reads the object. The input is matched by file name, so a spelling the
/// lexical comparison cannot see (`cd d && objtool foo.o`, an absolute
/// path, `--file=d/foo.o`) still counts; another object of the same file
/// name merely forwards, which is safe. A word holding a whole script (an
/// `sh -c` or `eval` argument) is read as one, `depth` levels down.
fn is_objtool_on(cmd: &[String], input: &Path, depth: u32) -> bool {
    let Some(input_name) = input.file_name() else {
        return false;
    };
    let names_input = |w: &String| {
        let path = w.rsplit_once('=').map_or(w.as_str(), |(_, v)| v);
        Path::new(path).file_name() == Some(input_name)
    };
    let names_objtool = |w: &String| Path::new(w).file_name().is_some_and(|n| n == "objtool");
    // One pass each way, not a scan per objtool word: the script may be
    // megabytes of words.
    let direct = cmd
        .iter()
        .rposition(names_input)
        .is_some_and(|last| cmd[..last].iter().any(names_objtool));
    direct
        || depth > 0
            && cmd
                .iter()
                .filter(|w| w.contains(|c: char| c.is_ascii_whitespace() || c == ';'))
                .filter_map(|w| split_commands(w))
                .any(|nested| {
                    nested
                        .iter()
                        .any(|inner| is_objtool_on(inner, input, depth - 1))
                })
}

/// The macro definitions on a compiler command line, in every spelling the
/// driver accepts: `-DX`, `-D X`, `--define-macro X`, `--define-macro=X`.
fn defines(cmd: &[String]) -> impl Iterator<Item = &str> {
    let mut words = cmd.iter();
    std::iter::from_fn(move || loop {
        let w = words.next()?;
        if w == "-D" || w == "--define-macro" {
            if let Some(v) = words.next() {
                return Some(v.as_str());
            }
        } else if let Some(v) = w
            .strip_prefix("--define-macro=")
            .or_else(|| w.strip_prefix("-D"))
        {
            return Some(v);
        }
    })
}

fn compile_facts(cmd: &[String]) -> CompileFacts {
    let mut facts = CompileFacts::default();
    for define in defines(cmd) {
        let (name, value) = match define.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (define, None),
        };
        match (name, value) {
            // Any value counts: `-DMODULE=1` defines MODULE as much as
            // `-DMODULE` does, and a later `-UMODULE` does not change
            // what kbuild decided when it added the define.
            ("MODULE", _) => facts.module = true,
            ("KBUILD_BASENAME", Some(v)) => facts.basename = Some(unquote(v)),
            ("KBUILD_MODNAME", Some(v)) => facts.modname = Some(unquote(v)),
            _ => {}
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
        include_str!("../../integration/recipe-texts.txt")
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

    /// kbuild's relink of `d/foo.o` with `tail` after the `mv`.
    fn relink_then(tail: &str) -> RecipeFacts {
        let script = format!(
            "clang -DMODULE -DKBUILD_BASENAME='\"foo_mod\"' -DKBUILD_MODNAME='\"foo\"' -c -o d/foo.o d/foo.c; ld.lld -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o{tail}"
        );
        facts(&script, "d/foo.o", "d/.tmp_foo.o").unwrap_or_else(|| panic!("no relink in {script}"))
    }

    #[test]
    fn objtool_behind_a_shell_prefix_is_seen() {
        for tail in [
            "; ./tools/objtool/objtool --link --module d/foo.o",
            "; OBJTOOL_X=1 ./tools/objtool/objtool --link --module d/foo.o",
            "; env ./tools/objtool/objtool --link d/foo.o",
            "; env -i A=1 ./tools/objtool/objtool --link d/foo.o",
            "; { ./tools/objtool/objtool --link d/foo.o; }",
            "; if true; then ./tools/objtool/objtool --link d/foo.o; fi",
            "; if [ -x x ]\nthen\n\t./tools/objtool/objtool --link d/foo.o\nfi",
            "; for f in 1; do ./tools/objtool/objtool d/foo.o; done",
            "; exec nice -n 5 ./tools/objtool/objtool d/foo.o",
            "; ! ./tools/objtool/objtool d/foo.o",
            "; (./tools/objtool/objtool d/foo.o)",
            "; x=$(./tools/objtool/objtool d/foo.o)",
            "; x=`./tools/objtool/objtool d/foo.o`",
            "; ./tools/objtool/objtool 2>&1 --link d/foo.o",
            "; ./tools/objtool/objtool >/dev/null 2>&1 d/foo.o",
            "; ./tools/objtool/objtool &>log d/foo.o",
            "; sh -c './tools/objtool/objtool --link d/foo.o'",
            "; eval \"./tools/objtool/objtool --link d/foo.o\"",
            "; sh -c \"sh -c './tools/objtool/objtool d/foo.o'\"",
            "; cd d && ../tools/objtool/objtool foo.o",
            "; /abs/build/tools/objtool/objtool --link /abs/build/d/foo.o",
            "; objtool --file=d/foo.o",
            "; \"./tools/objtool/objtool\" './d/./foo.o'",
        ] {
            assert!(
                relink_then(tail).objtool_follows,
                "missed objtool in {tail:?}"
            );
        }
    }

    #[test]
    fn objtool_is_seen_only_when_the_input_follows_it() {
        for tail in [
            "",
            "; ./tools/objtool/objtool --link d/other.o",
            "; echo d/foo.o ./tools/objtool/objtool",
            "; ./tools/objtool/objtool --help; cat d/foo.o",
            "; ./tools/objtool/objtool-helper d/foo.o",
            "; echo 'objtool' d/foo.o.cmd",
        ] {
            assert!(
                !relink_then(tail).objtool_follows,
                "false objtool in {tail:?}"
            );
        }
        // Before the relink, objtool reads the compiler's output, not ours.
        let before = "./tools/objtool/objtool d/foo.o; ld.lld -r -o d/.tmp_foo.o d/foo.o";
        assert!(
            !facts(before, "d/foo.o", "d/.tmp_foo.o")
                .unwrap()
                .objtool_follows
        );
    }

    #[test]
    fn module_is_seen_in_every_define_spelling() {
        for spelling in [
            "-DMODULE",
            "-D MODULE",
            "-DMODULE=1",
            "-D MODULE=1",
            "'-D' 'MODULE'",
            "--define-macro MODULE",
            "--define-macro=MODULE",
        ] {
            let script = format!(
                "clang {spelling} -D KBUILD_BASENAME='\"foo\"' -DKBUILD_MODNAME='\"foo\"' -c -o d/foo.o d/foo.c; ld.lld -r -o d/.tmp_foo.o d/foo.o"
            );
            let c = facts(&script, "d/foo.o", "d/.tmp_foo.o")
                .unwrap()
                .compile
                .unwrap();
            assert!(c.is_single_object_module(), "{spelling}: {c:?}");
        }
        for not_module in ["-DMODULES", "-DMODULE_X=1", "-UMODULE", "-D", "-DX=MODULE"] {
            let script = format!(
                "clang -DKBUILD_BASENAME='\"foo\"' -DKBUILD_MODNAME='\"foo\"' -c -o d/foo.o d/foo.c {not_module}; ld.lld -r -o d/.tmp_foo.o d/foo.o"
            );
            let c = facts(&script, "d/foo.o", "d/.tmp_foo.o")
                .unwrap()
                .compile
                .unwrap();
            assert!(!c.module, "{not_module}: {c:?}");
        }
    }

    #[test]
    fn redirections_end_words_not_commands() {
        assert_eq!(
            split_commands("a 2>&1 b >>log <in c &>all d; e").unwrap(),
            vec![
                vec!["a", "2", "1", "b", "log", "in", "c", "all", "d"],
                vec!["e"],
            ]
        );
    }

    #[test]
    fn objtool_words_cost_linear_time() {
        // Half a million objtool words and no input: one pass, not a scan
        // from each of them.
        let script = format!(
            "ld.lld -r -o d/.tmp_foo.o d/foo.o; {}",
            "objtool ".repeat(500_000)
        );
        let started = std::time::Instant::now();
        assert!(
            !facts(&script, "d/foo.o", "d/.tmp_foo.o")
                .unwrap()
                .objtool_follows
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
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
