//! Reading a make recipe (the `sh -c` script that started the shim) for the
//! facts kbuild does not pass to the linker: whether the object was compiled
//! as a module, its KBUILD_BASENAME and KBUILD_MODNAME, and whether objtool
//! reads it right after the relink.
//!
//! A passthrough needs positive proof, so the script is read against an
//! allow-list: exactly the commands kbuild (6.13-rc1 to 6.13.1, and the
//! fixed trees) puts in the shell that runs `cmd_ld_single`:
//!
//! ```text
//! set -e; [exec >/dev/null;] [echo '  CC [M]  D/N';]...
//! trap 'rm -f D/N; trap - SIG; kill -s SIG $$' SIG;...   (delete-on-interrupt)
//! [<launcher>] <compiler> <flags> -c -o D/N D/N.c ;
//! <ld> <flags> -r -o D/.tmp_N D/N; mv D/.tmp_N D/N
//! [; <path>/objtool <args> D/N]                           (cmd_objtool)
//! [; scripts/basic/fixdep D/.N.d D/N '<cmd>' > D/.N.cmd; rm -f D/.N.d]
//! [; printf '%s\n' 'savedcmd_D/N := <cmd>' > D/.N.cmd]   (if_changed)
//! ```
//!
//! Words are literal text, single or double quotes and backslashes. Any
//! other shell construct (expansions, globs, pipes, subshells, `&&`, other
//! redirections, comments), any other command, and any flag that could
//! define `MODULE` in a spelling kbuild does not write makes the recipe
//! *unproven*: the shim then forwards, naming the construct. A general
//! shell parser would have to be trusted to evaluate everything it
//! accepts; this grammar accepts only what it can read completely.
//!
//! One tokeniser reads the script for both questions. The proof stops at
//! the first construct outside the grammar; finding *which* recipe is ours
//! ([`split_commands`]) reads on past it as the shell splits words: a
//! script that names this relink anywhere is this relink's recipe, proven
//! or not.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use crate::output::one_line_cut;
use crate::paths::normalize;

/// Upper bound on the script size the shim will look at; recipes are a few
/// KB, and a larger one is not a kbuild object recipe.
pub const MAX_RECIPE_BYTES: usize = 4 << 20;

/// How the recipe that names this relink reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// Every command is one of kbuild's shapes.
    Proven(RecipeFacts),
    /// The first thing outside the grammar: the construct and where it is.
    Unproven(String),
}

/// What a proven recipe says about the object being relinked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipeFacts {
    /// The compile that wrote the input (`... -c -o <input> ...`).
    pub compile: CompileFacts,
    /// kbuild's `cmd_objtool` reads the input right after the relink.
    pub objtool_follows: bool,
}

/// The kbuild defines on the compile of the input.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompileFacts {
    pub module: bool,
    pub basename: Option<String>,
    pub modname: Option<String>,
}

/// One token of a shell script as [`tokens`] reads it: the words and
/// operators the shell would see, each construct outside the grammar
/// announced (`Outside`) just before the tokens the shell makes of it.
enum Token {
    /// A word, quotes and backslashes removed.
    Word(String),
    /// The end of a simple command at byte `at`: `;` (`semicolon`) or a
    /// newline; after an `Outside`, also `&`, `|`, `(`, `)` or a backquote.
    End { at: usize, semicolon: bool },
    /// `>` at byte `at`: the next word is where stdout goes. After an
    /// `Outside`, also `<` and the longer operators (`>>`, `>&`, `<>`).
    Redirect { at: usize },
    /// A construct outside the grammar, named, at byte `at`.
    Outside { at: usize, what: Cow<'static, str> },
    /// A quote left open at byte `at`: nothing after it can be read, so
    /// it is the last token.
    Unterminated { at: usize, what: &'static str },
}

/// The one reader of quotes and escapes: hands `take` the tokens of
/// `script` in order and stops at the first error `take` returns.
fn tokens<E>(script: &str, mut take: impl FnMut(Token) -> Result<(), E>) -> Result<(), E> {
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = script.char_indices().peekable();
    // Ends the word being read, if one is (`''` is a word).
    macro_rules! finish {
        () => {
            if std::mem::take(&mut in_word) {
                take(Token::Word(std::mem::take(&mut word)))?;
            }
        };
    }
    macro_rules! outside {
        ($at:expr, $what:expr) => {
            take(Token::Outside {
                at: $at,
                what: $what.into(),
            })?
        };
    }
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some((_, '\'')) => break,
                        Some((_, ch)) => word.push(ch),
                        None => {
                            let what = "unterminated single quote";
                            return take(Token::Unterminated { at: i, what });
                        }
                    }
                }
            }
            '"' => {
                in_word = true;
                let unterminated = Token::Unterminated {
                    at: i,
                    what: "unterminated double quote",
                };
                loop {
                    let Some((j, ch)) = chars.next() else {
                        return take(unterminated);
                    };
                    match ch {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some((_, ch @ ('$' | '`' | '"' | '\\'))) => word.push(ch),
                            Some((_, '\n')) => {}
                            Some((_, ch)) => {
                                word.push('\\');
                                word.push(ch);
                            }
                            None => return take(unterminated),
                        },
                        '$' | '`' => {
                            outside!(
                                j,
                                if ch == '$' {
                                    "`$` expansion in double quotes"
                                } else {
                                    "command substitution (backquote) in double quotes"
                                }
                            );
                            word.push(ch);
                        }
                        ch => word.push(ch),
                    }
                }
            }
            '\\' => match chars.next() {
                Some((_, '\n')) => {}
                Some((_, ch)) => {
                    in_word = true;
                    word.push(ch);
                }
                None => {
                    outside!(i, "backslash at the end of the script");
                    in_word = true;
                    word.push('\\');
                }
            },
            ';' | '\n' => {
                if c == ';' && chars.peek().is_some_and(|&(_, n)| n == ';') {
                    outside!(i, "`;;`");
                }
                finish!();
                take(Token::End {
                    at: i,
                    semicolon: c == ';',
                })?;
            }
            '&' | '|' | '(' | ')' | '`' => {
                outside!(
                    i,
                    match c {
                        '&' => "`&` (background or `&&`)".into(),
                        '|' => "pipe or `||`".into(),
                        '`' => "command substitution (backquote)".into(),
                        _ => Cow::from(format!("subshell `{c}`")),
                    }
                );
                finish!();
                // `&>` redirects: its `>` comes next.
                if !(c == '&' && chars.peek().is_some_and(|&(_, n)| n == '>')) {
                    take(Token::End {
                        at: i,
                        semicolon: false,
                    })?;
                }
            }
            '<' | '>' => {
                if c == '<' {
                    outside!(i, "input redirection `<`");
                } else if in_word && !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit()) {
                    outside!(i, "redirection of a numbered descriptor");
                }
                finish!();
                if c == '>' {
                    if let Some(&(_, next @ ('>' | '&' | '|' | '('))) = chars.peek() {
                        outside!(i, format!("redirection `>{next}`"));
                    }
                }
                take(Token::Redirect { at: i })?;
                // The rest of an operator (`2>&1`, `>|`, `<>`) ends no
                // command: the words after a redirection stay in it.
                while let Some((j, ch)) =
                    chars.next_if(|&(_, ch)| matches!(ch, '<' | '>' | '&' | '|'))
                {
                    if ch == '<' {
                        outside!(j, "input redirection `<`");
                    }
                }
            }
            ' ' | '\t' => finish!(),
            c if c.is_ascii_whitespace() => {
                outside!(i, format!("character {c:?}"));
                finish!();
            }
            c => {
                if let Some(what) = outside_word(c, in_word) {
                    outside!(i, what);
                }
                in_word = true;
                word.push(c);
            }
        }
    }
    finish!();
    Ok(())
}

/// What a character the shell reads as part of a word is, when the
/// grammar does not take it as literal text.
fn outside_word(c: char, in_word: bool) -> Option<Cow<'static, str>> {
    if c.is_ascii_alphanumeric()
        || matches!(
            c,
            '-' | '_' | '.' | '/' | '=' | '+' | ',' | ':' | '@' | '%' | '^'
        )
        || (in_word && matches!(c, '#' | '~'))
        || !c.is_ascii()
    {
        return None;
    }
    Some(match c {
        '$' => "`$` expansion".into(),
        '*' | '?' | '[' | ']' => format!("glob `{c}`").into(),
        '{' | '}' => format!("brace `{c}`").into(),
        '!' => "`!`".into(),
        '#' => "comment `#`".into(),
        '~' => "tilde expansion `~`".into(),
        c => format!("character {c:?}").into(),
    })
}

/// Splits a shell script into simple commands (lists of words, quotes
/// removed), reading past constructs outside the grammar as the shell
/// splits words. Returns `None` for a script with an unterminated quote:
/// such a recipe is treated as not visible.
pub fn split_commands(script: &str) -> Option<Vec<Vec<String>>> {
    let mut commands = Vec::new();
    let mut words = Vec::new();
    tokens(script, |token| {
        match token {
            Token::Word(w) => words.push(w),
            Token::End { .. } if !words.is_empty() => commands.push(std::mem::take(&mut words)),
            Token::End { .. } | Token::Redirect { .. } | Token::Outside { .. } => {}
            Token::Unterminated { .. } => return Err(()),
        }
        Ok(())
    })
    .ok()?;
    if !words.is_empty() {
        commands.push(words);
    }
    Some(commands)
}

/// Finds the relink of `input` into `output` in the script and reads the
/// recipe around it against kbuild's grammar. `None` when the script does
/// not contain that relink, so the caller can look further up the process
/// tree.
pub fn analyse(script: &str, input: &Path, output: &Path) -> Option<Reading> {
    if script.len() > MAX_RECIPE_BYTES {
        return None;
    }
    let input = normalize(input);
    let output = normalize(output);
    let commands = split_commands(script)?;
    if !commands.iter().any(|cmd| is_relink(cmd, &input, &output)) {
        return None;
    }
    Some(match read_kbuild_recipe(script, &input, &output) {
        Ok(facts) => Reading::Proven(facts),
        Err(why) => Reading::Unproven(why),
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

/// One simple command of the strict reading: its words, quotes removed,
/// and the target of its one plain `>` redirection, if it has one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Simple {
    words: Vec<String>,
    stdout_to: Option<String>,
}

impl Simple {
    fn shown(&self) -> String {
        let mut text = self.words.join(" ");
        if let Some(to) = &self.stdout_to {
            text = format!("{text} > {to}");
        }
        // ASCII dots: recorded reasons have always ended a cut command so.
        format!("`{}`", one_line_cut(&text, 80, "..."))
    }
}

/// Splits the script into simple commands separated by `;` or newlines,
/// accepting only literal words (plain characters, quotes, backslashes)
/// and one plain `>` per command. Anything else is named with its byte
/// offset.
fn strict_commands(script: &str) -> Result<Vec<Simple>, String> {
    let mut commands = Vec::new();
    let mut cmd = Simple::default();
    let mut redirect_pending = false;
    let at = |i: usize, what: &str| format!("{what} at byte {i}");
    tokens(script, |token| {
        match token {
            // The word after `>` is the redirection's target.
            Token::Word(w) if redirect_pending => {
                cmd.stdout_to = Some(w);
                redirect_pending = false;
            }
            Token::Word(w) => cmd.words.push(w),
            Token::End { at: i, semicolon } => {
                if redirect_pending {
                    return Err(at(i, "redirection without a target"));
                }
                if !cmd.words.is_empty() {
                    commands.push(std::mem::take(&mut cmd));
                } else if cmd.stdout_to.is_some() || semicolon {
                    return Err(at(i, "empty command"));
                }
            }
            Token::Redirect { at: i } => {
                if redirect_pending || cmd.stdout_to.is_some() {
                    return Err(at(i, "a second redirection"));
                }
                redirect_pending = true;
            }
            Token::Outside { at: i, what } => return Err(at(i, &what)),
            Token::Unterminated { at: i, what } => return Err(at(i, what)),
        }
        Ok(())
    })?;
    if redirect_pending {
        return Err("redirection without a target at the end".into());
    }
    if !cmd.words.is_empty() {
        commands.push(cmd);
    } else if cmd.stdout_to.is_some() {
        return Err("redirection without a command at the end".into());
    }
    Ok(commands)
}

/// The signals of Kbuild.include's `delete-on-interrupt`.
const TRAPPED_SIGNALS: [&str; 5] = ["HUP", "INT", "QUIT", "TERM", "PIPE"];

fn file_name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// The names `$(LD)` has for an LLVM build: `ld.lld`, `ld.lld-19`, a
/// target-prefixed `aarch64-linux-gnu-ld[.lld]`, plain `ld`, or the shim
/// itself, in any directory. A shell, `env` or any other program in that
/// place could run more than the relink, so it is no proof.
fn is_linker(word: &str) -> bool {
    let name = file_name(word);
    let base = match name.rsplit_once('-') {
        Some((b, v)) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => b,
        _ => name,
    };
    matches!(base, "ld.lld" | "ld" | "kbuild-ld-shim")
        || base.ends_with("-ld")
        || base.ends_with("-ld.lld")
}

/// `D/.N.cmd` (Kbuild.include's `$(dot-target).cmd`) and the depfile
/// `D/.N.d` (commas turned into `_`) of the object `input`.
fn dot_target(input: &Path, suffix: &str) -> PathBuf {
    let name = input.file_name().unwrap_or_default().to_string_lossy();
    let mut dot = format!(".{name}{suffix}");
    if suffix == ".d" {
        dot = dot.replace(',', "_");
    }
    normalize(&input.parent().unwrap_or(Path::new("")).join(dot))
}

/// Where the commands stand relative to the relink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Prologue,
    Compiled,
    Relinked,
    Moved,
    Tail,
}

fn read_kbuild_recipe(script: &str, input: &Path, output: &Path) -> Result<RecipeFacts, String> {
    let commands = strict_commands(script)?;
    let mut stage = Stage::Prologue;
    let mut compile = None;
    let mut objtool_follows = false;
    let cmd_file = dot_target(input, ".cmd");
    let tmp_file = dot_target(input, ".tmp");
    // fixdep writes `.N.cmd` directly, or (older trees) `.N.tmp` renamed
    // by `mv -f` after it.
    let to_cmd_file = |to: &str| same_path(to, &cmd_file) || same_path(to, &tmp_file);
    let no_compile = || format!("no compile of {} before the relink", input.display());
    for cmd in &commands {
        let w = &cmd.words;
        let first = w[0].as_str();
        let unknown = |stage: Stage| {
            if first.contains('=') {
                format!("assignment {} (stage: {stage:?})", cmd.shown())
            } else {
                format!(
                    "command {} outside kbuild's recipe (stage: {stage:?})",
                    cmd.shown()
                )
            }
        };
        let redirect_to_cmd_file = cmd.stdout_to.as_deref().is_some_and(to_cmd_file);
        if cmd.stdout_to.is_some()
            && !(first == "exec" && w.len() == 1 && cmd.stdout_to.as_deref() == Some("/dev/null"))
            && !(redirect_to_cmd_file && matches!(file_name(first), "fixdep" | "printf"))
        {
            return Err(format!("redirection in {}", cmd.shown()));
        }
        match stage {
            Stage::Prologue => {
                if w == &["set", "-e"] || first == "echo" || (first == "exec" && w.len() == 1) {
                    continue;
                }
                if first == "trap" {
                    check_trap(cmd, input)?;
                    continue;
                }
                if is_relink(w, input, output) {
                    return Err(no_compile());
                }
                // The compile is the command that writes the input with
                // `-c -o`: whatever its program is called (`clang-19.1`,
                // `cc`, behind any launcher), its flags say what kbuild
                // compiled, and a compiler that is not clang writes no
                // bitcode, which the decision forwards anyway. Words that
                // change its environment (`VAR=x`, `env`) could change its
                // flags unseen (clang's CCC_OVERRIDE_OPTIONS): not a compile.
                let program_words = w.iter().take_while(|a| !a.starts_with('-'));
                let sets_env = program_words
                    .clone()
                    .any(|a| a.contains('=') || file_name(a) == "env");
                if !sets_env
                    && w.iter().any(|a| a == "-c")
                    && w.windows(2)
                        .any(|p| p[0] == "-o" && same_path(&p[1], input))
                {
                    compile = Some(compile_facts(cmd, 1, input)?);
                    stage = Stage::Compiled;
                    continue;
                }
                return Err(unknown(stage));
            }
            Stage::Compiled => {
                let n = w.len();
                let shape = n >= 5
                    && w[n - 4] == "-r"
                    && w[n - 3] == "-o"
                    && same_path(&w[n - 2], output)
                    && same_path(&w[n - 1], input)
                    && is_linker(first);
                if !shape {
                    return Err(format!(
                        "{} where kbuild's relink `-r -o {} {}` follows the compile",
                        cmd.shown(),
                        output.display(),
                        input.display()
                    ));
                }
                stage = Stage::Relinked;
            }
            Stage::Relinked => {
                if !(w.len() == 3
                    && w[0] == "mv"
                    && same_path(&w[1], output)
                    && same_path(&w[2], input))
                {
                    return Err(format!(
                        "{} where kbuild's `mv` follows the relink",
                        cmd.shown()
                    ));
                }
                stage = Stage::Moved;
            }
            Stage::Moved | Stage::Tail => {
                let objtool = stage == Stage::Moved
                    && file_name(first) == "objtool"
                    && same_path(&w[w.len() - 1], input)
                    && w.len() >= 2;
                stage = Stage::Tail;
                objtool_follows |= objtool;
                if !objtool {
                    check_tail(cmd, input, redirect_to_cmd_file).map_err(|_| unknown(stage))?;
                }
            }
        }
    }
    match (stage, compile) {
        (Stage::Moved | Stage::Tail, Some(compile)) => Ok(RecipeFacts {
            compile,
            objtool_follows,
        }),
        (Stage::Prologue, _) => Err(no_compile()),
        (stage, _) => Err(format!(
            "the recipe ends before kbuild's relink and `mv` (stage: {stage:?})"
        )),
    }
}

/// `trap 'rm -f D/N; trap - SIG; kill -s SIG $$' SIG`, with D/N the
/// object: Kbuild.include's `delete-on-interrupt`, and nothing else a trap
/// could run.
fn check_trap(cmd: &Simple, input: &Path) -> Result<(), String> {
    let proven = match cmd.words.as_slice() {
        [_, body, sig] if TRAPPED_SIGNALS.contains(&sig.as_str()) => body
            .strip_prefix("rm -f ")
            .and_then(|rest| rest.strip_suffix(&format!("; trap - {sig}; kill -s {sig} $$")))
            .is_some_and(|target| same_path(target, input)),
        _ => false,
    };
    proven.then_some(()).ok_or_else(|| {
        format!(
            "trap {} other than kbuild's delete-on-interrupt",
            cmd.shown()
        )
    })
}

/// After the relink: fixdep and the depfile's removal (`if_changed_dep`,
/// `if_changed_rule`), or the saved command (`if_changed`).
fn check_tail(cmd: &Simple, input: &Path, redirect_to_cmd_file: bool) -> Result<(), ()> {
    let w = &cmd.words;
    let ok = match file_name(&w[0]) {
        "fixdep" => {
            w.len() == 4
                && w[0].ends_with("scripts/basic/fixdep")
                && same_path(&w[1], &dot_target(input, ".d"))
                && same_path(&w[2], input)
                && redirect_to_cmd_file
        }
        "rm" => w.len() == 3 && w[1] == "-f" && same_path(&w[2], &dot_target(input, ".d")),
        "mv" => {
            w.len() == 4
                && w[1] == "-f"
                && same_path(&w[2], &dot_target(input, ".tmp"))
                && same_path(&w[3], &dot_target(input, ".cmd"))
        }
        "printf" => {
            w[0] == "printf"
                && w.len() == 3
                && w[1] == "%s\\n"
                && w[2].starts_with("savedcmd_")
                && cmd
                    .stdout_to
                    .as_deref()
                    .is_some_and(|to| same_path(to, &dot_target(input, ".cmd")))
        }
        _ => false,
    };
    ok.then_some(()).ok_or(())
}

/// The module facts of the compile `cmd`, whose flags start at `flags_at`,
/// read only from the spellings kbuild writes. A flag that could define
/// or undefine `MODULE` in another spelling, or pull flags or macros from
/// elsewhere, is unproven.
fn compile_facts(cmd: &Simple, flags_at: usize, input: &Path) -> Result<CompileFacts, String> {
    let mut facts = CompileFacts::default();
    let mut token = None;
    let mut compiles = false;
    let mut writes_input = false;
    let unproven = |flag: &str, why: &str| Err(format!("compile flag `{flag}` ({why})"));
    let mut words = cmd.words[flags_at..].iter();
    while let Some(w) = words.next() {
        let w = w.as_str();
        if w == "-c" {
            compiles = true;
        } else if w == "-o" {
            writes_input = words.next().is_some_and(|o| same_path(o, input));
        } else if w == "-DMODULE" {
            facts.module = true;
        } else if let Some(define) = w.strip_prefix("-D") {
            let (name, value) = match define.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (define, None),
            };
            let quoted = |v: &str| {
                v.strip_prefix('"')
                    .and_then(|s| s.strip_suffix('"'))
                    .filter(|s| !s.is_empty() && !s.contains(['"', '\\']))
                    .map(str::to_string)
            };
            match (name, value) {
                ("", _) => return unproven(w, "a define in a separate word"),
                ("MODULE", Some(_)) => return unproven(w, "MODULE with a value"),
                ("KBUILD_BASENAME" | "KBUILD_MODNAME", v) => match v.and_then(quoted) {
                    Some(v) if name == "KBUILD_BASENAME" => facts.basename = Some(v),
                    Some(v) => facts.modname = Some(v),
                    None => return unproven(w, "not kbuild's spelling"),
                },
                ("__KBUILD_MODNAME", v) => match v.and_then(|v| v.strip_prefix("kmod_")) {
                    Some(t) => token = Some(t.to_string()),
                    None => return unproven(w, "not kbuild's spelling"),
                },
                _ => {}
            }
        } else if let Some(name) = w.strip_prefix("-U") {
            if name.is_empty() || name.split('=').next() == Some("MODULE") {
                return unproven(w, "undefines MODULE or takes a separate word");
            }
        } else if let Some(wp) = w.strip_prefix("-Wp,") {
            let dep = wp.strip_prefix("-MMD,").or_else(|| wp.strip_prefix("-MD,"));
            if !dep.is_some_and(|d| !d.is_empty() && !d.contains(',')) {
                return unproven(w, "preprocessor options other than kbuild's depfile");
            }
        } else if w == "-include" {
            let header = words.next().map(String::as_str).unwrap_or("");
            // Forced headers are source the compile reads, like the .c
            // file the shim never reads either: kbuild's three on every
            // compile, and per-object ones (init/Makefile's
            // `CFLAGS_version.o := -include $(obj)/utsversion-tmp.h`). What
            // is not a header is not a kbuild shape.
            if !file_name(header).ends_with(".h") {
                return unproven(&format!("-include {header}"), "not a header file");
            }
        } else if w.starts_with("-X")
            || w.starts_with('@')
            || w.starts_with("--define")
            || w.starts_with("-include")
            || w.starts_with("--include")
            || w.starts_with("-imacros")
            || w.starts_with("--imacros")
            || w.starts_with("--config")
            || w == "-D"
        {
            return unproven(w, "could define MODULE in a spelling kbuild does not write");
        }
    }
    if !(compiles && writes_input) {
        return Err(format!(
            "{} is not kbuild's `-c -o {}` compile",
            cmd.shown(),
            input.display()
        ));
    }
    if let (Some(t), Some(m)) = (&token, &facts.modname) {
        if t != m {
            return Err(format!(
                "compile flag `-D__KBUILD_MODNAME=kmod_{t}` disagrees with KBUILD_MODNAME {m}"
            ));
        }
    }
    Ok(facts)
}

#[cfg(test)]
mod tests;
