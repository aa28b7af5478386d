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
//! Finding *which* recipe is ours still uses the permissive lexer
//! ([`split_commands`]): a script that names this relink anywhere is this
//! relink's recipe, proven or not.

use std::path::{Path, PathBuf};

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
            text.push_str(" > ");
            text.push_str(to);
        }
        const MAX_SHOWN: usize = 80;
        let mut text: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if text.len() > MAX_SHOWN {
            let mut cut = MAX_SHOWN;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push_str("...");
        }
        format!("`{text}`")
    }
}

/// Splits the script into simple commands separated by `;` or newlines,
/// accepting only literal words (plain characters, quotes, backslashes)
/// and one plain `>` per command. Anything else is named with its byte
/// offset.
fn strict_commands(script: &str) -> Result<Vec<Simple>, String> {
    let mut commands = Vec::new();
    let mut cmd = Simple::default();
    let mut word = String::new();
    let mut in_word = false;
    let mut redirect_pending = false;
    let mut chars = script.char_indices().peekable();
    let at = |i: usize, what: &str| format!("{what} at byte {i}");
    // Ends the word being read: into the command, or as the redirection's
    // target.
    fn finish(
        cmd: &mut Simple,
        word: &mut String,
        in_word: &mut bool,
        redirect_pending: &mut bool,
    ) {
        if *in_word {
            let w = std::mem::take(word);
            if *redirect_pending {
                cmd.stdout_to = Some(w);
                *redirect_pending = false;
            } else {
                cmd.words.push(w);
            }
            *in_word = false;
        }
    }
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        None => return Err(at(i, "unterminated single quote")),
                        Some((_, '\'')) => break,
                        Some((_, ch)) => word.push(ch),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        None => return Err(at(i, "unterminated double quote")),
                        Some((_, '"')) => break,
                        Some((j, '$')) => return Err(at(j, "`$` expansion in double quotes")),
                        Some((j, '`')) => {
                            return Err(at(j, "command substitution (backquote) in double quotes"))
                        }
                        Some((_, '\\')) => match chars.next() {
                            None => return Err(at(i, "unterminated double quote")),
                            Some((_, ch @ ('$' | '`' | '"' | '\\'))) => word.push(ch),
                            Some((_, '\n')) => {}
                            Some((_, ch)) => {
                                word.push('\\');
                                word.push(ch);
                            }
                        },
                        Some((_, ch)) => word.push(ch),
                    }
                }
            }
            '\\' => match chars.next() {
                Some((_, '\n')) => {}
                Some((_, ch)) => {
                    in_word = true;
                    word.push(ch);
                }
                None => return Err(at(i, "backslash at the end of the script")),
            },
            ';' | '\n' => {
                if chars.peek().is_some_and(|&(_, n)| n == ';') && c == ';' {
                    return Err(at(i, "`;;`"));
                }
                finish(&mut cmd, &mut word, &mut in_word, &mut redirect_pending);
                if redirect_pending {
                    return Err(at(i, "redirection without a target"));
                }
                if cmd.words.is_empty() {
                    if cmd.stdout_to.is_some() || c == ';' {
                        return Err(at(i, "empty command"));
                    }
                } else {
                    commands.push(std::mem::take(&mut cmd));
                }
            }
            ' ' | '\t' => {
                finish(&mut cmd, &mut word, &mut in_word, &mut redirect_pending);
            }
            '>' => {
                if in_word && !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(at(i, "redirection of a numbered descriptor"));
                }
                finish(&mut cmd, &mut word, &mut in_word, &mut redirect_pending);
                if let Some(&(_, next @ ('>' | '&' | '|' | '('))) = chars.peek() {
                    return Err(at(i, &format!("redirection `>{next}`")));
                }
                if redirect_pending || cmd.stdout_to.is_some() {
                    return Err(at(i, "a second redirection"));
                }
                redirect_pending = true;
            }
            '$' => return Err(at(i, "`$` expansion")),
            '`' => return Err(at(i, "command substitution (backquote)")),
            '*' | '?' | '[' | ']' => return Err(at(i, &format!("glob `{c}`"))),
            '|' => return Err(at(i, "pipe or `||`")),
            '&' => return Err(at(i, "`&` (background or `&&`)")),
            '(' | ')' => return Err(at(i, &format!("subshell `{c}`"))),
            '<' => return Err(at(i, "input redirection `<`")),
            '{' | '}' => return Err(at(i, &format!("brace `{c}`"))),
            '!' => return Err(at(i, "`!`")),
            '#' if !in_word => return Err(at(i, "comment `#`")),
            '~' if !in_word => return Err(at(i, "tilde expansion `~`")),
            c if c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '-' | '_' | '.' | '/' | '=' | '+' | ',' | ':' | '@' | '%' | '^' | '#' | '~'
                )
                || !c.is_ascii() =>
            {
                in_word = true;
                word.push(c);
            }
            other => return Err(at(i, &format!("character {other:?}"))),
        }
    }
    finish(&mut cmd, &mut word, &mut in_word, &mut redirect_pending);
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

/// The grammar's reading of `script` as the permissive lexer shows it: the
/// words of each simple command, a redirection's target as its last word.
/// For the fuzz target, which checks the two lexers agree on every recipe
/// the grammar proves.
pub fn strict_words(script: &str) -> Result<Vec<Vec<String>>, String> {
    Ok(strict_commands(script)?
        .into_iter()
        .map(|c| c.words.into_iter().chain(c.stdout_to).collect())
        .collect())
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
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
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
        // fixdep writes `.N.cmd` directly, or (older trees) `.N.tmp`
        // renamed by `mv -f` after it.
        let redirect_to_cmd_file = cmd
            .stdout_to
            .as_deref()
            .is_some_and(|to| same_path(to, &cmd_file) || same_path(to, &tmp_file));
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
                    return Err(format!(
                        "no compile of {} before the relink",
                        input.display()
                    ));
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
                if stage == Stage::Moved
                    && file_name(first) == "objtool"
                    && same_path(&w[w.len() - 1], input)
                    && w.len() >= 2
                {
                    objtool_follows = true;
                    stage = Stage::Tail;
                    continue;
                }
                stage = Stage::Tail;
                check_tail(cmd, input, redirect_to_cmd_file).map_err(|_| unknown(stage))?;
            }
        }
    }
    match (stage, compile) {
        (Stage::Moved | Stage::Tail, Some(compile)) => Ok(RecipeFacts {
            compile,
            objtool_follows,
        }),
        (Stage::Prologue, _) => Err(format!(
            "no compile of {} before the relink",
            input.display()
        )),
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
    if proven {
        Ok(())
    } else {
        Err(format!(
            "trap {} other than kbuild's delete-on-interrupt",
            cmd.shown()
        ))
    }
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
                ("KBUILD_BASENAME", v) => match v.and_then(quoted) {
                    Some(v) => facts.basename = Some(v),
                    None => return unproven(w, "not kbuild's spelling"),
                },
                ("KBUILD_MODNAME", v) => match v.and_then(quoted) {
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

    fn reading(script: &str, input: &str, output: &str) -> Option<Reading> {
        analyse(script, Path::new(input), Path::new(output))
    }

    #[track_caller]
    fn proven(script: &str, input: &str, output: &str) -> RecipeFacts {
        match reading(script, input, output) {
            Some(Reading::Proven(facts)) => facts,
            other => panic!("not proven ({other:?}): {script}"),
        }
    }

    #[track_caller]
    fn unproven(script: &str, input: &str, output: &str) -> String {
        match reading(script, input, output) {
            Some(Reading::Unproven(why)) => why,
            other => panic!("not unproven ({other:?}): {script}"),
        }
    }

    /// What the decision would do with the reading before asking make:
    /// only a proven recipe of a built-in object that objtool does not
    /// read passes through on the recipe alone.
    fn passes(reading: &Reading) -> bool {
        match reading {
            Reading::Proven(f) => !f.objtool_follows && !f.compile.module,
            Reading::Unproven(_) => false,
        }
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

    /// Strict mode has no false alarm on a compiler kbuild builds with:
    /// the compile is the command that writes the input with `-c -o`,
    /// whatever its program's name and whatever launcher runs it.
    #[test]
    fn any_compiler_word_kbuild_accepts_is_proven() {
        let base = text("arm64-module");
        let clang = base
            .split_whitespace()
            .find(|w| w.contains("clang"))
            .expect("the sample compiles with clang")
            .to_string();
        for compiler in [
            "cc",
            "clang-19.1",
            "buildcache clang-19",
            "ccache /usr/bin/clang",
            "x86_64-linux-gnu-gcc",
        ] {
            let script = base.replacen(&clang, compiler, 1);
            let f = proven(&script, "lib/crc-ccitt.o", "lib/.tmp_crc-ccitt.o");
            assert!(f.compile.module, "{compiler}");
            assert_eq!(
                f.compile.modname.as_deref(),
                Some("crc_ccitt"),
                "{compiler}"
            );
        }
    }

    #[test]
    fn a_module_objects_names_are_read() {
        let f = proven(
            text("arm64-module"),
            "lib/crc-ccitt.o",
            "lib/.tmp_crc-ccitt.o",
        );
        assert!(f.compile.module);
        assert_eq!(f.compile.basename.as_deref(), Some("crc_ccitt"));
        assert_eq!(f.compile.modname.as_deref(), Some("crc_ccitt"));
        assert!(!f.objtool_follows);
    }

    #[test]
    fn builtin_and_composite_part_are_read_as_such() {
        let builtin = text("arm64-module").replace("-DMODULE ", "");
        let c = proven(&builtin, "lib/crc-ccitt.o", "lib/.tmp_crc-ccitt.o").compile;
        assert!(!c.module);
        let part = text("arm64-module")
            .replace(
                "-DKBUILD_MODNAME='\"crc_ccitt\"'",
                "-DKBUILD_MODNAME='\"crc\"'",
            )
            .replace("kmod_crc_ccitt", "kmod_crc");
        let c = proven(&part, "lib/crc-ccitt.o", "lib/.tmp_crc-ccitt.o").compile;
        assert!(c.module);
        assert_eq!(c.modname.as_deref(), Some("crc"));
    }

    /// init/Makefile forces a per-object header on version.o
    /// (`CFLAGS_version.o := -include $(obj)/utsversion-tmp.h`); the fixed
    /// kernel keeps it bitcode, so its recipe must be proven, while an
    /// `-include` of something that is not a header stays unproven.
    #[test]
    fn a_per_object_forced_header_is_proven() {
        let script = |header: &str| {
            format!(
                "set -e; clang -Wp,-MMD,init/.version.o.d -nostdinc -include ./include/linux/kconfig.h \
                 -include {header} -DKBUILD_BASENAME='\"version\"' -DKBUILD_MODNAME='\"version\"' \
                 -D__KBUILD_MODNAME=kmod_version -c -o init/version.o init/version.c; \
                 ld.lld -EL -maarch64elf -r -o init/.tmp_version.o init/version.o; \
                 mv init/.tmp_version.o init/version.o"
            )
        };
        let (input, output) = (
            Path::new("init/version.o"),
            Path::new("init/.tmp_version.o"),
        );
        assert!(matches!(
            analyse(&script("init/utsversion-tmp.h"), input, output),
            Some(Reading::Proven(_))
        ));
        assert!(matches!(
            analyse(&script("init/flags.cfg"), input, output),
            Some(Reading::Unproven(_))
        ));
    }

    /// Every kbuild shape around the relink is proven: the quiet, verbose
    /// (V=1) and silent (-s) prologues, all five traps, a launcher, the
    /// objtool tail, both fixdep tails and if_changed's saved command.
    #[test]
    fn kbuild_shapes_are_proven() {
        let traps: String = TRAPPED_SIGNALS
            .iter()
            .map(|s| format!(" trap 'rm -f d/foo.o; trap - {s}; kill -s {s} $$' {s};"))
            .collect();
        let compile = "clang -Wp,-MMD,d/.foo.o.d -nostdinc -I./include -include ./include/linux/compiler-version.h -include ./include/linux/kconfig.h -include /src/include/linux/compiler_types.h -D__KERNEL__ -DKBUILD_BASENAME='\"foo\"' -DKBUILD_MODNAME='\"foo\"' -D__KBUILD_MODNAME=kmod_foo -c -o d/foo.o d/foo.c";
        let relink = "ld.lld -EL -maarch64elf -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o";
        for prologue in [
            "set -e; echo '  CC      d/foo.o';".to_string(),
            format!("set -e; echo '# CC d/foo.o'; echo '  clang '\\''x'\\'' -c';{traps}"),
            format!("set -e; exec >/dev/null;{traps}"),
            String::new(),
        ] {
            for (launcher, ld) in [
                ("", "ld.lld"),
                ("ccache ", "/usr/bin/ld.lld-19"),
                ("/usr/bin/sccache ", "/opt/kbuild-ld-shim"),
                ("distcc ", "aarch64-linux-gnu-ld.lld"),
                ("icecc ", "ld"),
            ] {
                let relink = relink.replace("ld.lld ", &format!("{ld} "));
                for tail in [
                    "",
                    "; scripts/basic/fixdep d/.foo.o.d d/foo.o 'clang $(pound) ; x' > d/.foo.o.cmd; rm -f d/.foo.o.d",
                    "; ./scripts/basic/fixdep d/.foo.o.d d/foo.o 'x' > d/.foo.o.tmp; rm -f d/.foo.o.d; mv -f d/.foo.o.tmp d/.foo.o.cmd",
                    "; printf '%s\\n' 'savedcmd_d/foo.o := clang -c' > d/.foo.o.cmd",
                ] {
                    let script = format!("{prologue} {launcher}{compile} ; {relink}{tail}");
                    let f = proven(&script, "d/foo.o", "d/.tmp_foo.o");
                    assert!(!f.objtool_follows && !f.compile.module, "{script}");
                    let objtool = format!(
                        "{prologue} {launcher}{compile} ; {relink} ; ./tools/objtool/objtool --link --module d/foo.o{tail}"
                    );
                    assert!(proven(&objtool, "d/foo.o", "d/.tmp_foo.o").objtool_follows);
                }
            }
        }
        let top = proven(
            text("top-level-module-common"),
            ".module-common.o",
            "./.tmp_.module-common.o",
        );
        assert!(!top.compile.module);
        let x86 = proven(
            text("x86-objtool-after-relink"),
            "drivers/m.mod.o",
            "drivers/.tmp_m.mod.o",
        );
        assert!(x86.objtool_follows);
    }

    /// The reproductions and their kin: each passed through
    /// before; now each is unproven, and the reason names the construct.
    #[test]
    fn constructs_outside_the_grammar_are_unproven_and_named() {
        let base = "clang -DKBUILD_BASENAME='\"foo\"' -DKBUILD_MODNAME='\"foo\"' -c -o d/foo.o d/foo.c; ld.lld -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o";
        for (script, named) in [
            (base.replace("-c -o", "-Wp,-DMODULE -c -o"), "-Wp,-DMODULE"),
            (base.replace("-c -o", "-Xclang -DMODULE -c -o"), "-Xclang"),
            (base.replace("-c -o", "-D MODULE -c -o"), "separate word"),
            (base.replace("-c -o", "-DMODULE=1 -c -o"), "-DMODULE=1"),
            (
                base.replace("-c -o", "--define-macro=MODULE -c -o"),
                "--define-macro",
            ),
            (base.replace("-c -o", "@d/flags -c -o"), "@d/flags"),
            (
                base.replace("-c -o", "-include d/mod.cfg -c -o"),
                "-include d/mod.cfg",
            ),
            (base.replace("-c -o", "-imacros d/mod.h -c -o"), "-imacros"),
            (base.replace("-c -o", "-UMODULE -c -o"), "-UMODULE"),
            (base.replace("-c -o", "--config=d/m.cfg -c -o"), "--config"),
            (format!("{base}; $OBJTOOL d/foo.o"), "`$` expansion"),
            (
                format!("OBJTOOL=./tools/objtool/objtool; {base}"),
                "assignment",
            ),
            (
                format!("trap './tools/objtool/objtool d/foo.o' EXIT; {base}"),
                "trap",
            ),
            (
                format!("{base}; echo d/foo.o | xargs ./tools/objtool/objtool"),
                "pipe",
            ),
            (format!("{base}; xargs ./tools/objtool/objtool"), "xargs"),
            (format!("{base}; ./tools/objtool/objtool d/*.o"), "glob `*`"),
            (format!("{base}; ./tools/*/objtool d/foo.o"), "glob `*`"),
            (
                format!("{base}; eval './tools/objtool/objtool d/foo.o'"),
                "eval",
            ),
            (
                format!("{base}; (./tools/objtool/objtool d/foo.o)"),
                "subshell",
            ),
            (format!("{base} && ./tools/objtool/objtool d/foo.o"), "`&`"),
            (
                format!("{base}; x=`./tools/objtool/objtool d/foo.o`"),
                "backquote",
            ),
            (
                format!("{base}; sh -c './tools/objtool/objtool d/foo.o'"),
                "`sh -c",
            ),
            (
                format!("{base}; {{ ./tools/objtool/objtool d/foo.o; }}"),
                "brace",
            ),
            (format!("{base}; cat d/foo.o > d/bar.o"), "redirection"),
            (format!("{base} 2>&1"), "numbered descriptor"),
            (
                format!("{base}; echo \"$(./tools/objtool/objtool d/foo.o)\""),
                "`$` expansion in double quotes",
            ),
            (
                format!("{base}; ./tools/objtool/objtool d/foo.o; ./tools/objtool/objtool d/foo.o"),
                "outside kbuild's recipe",
            ),
            (format!("{base} # x"), "comment"),
            (format!("{base}; ~/objtool d/foo.o"), "tilde"),
            (format!("cp d/foo.o d/bar.o; {base}"), "`cp"),
            (base.replace("clang", "CCACHE_DIR=x clang"), "assignment"),
            (base.replace("clang", "env clang"), "`env"),
            (
                base.replace(
                    "-r -o d/.tmp_foo.o d/foo.o",
                    "-r -o d/.tmp_foo.o d/foo.o d/bar.o",
                ),
                "relink",
            ),
            (base.replace("; mv", "; cp"), "`mv`"),
            (
                base.replace(
                    "ld.lld -r",
                    "sh -c 'ld.lld \"$@\"; objtool d/.tmp_foo.o' sh -r",
                ),
                "relink",
            ),
            (base.replace("ld.lld -r", "env ld.lld -r"), "relink"),
            (base.replace("ld.lld -r", "/usr/bin/python3 -r"), "relink"),
            (
                "ld.lld -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o".to_string(),
                "no compile",
            ),
        ] {
            let why = unproven(&script, "d/foo.o", "d/.tmp_foo.o");
            assert!(why.contains(named), "{script}: {why}");
        }
    }

    /// The recipe the grammar proves is the one the permissive lexer finds,
    /// word for word (the fuzz target checks this on every input).
    #[test]
    fn both_lexers_read_a_proven_recipe_alike() {
        for (name, input, output) in [
            ("arm64-module", "lib/crc-ccitt.o", "lib/.tmp_crc-ccitt.o"),
            (
                "x86-objtool-after-relink",
                "drivers/m.mod.o",
                "drivers/.tmp_m.mod.o",
            ),
            (
                "top-level-module-common",
                ".module-common.o",
                "./.tmp_.module-common.o",
            ),
        ] {
            proven(text(name), input, output);
            assert_eq!(
                strict_words(text(name)).ok(),
                split_commands(text(name)),
                "{name}"
            );
        }
    }

    #[test]
    fn module_is_read_only_from_kbuild_spellings() {
        for not_module in ["-DMODULES", "-DMODULE_X=1", "-DX=MODULE", "-UX"] {
            let script = format!(
                "clang -DKBUILD_BASENAME='\"foo\"' -DKBUILD_MODNAME='\"foo\"' -c -o d/foo.o d/foo.c {not_module}; ld.lld -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o"
            );
            let f = proven(&script, "d/foo.o", "d/.tmp_foo.o");
            assert!(!f.compile.module, "{not_module}");
        }
        // The three kbuild names must agree with each other's spelling.
        let mismatch = "clang -DMODULE -DKBUILD_BASENAME='\"foo\"' -DKBUILD_MODNAME='\"foo\"' -D__KBUILD_MODNAME=kmod_bar -c -o d/foo.o d/foo.c; ld.lld -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o";
        assert!(unproven(mismatch, "d/foo.o", "d/.tmp_foo.o").contains("disagrees"));
        let unquoted = mismatch
            .replace("'\"foo\"'", "foo")
            .replace("kmod_bar", "kmod_foo");
        assert!(unproven(&unquoted, "d/foo.o", "d/.tmp_foo.o").contains("KBUILD_BASENAME"));
    }

    #[test]
    fn objtool_counts_only_on_the_relinked_object_right_after_the_mv() {
        let x86 = text("x86-objtool-after-relink");
        let other = x86.replace("--module drivers/m.mod.o", "--module drivers/other.o");
        // objtool on another object is not kbuild's tail for this one.
        assert!(!passes(
            &reading(&other, "drivers/m.mod.o", "drivers/.tmp_m.mod.o").unwrap()
        ));
        // Before the relink, objtool is an unknown command.
        let before = "./tools/objtool/objtool d/foo.o; clang -c -o d/foo.o d/foo.c; ld.lld -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o";
        unproven(before, "d/foo.o", "d/.tmp_foo.o");
    }

    #[test]
    fn paths_compare_after_normalisation() {
        let f = proven(
            "clang -c -o ./d/foo.o d/foo.c; ld.lld -r -o d/./.tmp_foo.o ./d/foo.o; mv ./d/.tmp_foo.o d/foo.o",
            "d/foo.o",
            "d/.tmp_foo.o",
        );
        assert!(!f.compile.module);
    }

    #[test]
    fn a_recipe_without_this_relink_is_not_ours() {
        assert_eq!(
            reading(text("arm64-module"), "lib/crc16.o", "lib/.tmp_crc16.o"),
            None
        );
        // The quoted copy in the fixdep arguments is one word, never a command.
        let only_quoted = text("quoted-relink-only");
        assert_eq!(reading(only_quoted, "lib/a.o", "lib/.tmp_a.o"), None);
        // Unreadable to either lexer: not a recipe at all.
        assert_eq!(
            reading("ld.lld -r -o d/.tmp_a.o d/a.o '", "d/a.o", "d/.tmp_a.o"),
            None
        );
        let why = unproven(text("relink-without-compile"), "d/a.o", "d/.tmp_a.o");
        assert!(why.contains("no compile of d/a.o"), "{why}");
    }

    #[test]
    fn large_recipes_read_in_linear_time() {
        let started = std::time::Instant::now();
        let many_words = format!(
            "clang -c -o d/foo.o d/foo.c; ld.lld -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o; {}",
            "objtool ".repeat(500_000)
        );
        unproven(&many_words, "d/foo.o", "d/.tmp_foo.o");
        let long_echo = format!(
            "echo '{}'; clang -c -o d/foo.o d/foo.c; ld.lld -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o",
            "x; ".repeat(1_000_000)
        );
        proven(&long_echo, "d/foo.o", "d/.tmp_foo.o");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    use crate::kbuild::test_rng::Rng;

    /// Shell constructs outside the grammar, `{o}` standing for the object.
    const CONSTRUCTS: &[&str] = &[
        "$X",
        "${X}",
        "$(./tools/objtool/objtool {o})",
        "`./tools/objtool/objtool {o}`",
        "\"$X\"",
        "( ./tools/objtool/objtool {o} )",
        "{ ./tools/objtool/objtool {o}; }",
        "| ./tools/objtool/objtool {o}",
        "| xargs ./tools/objtool/objtool",
        "&& ./tools/objtool/objtool {o}",
        "|| true",
        "& wait",
        "> {o}",
        ">> log",
        "2>&1",
        "< /dev/null",
        "*.o",
        "d/?oo.o",
        "[a-z]",
        "~/bin/objtool",
        "# comment",
        "!",
    ];

    /// Unknown commands: fine as words inside a command, not as commands.
    const UNKNOWN_COMMANDS: &[&str] = &[
        "./tools/objtool/objtool --link {o}",
        "xargs ./tools/objtool/objtool",
        "env ./tools/objtool/objtool {o}",
        "sh -c './tools/objtool/objtool {o}'",
        "frobnicate {o}",
        "true",
        ":",
        "cp {o} {o}.bak",
        "ld.lld -r -o d/.tmp_foo.o d/foo.o",
        "trap './tools/objtool/objtool {o}' EXIT",
        "eval ./tools/objtool/objtool {o}",
        "OBJTOOL=./tools/objtool/objtool",
        "OBJTOOL=./tools/objtool/objtool echo",
    ];

    /// Real kbuild recipes as lists of commands, with the object they relink.
    fn real_recipes() -> Vec<(Vec<String>, &'static str, &'static str)> {
        let split = |t: &str| -> Vec<String> {
            // The texts are kbuild's `; `-joined lines; the quoted fixdep
            // argument stays whole because it is cut off first.
            let (head, quoted) = match t.split_once(" 'clang") {
                Some((h, q)) => (h, Some(format!("'clang{q}"))),
                None => (t, None),
            };
            let mut cmds: Vec<String> = head.split(';').map(|c| c.trim().to_string()).collect();
            if let Some(q) = quoted {
                let last = cmds.pop().unwrap();
                let (q, rest) = q.split_once("' > ").unwrap();
                cmds.push(format!("{last} {q}' > {}", rest.split(';').next().unwrap()));
                cmds.extend(rest.split(';').skip(1).map(|c| c.trim().to_string()));
            }
            cmds
        };
        let module = text("arm64-module");
        let builtin = module.replace("-DMODULE ", "");
        vec![
            (split(module), "lib/crc-ccitt.o", "lib/.tmp_crc-ccitt.o"),
            (split(&builtin), "lib/crc-ccitt.o", "lib/.tmp_crc-ccitt.o"),
            (
                split(text("x86-objtool-after-relink")),
                "drivers/m.mod.o",
                "drivers/.tmp_m.mod.o",
            ),
            (
                split(text("top-level-module-common")),
                ".module-common.o",
                "./.tmp_.module-common.o",
            ),
        ]
    }

    /// Random insertions of shell constructs into real kbuild recipes never
    /// turn a forward into a passthrough, and never leave a passthrough
    /// standing: whatever the grammar does not know is unproven.
    #[test]
    fn random_insertions_never_make_a_passthrough() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let recipes = real_recipes();
        for (cmds, input, output) in &recipes {
            let joined = cmds.join("; ");
            assert!(
                matches!(
                    analyse(&joined, Path::new(input), Path::new(output)),
                    Some(Reading::Proven(_))
                ),
                "the base recipe reads: {joined}"
            );
        }
        let mut cases = 0;
        for case in 0..6000 {
            let (cmds, input, output) = &recipes[rng.below(recipes.len())];
            let mut cmds = cmds.clone();
            let inserts = 1 + rng.below(3);
            for _ in 0..inserts {
                let at = rng.below(cmds.len() + 1);
                if rng.below(2) == 0 {
                    let c = CONSTRUCTS[rng.below(CONSTRUCTS.len())].replace("{o}", input);
                    if at < cmds.len() {
                        // Inside a command: after one of its words.
                        // After a word outside quotes, where the shell reads
                        // the construct as syntax, not as quoted text.
                        let words: Vec<&str> = cmds[at].split(' ').collect();
                        let outside_quotes: Vec<usize> = (1..=words.len())
                            .filter(|&cut| {
                                words[..cut]
                                    .join(" ")
                                    .matches('\'')
                                    .count()
                                    .is_multiple_of(2)
                            })
                            .collect();
                        let cut = outside_quotes[rng.below(outside_quotes.len())];
                        let text =
                            format!("{} {c} {}", words[..cut].join(" "), words[cut..].join(" "));
                        cmds[at] = text.trim_end().to_string();
                    } else {
                        cmds.push(c);
                    }
                } else {
                    let c =
                        UNKNOWN_COMMANDS[rng.below(UNKNOWN_COMMANDS.len())].replace("{o}", input);
                    cmds.insert(at, c);
                }
            }
            let script = cmds.join("; ");
            let Some(read) = analyse(&script, Path::new(input), Path::new(output)) else {
                // The insertion hid the relink itself (in a quote or a
                // comment): no recipe of ours, a forward.
                continue;
            };
            // One exception to "anything inserted is unproven": an objtool
            // command inserted right after the `mv` is kbuild's own tail,
            // which forwards.
            assert!(!passes(&read), "case {case}: {script}\n{read:?}");
            cases += 1;
        }
        assert!(cases > 4000, "only {cases} cases named the relink");
    }
}
