//! The folders are layers (docs/design.md, "Architecture"). These tests read the
//! crate's own sources and fail on a `crate::`/`super::` path that runs up a
//! layer, on a circle between files, and on a top-level module no layer
//! names, so the README's map cannot drift from the code unnoticed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top to bottom: a module may use modules of its own layer and of the
/// layers below it. `main.rs` is the binary and reaches the library by its
/// crate name, so it is not listed.
const LAYERS: &[&[&str]] = &[
    &["app", "cli"],
    &["commands"],
    &["record"],
    &["relink"],
    &["link"],
    &["environment"],
    &["kbuild"],
    &["bitcode"],
    &[
        "child",
        "exit",
        "logging",
        "lto",
        "output",
        "paths",
        "procfs",
        "regular_file",
        "spelling",
        "toolchains",
    ],
];

/// Files the scan leaves out: the crate root only declares modules, the
/// binary uses the crate by name, and this file's samples are not imports.
const NOT_SCANNED: &[&str] = &["lib.rs", "main.rs", "layers.rs"];

type Module = Vec<String>;

/// One path a source file names: from which module, to which, and whether
/// it is in the file's inline (test) module.
#[derive(Debug)]
struct Reference {
    from: Module,
    to: Module,
    in_tests: bool,
}

/// `kbuild/recipe.rs` is `kbuild::recipe`, `bitcode/mod.rs` is `bitcode`.
fn module_of(relative: &str) -> Module {
    let mut segments: Module = relative
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_string)
        .collect();
    if segments.last().is_some_and(|s| s == "mod") {
        segments.pop();
    }
    segments
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The identifier at the start of `text` and what follows it.
fn split_ident(text: &str) -> (&str, &str) {
    let end = text.find(|c| !is_ident_char(c)).unwrap_or(text.len());
    text.split_at(end)
}

/// Every module path a `crate::`/`super::` path at the start of `text`
/// names: `crate::a::{b::C, self}` names `a::b` and `a` (relative to
/// `base`, the module `crate`/`super` stand for).
fn paths_named(mut base: Module, text: &str) -> Vec<Module> {
    let mut rest = text;
    loop {
        if let Some(r) = rest.strip_prefix("::{") {
            let inside = &r[..group_end(r)];
            return split_top_level(inside)
                .into_iter()
                .flat_map(|item| {
                    let item = item.trim();
                    if item.is_empty() || item == "self" || item.starts_with("self ") {
                        vec![base.clone()]
                    } else {
                        paths_named(base.clone(), &format!("::{item}"))
                    }
                })
                .collect();
        }
        let Some(r) = rest.strip_prefix("::") else {
            return vec![base];
        };
        let (ident, after) = split_ident(r);
        if ident.is_empty() {
            return vec![base];
        }
        base.push(ident.to_string());
        rest = after;
    }
}

/// Where the `{` group that `text` opens ends (its length without `}`).
fn group_end(text: &str) -> usize {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

fn split_top_level(text: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                items.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&text[start..]);
    items
}

/// The references in one file. A use statement spread over lines is read
/// joined; everything after the first inline `mod x {` is that module's
/// (the tests'), where `super` is the file itself.
fn references_in(module: &Module, text: &str, modules: &BTreeSet<Module>) -> Vec<Reference> {
    let mut found = Vec::new();
    let mut in_tests = false;
    let code: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect();
    let joined = code.join("\n");
    let mut offset = 0;
    for line in joined.split_inclusive('\n') {
        let words: Vec<&str> = line.split_whitespace().collect();
        let declared = match words.split_first() {
            Some((visibility, rest)) if visibility.starts_with("pub") => rest,
            _ => &words[..],
        };
        in_tests |= matches!(declared, ["mod", _, "{"]);
        let mut scope = module.clone();
        if in_tests {
            scope.push("tests".into());
        }
        for (at, _) in line
            .match_indices("crate::")
            .chain(line.match_indices("super::"))
        {
            let start = offset + at;
            // After `::` it is the inner `super` of a `super::super::` run,
            // already read from the run's start.
            if joined[..start].ends_with(is_ident_char) || joined[..start].ends_with("::") {
                continue;
            }
            let mut rest = &joined[start..];
            let mut base = if rest.starts_with("crate") {
                rest = &rest["crate".len()..];
                Vec::new()
            } else {
                scope.clone()
            };
            while let Some(r) = rest
                .strip_prefix("super")
                .or_else(|| rest.strip_prefix("::super"))
            {
                base.pop();
                rest = r;
            }
            for named in paths_named(base, rest) {
                let to = (0..=named.len())
                    .rev()
                    .map(|n| named[..n].to_vec())
                    .find(|prefix| modules.contains(prefix))
                    .unwrap_or_default();
                if !to.is_empty() && &to != module {
                    found.push(Reference {
                        from: module.clone(),
                        to,
                        in_tests,
                    });
                }
            }
        }
        offset += line.len();
    }
    found
}

/// The layer of the top-level module `top`, counted from the top.
fn layer_of(top: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&top))
}

/// What is wrong with the sources' imports, one line each; empty when the
/// layers hold. `sources` are paths relative to `src/` with their text.
fn violations(sources: &[(String, String)]) -> Vec<String> {
    let scanned: Vec<&(String, String)> = sources
        .iter()
        .filter(|(path, _)| !NOT_SCANNED.contains(&path.as_str()))
        .collect();
    let modules: BTreeSet<Module> = scanned.iter().map(|(p, _)| module_of(p)).collect();
    let mut problems = Vec::new();
    for top in modules
        .iter()
        .filter_map(|m| m.first())
        .collect::<BTreeSet<_>>()
    {
        if layer_of(top).is_none() {
            problems.push(format!(
                "{top}: in no layer (add it to LAYERS and docs/design.md)"
            ));
        }
    }
    let references: Vec<Reference> = scanned
        .iter()
        .flat_map(|(path, text)| references_in(&module_of(path), text, &modules))
        .collect();
    for r in &references {
        if let (Some(from), Some(to)) = (layer_of(&r.from[0]), layer_of(&r.to[0])) {
            if to < from {
                problems.push(format!(
                    "{} uses {}: an import up a layer",
                    r.from.join("::"),
                    r.to.join("::")
                ));
            }
        }
    }
    let mut graph: BTreeMap<&Module, BTreeSet<&Module>> = BTreeMap::new();
    for r in references.iter().filter(|r| !r.in_tests) {
        graph.entry(&r.from).or_default().insert(&r.to);
    }
    if let Some(circle) = find_circle(&graph) {
        let names: Vec<String> = circle.iter().map(|m| m.join("::")).collect();
        problems.push(format!("a circle: {}", names.join(" -> ")));
    }
    problems.sort();
    problems.dedup();
    problems
}

/// One circle in `graph`, as the modules along it with the first repeated.
fn find_circle<'a>(graph: &BTreeMap<&'a Module, BTreeSet<&'a Module>>) -> Option<Vec<&'a Module>> {
    fn visit<'a>(
        node: &'a Module,
        graph: &BTreeMap<&'a Module, BTreeSet<&'a Module>>,
        path: &mut Vec<&'a Module>,
        done: &mut BTreeSet<&'a Module>,
    ) -> Option<Vec<&'a Module>> {
        if let Some(at) = path.iter().position(|m| *m == node) {
            let mut circle = path[at..].to_vec();
            circle.push(node);
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node);
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn crate_sources(dir: &Path, root: &Path, into: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            crate_sources(&path, root, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            into.push((relative, text));
        }
    }
}

fn sources(files: &[(&str, &str)]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

#[test]
fn the_crates_imports_keep_to_the_layers_without_a_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    crate_sources(&root, &root, &mut all);
    assert!(
        all.len() > 40,
        "only {} source files under {}",
        all.len(),
        root.display()
    );
    assert_eq!(violations(&all), Vec::<String>::new());
}

#[test]
fn an_import_up_a_layer_is_named_even_from_test_code() {
    let found = violations(&sources(&[
        ("link/mod.rs", "pub mod options;\n"),
        ("link/options.rs", "pub const X: u32 = 1;\n"),
        ("bitcode/mod.rs", "mod t;\n"),
        (
            "bitcode/t.rs",
            "fn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::{lto, link::options::X};\n}\n",
        ),
        ("lto.rs", ""),
    ]));
    assert_eq!(
        found,
        ["bitcode::t uses link::options: an import up a layer"]
    );
}

#[test]
fn a_circle_through_super_is_named_and_a_child_using_its_parent_is_not() {
    let found = violations(&sources(&[
        (
            "kbuild/mod.rs",
            "pub mod a;\npub mod b;\npub struct Tree;\n",
        ),
        (
            "kbuild/a.rs",
            "use super::b::{self,\n    Thing};\nuse super::Tree;\n",
        ),
        ("kbuild/b.rs", "use crate::kbuild::a::Other;\n"),
    ]));
    assert_eq!(found, ["a circle: kbuild::a -> kbuild::b -> kbuild::a"]);
}

#[test]
fn a_module_in_no_layer_is_named() {
    let found = violations(&sources(&[
        ("newroom.rs", "use crate::lto::Lto;\n"),
        ("lto.rs", ""),
    ]));
    assert_eq!(
        found,
        ["newroom: in no layer (add it to LAYERS and docs/design.md)"]
    );
}
