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
//!   the file could add it to `obj-m` unseen (`$(eval`, an `obj-` value or a
//!   variable name built from expansions). Anything else is not provable,
//!   and the caller forwards.
//!
//! `$(obj)` and `srctree` come from the command line of the make that runs
//! the recipe: kbuild's `build := -f $(srctree)/scripts/Makefile.build obj`;
//! `$(src)`, where the kbuild file is, from the tree's own rule
//! ([`crate::kbuild::tree::SrcRule`]).

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::kbuild::tree::{Exported, SrcRule, MAKEFILE_BUILD};
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
        let text = read_makefile(&cwd.join(&makefile_build))
            .map_err(|e| format!("{}: {e}", makefile_build.display()))?;
        let src = SrcRule::parse(&text)?.src(&obj, exported)?;
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

/// One make statement the lists are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// `var op value` (op one of `=`, `:=`, `::=`, `:::=`, `+=`, `?=`, `!=`).
    Assign { var: String, value: Vec<String> },
    /// `include`, `-include`, `sinclude`.
    Include { optional: bool, paths: Vec<String> },
    /// A line that calls `$(eval ...)`: it can assign anything.
    Eval,
}

/// The make statements of a kbuild file that can matter: assignments,
/// includes, evals. Backslash-newline continues a line (also a comment);
/// `#` starts a comment; `define ... endef` bodies and the recipe lines of
/// rules are not statements. Conditionals are ignored, so both branches
/// count: a superset, which only ever makes more objects unprovable.
pub fn statements(text: &str) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut in_define = 0usize;
    let mut in_recipe = false;
    for line in logical_lines(text) {
        if in_recipe && line.starts_with('\t') {
            if line.contains("$(eval") || line.contains("${eval") {
                out.push(Statement::Eval);
            }
            continue;
        }
        let line = strip_comment(&line);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        in_recipe = false;
        let first = line.split_whitespace().next().unwrap_or("");
        if in_define > 0 {
            match first {
                "endef" => in_define -= 1,
                "define" => in_define += 1,
                _ => {}
            }
            continue;
        }
        if line.contains("$(eval") || line.contains("${eval") {
            out.push(Statement::Eval);
        }
        let rest = line[first.len()..].trim_start();
        match first {
            "define" => {
                in_define = 1;
                continue;
            }
            "ifeq" | "ifneq" | "ifdef" | "ifndef" | "else" | "endif" | "vpath" | "unexport" => {
                continue
            }
            "include" | "-include" | "sinclude" => {
                out.push(Statement::Include {
                    optional: first != "include",
                    paths: rest.split_whitespace().map(String::from).collect(),
                });
                continue;
            }
            _ => {}
        }
        let mut body = line;
        loop {
            let word = body.split_whitespace().next().unwrap_or("");
            if matches!(word, "export" | "override" | "private") && body.len() > word.len() {
                body = body[word.len()..].trim_start();
            } else {
                break;
            }
        }
        match split_assignment(body) {
            Some((var, value)) => out.push(Statement::Assign {
                var: var.to_string(),
                value: value.split_whitespace().map(String::from).collect(),
            }),
            // A rule: its tab-led lines are recipe, not make syntax.
            None => in_recipe = true,
        }
    }
    out
}

/// Lines with backslash-newline continuations joined (an odd number of
/// trailing backslashes continues the line).
fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let backslashes = raw.len() - raw.trim_end_matches('\\').len();
        if backslashes % 2 == 1 {
            current.push_str(&raw[..raw.len() - 1]);
            current.push(' ');
        } else {
            current.push_str(raw);
            lines.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// The line up to its first `#` not escaped by a backslash.
fn strip_comment(line: &str) -> &str {
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

/// Make's own test: the first `=` or `:` outside a variable reference
/// decides. `=` (after `+`, `?`, `!`, or `:`s) is an assignment; a `:`
/// that does not lead to `=` is a rule.
fn split_assignment(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if matches!(bytes.get(i + 1), Some(b'(' | b'{')) => {
                depth += 1;
                i += 1;
            }
            b'(' | b'{' if depth > 0 => depth += 1,
            b')' | b'}' if depth > 0 => depth -= 1,
            b'=' if depth == 0 => {
                let var = line[..i].trim_end_matches(['+', '?', '!']).trim_end();
                return Some((var, &line[i + 1..]));
            }
            b':' if depth == 0 => {
                let colons = bytes[i..].iter().take_while(|&&c| c == b':').count();
                if colons <= 3 && bytes.get(i + colons) == Some(&b'=') {
                    return Some((line[..i].trim_end(), &line[i + colons + 1..]));
                }
                return None;
            }
            _ => {}
        }
        i += 1;
    }
    None
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
pub fn classify(files: &[(String, Vec<Statement>)], rel: &Path, modname: &str) -> Listing {
    let rel = normalize(rel);
    if rel.parent().is_none_or(|p| p.as_os_str().is_empty()) {
        return Listing::InObjDir;
    }
    let lists = |word: &str, target: &Path| normalize(Path::new(word)) == target;
    let mut composite_names = Vec::new();
    let mut parts = Vec::new();
    for (file, statements) in files {
        for statement in statements {
            let (var, value) = match statement {
                Statement::Eval => {
                    return Listing::NotProvable(format!("{file} calls $(eval ...)"));
                }
                Statement::Include { .. } => continue,
                Statement::Assign { var, value } => (var, value),
            };
            if var.starts_with('$') {
                if value.iter().any(|w| lists(w, &rel) || w.contains('$')) {
                    return Listing::NotProvable(format!(
                        "{file}: {var} is a variable name built from expansions"
                    ));
                }
                continue;
            }
            if var.starts_with("obj-") {
                if value.iter().any(|w| lists(w, &rel)) {
                    return Listing::ObjList {
                        file: file.clone(),
                        variable: var.clone(),
                    };
                }
                if let Some(w) = value.iter().find(|w| w.contains('$')) {
                    return Listing::NotProvable(format!("{file}: {var} holds an expansion ({w})"));
                }
                composite_names.extend(value.iter().cloned());
                continue;
            }
            if let Some(module) = composite_of(var) {
                if name_fix(module) == modname && value.iter().any(|w| lists(w, &rel)) {
                    parts.push(CompositePart {
                        module: module.to_string(),
                        file: file.clone(),
                        variable: var.clone(),
                    });
                }
            }
        }
    }
    let listed = |part: &CompositePart| {
        let object = PathBuf::from(format!("{}.o", part.module));
        composite_names.iter().any(|w| lists(w, &object))
    };
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
pub fn listing(make: &KbuildMake, cwd: &Path, input: &Path, modname: &str) -> Listing {
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
    classify(&files, &rel, modname)
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
            let got = classify(&files, Path::new(rel), module);
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
            classify(&files, Path::new("icssg/icssg_prueth.o"), "icssg_prueth"),
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
                "icssg_prueth_sr1"
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
            classify(&files, Path::new("gvt/kvmgt.o"), "kvmgt"),
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
                "fmpm"
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
                "icss_iep"
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
                "zstd_compress"
            ),
            Listing::ObjList { .. }
        ));
    }

    #[test]
    fn directly_in_obj_is_always_a_single_object_module() {
        let files = one("lib/zstd/Makefile", ZSTD);
        assert_eq!(
            classify(&files, Path::new("zstd_compress.o"), "zstd_compress"),
            Listing::InObjDir
        );
        let make = KbuildMake {
            srctree: "/nonexistent".into(),
            obj: "lib".into(),
            src: "/nonexistent/lib".into(),
        };
        assert_eq!(
            listing(&make, Path::new("/"), Path::new("lib/crc16.o"), "crc16"),
            Listing::InObjDir
        );
    }

    #[test]
    fn anything_unsure_is_not_provable() {
        let not_provable = |text: &str, rel: &str, modname: &str| {
            matches!(
                classify(&one("m", text), Path::new(rel), modname),
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
endif
esc := a\\#b
sinclude $(src)/extra.mk
";
        assert_eq!(
            statements(text),
            vec![
                Statement::Assign {
                    var: "bar-y".into(),
                    value: vec!["a.o".into(), "b.o".into()]
                },
                Statement::Assign {
                    var: "qux-objs".into(),
                    value: vec!["q.o".into()]
                },
                Statement::Assign {
                    var: "esc".into(),
                    value: vec!["a\\#b".into()]
                },
                Statement::Include {
                    optional: true,
                    paths: vec!["$(src)/extra.mk".into()]
                },
            ]
        );
        assert_eq!(split_assignment("a ::= b"), Some(("a", " b")));
        assert_eq!(
            split_assignment("x-$(CONFIG_A:y=m) ?= c"),
            Some(("x-$(CONFIG_A:y=m)", " c"))
        );
        assert_eq!(split_assignment("$(obj)/a.o: CFLAGS += -O0"), None);
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
                "kvmgt"
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
            listing(&missing, tree.path(), Path::new("drivers/none/sub/a.o"), "a"),
            Listing::NotProvable(why) if why.contains("drivers/none/Makefile")
        ));
        // Not under obj.
        assert!(matches!(
            listing(&make, tree.path(), Path::new("lib/sub/a.o"), "a"),
            Listing::NotProvable(_)
        ));
    }
}
