//! Reading kbuild's own lists for an object whose compile looks like a
//! single-object module's (`-DMODULE`, KBUILD_BASENAME == KBUILD_MODNAME).
//!
//! The compile flags cannot tell `obj-m += sub/name.o` (a single-object
//! module: kbuild relinks it, modpost needs ELF) from a part of a composite
//! module that happens to share the module's name, `name-y += sub/name.o`
//! (kbuild leaves it bitcode; lib/zstd, icssg, i915 gvt). kbuild's rule is
//! `is-single-obj-m = $(and $(part-of-module),$(filter $@, $(obj-m)),y)`
//! (scripts/Makefile.build), so the lists in the directory's kbuild file
//! decide:
//!
//! - an object directly in `$(obj)` is always a single-object module: a
//!   composite cannot list a part with its own name in its own directory
//!   (the part would be the composite itself);
//! - an object in a subdirectory is a composite part only when this module
//!   can SHOW it: `<module>-y/-objs/-m/-$(CONFIG_..)` lists it, `<module>.o`
//!   is in an `obj-` list, no `obj-` list names the object, and nothing in
//!   the file could add it to `obj-m` unseen. The file is read by
//!   `make_lexer` (GNU make's own recipe/statement decision, `define`,
//!   continuations) and its conditionals are evaluated on the tree's
//!   `CONFIG_` values; the first construct that could touch the lists and
//!   that cannot be evaluated makes the directory unproven, with a reason
//!   naming the file and line. Anything else is not provable, and the
//!   caller forwards.
//!
//! `$(obj)` and `srctree` come from the command line of the make that runs
//! the recipe: kbuild's `build := -f $(srctree)/scripts/Makefile.build obj`;
//! `$(src)`, where the kbuild file is, from the tree's own rule
//! ([`crate::kbuild::tree::SrcRule`], read by [`crate::kbuild::scripts`]).

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use super::make_lexer::{self, Conditionals, Kind, Line};
use super::scripts::{self, MAKEFILE_BUILD};
use crate::kbuild::tree::Exported;
use crate::paths::normalize;

/// Upper bound on a kbuild file the shim reads; the largest in 6.13 is
/// about 40 KB.
pub const MAX_MAKEFILE_BYTES: u64 = crate::regular_file::Kind::KbuildMakefile.max_bytes();
/// How deep `include $(src)/...` is followed (i915 includes gvt/Makefile).
pub const MAX_INCLUDE_DEPTH: usize = 4;

/// The per-directory make that runs a kbuild recipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbuildMake {
    /// As given to `-f`, minus `/scripts/Makefile.build`; relative paths
    /// are relative to make's (and so the recipe's) current directory.
    pub srctree: PathBuf,
    /// `obj=`: the directory being built, relative to make's directory
    /// (absolute in a 6.12 external-module build: `M=` as given).
    pub obj: PathBuf,
    /// `$(src)`: the directory whose kbuild file the make reads.
    pub src: PathBuf,
}

impl KbuildMake {
    /// Reads `make ... -f <srctree>/scripts/Makefile.build obj=<obj> ...`
    /// run in `cwd`, and `$(src)` by that Makefile.build's own rule.
    pub fn from_argv(
        argv: &[OsString],
        cwd: &Path,
        exported: &Exported,
    ) -> Result<KbuildMake, String> {
        let (srctree, obj) = parse_argv(argv)?;
        let makefile_build = srctree.join(MAKEFILE_BUILD);
        let src = scripts::read_src_rule(cwd, &makefile_build)?.src(&obj, exported)?;
        Ok(KbuildMake { srctree, obj, src })
    }

    /// kbuild's `kbuild-file`: `$(or $(wildcard $(src)/Kbuild),$(src)/Makefile)`,
    /// with `cwd` being make's current directory.
    pub fn kbuild_file(&self, cwd: &Path) -> PathBuf {
        let kbuild = self.src.join("Kbuild");
        if cwd.join(&kbuild).exists() {
            kbuild
        } else {
            self.src.join("Makefile")
        }
    }

    /// `path` (under `$(src)` or `srctree`) as kbuild users name it:
    /// relative to srctree.
    fn shown(&self, path: &Path) -> String {
        let path = normalize(path);
        let srctree = normalize(&self.srctree);
        match path.strip_prefix(&srctree) {
            Ok(rel) if srctree != Path::new(".") => rel.display().to_string(),
            _ => path.display().to_string(),
        }
    }
}

/// `srctree` and `obj` from the command line of kbuild's per-directory make.
/// Anything else (no such makefile, two of them, two different `obj=`) is
/// not kbuild's per-directory make.
pub fn parse_argv(argv: &[OsString]) -> Result<(PathBuf, PathBuf), String> {
    let mut makefiles = Vec::new();
    let mut objs = Vec::new();
    let mut args = argv.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(arg) = args.next() {
        let arg = arg.as_ref();
        if matches!(arg, "-f" | "--file" | "--makefile") {
            makefiles.extend(args.next().map(|v| v.into_owned()));
        } else if let Some(v) = arg
            .strip_prefix("--file=")
            .or_else(|| arg.strip_prefix("--makefile="))
            .or_else(|| arg.strip_prefix("-f").filter(|_| !arg.starts_with("--")))
        {
            makefiles.push(v.to_string());
        } else if matches!(
            arg,
            "-C" | "--directory"
                | "-I"
                | "--include-dir"
                | "-o"
                | "--old-file"
                | "--assume-old"
                | "-W"
                | "--what-if"
                | "--new-file"
                | "--assume-new"
        ) {
            args.next();
        } else if !arg.starts_with('-') {
            if let Some((name, value)) = arg.split_once('=') {
                if name.trim_end_matches(':') == "obj" {
                    objs.push(value.to_string());
                }
            }
        }
    }
    let makefile = match makefiles.as_slice() {
        [one] => one,
        [] => return Err(format!("make has no -f <srctree>/{MAKEFILE_BUILD}")),
        many => return Err(format!("make reads {} makefiles", many.len())),
    };
    let srctree = if makefile == MAKEFILE_BUILD {
        PathBuf::from(".")
    } else {
        match makefile.strip_suffix(MAKEFILE_BUILD) {
            Some(dir) if dir.ends_with('/') => normalize(Path::new(dir)),
            _ => {
                return Err(format!(
                    "make -f {makefile} is not kbuild's {MAKEFILE_BUILD}"
                ))
            }
        }
    };
    let obj = match objs.as_slice() {
        [] => return Err("make has no obj=".into()),
        [first, rest @ ..] if rest.iter().all(|o| o == first) => first,
        _ => {
            return Err(format!(
                "make has different obj= values: {}",
                objs.join(" ")
            ))
        }
    };
    let obj = normalize(Path::new(obj));
    if obj.components().any(|c| c.as_os_str() == "..") {
        return Err(format!("obj={} climbs out of its tree", obj.display()));
    }
    Ok((srctree, obj))
}

/// One make statement of a kbuild file, as the lexer reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// `include`, `-include`, `sinclude`: the reader follows them.
    Include { optional: bool, paths: Vec<String> },
    /// Every other logical line (or `define` block) with its line number.
    Line(Line),
}

/// The statements of a kbuild file, in order: GNU make's reading of its
/// lines (see `make_lexer`). Conditionals are kept, to be evaluated by
/// [`classify`] against the configuration.
pub fn statements(text: &str) -> Vec<Statement> {
    make_lexer::lex(text)
        .into_iter()
        .map(|line| match line.kind {
            Kind::Include { optional, paths } => Statement::Include { optional, paths },
            _ => Statement::Line(line),
        })
        .collect()
}

/// kbuild's `name-fix-token`: `-` and `,` become `_`.
pub fn name_fix(name: &str) -> String {
    name.replace(['-', ','], "_")
}

/// Where kbuild lists an object that its compile flags call a single-object
/// module, and so whether kbuild relinks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// Directly in `$(obj)`: only `obj-m` builds it with these flags.
    InObjDir,
    /// Shown to be a part of a composite module (and in no `obj-` list).
    CompositePart(CompositePart),
    /// An `obj-` list names it: `obj-m += sub/name.o`.
    ObjList { file: String, variable: String },
    /// Neither could be shown.
    NotProvable(String),
}

/// Where a composite module lists a part that shares its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompositePart {
    /// The module, as kbuild's file spells it (`icssg-prueth`).
    pub module: String,
    /// The kbuild file holding the definition, relative to srctree.
    pub file: String,
    /// The variable that lists the part (`icssg-prueth-y`).
    pub variable: String,
}

impl fmt::Display for CompositePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "part of composite module {} ({}: {})",
            self.module, self.file, self.variable
        )
    }
}

impl fmt::Display for Listing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Listing::InObjDir => write!(f, "directly in $(obj)"),
            Listing::CompositePart(part) => part.fmt(f),
            Listing::ObjList { file, variable } => write!(f, "{file}: {variable}"),
            Listing::NotProvable(why) => write!(f, "not provably a composite part: {why}"),
        }
    }
}

/// The kbuild lists that could name a module object, from the statements
/// of each file read (file shown relative to srctree, its statements).
/// `kconfig` holds the tree's `CONFIG_` values (auto.conf: a symbol not in
/// it is unset); `None` when they are unknown, and then every
/// `$(CONFIG_...)` may be `y`, `m` or empty.
///
/// Passthrough needs positive proof that no `obj-` list holds the object
/// (kbuild's `is-single-obj-m`). The directory is unproven at the first
/// construct the reader cannot evaluate that could touch `obj-*` or the
/// module's own `<module>-y/-objs/-m` lists: `$(eval)` anywhere, a computed
/// variable name that could be one of them, an expansion in an `obj-`
/// value, `override`, `undefine`, `!=`, a target-specific assignment, an
/// expansion-only line other than `$(info/warning/error)`, a tab-led line
/// whose reading depends on conditionals, unknown words, a conditional it
/// cannot evaluate around a list assignment.
pub fn classify(
    files: &[(String, Vec<Statement>)],
    rel: &Path,
    modname: &str,
    kconfig: Option<&HashMap<String, String>>,
) -> Listing {
    let rel = normalize(rel);
    if rel.parent().is_none_or(|p| p.as_os_str().is_empty()) {
        return Listing::InObjDir;
    }
    let mut reader = Reader {
        rel: &rel,
        modname,
        kconfig,
        config_assigned: Vec::new(),
        any_config_assigned: false,
        composite_names: Vec::new(),
        parts: Vec::new(),
    };
    for (file, statements) in files {
        if let Err(listing) = reader.file(file, statements) {
            return listing;
        }
    }
    let lists = |word: &str, target: &Path| normalize(Path::new(word)) == target;
    let listed = |part: &CompositePart| {
        let object = PathBuf::from(format!("{}.o", part.module));
        reader.composite_names.iter().any(|w| lists(w, &object))
    };
    let parts = &reader.parts;
    match parts.iter().find(|part| listed(part)) {
        Some(part) => Listing::CompositePart(part.clone()),
        None if parts.is_empty() => Listing::NotProvable(format!(
            "no <module>-y/-objs/-m/-$(CONFIG_...) with module {modname} lists {}",
            rel.display()
        )),
        None => Listing::NotProvable(format!(
            "{} lists it, but no obj- list names {}.o",
            parts[0].variable, parts[0].module
        )),
    }
}

/// What a variable name (after `$(CONFIG_...)` substitution) is.
enum Name {
    /// No expansion left.
    Known(String),
    /// `<plain>-$(CONFIG_X)` with the value unknown: `y`, `m` or nothing.
    ConfigSuffix(String),
    /// Anything else built from expansions: the name as a glob.
    Computed(Vec<Option<char>>),
}

/// What an assignment to a name means for the object.
enum Target {
    /// `obj-...`; `builds` when it is (or may be) `obj-y`/`obj-m`.
    ObjList {
        builds: bool,
    },
    /// This module's `<module>-y/-objs/-m` (or `-$(CONFIG_...)` unknown).
    ModuleList(String),
    /// A computed name that could be either.
    Unknowable,
    Unrelated,
}

struct Reader<'a> {
    rel: &'a Path,
    modname: &'a str,
    kconfig: Option<&'a HashMap<String, String>>,
    /// `CONFIG_` symbols the Makefiles assign: their values are unknown.
    config_assigned: Vec<String>,
    /// A computed name could have assigned any `CONFIG_` symbol.
    any_config_assigned: bool,
    composite_names: Vec<String>,
    parts: Vec<CompositePart>,
}

type Step = Result<(), Listing>;

fn unproven<T>(why: String) -> Result<T, Listing> {
    Err(Listing::NotProvable(why))
}

impl Reader<'_> {
    fn file(&mut self, file: &str, statements: &[Statement]) -> Step {
        let mut conditionals = Conditionals::default();
        for statement in statements {
            let Statement::Line(line) = statement else {
                continue;
            };
            let at = format!("{file}:{}", line.number);
            match conditionals.follow(&line.kind, &at, |d, a| self.condition(d, a)) {
                Ok(true) => continue,
                Ok(false) => {}
                Err(why) => return unproven(why),
            }
            if !conditionals.active() {
                continue;
            }
            self.line(&at, &line.kind, conditionals.unsure())?;
        }
        match conditionals.unclosed() {
            Some(at) => unproven(format!("{file}: {at} has no endif")),
            None => Ok(()),
        }
    }

    /// One active statement; `unsure` names the conditional the reader
    /// could not evaluate around it, if any.
    fn line(&mut self, at: &str, kind: &Kind, unsure: Option<&str>) -> Step {
        if let Some(text) = calls_eval(kind) {
            return unproven(format!(
                "{at}: $(eval ...) can assign any list: {}",
                shorten(text)
            ));
        }
        let touches = |target: &Target| !matches!(target, Target::Unrelated);
        let when_unsure = |what: &str| match unsure {
            Some(cond) => unproven(format!(
                "{at}: {what} under a condition the reader cannot evaluate ({cond})"
            )),
            None => Ok(()),
        };
        match kind {
            Kind::Assign {
                modifiers,
                var,
                op,
                value,
            } => self.assign(at, modifiers, var, op, value, unsure),
            Kind::Define {
                modifiers,
                var,
                op,
                body,
                closed,
            } => {
                if !closed {
                    return unproven(format!("{at}: define {var} has no endef"));
                }
                self.assign(at, modifiers, var, op, body, unsure)
            }
            Kind::Directive { word, rest } => match word.as_str() {
                "export" | "unexport" | "vpath" => Ok(()),
                "undefine" | "override" | "private" => {
                    let name = rest.trim_start_matches("override").trim();
                    let name = name.strip_prefix("undefine").unwrap_or(name).trim();
                    if touches(&self.target(name)) {
                        return unproven(format!("{at}: {word} {rest}"));
                    }
                    when_unsure(&format!("{word} {rest}")).and(Ok(()))
                }
                _ => unproven(format!("{at}: {word} {rest} cannot be evaluated")),
            },
            Kind::Rule { text } => {
                // Make expands the targets before it looks for the colon
                // and a target-specific assignment after it, so a target
                // from any variable but kbuild's directories could carry
                // `x.o: obj-m += ...` in its value.
                if let Some(reference) = unsafe_target_reference(text) {
                    return unproven(format!(
                        "{at}: rule targets expand {reference}: {}",
                        shorten(text)
                    ));
                }
                // A target-specific assignment applies while the target's
                // recipe is expanded, where kbuild tests obj-m.
                if let Some(var) = make_lexer::target_specific(text).map(|t| t.var) {
                    if touches(&self.target(var)) {
                        return unproven(format!(
                            "{at}: target-specific assignment to {var}: {}",
                            shorten(text)
                        ));
                    }
                }
                Ok(())
            }
            Kind::Recipe { .. } | Kind::Include { .. } => Ok(()),
            Kind::Ambiguous { text } => {
                let line = make_lexer::strip_comment(text).trim();
                let var = make_lexer::split_assignment(line)
                    .map(|(v, _, _)| v)
                    .or_else(|| line.split_whitespace().nth(1));
                match var {
                    Some(var) if touches(&self.target(var)) || line.contains("define") => {
                        unproven(format!(
                            "{at}: a tab-led line that is a recipe on some paths through the conditionals and a statement on others: {}",
                            shorten(line)
                        ))
                    }
                    _ => Ok(()),
                }
            }
            Kind::Other { text } => {
                if only_messages(text) {
                    Ok(())
                } else {
                    unproven(format!("{at}: cannot evaluate `{}`", shorten(text)))
                }
            }
            Kind::Unreadable { why } => unproven(format!("{at}: {why}")),
            Kind::If { .. } | Kind::Else { .. } | Kind::Endif => Ok(()),
        }
    }

    fn assign(
        &mut self,
        at: &str,
        modifiers: &[String],
        var: &str,
        op: &str,
        value: &str,
        unsure: Option<&str>,
    ) -> Step {
        let name = self.name(var);
        match &name {
            Name::Known(n) if n.starts_with("CONFIG_") => self.config_assigned.push(n.clone()),
            Name::Computed(glob) if could_match(glob, "CONFIG_", true) => {
                self.any_config_assigned = true
            }
            _ => {}
        }
        if let Name::Known(n) = &name {
            if KBUILD_DIRECTORIES.contains(&n.as_str()) {
                return unproven(format!("{at}: {var} is reassigned (rule targets use it)"));
            }
        }
        let target = self.target_of(&name);
        if matches!(target, Target::Unrelated) {
            return Ok(());
        }
        if let Some(cond) = unsure {
            return unproven(format!(
                "{at}: {var} is assigned under a condition the reader cannot evaluate ({cond})"
            ));
        }
        if modifiers.iter().any(|m| m == "override") {
            return unproven(format!("{at}: override {var}"));
        }
        if op == "!=" {
            return unproven(format!("{at}: {var} != runs a shell command"));
        }
        let words: Vec<&str> = value.split_whitespace().collect();
        let names_rel = words.iter().any(|w| normalize(Path::new(w)) == self.rel);
        match target {
            Target::Unrelated => Ok(()),
            Target::Unknowable => unproven(format!(
                "{at}: variable name {var} is built from expansions and could be a list"
            )),
            Target::ObjList { builds } => {
                if names_rel {
                    return Err(Listing::ObjList {
                        file: at.rsplit_once(':').map_or(at, |(f, _)| f).to_string(),
                        variable: var.to_string(),
                    });
                }
                if let Some(w) = words.iter().find(|w| w.contains('$')) {
                    return unproven(format!("{at}: {var} holds an expansion ({w})"));
                }
                if builds {
                    self.composite_names
                        .extend(words.iter().map(|w| w.to_string()));
                }
                Ok(())
            }
            Target::ModuleList(module) => {
                if names_rel {
                    self.parts.push(CompositePart {
                        module,
                        file: at.rsplit_once(':').map_or(at, |(f, _)| f).to_string(),
                        variable: var.to_string(),
                    });
                }
                Ok(())
            }
        }
    }

    /// `ifdef`/`ifndef`/`ifeq`/`ifneq` when they test only `CONFIG_`
    /// values against literals; `None` otherwise.
    fn condition(&self, directive: &str, args: &str) -> Option<bool> {
        match directive {
            "ifdef" | "ifndef" => {
                let symbol = args.trim();
                if !is_config_symbol(symbol) {
                    return None;
                }
                let set = !self.config(symbol)?.is_empty();
                Some(set == (directive == "ifdef"))
            }
            "ifeq" | "ifneq" => {
                let (a, b) = condition_args(args)?;
                let equal = self.operand(a)? == self.operand(b)?;
                Some(equal == (directive == "ifeq"))
            }
            _ => None,
        }
    }

    /// An operand of `ifeq`: a literal or one `$(CONFIG_...)`, with the
    /// whitespace around it kept (make compares it).
    fn operand(&self, text: &str) -> Option<String> {
        let core = text.trim();
        if !core.contains('$') {
            return Some(text.to_string());
        }
        let symbol = core
            .strip_prefix("$(")
            .and_then(|t| t.strip_suffix(')'))
            .or_else(|| core.strip_prefix("${").and_then(|t| t.strip_suffix('}')))?;
        if !is_config_symbol(symbol) {
            return None;
        }
        let lead = &text[..text.len() - text.trim_start().len()];
        let trail = &text[text.trim_end().len()..];
        Some(format!("{lead}{}{trail}", self.config(symbol)?))
    }

    /// A symbol's value (`""` when unset), when it is known.
    fn config(&self, symbol: &str) -> Option<String> {
        let values = self.kconfig?;
        if self.any_config_assigned || self.config_assigned.iter().any(|s| s == symbol) {
            return None;
        }
        Some(values.get(symbol).cloned().unwrap_or_default())
    }

    /// A variable name with its `$(CONFIG_...)` references substituted
    /// where the values are known.
    fn name(&self, var: &str) -> Name {
        let mut out = String::new();
        let mut glob: Vec<Option<char>> = Vec::new();
        let mut rest = var;
        let mut computed = false;
        let mut unknown_config: Option<String> = None;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            glob.extend(rest[..at].chars().map(Some));
            let after = &rest[at..];
            let reference = make_lexer::reference_len(after);
            let inner = reference_inner(after, reference);
            let is_config = reference > 3
                && matches!(after.as_bytes()[1], b'(' | b'{')
                && is_config_symbol(inner);
            match is_config.then(|| self.config(inner)).flatten() {
                Some(value) => {
                    out.push_str(&value);
                    glob.extend(value.chars().map(Some));
                }
                None => {
                    if is_config && unknown_config.is_none() && !computed {
                        unknown_config = Some(after[..reference].to_string());
                    } else {
                        computed = true;
                    }
                    out.push_str(&after[..reference]);
                    glob.push(None);
                }
            }
            rest = &after[reference..];
        }
        out.push_str(rest);
        glob.extend(rest.chars().map(Some));
        match unknown_config {
            None if !computed => Name::Known(out),
            Some(reference) if !computed && out.ends_with(&format!("-{reference}")) => {
                let plain = &out[..out.len() - reference.len() - 1];
                if plain.contains('$') {
                    Name::Computed(glob)
                } else {
                    Name::ConfigSuffix(plain.to_string())
                }
            }
            _ => Name::Computed(glob),
        }
    }

    fn target(&self, var: &str) -> Target {
        let name = self.name(var);
        self.target_of(&name)
    }

    fn target_of(&self, name: &Name) -> Target {
        let own_module = |module: &str| name_fix(module) == self.modname;
        match name {
            Name::Known(n) => {
                if let Some(suffix) = n.strip_prefix("obj-") {
                    return Target::ObjList {
                        builds: matches!(suffix, "y" | "m"),
                    };
                }
                match composite_of(n) {
                    Some(module) if own_module(module) => Target::ModuleList(module.to_string()),
                    _ => Target::Unrelated,
                }
            }
            Name::ConfigSuffix(plain) if plain == "obj" => Target::ObjList { builds: true },
            Name::ConfigSuffix(plain) => {
                if composite_of(&format!("{plain}-y")).is_some() && own_module(plain) {
                    Target::ModuleList(plain.clone())
                } else {
                    Target::Unrelated
                }
            }
            // `obj-$(subst m,y,$(CONFIG_X))`: an obj- list whatever the
            // suffix, read as one (its value is checked like any other).
            Name::Computed(glob)
                if glob.starts_with(&[Some('o'), Some('b'), Some('j'), Some('-')]) =>
            {
                Target::ObjList { builds: true }
            }
            Name::Computed(glob) => {
                let fuzzy = fuzzy_module(self.modname);
                if could_match(glob, "obj-", true)
                    || ["-y", "-m", "-objs"]
                        .iter()
                        .any(|s| could_match_fuzzy(glob, &format!("{fuzzy}{s}")))
                {
                    Target::Unknowable
                } else {
                    Target::Unrelated
                }
            }
        }
    }
}

fn is_config_symbol(s: &str) -> bool {
    s.len() > "CONFIG_".len()
        && s.starts_with("CONFIG_")
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The text inside `$(...)`/`${...}` of the reference of length `len` at
/// the start of `text`; empty for `$x` or an unclosed reference.
fn reference_inner(text: &str, len: usize) -> &str {
    if !matches!(text.as_bytes().get(1), Some(b'(' | b'{')) {
        return "";
    }
    let closed = text.as_bytes().get(len.wrapping_sub(1))
        == Some(if text.as_bytes()[1] == b'(' {
            &b')'
        } else {
            &b'}'
        });
    if !closed || len < 3 {
        return "";
    }
    text.get(2..len - 1).unwrap_or("")
}

/// `(a,b)`, `"a" "b"`, `'a' 'b'` (and mixed quotes): the two operands.
fn condition_args(args: &str) -> Option<(&str, &str)> {
    let args = args.trim();
    if let Some(inner) = args.strip_prefix('(').and_then(|a| a.strip_suffix(')')) {
        let mut depth = 0usize;
        for (i, b) in inner.bytes().enumerate() {
            match b {
                b'(' | b'{' => depth += 1,
                b')' | b'}' => depth = depth.checked_sub(1)?,
                // GNU make 4.3 drops the whitespace before the comma and
                // after it, and keeps the rest.
                b',' if depth == 0 => {
                    return Some((inner[..i].trim_end(), inner[i + 1..].trim_start()))
                }
                _ => {}
            }
        }
        return None;
    }
    let quoted = |s: &str| -> Option<(usize, usize)> {
        let q = s.chars().next().filter(|c| matches!(c, '"' | '\''))?;
        let end = s[1..].find(q)? + 1;
        Some((1, end))
    };
    let (s1, e1) = quoted(args)?;
    let rest = args[e1 + 1..].trim_start();
    let (s2, e2) = quoted(rest)?;
    if !rest[e2 + 1..].trim().is_empty() {
        return None;
    }
    Some((&args[s1..e1], &rest[s2..e2]))
}

/// The text of a statement that calls `$(eval ...)` anywhere (recipes too:
/// make expands another target's recipe before this one's).
fn calls_eval(kind: &Kind) -> Option<&str> {
    let texts: Vec<&str> = match kind {
        Kind::Assign { var, value, .. } => vec![var, value],
        Kind::Define { var, body, .. } => vec![var, body],
        Kind::If { args, .. } => vec![args],
        Kind::Else {
            condition: Some((_, args)),
        } => vec![args],
        Kind::Directive { rest, .. } => vec![rest],
        Kind::Rule { text }
        | Kind::Recipe { text }
        | Kind::Ambiguous { text }
        | Kind::Other { text } => vec![text],
        Kind::Include { .. } | Kind::Else { condition: None } | Kind::Endif => vec![],
        Kind::Unreadable { .. } => vec![],
    };
    texts.into_iter().find(|t| has_function(t, "eval"))
}

/// Whether `text` calls make function `name` (`$(name ...`, `${name ...`).
fn has_function(text: &str, name: &str) -> bool {
    let bytes = text.as_bytes();
    (0..bytes.len()).any(|i| {
        bytes[i] == b'$'
            && matches!(bytes.get(i + 1), Some(b'(' | b'{'))
            && text[i + 2..].starts_with(name)
            && text[i + 2 + name.len()..]
                .chars()
                .next()
                .is_none_or(|c| c.is_whitespace() || c == ')' || c == '}')
    })
}

/// A line made only of `$(info ...)`, `$(warning ...)`, `$(error ...)`
/// calls: they expand to nothing, so make reads nothing from the line.
fn only_messages(text: &str) -> bool {
    let mut rest = text.trim();
    while !rest.is_empty() {
        if !rest.starts_with('$') {
            return false;
        }
        let len = make_lexer::reference_len(rest);
        let inner = reference_inner(rest, len);
        let word = inner.split(char::is_whitespace).next().unwrap_or("");
        if len < 4 || !matches!(word, "info" | "warning" | "error") || rest.len() < len {
            return false;
        }
        rest = rest[len..].trim_start();
    }
    true
}

/// The variables kbuild's command line and Makefile.build set for a
/// directory, which rule targets may expand.
const KBUILD_DIRECTORIES: &[&str] = &["obj", "src", "objtree", "srctree"];

/// A reference in a rule's targets (before its first colon) other than
/// `$(obj)`, `$(src)`, `$(objtree)`, `$(srctree)` (or `${...}`).
fn unsafe_target_reference(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(at) = rest.find(['$', ':']) {
        let after = &rest[at..];
        if after.starts_with(':') {
            return None;
        }
        let len = make_lexer::reference_len(after);
        let inner = reference_inner(after, len);
        if !KBUILD_DIRECTORIES.contains(&inner) {
            return Some(after.get(..len).unwrap_or(after));
        }
        rest = &after[len.min(after.len())..];
    }
    None
}

fn shorten(text: &str) -> String {
    const MAX: usize = 120;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

/// `modname` with each `_` standing for `_`, `-` or `,` (name-fix-token),
/// spelled with `\u{1}` for that class.
fn fuzzy_module(modname: &str) -> String {
    modname.replace('_', "\u{1}")
}

fn could_match_fuzzy(glob: &[Option<char>], target: &str) -> bool {
    glob_match(glob, &target.chars().collect::<Vec<_>>(), false)
}

/// Whether some expansion of `glob` (`None` matching any text) equals
/// `target`, or starts with it when `open_end`.
fn could_match(glob: &[Option<char>], target: &str, open_end: bool) -> bool {
    glob_match(glob, &target.chars().collect::<Vec<_>>(), open_end)
}

fn glob_match(glob: &[Option<char>], target: &[char], open_end: bool) -> bool {
    let same = |g: char, t: char| g == t || (t == '\u{1}' && matches!(g, '_' | '-' | ','));
    // reachable[j]: the glob read so far can produce target[..j].
    let mut reachable = vec![false; target.len() + 1];
    reachable[0] = true;
    for g in glob {
        let mut next = vec![false; target.len() + 1];
        match g {
            None => {
                let mut any = false;
                for j in 0..=target.len() {
                    any |= reachable[j];
                    next[j] = any;
                }
            }
            Some(c) => {
                for j in 0..target.len() {
                    if reachable[j] && same(*c, target[j]) {
                        next[j + 1] = true;
                    }
                }
                // Past the end of an open target anything matches.
                if open_end && reachable[target.len()] {
                    next[target.len()] = true;
                }
            }
        }
        reachable = next;
    }
    reachable[target.len()]
}

/// The module of a composite definition `<module>-y`, `-objs`, `-m` or
/// `-$(CONFIG_...)` (kbuild's suffix-search: `-objs -y -m`, where a
/// `$(CONFIG_...)` suffix expands to `y`, `m` or nothing).
fn composite_of(var: &str) -> Option<&str> {
    let module = ["-y", "-objs", "-m"]
        .iter()
        .find_map(|suffix| var.strip_suffix(suffix))
        .or_else(|| {
            let (module, suffix) = var.rsplit_once("-$(").or_else(|| var.rsplit_once("-${"))?;
            let symbol = suffix.strip_suffix([')', '}'])?;
            let ok = symbol.starts_with("CONFIG_")
                && symbol
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_');
            ok.then_some(module)
        })?;
    // kbuild's own lists are not composites.
    const KBUILD_LISTS: &[&str] = &["obj", "lib", "subdir", "always", "extra", "targets"];
    let plain = !module.is_empty() && !module.contains(['$', '(', ')', '{', '}', ' ']);
    (plain && !KBUILD_LISTS.contains(&module)).then_some(module)
}

/// Reads the kbuild file of `make` (and what it includes through `$(src)`
/// or `$(srctree)`), then classifies `input` (as the relink names it,
/// relative to `cwd`) for the module `modname` (KBUILD_MODNAME).
pub fn listing(
    make: &KbuildMake,
    cwd: &Path,
    input: &Path,
    modname: &str,
    kconfig: Option<&HashMap<String, String>>,
) -> Listing {
    let obj = normalize(&make.obj);
    // kbuild names objects `$(obj)/...`: absolute when obj= is (6.12's M=).
    let input = if obj.is_absolute() {
        normalize(&cwd.join(input))
    } else {
        normalize(input)
    };
    let rel = if obj == Path::new(".") {
        input.clone()
    } else {
        match input.strip_prefix(&obj) {
            Ok(rel) => rel.to_path_buf(),
            Err(_) => {
                return Listing::NotProvable(format!(
                    "{} is not under obj={}",
                    input.display(),
                    obj.display()
                ))
            }
        }
    };
    if rel.parent().is_none_or(|p| p.as_os_str().is_empty()) {
        return Listing::InObjDir;
    }
    let mut files = Vec::new();
    if let Err(why) = read_with_includes(make, cwd, &make.kbuild_file(cwd), 0, &mut files) {
        return Listing::NotProvable(why);
    }
    classify(&files, &rel, modname, kconfig)
}

fn read_with_includes(
    make: &KbuildMake,
    cwd: &Path,
    path: &Path,
    depth: usize,
    files: &mut Vec<(String, Vec<Statement>)>,
) -> Result<(), String> {
    let shown = make.shown(path);
    let text = read_makefile(&cwd.join(path)).map_err(|e| format!("{shown}: {e}"))?;
    let statements = statements(&text);
    let includes: Vec<(bool, String)> = statements
        .iter()
        .filter_map(|s| match s {
            Statement::Include { optional, paths } => Some((*optional, paths)),
            _ => None,
        })
        .flat_map(|(optional, paths)| paths.iter().map(move |p| (optional, p.clone())))
        .collect();
    files.push((shown.clone(), statements));
    for (optional, raw) in includes {
        let Some(included) = expand_include(make, &raw) else {
            return Err(format!("{shown}: include {raw} cannot be followed"));
        };
        if optional && !cwd.join(&included).exists() {
            // make skips a missing -include/sinclude silently
            continue;
        }
        if depth + 1 > MAX_INCLUDE_DEPTH {
            return Err(format!(
                "{shown}: includes nest deeper than {MAX_INCLUDE_DEPTH}"
            ));
        }
        read_with_includes(make, cwd, &included, depth + 1, files)?;
    }
    Ok(())
}

/// An include path whose only expansions are `$(src)` and `$(srctree)`; a
/// wildcard is never followed (a glob `-include` could add anything).
fn expand_include(make: &KbuildMake, raw: &str) -> Option<PathBuf> {
    if raw.contains(['*', '?', '[']) {
        return None;
    }
    let src = make.src.display().to_string();
    let srctree = normalize(&make.srctree).display().to_string();
    let expanded = raw
        .replace("$(srctree)", &srctree)
        .replace("${srctree}", &srctree)
        .replace("$(src)", &src)
        .replace("${src}", &src);
    (!expanded.contains('$')).then(|| normalize(Path::new(&expanded)))
}

fn read_makefile(path: &Path) -> Result<String, String> {
    let bytes = crate::regular_file::read_capped(path, crate::regular_file::Kind::KbuildMakefile)
        .map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// lib/zstd/Makefile (6.12, 6.13): three composites, each with a part of
    /// its own name one directory down; continuations end on an empty line.
    const ZSTD: &str = "\
# SPDX-License-Identifier: GPL-2.0+ OR BSD-3-Clause
obj-$(CONFIG_ZSTD_COMPRESS) += zstd_compress.o
obj-$(CONFIG_ZSTD_DECOMPRESS) += zstd_decompress.o
obj-$(CONFIG_ZSTD_COMMON) += zstd_common.o

zstd_compress-y := \\
\t\tzstd_compress_module.o \\
\t\tcompress/hist.o \\
\t\tcompress/zstd_compress.o \\
\t\tcompress/zstd_opt.o \\

zstd_decompress-y := \\
\t\tzstd_decompress_module.o \\
\t\tdecompress/zstd_ddict.o \\
\t\tdecompress/zstd_decompress.o \\

zstd_common-y := \\
\t\tzstd_common_module.o \\
\t\tcommon/debug.o \\
\t\tcommon/zstd_common.o \\
";

    /// drivers/net/ethernet/ti/Makefile: dashed composite names (name-fixed
    /// to the part's basename), and an `obj-m += sub/name.o` next to them.
    const TI: &str = "\
obj-$(CONFIG_TI_ICSSG_PRUETH) += icssg-prueth.o icssg.o
icssg-prueth-y := icssg/icssg_prueth.o icssg/icssg_switchdev.o

obj-$(CONFIG_TI_ICSSG_PRUETH_SR1) += icssg-prueth-sr1.o icssg.o
icssg-prueth-sr1-y := icssg/icssg_prueth_sr1.o

icssg-y := icssg/icssg_common.o \\
\t   icssg/icssg_config.o

obj-$(CONFIG_TI_ICSS_IEP) += icssg/icss_iep.o
";

    /// drivers/gpu/drm/i915/Makefile includes gvt/Makefile, which holds the
    /// composite's parts under a `-$(CONFIG_...)` suffix.
    const I915: &str = "\
i915-y += i915_driver.o
# virtual gpu code
i915-$(CONFIG_DRM_I915_GVT) += \\
\tintel_gvt.o
include $(src)/gvt/Makefile

obj-$(CONFIG_DRM_I915) += i915.o
obj-$(CONFIG_DRM_I915_GVT_KVMGT) += kvmgt.o
";
    const I915_GVT: &str = "\
kvmgt-$(CONFIG_DRM_I915_GVT) += \\
\tgvt/aperture_gm.o \\
\tgvt/kvmgt.o \\
\tgvt/vgpu.o
";

    /// drivers/ras/Makefile: a single-object module one directory down.
    const RAS: &str = "\
obj-$(CONFIG_RAS)\t+= ras.o
obj-$(CONFIG_RAS_FMPM)\t+= amd/fmpm.o
obj-y\t\t\t+= amd/atl/
";

    /// Additions to `obj-m` (and other constructs) a line scanner misses:
    /// each appended to lib/zstd's Makefile must keep
    /// compress/zstd_compress.o from passing as a composite part.
    const HIDDEN_OBJ_M: &[(&str, &str)] = &[
        (
            "tab-led assignment after $(info)",
            "$(info building zstd)\n\tobj-m += compress/zstd_compress.o\n",
        ),
        (
            "tab-led assignment after a rule closed by $(info)",
            "$(obj)/x.o: $(src)/x.c\n\techo x\n$(info building zstd)\n\tobj-m += compress/zstd_compress.o\n",
        ),
        (
            "tab-led assignment after export",
            "export ZSTD_FLAGS\n\tobj-m += compress/zstd_compress.o\n",
        ),
        (
            "define of obj-m itself",
            "define obj-m\ncompress/zstd_compress.o\nendef\n",
        ),
        (
            "define with $(eval) in its body, called",
            "define add-module\n$(eval obj-m += $(1))\nendef\n$(call add-module,compress/zstd_compress.o)\n",
        ),
        (
            "define with $(eval) in its body, expanded",
            "define add\n$(eval obj-m += compress/zstd_compress.o)\nendef\n$(add)\n",
        ),
        (
            "variable name with an expansion inside obj",
            "o$(empty)bj-m += compress/zstd_compress.o\n",
        ),
        (
            "variable name obj$(suffix)",
            "obj$(dash)m += compress/zstd_compress.o\n",
        ),
        (
            "$(foreach) on the left side",
            "o$(foreach v,bj-m,$(v)) += compress/zstd_compress.o\n",
        ),
        (
            "$(call) on the left side",
            "o$(call tail,bj-m) += compress/zstd_compress.o\n",
        ),
        (
            "$(shell) on the left side",
            "ob$(shell echo j-m) += compress/zstd_compress.o\n",
        ),
        (
            "target-specific obj-m",
            "$(obj)/compress/zstd_compress.o: obj-m += $(obj)/compress/zstd_compress.o\n",
        ),
        ("unknown directive", "load $(src)/obj-m-plugin.so\n"),
        (
            "unknown word at line start",
            "frobnicate obj-m += compress/zstd_compress.o\n",
        ),
        (
            ".RECIPEPREFIX",
            ".RECIPEPREFIX = >\n$(obj)/x.o: $(src)/x.c\n>echo x\n\tobj-m += compress/zstd_compress.o\n",
        ),
        (
            "expansion-only line",
            "$(call add-modules,compress/zstd_compress.o)\n",
        ),
    ];

    /// Each construct of HIDDEN_OBJ_M, which a line scanner read as a
    /// composite part (a passthrough where kbuild relinks), is unproven or
    /// an obj- listing.
    #[test]
    fn hidden_additions_to_obj_m_are_never_composite_parts() {
        let files = one("lib/zstd/Makefile", ZSTD);
        let rel = Path::new("compress/zstd_compress.o");
        assert!(matches!(
            classify(&files, rel, "zstd_compress", None),
            Listing::CompositePart(_)
        ));
        for (what, extra) in HIDDEN_OBJ_M {
            // The blank line ends ZSTD's last continuation.
            let text = format!("{ZSTD}\n{extra}");
            let got = classify(&one("lib/zstd/Makefile", &text), rel, "zstd_compress", None);
            assert!(
                matches!(got, Listing::NotProvable(_) | Listing::ObjList { .. }),
                "{what}: {got:?}"
            );
            // The reason names the file and the line of the construct.
            if let Listing::NotProvable(why) = &got {
                let line = ZSTD.lines().count() + 1;
                let lines = line..line + extra.lines().count() + 1;
                assert!(
                    lines
                        .clone()
                        .any(|n| why.starts_with(&format!("lib/zstd/Makefile:{n}: "))),
                    "{what}: {why}"
                );
            }
        }
    }

    /// Found by the make_lexer fuzz target: a `$` before a multi-byte
    /// character, and unclosed references, in names and message lines.
    #[test]
    fn odd_references_are_read_without_panicking() {
        for extra in [
            "obj-$\u{fffd}CONFIG_RAS_CEC)\t+= sub/foo.o",
            "obj-$(CONFIG_RAS_CEC += sub/foo.o",
            "obj-${CONFIG_X += sub/foo.o",
            "$(info \u{e9}",
            "$\u{e9}",
            "o$(\u{e9}) += sub/foo.o",
        ] {
            let text = format!("obj-m += foo.o\nfoo-y := sub/foo.o\n{extra}\n");
            let got = classify(&one("m", &text), Path::new("sub/foo.o"), "foo", None);
            assert!(
                !matches!(got, Listing::CompositePart(_)),
                "{extra}: {got:?}"
            );
        }
    }

    fn config(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Conditionals on CONFIG_ values are evaluated against the tree's
    /// configuration: a list assignment in a branch make skips is not
    /// seen, one in a branch make reads is; with the values unknown, a list
    /// assignment under a conditional is unproven, an unrelated one is not.
    #[test]
    fn conditionals_are_evaluated_on_the_configuration() {
        let rel = Path::new("compress/zstd_compress.o");
        let guarded = |cond: &str| {
            format!("{ZSTD}\n{cond}\nobj-m += compress/zstd_compress.o\nelse\nFLAGS := 1\nendif\n")
        };
        let classify_with = |text: &str, values: Option<&HashMap<String, String>>| {
            classify(
                &one("lib/zstd/Makefile", text),
                rel,
                "zstd_compress",
                values,
            )
        };
        let zstd = ("CONFIG_ZSTD_COMPRESS", "m");
        let set = config(&[zstd, ("CONFIG_EXTRA", "y"), ("CONFIG_MODE", "m")]);
        let unset = config(&[zstd, ("CONFIG_MODE", "y")]);
        for cond in [
            "ifdef CONFIG_EXTRA",
            "ifeq ($(CONFIG_EXTRA),y)",
            "ifneq ($(CONFIG_EXTRA),)",
            "ifeq \"$(CONFIG_MODE)\" 'm'",
            "ifneq (${CONFIG_EXTRA}, )",
        ] {
            let text = guarded(cond);
            assert!(
                matches!(classify_with(&text, Some(&set)), Listing::ObjList { .. }),
                "{cond} taken"
            );
            assert!(
                matches!(
                    classify_with(&text, Some(&unset)),
                    Listing::CompositePart(_)
                ),
                "{cond} skipped"
            );
            let why = match classify_with(&text, None) {
                Listing::NotProvable(why) => why,
                other => panic!("{cond} unknown: {other:?}"),
            };
            assert!(
                why.contains("cannot evaluate") && why.contains(cond),
                "{why}"
            );
        }
        // else ifeq chains: the first true branch only.
        let chain = format!(
            "{ZSTD}\nifdef CONFIG_MODE\nX := 1\nelse ifdef CONFIG_EXTRA\nobj-m += compress/zstd_compress.o\nendif\n"
        );
        let both = config(&[zstd, ("CONFIG_EXTRA", "y"), ("CONFIG_MODE", "y")]);
        assert!(matches!(
            classify_with(&chain, Some(&both)),
            Listing::CompositePart(_)
        ));
        assert!(matches!(
            classify_with(&chain, Some(&config(&[zstd, ("CONFIG_EXTRA", "y")]))),
            Listing::ObjList { .. }
        ));
        // A condition on anything but CONFIG_ values is unknown even with
        // the configuration; it is harmless around unrelated assignments.
        let shell = format!("{ZSTD}\nifeq ($(shell uname),Linux)\nccflags-y += -DX\nendif\n");
        assert!(matches!(
            classify_with(&shell, Some(&set)),
            Listing::CompositePart(_)
        ));
        let shell = format!(
            "{ZSTD}\nifeq ($(shell uname),Linux)\nzstd_compress-y += compress/zstd_opt.o\nendif\n"
        );
        assert!(matches!(
            classify_with(&shell, Some(&set)),
            Listing::NotProvable(_)
        ));
        // obj-$(CONFIG_...) is read with the value: unset builds nothing.
        let ti = |values: &HashMap<String, String>| {
            classify(
                &one("drivers/net/ethernet/ti/Makefile", TI),
                Path::new("icssg/icssg_prueth.o"),
                "icssg_prueth",
                Some(values),
            )
        };
        assert!(matches!(
            ti(&config(&[("CONFIG_TI_ICSSG_PRUETH", "m")])),
            Listing::CompositePart(_)
        ));
        assert!(matches!(ti(&config(&[])), Listing::NotProvable(_)));
        // A Makefile that assigns a CONFIG_ symbol makes its value unknown.
        let assigned = format!("CONFIG_EXTRA :=\n{}", guarded("ifdef CONFIG_EXTRA"));
        assert!(matches!(
            classify_with(&assigned, Some(&set)),
            Listing::NotProvable(_)
        ));
        // Unbalanced conditionals are no Makefile make reads.
        assert!(matches!(
            classify_with(&format!("{ZSTD}\nifdef CONFIG_MODE\n"), Some(&set)),
            Listing::NotProvable(_)
        ));
        assert!(matches!(
            classify_with(&format!("{ZSTD}\nendif\n"), Some(&set)),
            Listing::NotProvable(_)
        ));
    }

    /// An object in obj-m and in a composite's list (KBUILD_BASENAME
    /// fmpm, KBUILD_MODNAME ras): kbuild's obj-m wins, so the listing is
    /// obj-m's, in whatever spelling. Other constructs that touch the lists
    /// in ways the reader does not model are unproven.
    #[test]
    fn obj_m_wins_and_unmodelled_list_changes_are_unproven() {
        let both =
            "obj-m += ras.o\nras-y := core.o amd/fmpm.o\nobj-$(CONFIG_RAS) += ./amd//fmpm.o\n";
        assert!(matches!(
            classify(&one("m", both), Path::new("amd/fmpm.o"), "ras", None),
            Listing::ObjList { .. }
        ));
        let rel = Path::new("compress/zstd_compress.o");
        for extra in [
            "override obj-m += other.o",
            "undefine obj-m",
            "obj-m != echo other.o",
            "zstd_compress-y != echo",
            "obj-y += $(extra-objs)",
            "x.o: y\nifdef CONFIG_A\nFOO = 1\nendif\n\tobj-m += other.o",
            "define obj-y\nother.o\n",
            "ts := $(obj)/x.o: obj-m += $(obj)/other.o\n$(ts) $(obj)/y.o: $(src)/y.c",
            "obj := $(obj)/x.o: obj-m += $(obj)/other.o",
        ] {
            let text = format!("{ZSTD}\n{extra}\n");
            let got = classify(&one("m", &text), rel, "zstd_compress", None);
            assert!(matches!(got, Listing::NotProvable(_)), "{extra}: {got:?}");
        }
        // Harmless: messages, exports, vpath, unrelated computed names,
        // a real recipe, a target-specific flag.
        let harmless = "$(info a) $(warning b)\nexport KCFLAGS\nvpath %.c $(src)\nCFLAGS_$(x).o += -O2\n$(obj)/x.o: CFLAGS += -O0\n$(obj)/y.h: $(src)/y.txt\n\t$(call cmd,gen)\n";
        let text = format!("{ZSTD}\n{harmless}");
        assert_eq!(
            classify(&one("lib/zstd/Makefile", &text), rel, "zstd_compress", None),
            part("zstd_compress", "lib/zstd/Makefile", "zstd_compress-y")
        );
    }

    fn one(name: &str, text: &str) -> Vec<(String, Vec<Statement>)> {
        vec![(name.to_string(), statements(text))]
    }

    fn part(module: &str, file: &str, variable: &str) -> Listing {
        Listing::CompositePart(CompositePart {
            module: module.into(),
            file: file.into(),
            variable: variable.into(),
        })
    }

    #[test]
    fn zstd_parts_are_composite_parts() {
        let files = one("lib/zstd/Makefile", ZSTD);
        for (rel, module) in [
            ("compress/zstd_compress.o", "zstd_compress"),
            ("decompress/zstd_decompress.o", "zstd_decompress"),
            ("common/zstd_common.o", "zstd_common"),
        ] {
            let got = classify(&files, Path::new(rel), module, None);
            assert_eq!(
                got,
                part(module, "lib/zstd/Makefile", &format!("{module}-y")),
                "{rel}"
            );
        }
        assert_eq!(
            part("zstd_compress", "lib/zstd/Makefile", "zstd_compress-y").to_string(),
            "part of composite module zstd_compress (lib/zstd/Makefile: zstd_compress-y)"
        );
    }

    #[test]
    fn icssg_parts_are_found_through_name_fixing() {
        let files = one("drivers/net/ethernet/ti/Makefile", TI);
        assert_eq!(
            classify(
                &files,
                Path::new("icssg/icssg_prueth.o"),
                "icssg_prueth",
                None
            ),
            part(
                "icssg-prueth",
                "drivers/net/ethernet/ti/Makefile",
                "icssg-prueth-y"
            )
        );
        assert_eq!(
            classify(
                &files,
                Path::new("icssg/icssg_prueth_sr1.o"),
                "icssg_prueth_sr1",
                None
            ),
            part(
                "icssg-prueth-sr1",
                "drivers/net/ethernet/ti/Makefile",
                "icssg-prueth-sr1-y"
            )
        );
    }

    #[test]
    fn kvmgt_part_is_found_in_the_included_file() {
        let files = vec![
            (
                "drivers/gpu/drm/i915/Makefile".to_string(),
                statements(I915),
            ),
            (
                "drivers/gpu/drm/i915/gvt/Makefile".to_string(),
                statements(I915_GVT),
            ),
        ];
        assert_eq!(
            classify(&files, Path::new("gvt/kvmgt.o"), "kvmgt", None),
            part(
                "kvmgt",
                "drivers/gpu/drm/i915/gvt/Makefile",
                "kvmgt-$(CONFIG_DRM_I915_GVT)"
            )
        );
    }

    #[test]
    fn obj_m_in_a_subdirectory_is_a_single_object_module() {
        assert_eq!(
            classify(
                &one("drivers/ras/Makefile", RAS),
                Path::new("amd/fmpm.o"),
                "fmpm",
                None
            ),
            Listing::ObjList {
                file: "drivers/ras/Makefile".into(),
                variable: "obj-$(CONFIG_RAS_FMPM)".into()
            }
        );
        assert_eq!(
            classify(
                &one("drivers/net/ethernet/ti/Makefile", TI),
                Path::new("icssg/icss_iep.o"),
                "icss_iep",
                None
            ),
            Listing::ObjList {
                file: "drivers/net/ethernet/ti/Makefile".into(),
                variable: "obj-$(CONFIG_TI_ICSS_IEP)".into()
            }
        );
        // Listed both ways: kbuild's obj-m wins, and so does the forward.
        let both = format!("{ZSTD}\nobj-m += ./compress/zstd_compress.o\n");
        assert!(matches!(
            classify(
                &one("m", &both),
                Path::new("compress/zstd_compress.o"),
                "zstd_compress",
                None
            ),
            Listing::ObjList { .. }
        ));
    }

    #[test]
    fn directly_in_obj_is_always_a_single_object_module() {
        let files = one("lib/zstd/Makefile", ZSTD);
        assert_eq!(
            classify(&files, Path::new("zstd_compress.o"), "zstd_compress", None),
            Listing::InObjDir
        );
        let make = KbuildMake {
            srctree: "/nonexistent".into(),
            obj: "lib".into(),
            src: "/nonexistent/lib".into(),
        };
        assert_eq!(
            listing(
                &make,
                Path::new("/"),
                Path::new("lib/crc16.o"),
                "crc16",
                None
            ),
            Listing::InObjDir
        );
    }

    #[test]
    fn anything_unsure_is_not_provable() {
        let not_provable = |text: &str, rel: &str, modname: &str| {
            matches!(
                classify(&one("m", text), Path::new(rel), modname, None),
                Listing::NotProvable(_)
            )
        };
        // the composite is not the module kbuild named
        assert!(not_provable(
            ZSTD,
            "compress/zstd_compress.o",
            "zstd_common"
        ));
        // the part is not listed at all
        assert!(not_provable(ZSTD, "compress/other.o", "other"));
        // listed, but no obj- list builds the composite
        assert!(not_provable("foo-y := sub/foo.o\n", "sub/foo.o", "foo"));
        // something could add the part to obj-m unseen
        assert!(not_provable(
            &format!("{ZSTD}\nobj-m += $(extra-modules)\n"),
            "compress/zstd_compress.o",
            "zstd_compress"
        ));
        assert!(not_provable(
            &format!("{ZSTD}\n$(eval obj-m += compress/zstd_compress.o)\n"),
            "compress/zstd_compress.o",
            "zstd_compress"
        ));
        assert!(not_provable(
            &format!("{ZSTD}\n$(kind)-m += compress/zstd_compress.o\n"),
            "compress/zstd_compress.o",
            "zstd_compress"
        ));
        // a bare `-` suffix (CONFIG unset) is never compiled: not evidence
        assert!(not_provable(
            "obj-m += foo.o\nfoo- += sub/foo.o\n",
            "sub/foo.o",
            "foo"
        ));
    }

    #[test]
    fn statements_follow_make_syntax() {
        // GNU make 4.3 reads a tab-led line after a rule as its recipe even
        // across a blank line and a conditional (`make -p` lists
        // `qux-objs = q.o` in x.o's recipe), so only the unindented
        // assignment inside the conditional is a statement.
        let text = "\
# a comment \\
foo-y += not/seen.o
export bar-y := a.o \\
   b.o # trailing
define body
baz-y += hidden.o
endef
$(obj)/x.o: $(src)/x.c
\tfake-y += recipe.o

ifdef CONFIG_X
\tqux-objs = q.o
quux-objs = q.o
endif
esc := a\\#b
sinclude $(src)/extra.mk
";
        let read: Vec<String> = statements(text)
            .into_iter()
            .map(|s| match s {
                Statement::Include { optional, paths } => format!("include {optional} {paths:?}"),
                Statement::Line(Line { number, kind }) => match kind {
                    Kind::Assign { var, value, .. } => format!(
                        "{number}: {var} = {:?}",
                        value.split_whitespace().collect::<Vec<_>>()
                    ),
                    Kind::Define { var, .. } => format!("{number}: define {var}"),
                    Kind::Rule { .. } => format!("{number}: rule"),
                    Kind::Recipe { text } => format!("{number}: recipe {text}"),
                    Kind::If { directive, .. } => format!("{number}: {directive}"),
                    Kind::Endif => format!("{number}: endif"),
                    other => format!("{number}: {other:?}"),
                },
            })
            .collect();
        assert_eq!(
            read,
            [
                "3: bar-y = [\"a.o\", \"b.o\"]",
                "5: define body",
                "8: rule",
                "9: recipe fake-y += recipe.o",
                "11: ifdef",
                "12: recipe qux-objs = q.o",
                "13: quux-objs = [\"q.o\"]",
                "14: endif",
                "15: esc = [\"a\\\\#b\"]",
                "include true [\"$(src)/extra.mk\"]",
            ]
        );
        assert_eq!(name_fix("icssg-prueth,sr1"), "icssg_prueth_sr1");
    }

    fn argv(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn kbuild_make_is_read_from_its_command_line() {
        let out_of_tree = argv(&[
            "make",
            "-f",
            "/usr/src/linux/scripts/Makefile.build",
            "obj=lib/zstd",
            "need-builtin=1",
            "need-modorder=1",
        ]);
        assert_eq!(
            parse_argv(&out_of_tree),
            Ok(("/usr/src/linux".into(), "lib/zstd".into()))
        );
        let in_tree = argv(&[
            "/usr/bin/make",
            "--file=./scripts/Makefile.build",
            "obj=./drivers/ras",
        ]);
        assert_eq!(parse_argv(&in_tree), Ok((".".into(), "drivers/ras".into())));
        assert_eq!(
            parse_argv(&argv(&["make", "-fscripts/Makefile.build", "obj=."])),
            Ok((".".into(), ".".into()))
        );
        // 6.12's external modules: obj= is M= as given.
        assert_eq!(
            parse_argv(&argv(&[
                "make",
                "-f",
                "/k/scripts/Makefile.build",
                "obj=/home/u/mod"
            ])),
            Ok(("/k".into(), "/home/u/mod".into()))
        );
        for bad in [
            &["make", "-C", "/k", "vmlinux"][..],
            &["make", "-f", "/k/Makefile", "obj=lib"],
            &["make", "-f", "/k/scripts/Makefile.buildx", "obj=lib"],
            &["make", "-f", "/k/scripts/Makefile.build"],
            &["make", "-f", "/k/scripts/Makefile.build", "obj=a", "obj=b"],
            &[
                "make",
                "-f",
                "/k/scripts/Makefile.build",
                "-f",
                "/k/x.mk",
                "obj=a",
            ],
            &["make", "-f", "/k/scripts/Makefile.build", "obj=../a"],
        ] {
            assert!(parse_argv(&argv(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn listing_reads_the_tree_like_kbuild() {
        let tree = tempfile::tempdir().unwrap();
        let srctree = tree.path().join("src");
        let dir = srctree.join("drivers/gpu/drm/i915");
        std::fs::create_dir_all(dir.join("gvt")).unwrap();
        std::fs::write(dir.join("Makefile"), I915).unwrap();
        std::fs::write(dir.join("gvt/Makefile"), I915_GVT).unwrap();
        let make = KbuildMake {
            srctree: srctree.clone(),
            obj: "drivers/gpu/drm/i915".into(),
            src: srctree.join("drivers/gpu/drm/i915"),
        };
        let got = listing(
            &make,
            tree.path(),
            Path::new("drivers/gpu/drm/i915/gvt/kvmgt.o"),
            "kvmgt",
            None,
        );
        assert_eq!(
            got,
            part(
                "kvmgt",
                "drivers/gpu/drm/i915/gvt/Makefile",
                "kvmgt-$(CONFIG_DRM_I915_GVT)"
            )
        );
        // A Kbuild file is what kbuild reads when there is one.
        std::fs::write(dir.join("Kbuild"), RAS).unwrap();
        assert!(matches!(
            listing(
                &make,
                tree.path(),
                Path::new("drivers/gpu/drm/i915/gvt/kvmgt.o"),
                "kvmgt",
                None
            ),
            Listing::NotProvable(_)
        ));
        std::fs::remove_file(dir.join("Kbuild")).unwrap();
        // An include that cannot be followed makes the lists unknowable.
        std::fs::write(
            dir.join("Makefile"),
            format!("{I915}include $(objtree)/x.mk\n"),
        )
        .unwrap();
        let got = listing(
            &make,
            tree.path(),
            Path::new("drivers/gpu/drm/i915/gvt/kvmgt.o"),
            "kvmgt",
            None,
        );
        assert!(
            matches!(&got, Listing::NotProvable(why) if why.contains("cannot be followed")),
            "{got:?}"
        );
        // No kbuild file at all.
        let missing = KbuildMake {
            srctree: srctree.clone(),
            obj: "drivers/none".into(),
            src: srctree.join("drivers/none"),
        };
        assert!(matches!(
            listing(&missing, tree.path(), Path::new("drivers/none/sub/a.o"), "a", None),
            Listing::NotProvable(why) if why.contains("drivers/none/Makefile")
        ));
        // Not under obj.
        assert!(matches!(
            listing(&make, tree.path(), Path::new("lib/sub/a.o"), "a", None),
            Listing::NotProvable(_)
        ));
    }

    use crate::kbuild::test_rng::Rng;

    /// What an inserted line does when make reads it as a statement.
    #[derive(Clone, Copy, PartialEq)]
    enum Effect {
        /// Adds the part (`{o}`) to obj-m.
        AddsPart,
        /// Changes how other lines read (rules, conditionals) or what
        /// obj-m holds in ways that are not an addition.
        Context,
        /// Makes the next line part of a comment: it can take a base
        /// line away, as make does.
        Swallows,
        Other,
    }

    /// Unknown or hostile make lines; `{o}` is the part, `{m}` its module
    /// as the file spells it.
    const INSERTS: &[(Effect, &str)] = &[
        (Effect::AddsPart, "obj-m += {o}"),
        (Effect::AddsPart, "obj-m+=./{o}"),
        (Effect::AddsPart, "obj-m += {o} # trailing"),
        (Effect::AddsPart, "\tobj-m += {o}"),
        (Effect::AddsPart, "$(info x)\n\tobj-m += {o}"),
        (Effect::AddsPart, "export FOO\n\tobj-m += {o}"),
        (Effect::AddsPart, "define obj-m +=\n{o}\nendef"),
        (
            Effect::AddsPart,
            "define add\nobj-m += {o}\nendef\n$(eval $(add))",
        ),
        (
            Effect::AddsPart,
            "define add\n$(eval obj-m += $(1))\nendef\n$(call add,{o})",
        ),
        (Effect::AddsPart, "$(eval obj-m += {o})"),
        (Effect::AddsPart, "$(foreach p,{o},$(eval obj-m += $(p)))"),
        (Effect::AddsPart, "o$(empty)bj-m += {o}"),
        (Effect::AddsPart, "ob$(shell echo j)-m += {o}"),
        (Effect::AddsPart, "$(call id,obj-m) += {o}"),
        (Effect::AddsPart, "export obj-m += {o}"),
        (Effect::AddsPart, "override obj-m += {o}"),
        (Effect::AddsPart, "private obj-m += {o}"),
        (Effect::AddsPart, "obj-m ::= $(obj-m) {o}"),
        (Effect::AddsPart, "extra := {o}\nobj-m += $(extra)"),
        (Effect::AddsPart, "obj-m += $(addprefix ./,{o})"),
        (Effect::AddsPart, "$(obj)/{o}: obj-m += $(obj)/{o}"),
        (Effect::AddsPart, ".RECIPEPREFIX = >\n\tobj-m += {o}"),
        (
            Effect::AddsPart,
            "$(obj)/x.o: $(src)/x.c\n\techo x\n$(info x)\n\tobj-m += {o}",
        ),
        (
            Effect::AddsPart,
            "$(obj)/x.o: $(src)/x.c\n\techo x\nexport X\n\tobj-m += {o}",
        ),
        (
            Effect::AddsPart,
            "$(obj)/x.o: $(src)/x.c\nX := 1\n\tobj-m += {o}",
        ),
        (
            Effect::AddsPart,
            "ts := $(obj)/{o}: obj-m += $(obj)/{o}\n$(ts)",
        ),
        (
            Effect::AddsPart,
            "ts := $(obj)/{o}: obj-m += $(obj)/{o}\n$(ts) $(obj)/y.o: $(src)/y.c",
        ),
        (Effect::Context, "$(obj)/x.o: $(src)/x.c"),
        (Effect::Context, "\techo {o}"),
        (Effect::Context, "ifdef KBUILD_EXTRA"),
        (Effect::Context, "ifeq ($(origin X),undefined)"),
        (Effect::Context, "ifneq ($(CC_IS_CLANG),y)"),
        (Effect::Context, "else"),
        (Effect::Context, "endif"),
        (Effect::Context, "undefine obj-m"),
        (Effect::Context, "obj-m := $(filter-out {o},$(obj-m))"),
        (Effect::Context, "define body"),
        (Effect::Context, "endef"),
        (Effect::Context, "{m}-y += other.o"),
        (Effect::Other, "include $(src)/extra.mk"),
        (Effect::Other, "-include $(src)/extra/*.mk"),
        (Effect::Other, "vpath %.c $(src)"),
        (Effect::Other, "load $(src)/plugin.so"),
        (Effect::Other, "frobnicate {o}"),
        (Effect::Other, "$(info {o})"),
        (Effect::Other, "$(shell echo obj-m += {o})"),
        (Effect::Other, "$(x)-y += {o}"),
        (Effect::Other, "CFLAGS_$(x).o += -O2"),
        (Effect::Other, "export"),
        (Effect::Other, "unexport obj-m"),
        (Effect::Swallows, "# comment \\"),
        (Effect::Other, "ccflags-y += -I$(src)"),
    ];

    /// Random unknown make lines inserted into the real kbuild Makefiles
    /// quoted above never turn a forward (not provable, an obj- listing,
    /// directly in obj) into a composite part, and a line that adds the
    /// part to obj-m (in any spelling) never leaves a composite part
    /// standing.
    #[test]
    fn random_make_lines_never_make_a_composite_part() {
        let zstd = "lib/zstd/Makefile";
        let ti = "drivers/net/ethernet/ti/Makefile";
        let i915 = "drivers/gpu/drm/i915/Makefile";
        let gvt = "drivers/gpu/drm/i915/gvt/Makefile";
        let both = format!("{ZSTD}\nobj-m += ./compress/zstd_compress.o\n");
        // (files, part, KBUILD_MODNAME, the module as the file spells it)
        type Base<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str, &'a str);
        #[rustfmt::skip]
        let bases: Vec<Base> = vec![
            (vec![(zstd, ZSTD)], "compress/zstd_compress.o", "zstd_compress", "zstd_compress"),
            (vec![(zstd, ZSTD)], "decompress/zstd_decompress.o", "zstd_decompress", "zstd_decompress"),
            (vec![(zstd, ZSTD)], "common/zstd_common.o", "zstd_common", "zstd_common"),
            (vec![(zstd, ZSTD)], "compress/zstd_compress.o", "zstd_common", "zstd_common"),
            (vec![(zstd, ZSTD)], "zstd_compress.o", "zstd_compress", "zstd_compress"),
            (vec![(zstd, &both)], "compress/zstd_compress.o", "zstd_compress", "zstd_compress"),
            (vec![(ti, TI)], "icssg/icssg_prueth.o", "icssg_prueth", "icssg-prueth"),
            (vec![(ti, TI)], "icssg/icssg_prueth_sr1.o", "icssg_prueth_sr1", "icssg-prueth-sr1"),
            (vec![(ti, TI)], "icssg/icss_iep.o", "icss_iep", "icss_iep"),
            (vec![(i915, I915), (gvt, I915_GVT)], "gvt/kvmgt.o", "kvmgt", "kvmgt"),
            (vec![("drivers/ras/Makefile", RAS)], "amd/fmpm.o", "fmpm", "fmpm"),
        ];
        let values = config(&[
            ("CONFIG_ZSTD_COMPRESS", "m"),
            ("CONFIG_ZSTD_DECOMPRESS", "m"),
            ("CONFIG_ZSTD_COMMON", "m"),
            ("CONFIG_TI_ICSSG_PRUETH", "m"),
            ("CONFIG_TI_ICSSG_PRUETH_SR1", "m"),
            ("CONFIG_TI_ICSS_IEP", "m"),
            ("CONFIG_DRM_I915", "m"),
            ("CONFIG_DRM_I915_GVT", "y"),
            ("CONFIG_DRM_I915_GVT_KVMGT", "m"),
            ("CONFIG_RAS_FMPM", "m"),
        ]);
        let read = |files: &[(&str, String)], rel: &str, modname: &str, known: bool| {
            let files: Vec<(String, Vec<Statement>)> = files
                .iter()
                .map(|(name, text)| (name.to_string(), statements(text)))
                .collect();
            classify(&files, Path::new(rel), modname, known.then_some(&values))
        };
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut composite_bases = 0;
        let mut adds_checked = 0;
        let cases = 8000;
        for case in 0..cases {
            let (files, rel, modname, module) = &bases[rng.below(bases.len())];
            let known = rng.below(2) == 0;
            let mut files: Vec<(&str, String)> =
                files.iter().map(|(n, t)| (*n, t.to_string())).collect();
            let before = read(&files, rel, modname, known);
            if matches!(before, Listing::CompositePart(_)) {
                composite_bases += 1;
            }
            let mut effects = Vec::new();
            let mut inserted = Vec::new();
            for _ in 0..1 + rng.below(3) {
                let (effect, line) = INSERTS[rng.below(INSERTS.len())];
                let line = line.replace("{o}", rel).replace("{m}", module);
                let which = rng.below(files.len());
                let text = &mut files[which].1;
                // Between logical lines: after a line that does not
                // continue (a line inside a continuation is a value).
                let mut cuts = vec![0];
                let mut offset = 0;
                for physical in text.split_inclusive('\n') {
                    offset += physical.len();
                    if !physical.trim_end_matches('\n').ends_with('\\') {
                        cuts.push(offset);
                    }
                }
                let at = cuts[rng.below(cuts.len())];
                text.insert_str(at, &format!("{line}\n"));
                effects.push(effect);
                inserted.push(line);
            }
            let after = read(&files, rel, modname, known);
            let shown = || format!("case {case} ({rel}, known {known}): {inserted:?}\n{files:?}");
            if !matches!(before, Listing::CompositePart(_)) && !effects.contains(&Effect::Swallows)
            {
                assert!(
                    !matches!(after, Listing::CompositePart(_)),
                    "a forward became a passthrough: {}\n{after:?}",
                    shown()
                );
            }
            let neutral =
                !effects.contains(&Effect::Context) && !effects.contains(&Effect::Swallows);
            if effects.contains(&Effect::AddsPart) && neutral {
                adds_checked += 1;
                assert!(
                    !matches!(after, Listing::CompositePart(_)),
                    "an addition to obj-m left a passthrough: {}\n{after:?}",
                    shown()
                );
            }
        }
        assert!(composite_bases > cases / 2, "{composite_bases}");
        assert!(adds_checked > cases / 5, "{adds_checked}");
    }
}
