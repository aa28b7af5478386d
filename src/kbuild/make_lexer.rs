//! A lexer for the GNU make syntax kbuild Makefiles use: logical lines
//! (backslash-newline continuations), comments, `define ... endef` blocks,
//! and the recipe-versus-statement decision made the way GNU make's
//! `read.c` makes it.
//!
//! That decision is the one a line scanner gets wrong: a line led by a tab
//! is a recipe line only while a rule is "open" — after a rule line, another
//! recipe line, a blank or comment line, or a conditional directive. Any
//! other statement (an assignment, `export`, `include`, an expansion-only
//! line such as `$(info ...)`) closes the rule, and a tab-led line after it
//! is an ordinary make statement: `\tobj-m += x.o` then assigns.
//!
//! Conditionals are not evaluated here (the lexer has no configuration), so
//! whether a rule is open after a conditional block can be "maybe": a
//! tab-led line then comes out as [`LineKind::Ambiguous`], and a line whose
//! meaning decides how the following lines are read (a tab-led `define`,
//! conditional or `.RECIPEPREFIX`) stops the lexing with [`LineKind::Unreadable`].
//!
//! Its readers (Kbuild files in `makefile`, kbuild's own scripts in
//! `scripts`) evaluate what they can of the conditionals themselves, each
//! with its own knowledge; [`Conditionals`] follows the branches for them,
//! and [`target_specific`] splits a rule line's target-specific assignment.

/// One logical line of a Makefile (or a whole `define` block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The physical line (1-based) the logical line starts on.
    pub number: usize,
    pub kind: LineKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    /// `[export|override|private]... var op value`, op one of
    /// `=`, `:=`, `::=`, `:::=`, `+=`, `?=`, `!=`.
    Assign {
        modifiers: Vec<String>,
        var: String,
        op: String,
        value: String,
    },
    /// `[modifiers] define var [op]` ... `endef`: a multi-line assignment.
    /// `closed` is false when the file ends inside the block.
    Define {
        modifiers: Vec<String>,
        var: String,
        op: String,
        body: String,
        closed: bool,
    },
    /// `include`, `-include`, `sinclude`.
    Include {
        optional: bool,
        paths: Vec<String>,
    },
    /// `ifeq`, `ifneq`, `ifdef`, `ifndef` with their raw arguments.
    If {
        directive: String,
        args: String,
    },
    /// `else`, optionally `else ifeq ...`.
    Else {
        condition: Option<(String, String)>,
    },
    Endif,
    /// `export`/`unexport`/`undefine`/`vpath`/`load`/... that assigns nothing
    /// by itself (the word, and the rest of the line).
    Directive {
        word: String,
        rest: String,
    },
    /// A rule line: targets, a `:`, and what follows (possibly a
    /// target-specific assignment).
    Rule {
        text: String,
    },
    /// A line of a rule's recipe: shell text, expanded when the rule runs.
    Recipe {
        text: String,
    },
    /// A tab-led line that is a recipe line on some paths through the
    /// conditionals and a make statement on others.
    Ambiguous {
        text: String,
    },
    /// Any other line: an expansion-only line (`$(info ...)`,
    /// `$(foreach ...)`) or text make would reject.
    Other {
        text: String,
    },
    /// The rest of the file cannot be read without evaluating conditionals.
    Unreadable {
        why: String,
    },
}

/// Words make accepts in front of an assignment or `define`.
const MODIFIERS: &[&str] = &["export", "override", "private"];
const CONDITIONALS: &[&str] = &["ifeq", "ifneq", "ifdef", "ifndef"];

/// Whether a rule is open (its recipe may follow), on every path through
/// the conditionals seen so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Open {
    yes: bool,
    no: bool,
}

impl Open {
    const NO: Open = Open {
        yes: false,
        no: true,
    };
    const YES: Open = Open {
        yes: true,
        no: false,
    };
    fn union(self, other: Open) -> Open {
        Open {
            yes: self.yes || other.yes,
            no: self.no || other.no,
        }
    }
}

/// Conditional frame: the state at `if`, and the union of the ends of the
/// branches closed so far.
struct Frame {
    start: Open,
    ends: Option<Open>,
}

/// Lexes a whole Makefile.
pub fn lex(text: &str) -> Vec<Line> {
    let physical = physical_lines(text);
    let mut out = Vec::new();
    let mut open = Open::NO;
    let mut frames: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < physical.len() {
        let number = i + 1;
        let (logical, next) = join_continuations(&physical, i);
        i = next;
        let tab_led = logical.starts_with('\t');
        if tab_led && open.yes {
            if open.no {
                let stripped = strip_comment(&logical).trim().to_string();
                let word = stripped.split_whitespace().next().unwrap_or("");
                // These words change how every following line is read.
                if word == "define"
                    || word == "endef"
                    || CONDITIONALS.contains(&word)
                    || matches!(word, "else" | "endif")
                    || MODIFIERS.contains(&word) && stripped.contains("define")
                    || stripped.contains(".RECIPEPREFIX")
                {
                    out.push(Line {
                        number,
                        kind: LineKind::Unreadable {
                            why: format!("`{stripped}` is a recipe line or a directive depending on conditionals"),
                        },
                    });
                    return out;
                }
                out.push(Line {
                    number,
                    kind: LineKind::Ambiguous {
                        text: logical[1..].to_string(),
                    },
                });
            } else {
                out.push(Line {
                    number,
                    kind: LineKind::Recipe {
                        text: logical[1..].to_string(),
                    },
                });
            }
            continue;
        }
        let stripped = strip_comment(&logical);
        let line = stripped.trim();
        if line.is_empty() {
            // Blank and comment lines keep a rule open.
            continue;
        }
        let mut kind = statement(line);
        if let LineKind::Define { body, closed, .. } = &mut kind {
            let (text, ended, next) = define_body(&physical, i);
            (*body, *closed) = (text, ended);
            i = next;
        }
        match &kind {
            LineKind::If { .. } => frames.push(Frame {
                start: open,
                ends: None,
            }),
            // `else` and `else ifeq` alike: the next branch starts from the
            // state at `if`.
            LineKind::Else { .. } => {
                if let Some(frame) = frames.last_mut() {
                    frame.ends = Some(frame.ends.map_or(open, |e| e.union(open)));
                    open = frame.start;
                }
            }
            LineKind::Endif => {
                if let Some(frame) = frames.pop() {
                    // Without `else` the skipped path keeps the start state.
                    let ends = frame.ends.unwrap_or(frame.start);
                    open = ends.union(open);
                }
            }
            LineKind::Rule { .. } => open = Open::YES,
            // After .RECIPEPREFIX (or a computed name that could be it)
            // a tab no longer marks a recipe line.
            LineKind::Assign { var, .. } | LineKind::Define { var, .. }
                if could_be_recipe_prefix(var) =>
            {
                out.push(Line { number, kind });
                out.push(Line {
                    number,
                    kind: LineKind::Unreadable {
                        why: ".RECIPEPREFIX changes what a recipe line is".into(),
                    },
                });
                return out;
            }
            _ => open = Open::NO,
        }
        out.push(Line { number, kind });
    }
    out
}

/// Whether a variable name is, or through its expansions could be,
/// `.RECIPEPREFIX`.
fn could_be_recipe_prefix(var: &str) -> bool {
    if !var.contains('$') {
        return var == ".RECIPEPREFIX";
    }
    // Expansions stand for any text: the literal pieces must fit in order.
    let target = ".RECIPEPREFIX";
    let pieces: Vec<&str> = split_references(var);
    let mut at = 0;
    for (i, piece) in pieces.iter().enumerate() {
        let found = if i == 0 {
            target.starts_with(piece).then_some(0)
        } else {
            target[at..].find(piece).map(|p| p + at)
        };
        match found {
            Some(p) => at = p + piece.len(),
            None => return false,
        }
    }
    let last = pieces.last().copied().unwrap_or("");
    var.ends_with(['}', ')']) || target.ends_with(last)
}

/// The literal text between the variable references of `text`.
fn split_references(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            pieces.push(&text[start..i]);
            i += 1;
            match bytes.get(i) {
                Some(&open @ (b'(' | b'{')) => {
                    let close = if open == b'(' { b')' } else { b'}' };
                    let mut depth = 0usize;
                    while i < bytes.len() {
                        if bytes[i] == open {
                            depth += 1;
                        } else if bytes[i] == close {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        i += 1;
                    }
                    i += 1;
                }
                Some(_) => i += text[i..].chars().next().map_or(1, char::len_utf8),
                None => {}
            }
            start = i.min(bytes.len());
        } else {
            i += 1;
        }
    }
    pieces.push(&text[start.min(text.len())..]);
    pieces
}

/// The physical lines, without their `\n` (and a `\r` before it).
fn physical_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    if text.ends_with('\n') {
        lines.pop();
    }
    lines
}

/// Whether a physical line ends in an odd number of backslashes.
fn continues(line: &str) -> bool {
    let backslashes = line.len() - line.trim_end_matches('\\').len();
    backslashes % 2 == 1
}

/// The logical line starting at physical line `i`, and the index after it.
/// Continuations join with one space (make collapses the whitespace
/// around a backslash-newline outside recipes; in recipes the shell sees
/// the same words).
fn join_continuations(physical: &[&str], mut i: usize) -> (String, usize) {
    let mut logical = String::new();
    loop {
        let raw = physical[i];
        i += 1;
        if continues(raw) && i < physical.len() {
            logical.push_str(&raw[..raw.len() - 1]);
            logical.push(' ');
        } else {
            logical.push_str(
                raw.strip_suffix('\\')
                    .filter(|_| continues(raw))
                    .unwrap_or(raw),
            );
            return (logical, i);
        }
    }
}

/// The body of a `define` starting at physical line `i`: GNU make's
/// `do_define` counts nested `define`/`endef` on lines not led by a tab.
fn define_body(physical: &[&str], mut i: usize) -> (String, bool, usize) {
    let mut body = Vec::new();
    let mut depth = 1usize;
    while i < physical.len() {
        let (logical, next) = join_continuations(physical, i);
        i = next;
        if !logical.starts_with('\t') {
            let trimmed = logical.trim_start();
            let word = trimmed.split([' ', '\t']).next().unwrap_or("");
            if word == "define" {
                depth += 1;
            } else if word == "endef" {
                depth -= 1;
                if depth == 0 {
                    return (body.join("\n"), true, i);
                }
            }
        }
        body.push(logical);
    }
    (body.join("\n"), false, i)
}

/// The line up to its first `#` not escaped by a backslash.
pub fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' {
            let escapes = bytes[..i].iter().rev().take_while(|&&c| c == b'\\').count();
            if escapes % 2 == 0 {
                return &line[..i];
            }
        }
    }
    line
}

/// One non-recipe logical line (comment stripped, trimmed, non-empty), read
/// in make's order: assignments first (so a variable may be called
/// `ifdef`), then conditionals, then other directives, then rules.
fn statement(line: &str) -> LineKind {
    let mut modifiers = Vec::new();
    let mut body = line;
    loop {
        let word = first_word(body);
        if MODIFIERS.contains(&word) && body.len() > word.len() {
            let rest = body[word.len()..].trim_start();
            // `export = x` assigns a variable called export.
            if split_assignment(rest).is_none() && split_assignment(body).is_some() {
                break;
            }
            modifiers.push(word.to_string());
            body = rest;
        } else {
            break;
        }
    }
    let word = first_word(body);
    if word == "define" {
        let rest = body[word.len()..].trim();
        let (var, op) = match rest.rsplit_once(char::is_whitespace) {
            Some((v, op)) if is_operator(op) => (v.trim().to_string(), op.to_string()),
            _ => match rest.strip_suffix('=') {
                Some(v) if !v.is_empty() => {
                    let v = v.trim_end();
                    let op_len = v.len() - v.trim_end_matches([':', '+', '?', '!']).len();
                    (
                        v[..v.len() - op_len].trim_end().to_string(),
                        format!("{}=", &v[v.len() - op_len..]),
                    )
                }
                _ => (rest.to_string(), "=".to_string()),
            },
        };
        return LineKind::Define {
            modifiers,
            var,
            op,
            body: String::new(),
            closed: false,
        };
    }
    if let Some((var, op, value)) = split_assignment(body) {
        return LineKind::Assign {
            modifiers,
            var: var.to_string(),
            op: op.to_string(),
            value: value.to_string(),
        };
    }
    let rest = line[first_word(line).len()..].trim().to_string();
    let word = first_word(line);
    if !modifiers.is_empty() || matches!(word, "unexport" | "undefine" | "vpath" | "load" | "-load")
    {
        return LineKind::Directive {
            word: word.to_string(),
            rest,
        };
    }
    if CONDITIONALS.contains(&word) {
        return LineKind::If {
            directive: word.to_string(),
            args: rest,
        };
    }
    match word {
        "else" => {
            let cond = first_word(&rest);
            return LineKind::Else {
                condition: (!rest.is_empty())
                    .then(|| (cond.to_string(), rest[cond.len()..].trim().to_string())),
            };
        }
        "endif" => return LineKind::Endif,
        "include" | "-include" | "sinclude" => {
            return LineKind::Include {
                optional: word != "include",
                paths: rest.split_whitespace().map(String::from).collect(),
            }
        }
        _ => {}
    }
    if has_top_level_colon(line) {
        LineKind::Rule {
            text: line.to_string(),
        }
    } else {
        LineKind::Other {
            text: line.to_string(),
        }
    }
}

fn first_word(line: &str) -> &str {
    line.split([' ', '\t']).next().unwrap_or("")
}

fn is_operator(op: &str) -> bool {
    matches!(op, "=" | ":=" | "::=" | ":::=" | "+=" | "?=" | "!=")
}

/// The bytes of `line` outside variable references (`$(...)`, `${...}`,
/// `$x`), with their offsets: where make looks for a rule's `:` and an
/// assignment's `=`.
fn top_level(line: &str) -> impl Iterator<Item = (usize, u8)> + '_ {
    let bytes = line.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let at = i;
            i += 1;
            match bytes[at] {
                b'$' if matches!(bytes.get(at + 1), Some(b'(' | b'{')) => {
                    depth += 1;
                    i += 1;
                }
                b'$' => i += 1,
                b'(' | b'{' if depth > 0 => depth += 1,
                b')' | b'}' if depth > 0 => depth -= 1,
                b if depth == 0 => return Some((at, b)),
                _ => {}
            }
        }
        None
    })
}

/// Whether the line has a `:` outside variable references (a rule).
fn has_top_level_colon(line: &str) -> bool {
    top_level(line).any(|(_, b)| b == b':')
}

/// Make's own test: the first `=` or `:` outside a variable reference
/// decides. `=` (after `+`, `?`, `!`, or `:`s) is an assignment; a `:`
/// that does not lead to `=` is a rule. The name is one word: whitespace
/// outside a reference before the operator makes the line no assignment.
/// Returns the name, the operator, and the value.
pub fn split_assignment(line: &str) -> Option<(&str, &str, &str)> {
    let bytes = line.as_bytes();
    let mut name_end: Option<usize> = None;
    for (i, b) in top_level(line) {
        match b {
            b'=' => {
                let before = &line[..i];
                let op_start = before.trim_end_matches(['+', '?', '!']);
                // Only one of + ? ! may lead the =.
                let op_start = if before.len() - op_start.len() > 1 {
                    &before[..before.len() - 1]
                } else {
                    op_start
                };
                let var = op_start.trim_end();
                if var.is_empty() || name_end.is_some_and(|e| e < var.len()) {
                    return None;
                }
                return Some((var, &line[op_start.len()..=i], &line[i + 1..]));
            }
            b':' => {
                let colons = bytes[i..].iter().take_while(|&&c| c == b':').count();
                if colons <= 3 && bytes.get(i + colons) == Some(&b'=') {
                    let var = line[..i].trim_end();
                    if var.is_empty() || name_end.is_some_and(|e| e < var.len()) {
                        return None;
                    }
                    return Some((var, &line[i..=i + colons], &line[i + colons + 1..]));
                }
                return None;
            }
            b' ' | b'\t' if name_end.is_none() => name_end = Some(i),
            _ => {}
        }
    }
    None
}

/// The length of the variable reference at the start of `text` (a `$`):
/// `$(...)`/`${...}` with nesting, or `$x`.
pub fn reference_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    match bytes.get(1) {
        Some(&open @ (b'(' | b'{')) => {
            let close = if open == b'(' { b')' } else { b'}' };
            let mut depth = 0usize;
            for (i, &b) in bytes.iter().enumerate().skip(1) {
                if b == open {
                    depth += 1;
                } else if b == close {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
            }
            bytes.len()
        }
        Some(_) => 1 + text[1..].chars().next().map_or(0, char::len_utf8),
        None => 1,
    }
}

/// A target-specific assignment on a rule line:
/// `targets: [export|override|private]... var op value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpecific<'a> {
    /// The text before the rule's first `:`.
    pub targets: &'a str,
    pub modifiers: Vec<&'a str>,
    pub var: &'a str,
    pub op: &'a str,
    pub value: &'a str,
}

/// The target-specific assignment a rule line (a [`LineKind::Rule`]'s text)
/// makes, if any. Every parenthesis counts toward the nesting, not only
/// those of variable references, so an archive-member target `lib(a.o)`
/// never hides the colon.
pub fn target_specific(text: &str) -> Option<TargetSpecific<'_>> {
    let mut depth = 0usize;
    let mut colon = None;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        match b {
            b'(' | b'{' => depth += 1,
            b')' | b'}' => depth = depth.saturating_sub(1),
            b':' if depth == 0 => {
                colon = Some(i);
                break;
            }
            _ => {}
        }
    }
    let colon = colon?;
    let mut rest = text[colon + 1..].trim_start_matches(':').trim_start();
    let mut modifiers = Vec::new();
    loop {
        let word = rest.split_whitespace().next().unwrap_or("");
        if MODIFIERS.contains(&word) {
            modifiers.push(word);
            rest = rest[word.len()..].trim_start();
        } else {
            break;
        }
    }
    let (var, op, value) = split_assignment(rest)?;
    Some(TargetSpecific {
        targets: &text[..colon],
        modifiers,
        var,
        op,
        value,
    })
}

/// The conditionals around the statements of a file, followed by a reader
/// that can tell the truth of some conditions (and not of others): which
/// branch each is in, whether it is certainly skipped, certainly taken or
/// cannot be told.
#[derive(Debug, Default)]
pub struct Conditionals {
    frames: Vec<Branch>,
}

/// One open conditional: the truth of its current branch and whether an
/// earlier branch was taken (`None`: cannot tell), and where it is.
#[derive(Debug)]
struct Branch {
    current: Option<bool>,
    taken: Option<bool>,
    at: String,
}

impl Conditionals {
    /// Follows `kind` when it is a conditional directive (`true`), with
    /// `at` naming where it is. `evaluate(directive, args)` is the truth of
    /// a condition (`None`: cannot be told); it is asked only where the
    /// branch could be taken. An `else` or `endif` without its `if` is an
    /// error naming it.
    pub fn follow(
        &mut self,
        kind: &LineKind,
        at: &str,
        evaluate: impl Fn(&str, &str) -> Option<bool>,
    ) -> Result<bool, String> {
        match kind {
            LineKind::If { directive, args } => {
                let value = if self.active() {
                    evaluate(directive, args)
                } else {
                    Some(false)
                };
                self.frames.push(Branch {
                    current: value,
                    taken: value,
                    at: format!("{at}: {directive} {args}"),
                });
            }
            LineKind::Else { condition } => {
                let Some(c) = self.frames.pop() else {
                    return Err(format!("{at}: else without ifeq/ifdef"));
                };
                let own = match condition {
                    None => Some(true),
                    Some((directive, args)) if self.active() => evaluate(directive, args),
                    Some(_) => Some(false),
                };
                let current = match (c.taken, own) {
                    (Some(true), _) | (_, Some(false)) => Some(false),
                    (Some(false), own) => own,
                    (None, _) => None,
                };
                let taken = match (c.taken, current) {
                    (Some(true), _) | (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                };
                self.frames.push(Branch {
                    current,
                    taken,
                    at: match condition {
                        Some((d, a)) => format!("{at}: else {d} {a}"),
                        None => c.at,
                    },
                });
            }
            LineKind::Endif => {
                if self.frames.pop().is_none() {
                    return Err(format!("{at}: endif without ifeq/ifdef"));
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Whether a statement here may be read: no branch around it is
    /// certainly skipped.
    pub fn active(&self) -> bool {
        self.frames.iter().all(|c| c.current != Some(false))
    }

    /// The outermost conditional still open (at the end of a file: one
    /// without its `endif`).
    pub fn unclosed(&self) -> Option<&str> {
        self.frames.first().map(|c| c.at.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<LineKind> {
        lex(text).into_iter().map(|l| l.kind).collect()
    }

    fn assign(var: &str, op: &str, value: &str) -> LineKind {
        LineKind::Assign {
            modifiers: vec![],
            var: var.into(),
            op: op.into(),
            value: value.into(),
        }
    }

    #[test]
    fn a_tab_led_line_is_a_recipe_only_while_a_rule_is_open() {
        // Checked against GNU make 4.3 (`make -p`): the tab-led lines after
        // `$(info)` and `export` assign; the ones after the rule (across a
        // blank line, a comment and a conditional) are its recipe.
        let text = "\
x.o: y
\tfake-y += recipe.o

# comment
ifdef CONFIG_X
\tqux-objs = q.o
endif
$(info A)
\tobj-m += a.o
export X
\tobj-m += b.o
";
        assert_eq!(
            kinds(text),
            vec![
                LineKind::Rule {
                    text: "x.o: y".into()
                },
                LineKind::Recipe {
                    text: "fake-y += recipe.o".into()
                },
                LineKind::If {
                    directive: "ifdef".into(),
                    args: "CONFIG_X".into()
                },
                LineKind::Recipe {
                    text: "qux-objs = q.o".into()
                },
                LineKind::Endif,
                LineKind::Other {
                    text: "$(info A)".into()
                },
                assign("obj-m", "+=", " a.o"),
                LineKind::Directive {
                    word: "export".into(),
                    rest: "X".into()
                },
                assign("obj-m", "+=", " b.o"),
            ]
        );
    }

    #[test]
    fn conditionals_make_the_open_rule_a_maybe() {
        // On the path where CONFIG_A is set, the assignment closes the
        // rule; on the other, the tab-led line is its recipe.
        let text = "x.o: y\nifdef CONFIG_A\nFOO = 1\nendif\n\tobj-m += a.o\n";
        assert_eq!(
            kinds(text).last(),
            Some(&LineKind::Ambiguous {
                text: "obj-m += a.o".into()
            })
        );
        // Both branches close it: a statement again.
        let text = "x.o: y\nifdef CONFIG_A\nFOO = 1\nelse\nBAR = 1\nendif\n\tobj-m += a.o\n";
        assert_eq!(kinds(text).last(), Some(&assign("obj-m", "+=", " a.o")));
        let text = "x.o: y\nifdef CONFIG_A\nFOO = 1\nendif\n\tdefine X\n";
        assert!(matches!(
            kinds(text).last(),
            Some(LineKind::Unreadable { .. })
        ));
    }

    #[test]
    fn define_blocks_nest_and_hide_their_body() {
        let text = "\
define body
obj-m += hidden.o
  define inner
  endef
\tendef
endef
obj-y += seen.o
override define obj-m :=
sub/foo.o
endef
";
        let lines = lex(text);
        assert_eq!(
            lines[0].kind,
            LineKind::Define {
                modifiers: vec![],
                var: "body".into(),
                op: "=".into(),
                body: "obj-m += hidden.o\n  define inner\n  endef\n\tendef".into(),
                closed: true
            }
        );
        assert_eq!(lines[1].number, 7);
        assert_eq!(lines[1].kind, assign("obj-y", "+=", " seen.o"));
        assert_eq!(
            lines[2].kind,
            LineKind::Define {
                modifiers: vec!["override".into()],
                var: "obj-m".into(),
                op: ":=".into(),
                body: "sub/foo.o".into(),
                closed: true
            }
        );
        assert!(matches!(
            lex("define x\nobj-m += a.o\n")[0].kind,
            LineKind::Define { closed: false, .. }
        ));
    }

    #[test]
    fn assignments_with_every_operator_and_modifier() {
        for op in ["=", ":=", "::=", ":::=", "+=", "?=", "!="] {
            assert_eq!(
                kinds(&format!("obj-m {op} a.o\n")),
                vec![assign("obj-m", op, " a.o")],
                "{op}"
            );
        }
        assert_eq!(
            kinds("export override obj-m += a.o\n"),
            vec![LineKind::Assign {
                modifiers: vec!["export".into(), "override".into()],
                var: "obj-m".into(),
                op: "+=".into(),
                value: " a.o".into()
            }]
        );
        // A variable may be called like a directive.
        assert_eq!(kinds("ifdef = 3\n"), vec![assign("ifdef", "=", " 3")]);
        assert_eq!(kinds("export = 3\n"), vec![assign("export", "=", " 3")]);
        // Make rejects a name with a space; the conditional is not one.
        assert_eq!(
            kinds("ifeq (a,b=c)\nendif\n"),
            vec![
                LineKind::If {
                    directive: "ifeq".into(),
                    args: "(a,b=c)".into()
                },
                LineKind::Endif
            ]
        );
        assert_eq!(
            split_assignment("x-$(CONFIG_A:y=m) ?= c").map(|s| s.0),
            Some("x-$(CONFIG_A:y=m)")
        );
        assert_eq!(split_assignment("$(obj)/a.o: CFLAGS += -O0"), None);
        assert_eq!(split_assignment("a ::= b"), Some(("a", "::=", " b")));
    }

    #[test]
    fn continuations_comments_and_line_numbers() {
        let text = "# a comment \\\nfoo-y += not/seen.o\nbar-y := a.o \\\n   b.o # trailing\nesc := a\\#b\n";
        let lines = lex(text);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].number, 3);
        assert_eq!(lines[0].kind, assign("bar-y", ":=", " a.o     b.o"));
        assert_eq!(lines[1].number, 5);
        assert_eq!(lines[1].kind, assign("esc", ":=", " a\\#b"));
        for name in ["$(p)", ".RECIPE$(x)", "$(x)PREFIX", "${a}RECIPE$(b)"] {
            assert!(
                matches!(
                    kinds(&format!("{name} = >\n")).last(),
                    Some(LineKind::Unreadable { .. })
                ),
                "{name}"
            );
        }
        for name in [
            "CFLAGS_$(x).o",
            "obj-$(CONFIG_A)",
            "$(x)-y",
            "x$(y).RECIPEPREFIX",
        ] {
            assert!(
                matches!(
                    kinds(&format!("{name} = >\n")).last(),
                    Some(LineKind::Assign { .. })
                ),
                "{name}"
            );
        }
        assert_eq!(
            kinds(".RECIPEPREFIX = >\n\tobj-m += a.o\n").last(),
            Some(&LineKind::Unreadable {
                why: ".RECIPEPREFIX changes what a recipe line is".into()
            })
        );
    }
}
