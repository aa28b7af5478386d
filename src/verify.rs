//! `--shim-verify OBJTREE`: did this built kernel really keep Clang LTO?
//!
//! The post-build gate, for any tree, built with the shim or without it.
//! Two halves: [`gather`] reads the tree into [`Facts`] (auto.conf, the
//! thin `vmlinux.a` and the objects it names with their `.N.o.cmd` recipes,
//! modules.order with each module's objects, the ThinLTO-promoted symbols
//! of `vmlinux`), and [`judge`] turns facts into a [`Judgement`] without
//! touching the file system, so every verdict is unit-tested on facts.
//!
//! # The rule for "LTO lost" (exit 4)
//!
//! Lost when ANY C object that the fixed kernel (695ed93bb30e) keeps as
//! bitcode is ELF, or when a Clang LTO configuration left no bitcode object
//! in `vmlinux.a` at all. An ELF object "would have been ELF in the fixed
//! kernel too" only with evidence from its own recipe (`.N.o.cmd`): objtool
//! ran on it (the fix's first relink case), its source is assembly, it was
//! compiled without `-flto` (vDSO, EFI stub, `ccflags-remove` of
//! `CC_FLAGS_LTO`), or it was not compiled from C (objcopy, Rust). Parts of
//! composite modules count like built-in objects: the fixed kernel keeps
//! them bitcode for the module's own `ld -r`. There is no ratio or
//! threshold, so no tree is too small to judge: one wrongly relinked object
//! is a verdict, and an all-ELF tree is lost even without recipes. An ELF
//! object whose recipe is missing cannot be excused, so it makes the
//! verdict "cannot tell" (1) unless something is already lost.
//!
//! Single-object module objects (what modpost reads) must be ELF; one that
//! is bitcode is a wrong build whatever happened to LTO (exit 5).

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::archive;
use crate::bitcode::{self, FileKind};
use crate::context::Kconfig;
use crate::exit::ExitStatus;
use crate::logging::error_line;
use crate::lto::Lto;

/// Thin archives nested in `vmlinux.a` are followed this deep (llvm-ar
/// flattens them; the cap only stops a self-referencing archive).
const MAX_ARCHIVE_DEPTH: usize = 8;

/// Paths listed in the text output per problem; JSON lists all.
const TEXT_LIST_LIMIT: usize = 5;

// ------------------------------------------------------------------ facts

/// What the configuration says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigFacts {
    pub lto: Lto,
    pub objtool: bool,
    pub modules: bool,
    /// From the arch's own symbol (CONFIG_ARM64, CONFIG_X86_64, ...).
    pub arch: Option<&'static str>,
}

/// Where a source file came from, as its recipe shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    C,
    Assembly,
    Rust,
    /// No source file in the recipe: objcopy, a link, a generated object.
    None,
}

/// The facts of one object's `.N.o.cmd` that decide whether the fixed
/// kernel would also have made it ELF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Recipe {
    pub source: Source,
    /// The compile's last `-flto*` / `-fno-lto` switch was `-flto*`.
    pub flto: bool,
    /// objtool ran on the object in the same recipe.
    pub objtool: bool,
}

/// One object as found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectFacts {
    Bitcode(Lto),
    /// ELF, with its recipe when the `.N.o.cmd` file exists.
    Elf(Option<Recipe>),
    /// Missing, unreadable, damaged bitcode or neither ELF nor bitcode.
    Unreadable(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Relative to the object tree when it lies inside it.
    pub path: PathBuf,
    pub facts: ObjectFacts,
}

/// One line of modules.order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// The object modpost reads (`D/m.o`).
    pub object: Object,
    /// The parts of a composite module (from `D/m.mod`); empty for a
    /// single-object module.
    pub parts: Vec<Object>,
}

/// Everything [`judge`] needs; gathered once by [`gather`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub tree: PathBuf,
    pub config: Result<ConfigFacts, String>,
    /// `None`: no vmlinux.a; `Err`: unreadable or damaged.
    pub vmlinux_a: Option<Result<Vec<Object>, String>>,
    /// `None`: no modules.order (modules not built or disabled).
    pub modules: Option<Result<Vec<Module>, String>>,
    /// `None`: no vmlinux; otherwise its ThinLTO-promoted symbol count.
    pub vmlinux: Option<Result<u64, String>>,
}

// ------------------------------------------------------------------ judging

/// Why an ELF object is ELF, as far as its recipe tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElfOrigin {
    Assembly,
    NoFlto,
    Objtool,
    NotC,
    /// A C object the fixed kernel keeps as bitcode.
    Lost,
    /// No recipe to judge by.
    Unexplained,
}

/// The one place an ELF object is excused or not (see the module docs).
pub fn elf_origin(recipe: Option<&Recipe>) -> ElfOrigin {
    match recipe {
        None => ElfOrigin::Unexplained,
        Some(r) => match r.source {
            Source::Assembly => ElfOrigin::Assembly,
            Source::Rust | Source::None => ElfOrigin::NotC,
            Source::C if r.objtool => ElfOrigin::Objtool,
            Source::C if !r.flto => ElfOrigin::NoFlto,
            Source::C => ElfOrigin::Lost,
        },
    }
}

/// Counts over a set of objects (vmlinux.a members, or module parts).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub objects: usize,
    pub bitcode_thin: usize,
    pub bitcode_full: usize,
    /// Bitcode without an LTO summary.
    pub bitcode_plain: usize,
    pub elf: usize,
    /// ELF that the fixed kernel would have made ELF too, by reason.
    pub elf_assembly: usize,
    pub elf_no_flto: usize,
    pub elf_objtool: usize,
    pub elf_not_c: usize,
    /// ELF that the fixed kernel keeps as bitcode: the loss.
    pub elf_lost: usize,
    /// ELF without a `.N.o.cmd` to judge by.
    pub elf_unexplained: usize,
    pub unreadable: usize,
    pub lost: Vec<String>,
    pub unexplained: Vec<String>,
    pub unreadable_detail: Vec<String>,
}

impl Tally {
    pub fn bitcode(&self) -> usize {
        self.bitcode_thin + self.bitcode_full + self.bitcode_plain
    }

    fn add(&mut self, o: &Object) {
        self.objects += 1;
        let name = lossy(&o.path);
        match &o.facts {
            ObjectFacts::Bitcode(Lto::Thin) => self.bitcode_thin += 1,
            ObjectFacts::Bitcode(Lto::Full) => self.bitcode_full += 1,
            ObjectFacts::Bitcode(Lto::None) => self.bitcode_plain += 1,
            ObjectFacts::Elf(recipe) => {
                self.elf += 1;
                match elf_origin(recipe.as_ref()) {
                    ElfOrigin::Assembly => self.elf_assembly += 1,
                    ElfOrigin::NoFlto => self.elf_no_flto += 1,
                    ElfOrigin::Objtool => self.elf_objtool += 1,
                    ElfOrigin::NotC => self.elf_not_c += 1,
                    ElfOrigin::Lost => {
                        self.elf_lost += 1;
                        self.lost.push(name);
                    }
                    ElfOrigin::Unexplained => {
                        self.elf_unexplained += 1;
                        self.unexplained.push(name);
                    }
                }
            }
            ObjectFacts::Unreadable(why) => {
                self.unreadable += 1;
                self.unreadable_detail.push(format!("{name}: {why}"));
            }
        }
    }

    fn of<'a>(objects: impl IntoIterator<Item = &'a Object>) -> Tally {
        let mut t = Tally::default();
        for o in objects {
            t.add(o);
        }
        t
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Kept,
    Lost,
    NotLto,
    CannotTell,
    ModulesNotElf,
}

impl Verdict {
    /// The status a release pipeline gates on (numbers in `crate::exit`).
    pub fn exit_status(self) -> ExitStatus {
        match self {
            Verdict::Kept => ExitStatus::Success,
            Verdict::Lost => ExitStatus::LtoLost,
            Verdict::NotLto => ExitStatus::NotAffected,
            Verdict::CannotTell => ExitStatus::Failure,
            Verdict::ModulesNotElf => ExitStatus::ModulesNotElf,
        }
    }

    pub fn exit_code(self) -> i32 {
        self.exit_status().code()
    }

    fn headline(self) -> &'static str {
        match self {
            Verdict::Kept => "LTO KEPT",
            Verdict::Lost => "LTO LOST",
            Verdict::NotLto => "not a Clang LTO build",
            Verdict::CannotTell => "CANNOT TELL",
            Verdict::ModulesNotElf => "MODULES WRONG",
        }
    }
}

/// Module counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ModuleTally {
    pub modules: usize,
    /// Module objects (what modpost reads) that are ELF.
    pub objects_elf: usize,
    /// Module objects that are bitcode or unreadable, by path and kind.
    pub objects_not_elf: Vec<String>,
    /// The parts of composite modules.
    pub parts: Tally,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Judgement {
    pub verdict: Verdict,
    pub reason: String,
    /// Members of vmlinux.a (built-in objects).
    pub builtin: Option<Tally>,
    pub modules: Option<ModuleTally>,
}

/// The verdict over gathered facts; no I/O.
pub fn judge(facts: &Facts) -> Judgement {
    let builtin = match &facts.vmlinux_a {
        Some(Ok(members)) => Some(Tally::of(members)),
        _ => None,
    };
    let modules = match &facts.modules {
        Some(Ok(list)) => {
            let mut m = ModuleTally {
                modules: list.len(),
                ..ModuleTally::default()
            };
            for module in list {
                match &module.object.facts {
                    ObjectFacts::Elf(_) => m.objects_elf += 1,
                    ObjectFacts::Bitcode(lto) => m.objects_not_elf.push(format!(
                        "{}: {} bitcode",
                        lossy(&module.object.path),
                        lto.describe()
                    )),
                    ObjectFacts::Unreadable(why) => m
                        .objects_not_elf
                        .push(format!("{}: {why}", lossy(&module.object.path))),
                }
                for part in &module.parts {
                    m.parts.add(part);
                }
            }
            Some(m)
        }
        _ => None,
    };
    let (verdict, reason) = verdict(facts, builtin.as_ref(), modules.as_ref());
    Judgement {
        verdict,
        reason,
        builtin,
        modules,
    }
}

fn verdict(
    facts: &Facts,
    builtin: Option<&Tally>,
    modules: Option<&ModuleTally>,
) -> (Verdict, String) {
    use Verdict::*;
    let config = match &facts.config {
        Err(why) => return (CannotTell, why.clone()),
        Ok(c) => c,
    };
    if config.lto == Lto::None {
        return (
            NotLto,
            "the configuration enables neither CONFIG_LTO_CLANG_THIN nor CONFIG_LTO_CLANG_FULL"
                .into(),
        );
    }
    let builtin = match (&facts.vmlinux_a, builtin) {
        (None, _) => {
            return (
                CannotTell,
                "no vmlinux.a: the tree is not built (make vmlinux)".into(),
            )
        }
        (Some(Err(why)), _) => return (CannotTell, format!("vmlinux.a: {why}")),
        (Some(Ok(_)), Some(t)) => t,
        (Some(Ok(_)), None) => unreachable!("a read vmlinux.a is always tallied"),
    };
    if builtin.objects == 0 {
        return (
            CannotTell,
            "vmlinux.a names no objects (an empty or interrupted build)".into(),
        );
    }
    let mut unreadable: Vec<&String> = builtin.unreadable_detail.iter().collect();
    match (&facts.modules, modules) {
        (Some(Err(why)), _) => return (CannotTell, format!("modules: {why}")),
        (_, Some(m)) => unreadable.extend(&m.parts.unreadable_detail),
        _ => {}
    }
    if let Some(first) = unreadable.first() {
        return (
            CannotTell,
            format!(
                "{} object(s) cannot be read, first {first}",
                unreadable.len()
            ),
        );
    }
    if let Some(Err(why)) = &facts.vmlinux {
        return (CannotTell, format!("vmlinux: {why}"));
    }
    let parts = modules.map(|m| &m.parts);
    if let Some(m) = modules.filter(|m| !m.objects_not_elf.is_empty()) {
        return (
            ModulesNotElf,
            format!(
                "{} module object(s) modpost reads are not ELF, first {}",
                m.objects_not_elf.len(),
                m.objects_not_elf[0]
            ),
        );
    }
    let lost = builtin.elf_lost + parts.map_or(0, |p| p.elf_lost);
    if lost > 0 {
        let first = builtin
            .lost
            .first()
            .or_else(|| parts.and_then(|p| p.lost.first()))
            .expect("a lost count has a path");
        return (
            Lost,
            format!(
                "{lost} C object(s) compiled with -flto are ELF where the fixed kernel keeps bitcode, first {first}"
            ),
        );
    }
    if builtin.bitcode() == 0 {
        return (
            Lost,
            format!(
                "{} asks for {} but none of the {} objects in vmlinux.a is bitcode",
                config_symbol(config.lto),
                config.lto.describe(),
                builtin.objects
            ),
        );
    }
    let unexplained = builtin.elf_unexplained + parts.map_or(0, |p| p.elf_unexplained);
    if unexplained > 0 {
        let first = builtin
            .unexplained
            .first()
            .or_else(|| parts.and_then(|p| p.unexplained.first()))
            .expect("an unexplained count has a path");
        return (
            CannotTell,
            format!("{unexplained} ELF object(s) have no .cmd recipe to judge by, first {first}"),
        );
    }
    (
        Kept,
        format!(
            "{} of {} built-in objects are bitcode; every ELF one is ELF in the fixed kernel too",
            builtin.bitcode(),
            builtin.objects
        ),
    )
}

fn config_symbol(lto: Lto) -> &'static str {
    match lto {
        Lto::Thin => "CONFIG_LTO_CLANG_THIN",
        Lto::Full => "CONFIG_LTO_CLANG_FULL",
        Lto::None => "no CONFIG_LTO_CLANG_*",
    }
}

// ------------------------------------------------------------------ gathering

/// Reads everything [`judge`] needs from the object tree `tree`.
pub fn gather(tree: &Path) -> Facts {
    Facts {
        tree: tree.to_path_buf(),
        config: read_config(tree),
        vmlinux_a: read_vmlinux_a(tree),
        modules: read_modules(tree),
        vmlinux: read_vmlinux(tree),
    }
}

fn read_config(tree: &Path) -> Result<ConfigFacts, String> {
    let path = tree.join(Kconfig::PATH);
    let bytes = read_regular(&path).map_err(|e| {
        format!(
            "{}: {e} (not a configured kernel object tree?)",
            path.display()
        )
    })?;
    Ok(config_facts(&Kconfig::parse(&String::from_utf8_lossy(
        &bytes,
    ))))
}

/// The configuration facts of a parsed auto.conf.
pub fn config_facts(k: &Kconfig) -> ConfigFacts {
    const ARCHES: &[(&str, &str)] = &[
        ("CONFIG_ARM64", "arm64"),
        ("CONFIG_X86_64", "x86_64"),
        ("CONFIG_X86_32", "x86"),
        ("CONFIG_RISCV", "riscv"),
        ("CONFIG_ARM", "arm"),
        ("CONFIG_PPC", "powerpc"),
        ("CONFIG_LOONGARCH", "loongarch"),
        ("CONFIG_S390", "s390"),
        ("CONFIG_MIPS", "mips"),
    ];
    ConfigFacts {
        lto: k.lto(),
        objtool: k.enabled("CONFIG_OBJTOOL"),
        modules: k.enabled("CONFIG_MODULES"),
        arch: ARCHES
            .iter()
            .find(|(symbol, _)| k.enabled(symbol))
            .map(|(_, arch)| *arch),
    }
}

fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    crate::regular_file::open_regular(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn read_vmlinux_a(tree: &Path) -> Option<Result<Vec<Object>, String>> {
    let path = tree.join("vmlinux.a");
    if !exists(&path) {
        return None;
    }
    let mut objects = Vec::new();
    Some(
        archive_objects(tree, &path, 0, &mut objects)
            .map(|()| objects)
            .map_err(|e| format!("{}: {e}", path.display())),
    )
}

fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

fn archive_objects(
    tree: &Path,
    archive_path: &Path,
    depth: usize,
    out: &mut Vec<Object>,
) -> Result<(), String> {
    let bytes = read_regular(archive_path).map_err(|e| e.to_string())?;
    let members = archive::thin_members(&bytes).map_err(|e| e.to_string())?;
    for member in members {
        let on_disk = archive::resolve_member(archive_path, &member);
        if sniff_path(&on_disk) == Some(FileKind::ThinArchive) {
            if depth >= MAX_ARCHIVE_DEPTH {
                return Err(format!(
                    "thin archives nested deeper than {MAX_ARCHIVE_DEPTH} at {}",
                    on_disk.display()
                ));
            }
            archive_objects(tree, &on_disk, depth + 1, out)?;
        } else {
            out.push(object(tree, &on_disk));
        }
    }
    Ok(())
}

fn sniff_path(path: &Path) -> Option<FileKind> {
    let file = crate::regular_file::open_regular(path).ok()?;
    let mut header = [0u8; bitcode::SNIFF_LEN];
    let got = file.read_at(&mut header, 0).ok()?;
    Some(bitcode::sniff(&header[..got]))
}

/// The facts of the object at `path` (absolute or relative to the
/// process), reported relative to `tree`.
fn object(tree: &Path, path: &Path) -> Object {
    let shown = path.strip_prefix(tree).unwrap_or(path).to_path_buf();
    let facts = match bitcode::examine_path(path) {
        Err(e) => ObjectFacts::Unreadable(e.to_string()),
        Ok(f) => match (f.kind, f.bitcode) {
            (_, Some(bc)) => ObjectFacts::Bitcode(bc.lto),
            (FileKind::Elf, None) => ObjectFacts::Elf(read_recipe(path)),
            (kind, None) => ObjectFacts::Unreadable(format!(
                "neither ELF nor LLVM bitcode ({kind:?}, {} bytes)",
                f.len
            )),
        },
    };
    Object { path: shown, facts }
}

/// kbuild's saved command for `D/N.o`: `D/.N.o.cmd`.
fn cmd_file(object: &Path) -> PathBuf {
    let mut name = OsString::from(".");
    name.push(object.file_name().unwrap_or_default());
    name.push(".cmd");
    object.with_file_name(name)
}

fn read_recipe(object: &Path) -> Option<Recipe> {
    let bytes = read_regular(&cmd_file(object)).ok()?;
    parse_recipe(&String::from_utf8_lossy(&bytes))
}

/// The recipe facts in a `.N.o.cmd` file: `savedcmd_<obj> := <command>`
/// (`cmd_<obj>` before 6.5) and, after fixdep, `source_<obj> := <file>`.
/// `None` when the file holds no saved command.
pub fn parse_recipe(cmd_text: &str) -> Option<Recipe> {
    let assignment = |prefixes: &[&str]| {
        cmd_text.lines().find_map(|line| {
            prefixes
                .iter()
                .any(|p| line.starts_with(p))
                .then(|| line.split_once(" := ").map(|(_, v)| v.trim()))
                .flatten()
        })
    };
    let command = assignment(&["savedcmd_", "cmd_"])?;
    let mut segments = command.split(';');
    let compile: Vec<&str> = segments.next().unwrap_or("").split_whitespace().collect();
    // clang obeys the last of them, so read from the end
    let flto = compile
        .iter()
        .rev()
        .find_map(|t| {
            if *t == "-fno-lto" {
                Some(false)
            } else if *t == "-flto" || t.starts_with("-flto=") {
                Some(true)
            } else {
                None
            }
        })
        .unwrap_or(false);
    let objtool = segments.any(|segment| {
        segment
            .split_whitespace()
            .next()
            .is_some_and(|program| Path::new(program).file_name() == Some("objtool".as_ref()))
    });
    let source_file = assignment(&["source_"]).or_else(|| {
        compile
            .iter()
            .filter(|t| !t.starts_with('-'))
            .find(|t| source_kind(t) != Source::None)
            .copied()
    });
    Some(Recipe {
        source: source_file.map_or(Source::None, source_kind),
        flto,
        objtool,
    })
}

fn source_kind(file: &str) -> Source {
    match Path::new(file).extension().and_then(|e| e.to_str()) {
        Some("c") => Source::C,
        Some("S" | "s") => Source::Assembly,
        Some("rs") => Source::Rust,
        _ => Source::None,
    }
}

fn read_modules(tree: &Path) -> Option<Result<Vec<Module>, String>> {
    let order = tree.join("modules.order");
    if !exists(&order) {
        return None;
    }
    let bytes = match read_regular(&order) {
        Ok(b) => b,
        Err(e) => return Some(Err(format!("{}: {e}", order.display()))),
    };
    let text = String::from_utf8_lossy(&bytes);
    let modules = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            // 6.2+ lists D/m.o, older kernels D/m.ko
            let stem = line
                .strip_suffix(".ko")
                .or_else(|| line.strip_suffix(".o"))
                .unwrap_or(line);
            let object_path = tree.join(format!("{stem}.o"));
            let parts = read_mod_parts(tree, &tree.join(format!("{stem}.mod")), &object_path);
            Module {
                object: object(tree, &object_path),
                parts,
            }
        })
        .collect();
    Some(Ok(modules))
}

/// The parts listed in `D/m.mod`, unless it names only `D/m.o` itself (a
/// single-object module). A missing .mod file gives no parts: the module
/// object alone is still checked.
fn read_mod_parts(tree: &Path, mod_file: &Path, module_object: &Path) -> Vec<Object> {
    let Ok(bytes) = read_regular(mod_file) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&bytes);
    let parts: Vec<PathBuf> = text
        .split_whitespace()
        .map(|p| tree.join(p.strip_prefix("./").unwrap_or(p)))
        .collect();
    if parts.len() == 1 && parts[0] == module_object {
        return Vec::new();
    }
    parts.iter().map(|p| object(tree, p)).collect()
}

fn read_vmlinux(tree: &Path) -> Option<Result<u64, String>> {
    let path = tree.join("vmlinux");
    if !exists(&path) {
        return None;
    }
    Some(promoted_symbols(&path).map_err(|e| format!("{}: {e}", path.display())))
}

/// Number of symbols in `path`'s ELF symbol table whose name contains
/// `.llvm.`: the suffix ThinLTO gives a local symbol it promotes so another
/// module can import it (`foo.llvm.1234`). Reads only the section headers,
/// the symbol table and its string table, so a large vmlinux costs a few
/// MB of reads. Hand-written: 60 lines against a new crate for one count.
pub fn promoted_symbols(path: &Path) -> Result<u64, String> {
    const SHT_SYMTAB: u32 = 2;
    let file = crate::regular_file::open_regular(path).map_err(|e| e.to_string())?;
    let mut ident = [0u8; 64];
    let got = file.read_at(&mut ident, 0).map_err(|e| e.to_string())?;
    if got < 52 || &ident[..4] != b"\x7fELF" {
        return Err("not an ELF file".into());
    }
    let elf = Elf {
        wide: match ident[4] {
            1 => false,
            2 => true,
            _ => return Err("unknown ELF class".into()),
        },
        big: match ident[5] {
            1 => false,
            2 => true,
            _ => return Err("unknown ELF byte order".into()),
        },
    };
    if elf.wide && got < 64 {
        return Err("truncated ELF header".into());
    }
    let (shoff, shentsize, shnum) = if elf.wide {
        (
            elf.u64(&ident, 0x28),
            elf.u16(&ident, 0x3a),
            elf.u16(&ident, 0x3c),
        )
    } else {
        (
            elf.u32(&ident, 0x20) as u64,
            elf.u16(&ident, 0x2e),
            elf.u16(&ident, 0x30),
        )
    };
    let shentsize = shentsize as usize;
    if shoff == 0 {
        return Err("no section headers".into());
    }
    if shentsize < if elf.wide { 64 } else { 40 } {
        return Err("section header entries too small".into());
    }
    let first = read_exact_at(&file, shoff, shentsize)?;
    // More than 0xff00 sections: the count is in section 0's sh_size.
    let shnum = if shnum == 0 {
        elf.word(&first, if elf.wide { 0x20 } else { 0x14 }) as usize
    } else {
        shnum as usize
    };
    let table = read_exact_at(
        &file,
        shoff,
        shnum.checked_mul(shentsize).ok_or("bad section count")?,
    )?;
    let section = |i: usize| -> Option<(u32, u64, u64, u32, u64)> {
        let h = table.get(i * shentsize..(i + 1) * shentsize)?;
        Some(if elf.wide {
            (
                elf.u32(h, 4),
                elf.u64(h, 0x18),
                elf.u64(h, 0x20),
                elf.u32(h, 0x28),
                elf.u64(h, 0x38),
            )
        } else {
            (
                elf.u32(h, 4),
                elf.u32(h, 0x10) as u64,
                elf.u32(h, 0x14) as u64,
                elf.u32(h, 0x18),
                elf.u32(h, 0x24) as u64,
            )
        })
    };
    let mut count = 0;
    for i in 0..shnum {
        let Some((kind, offset, size, link, entsize)) = section(i) else {
            break;
        };
        if kind != SHT_SYMTAB {
            continue;
        }
        let (_, str_offset, str_size, _, _) =
            section(link as usize).ok_or("symbol table links to a missing string table")?;
        let symbols = read_exact_at(&file, offset, to_usize(size)?)?;
        let strings = read_exact_at(&file, str_offset, to_usize(str_size)?)?;
        let entsize = to_usize(entsize)?;
        if entsize < 4 {
            return Err("symbol entries too small".into());
        }
        for sym in symbols.chunks_exact(entsize) {
            let name_at = elf.u32(sym, 0) as usize;
            let Some(rest) = strings.get(name_at..) else {
                return Err("symbol name outside the string table".into());
            };
            let name = &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())];
            if name.windows(6).any(|w| w == b".llvm.") {
                count += 1;
            }
        }
    }
    Ok(count)
}

struct Elf {
    wide: bool,
    big: bool,
}

impl Elf {
    fn bytes<const N: usize>(&self, b: &[u8], at: usize) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(&b[at..at + N]);
        if self.big {
            out.reverse();
        }
        out
    }
    fn u16(&self, b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes(self.bytes(b, at))
    }
    fn u32(&self, b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(self.bytes(b, at))
    }
    fn u64(&self, b: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(self.bytes(b, at))
    }
    /// A field that is 4 bytes in ELF32 and 8 in ELF64.
    fn word(&self, b: &[u8], at: usize) -> u64 {
        if self.wide {
            self.u64(b, at)
        } else {
            self.u32(b, at) as u64
        }
    }
}

fn to_usize(v: u64) -> Result<usize, String> {
    usize::try_from(v).map_err(|_| "section too large".to_string())
}

fn read_exact_at(file: &File, offset: u64, len: usize) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, offset)
        .map_err(|e| format!("reading {len} bytes at {offset}: {e}"))?;
    Ok(buf)
}

// ------------------------------------------------------------------ output

fn lossy(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// The JSON document: the facts and the verdict, paths lossily decoded.
#[derive(Debug, Serialize)]
struct JsonReport<'a> {
    tree: String,
    verdict: Verdict,
    exit: i32,
    reason: &'a str,
    config: Option<&'a ConfigFacts>,
    config_error: Option<&'a str>,
    vmlinux_a: Option<&'a Tally>,
    vmlinux_a_error: Option<&'a str>,
    modules: Option<&'a ModuleTally>,
    modules_error: Option<&'a str>,
    /// ThinLTO-promoted `.llvm.` symbols in vmlinux; null without vmlinux.
    vmlinux_promoted_symbols: Option<u64>,
    vmlinux_error: Option<&'a str>,
    seconds: f64,
}

fn split<T>(r: Option<&Result<T, String>>) -> (Option<&T>, Option<&str>) {
    match r {
        None => (None, None),
        Some(Ok(v)) => (Some(v), None),
        Some(Err(e)) => (None, Some(e)),
    }
}

pub fn render_json(facts: &Facts, j: &Judgement, seconds: f64) -> String {
    let (config, config_error) = split(Some(&facts.config));
    let (_, vmlinux_a_error) = split(facts.vmlinux_a.as_ref());
    let (_, modules_error) = split(facts.modules.as_ref());
    let (promoted, vmlinux_error) = split(facts.vmlinux.as_ref());
    let report = JsonReport {
        tree: lossy(&facts.tree),
        verdict: j.verdict,
        exit: j.verdict.exit_code(),
        reason: &j.reason,
        config,
        config_error,
        vmlinux_a: j.builtin.as_ref(),
        vmlinux_a_error,
        modules: j.modules.as_ref(),
        modules_error,
        vmlinux_promoted_symbols: promoted.copied(),
        vmlinux_error,
        seconds,
    };
    let mut text = serde_json::to_string_pretty(&report).expect("the report serialises");
    text.push('\n');
    text
}

/// At most [`TEXT_LIST_LIMIT`] paths on one line.
fn listed(paths: &[String]) -> String {
    let mut line = paths
        .iter()
        .take(TEXT_LIST_LIMIT)
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    if paths.len() > TEXT_LIST_LIMIT {
        line.push_str(&format!(
            " ... ({} in all; --json lists every one)",
            paths.len()
        ));
    }
    line
}

fn tally_row(out: &mut String, label: &str, t: &Tally) {
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "  {label:<14}{:>8}{:>9}{:>14}{:>11}{:>9}{:>8}",
        t.objects,
        t.bitcode(),
        t.elf_assembly + t.elf_no_flto + t.elf_objtool + t.elf_not_c,
        t.elf_lost,
        t.elf_unexplained,
        t.unreadable
    );
}

fn tally_detail(out: &mut String, label: &str, t: &Tally) {
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "  {label:<14}bitcode {} thin, {} full, {} no summary; ELF as fixed: {} asm, {} no -flto, {} objtool, {} not C",
        t.bitcode_thin,
        t.bitcode_full,
        t.bitcode_plain,
        t.elf_assembly,
        t.elf_no_flto,
        t.elf_objtool,
        t.elf_not_c
    );
}

/// The five-second table: one row per object set, then the problems.
pub fn render_text(facts: &Facts, j: &Judgement, seconds: f64) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "tree      {}", facts.tree.display());
    let _ = match &facts.config {
        Ok(c) => writeln!(
            out,
            "config    {}, {}, objtool {}, modules {}",
            c.arch.unwrap_or("unknown arch"),
            c.lto.describe(),
            if c.objtool { "y" } else { "n" },
            if c.modules { "y" } else { "n" }
        ),
        Err(e) => writeln!(out, "config    {e}"),
    };
    let parts = j
        .modules
        .as_ref()
        .map(|m| &m.parts)
        .filter(|p| p.objects > 0);
    let rows: Vec<(&str, &Tally)> = j
        .builtin
        .iter()
        .map(|t| ("vmlinux.a", t))
        .chain(parts.map(|p| ("module parts", p)))
        .collect();
    if !rows.is_empty() {
        let _ = writeln!(
            out,
            "  {:<14}{:>8}{:>9}{:>14}{:>11}{:>9}{:>8}",
            "", "objects", "bitcode", "ELF as fixed", "ELF LOST", "no .cmd", "broken"
        );
        for (label, t) in &rows {
            tally_row(&mut out, label, t);
        }
        for (label, t) in &rows {
            tally_detail(&mut out, label, t);
        }
    }
    match &facts.vmlinux_a {
        None => out.push_str("vmlinux.a missing\n"),
        Some(Err(e)) => {
            let _ = writeln!(out, "vmlinux.a {e}");
        }
        Some(Ok(_)) => {}
    }
    let _ = match (&facts.modules, &j.modules) {
        (None, _) => writeln!(out, "modules   no modules.order"),
        (Some(Err(e)), _) => writeln!(out, "modules   {e}"),
        (Some(Ok(_)), Some(m)) => writeln!(
            out,
            "modules   {} in modules.order; module objects (modpost reads them): {} ELF, {} not ELF",
            m.modules,
            m.objects_elf,
            m.objects_not_elf.len()
        ),
        (Some(Ok(_)), None) => Ok(()),
    };
    let _ = match &facts.vmlinux {
        None => writeln!(out, "vmlinux   missing"),
        Some(Ok(n)) => writeln!(out, "vmlinux   {n} ThinLTO-promoted .llvm. symbols"),
        Some(Err(e)) => writeln!(out, "vmlinux   {e}"),
    };
    let mut problems: Vec<(&str, Vec<String>)> = Vec::new();
    for (_, t) in &rows {
        problems.push(("lost", t.lost.clone()));
        problems.push(("no .cmd", t.unexplained.clone()));
        problems.push(("broken", t.unreadable_detail.clone()));
    }
    if let Some(m) = &j.modules {
        problems.push(("not ELF", m.objects_not_elf.clone()));
    }
    for (label, paths) in problems.into_iter().filter(|(_, p)| !p.is_empty()) {
        let _ = writeln!(out, "{label:<9} {}", listed(&paths));
    }
    let _ = writeln!(
        out,
        "verdict   {} (exit {}): {}  [{seconds:.3}s]",
        j.verdict.headline(),
        j.verdict.exit_code(),
        j.reason
    );
    out
}

/// `--shim-verify TREE [--json]`: prints the verdict and returns its exit
/// status. A tree that is not a directory is one error line and 1.
pub fn run(tree: &Path, json: bool) -> ExitStatus {
    let started = Instant::now();
    match std::fs::metadata(tree) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            error_line(format!("{}: not a directory", tree.display()));
            return ExitStatus::Failure;
        }
        Err(e) => {
            error_line(format!("{}: {e}", tree.display()));
            return ExitStatus::Failure;
        }
    }
    let facts = gather(tree);
    let judgement = judge(&facts);
    let seconds = started.elapsed().as_secs_f64();
    let text = if json {
        render_json(&facts, &judgement, seconds)
    } else {
        render_text(&facts, &judgement, seconds)
    };
    // One write of the whole answer, through the shell's one stdout policy:
    // a reader that went away (`| head`) still gets the verdict's status, a
    // full disk is one error line and "cannot tell".
    match crate::commands::emit(&text) {
        ExitStatus::Success => judgement.verdict.exit_status(),
        failed => failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    const C_LTO: Recipe = Recipe {
        source: Source::C,
        flto: true,
        objtool: false,
    };

    fn obj(path: &str, facts: ObjectFacts) -> Object {
        Object {
            path: PathBuf::from(path),
            facts,
        }
    }

    fn thin_config() -> ConfigFacts {
        ConfigFacts {
            lto: Lto::Thin,
            objtool: false,
            modules: true,
            arch: Some("arm64"),
        }
    }

    fn facts(members: Vec<Object>) -> Facts {
        Facts {
            tree: PathBuf::from("/o"),
            config: Ok(thin_config()),
            vmlinux_a: Some(Ok(members)),
            modules: None,
            vmlinux: None,
        }
    }

    fn kept_members() -> Vec<Object> {
        vec![
            obj("kernel/fork.o", ObjectFacts::Bitcode(Lto::Thin)),
            obj(
                "arch/arm64/kernel/head.o",
                ObjectFacts::Elf(Some(Recipe {
                    source: Source::Assembly,
                    flto: false,
                    objtool: false,
                })),
            ),
        ]
    }

    #[test]
    fn recipe_of_a_relinked_c_object() {
        let r = parse_recipe(
            "savedcmd_kernel/fork.o := clang -Wp,-MMD,kernel/.fork.o.d -flto=thin -fsplit-lto-unit -c -o kernel/fork.o kernel/fork.c ; ld.lld -r -o kernel/.tmp_fork.o kernel/fork.o; mv kernel/.tmp_fork.o kernel/fork.o\n\nsource_kernel/fork.o := kernel/fork.c\n\ndeps_kernel/fork.o := \\\n  include/linux/objtool.h \\\n",
        )
        .unwrap();
        assert_eq!(r, C_LTO);
        assert_eq!(elf_origin(Some(&r)), ElfOrigin::Lost);
    }

    #[test]
    fn recipes_the_fixed_kernel_also_makes_elf() {
        let objtool = parse_recipe(
            "savedcmd_lib/crc.o := clang -flto=thin -c -o lib/crc.o lib/crc.c ; ld.lld -r -o lib/.tmp_crc.o lib/crc.o; mv lib/.tmp_crc.o lib/crc.o ; ./tools/objtool/objtool --link lib/crc.o\n",
        )
        .unwrap();
        assert_eq!(elf_origin(Some(&objtool)), ElfOrigin::Objtool);
        let no_lto =
            parse_recipe("savedcmd_a/v.o := clang -flto=thin -fno-lto -c -o a/v.o a/v.c\n")
                .unwrap();
        assert_eq!(elf_origin(Some(&no_lto)), ElfOrigin::NoFlto);
        let asm = parse_recipe(
            "savedcmd_arch/arm64/kernel/head.o := clang -D__ASSEMBLY__ -c -o arch/arm64/kernel/head.o arch/arm64/kernel/head.S\nsource_arch/arm64/kernel/head.o := arch/arm64/kernel/head.S\n",
        )
        .unwrap();
        assert_eq!(elf_origin(Some(&asm)), ElfOrigin::Assembly);
        let objcopy = parse_recipe(
            "savedcmd_arch/arm64/kernel/pi/map.pi.o := llvm-objcopy --prefix-symbols=__pi_ arch/arm64/kernel/pi/map.o arch/arm64/kernel/pi/map.pi.o\n",
        )
        .unwrap();
        assert_eq!(elf_origin(Some(&objcopy)), ElfOrigin::NotC);
        // the last of -flto / -fno-lto wins, as in clang
        let back_on = parse_recipe("cmd_x.o := clang -fno-lto -flto=thin -c -o x.o x.c\n").unwrap();
        assert_eq!(elf_origin(Some(&back_on)), ElfOrigin::Lost);
        assert_eq!(parse_recipe("deps_x.o := \\\n"), None);
        assert_eq!(elf_origin(None), ElfOrigin::Unexplained);
    }

    #[test]
    fn kept_when_every_elf_object_is_excused() {
        let j = judge(&facts(kept_members()));
        assert_eq!(j.verdict, Verdict::Kept, "{}", j.reason);
        assert_eq!(j.verdict.exit_code(), 0);
        let t = j.builtin.unwrap();
        assert_eq!(
            (t.objects, t.bitcode_thin, t.elf, t.elf_assembly, t.elf_lost),
            (2, 1, 1, 1, 0)
        );
    }

    #[test]
    fn one_lost_object_among_many_is_lost() {
        let mut members = kept_members();
        for i in 0..1000 {
            members.push(obj(&format!("k/{i}.o"), ObjectFacts::Bitcode(Lto::Thin)));
        }
        members.push(obj("lib/mix.o", ObjectFacts::Elf(Some(C_LTO))));
        let j = judge(&facts(members));
        assert_eq!(j.verdict, Verdict::Lost);
        assert_eq!(j.verdict.exit_code(), 4);
        assert!(j.reason.contains("lib/mix.o"), "{}", j.reason);
        assert_eq!(j.builtin.unwrap().lost, vec!["lib/mix.o".to_string()]);
    }

    #[test]
    fn no_bitcode_at_all_is_lost_even_without_recipes() {
        let j = judge(&facts(vec![
            obj("a.o", ObjectFacts::Elf(None)),
            obj(
                "b.o",
                ObjectFacts::Elf(Some(Recipe {
                    source: Source::Assembly,
                    flto: false,
                    objtool: false,
                })),
            ),
        ]));
        assert_eq!(j.verdict, Verdict::Lost, "{}", j.reason);
        assert!(j.reason.contains("CONFIG_LTO_CLANG_THIN"), "{}", j.reason);
    }

    #[test]
    fn an_elf_object_without_recipe_cannot_be_excused() {
        let mut members = kept_members();
        members.push(obj("drivers/x.o", ObjectFacts::Elf(None)));
        let j = judge(&facts(members));
        assert_eq!(j.verdict, Verdict::CannotTell);
        assert_eq!(j.verdict.exit_code(), 1);
        assert!(j.reason.contains("drivers/x.o"), "{}", j.reason);
    }

    #[test]
    fn a_lost_composite_module_part_is_lost() {
        let mut f = facts(kept_members());
        f.modules = Some(Ok(vec![Module {
            object: obj("drivers/comp.o", ObjectFacts::Elf(None)),
            parts: vec![
                obj("drivers/comp_main.o", ObjectFacts::Bitcode(Lto::Thin)),
                obj("drivers/comp_util.o", ObjectFacts::Elf(Some(C_LTO))),
            ],
        }]));
        let j = judge(&f);
        assert_eq!(j.verdict, Verdict::Lost, "{}", j.reason);
        assert!(j.reason.contains("drivers/comp_util.o"), "{}", j.reason);
    }

    #[test]
    fn a_bitcode_module_object_is_a_wrong_build() {
        let mut f = facts(kept_members());
        f.modules = Some(Ok(vec![
            Module {
                object: obj("lib/crc-a.o", ObjectFacts::Bitcode(Lto::Thin)),
                parts: vec![],
            },
            Module {
                object: obj("drivers/m.o", ObjectFacts::Elf(Some(C_LTO))),
                parts: vec![],
            },
        ]));
        let j = judge(&f);
        assert_eq!(j.verdict, Verdict::ModulesNotElf, "{}", j.reason);
        assert_eq!(j.verdict.exit_code(), 5);
        let m = j.modules.unwrap();
        assert_eq!((m.modules, m.objects_elf), (2, 1));
        assert!(m.objects_not_elf[0].starts_with("lib/crc-a.o"));
    }

    #[test]
    fn not_lto_needs_only_the_configuration() {
        let mut f = facts(vec![]);
        f.config = Ok(ConfigFacts {
            lto: Lto::None,
            ..thin_config()
        });
        f.vmlinux_a = None;
        let j = judge(&f);
        assert_eq!(j.verdict, Verdict::NotLto);
        assert_eq!(j.verdict.exit_code(), 3);
    }

    #[test]
    fn cannot_tell_without_the_files() {
        let mut no_config = facts(kept_members());
        no_config.config = Err("include/config/auto.conf: gone".into());
        let mut no_archive = facts(vec![]);
        no_archive.vmlinux_a = None;
        let mut damaged_archive = facts(vec![]);
        damaged_archive.vmlinux_a = Some(Err("damaged".into()));
        let empty = facts(vec![]);
        let mut damaged_member = kept_members();
        damaged_member.push(obj(
            "x.o",
            ObjectFacts::Unreadable("malformed bitcode".into()),
        ));
        let mut bad_vmlinux = facts(kept_members());
        bad_vmlinux.vmlinux = Some(Err("not an ELF file".into()));
        for (what, f) in [
            ("no config", no_config),
            ("no vmlinux.a", no_archive),
            ("damaged vmlinux.a", damaged_archive),
            ("empty vmlinux.a", empty),
            ("damaged member", facts(damaged_member)),
            ("damaged vmlinux", bad_vmlinux),
        ] {
            let j = judge(&f);
            assert_eq!(j.verdict, Verdict::CannotTell, "{what}: {}", j.reason);
            assert_eq!(j.verdict.exit_code(), 1, "{what}");
        }
    }

    // ---- gathering from real files

    fn clang_thin_bitcode(dir: &Path) -> Vec<u8> {
        let src = dir.join("t.c");
        std::fs::write(&src, "int f(int x) { return x + 1; }\n").unwrap();
        let out = dir.join("t.bc.o");
        let status = Command::new("clang-19")
            .args([
                "--target=aarch64-linux-gnu",
                "-O2",
                "-flto=thin",
                "-c",
                "-o",
            ])
            .arg(&out)
            .arg(&src)
            .status()
            .unwrap_or_else(|e| panic!("clang-19: {e}: install the Debian package clang-19"));
        assert!(status.success());
        std::fs::read(out).unwrap()
    }

    /// A tree with auto.conf, kernel/fork.o (bitcode), head.o (ELF from
    /// assembly) and lib/mix.o (ELF from C with -flto: lost) unless `fixed`.
    fn tree(fixed: bool) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        let t = d.path();
        let bc = clang_thin_bitcode(t);
        for dir in ["include/config", "kernel", "lib", "arch"] {
            std::fs::create_dir_all(t.join(dir)).unwrap();
        }
        std::fs::write(
            t.join("include/config/auto.conf"),
            "CONFIG_ARM64=y\nCONFIG_LTO_CLANG_THIN=y\nCONFIG_MODULES=y\n",
        )
        .unwrap();
        std::fs::write(t.join("kernel/fork.o"), &bc).unwrap();
        std::fs::write(t.join("arch/head.o"), b"\x7fELF\x02\x01\x01").unwrap();
        std::fs::write(
            t.join("arch/.head.o.cmd"),
            "savedcmd_arch/head.o := clang -c -o arch/head.o arch/head.S\n",
        )
        .unwrap();
        if fixed {
            std::fs::write(t.join("lib/mix.o"), &bc).unwrap();
        } else {
            std::fs::write(t.join("lib/mix.o"), b"\x7fELF\x02\x01\x01").unwrap();
        }
        std::fs::write(t.join("lib/.mix.o.cmd"), "savedcmd_lib/mix.o := clang -flto=thin -c -o lib/mix.o lib/mix.c ; ld.lld -r -o lib/.tmp_mix.o lib/mix.o; mv lib/.tmp_mix.o lib/mix.o\n").unwrap();
        std::fs::write(
            t.join("vmlinux.a"),
            crate::archive::tests::thin_archive(&["kernel/fork.o", "arch/head.o", "lib/mix.o"]),
        )
        .unwrap();
        d
    }

    fn verdict_of(t: &Path) -> Judgement {
        judge(&gather(t))
    }

    #[test]
    fn gathered_trees_kept_and_lost() {
        let kept = tree(true);
        let j = verdict_of(kept.path());
        assert_eq!(j.verdict, Verdict::Kept, "{}", j.reason);
        assert_eq!(j.builtin.as_ref().unwrap().bitcode_thin, 2);
        let lost = tree(false);
        let j = verdict_of(lost.path());
        assert_eq!(j.verdict, Verdict::Lost, "{}", j.reason);
        assert_eq!(j.builtin.unwrap().lost, vec!["lib/mix.o".to_string()]);
    }

    #[test]
    fn gathered_trees_that_cannot_tell() {
        let t = tree(true);
        std::fs::remove_file(t.path().join("vmlinux.a")).unwrap();
        assert_eq!(verdict_of(t.path()).verdict, Verdict::CannotTell);

        let t = tree(true);
        std::fs::write(t.path().join("vmlinux.a"), b"!<thin>\n").unwrap();
        let j = verdict_of(t.path());
        assert_eq!(j.verdict, Verdict::CannotTell);
        assert!(j.reason.contains("names no objects"), "{}", j.reason);

        // a damaged member: bitcode magic, then garbage
        let t = tree(true);
        std::fs::write(
            t.path().join("kernel/fork.o"),
            b"BC\xc0\xde\xff\xff\xff\xff\x00",
        )
        .unwrap();
        let j = verdict_of(t.path());
        assert_eq!(j.verdict, Verdict::CannotTell);
        assert!(j.reason.contains("kernel/fork.o"), "{}", j.reason);

        // a member that is gone
        let t = tree(true);
        std::fs::remove_file(t.path().join("lib/mix.o")).unwrap();
        let j = verdict_of(t.path());
        assert_eq!(j.verdict, Verdict::CannotTell);
        assert!(j.reason.contains("lib/mix.o"), "{}", j.reason);

        // auto.conf that cannot be read (a directory)
        let t = tree(true);
        let conf = t.path().join("include/config/auto.conf");
        std::fs::remove_file(&conf).unwrap();
        std::fs::create_dir(&conf).unwrap();
        let j = verdict_of(t.path());
        assert_eq!(j.verdict, Verdict::CannotTell);
        assert!(j.reason.contains("auto.conf"), "{}", j.reason);
    }

    #[test]
    fn gathered_tree_without_lto_and_modules() {
        let t = tree(true);
        std::fs::write(
            t.path().join("include/config/auto.conf"),
            "CONFIG_ARM64=y\nCONFIG_LTO_NONE=y\n",
        )
        .unwrap();
        assert_eq!(verdict_of(t.path()).verdict, Verdict::NotLto);

        let t = tree(true);
        let p = t.path();
        std::fs::write(p.join("modules.order"), "lib/crc-a.o\nlib/comp.o\n").unwrap();
        std::fs::write(p.join("lib/crc-a.mod"), "lib/crc-a.o\n").unwrap();
        std::fs::write(p.join("lib/comp.mod"), "lib/comp_main.o\n").unwrap();
        std::fs::write(p.join("lib/comp.o"), b"\x7fELF\x02\x01\x01").unwrap();
        std::fs::copy(p.join("kernel/fork.o"), p.join("lib/comp_main.o")).unwrap();
        // modpost would read bitcode
        std::fs::copy(p.join("kernel/fork.o"), p.join("lib/crc-a.o")).unwrap();
        let j = verdict_of(p);
        assert_eq!(j.verdict, Verdict::ModulesNotElf, "{}", j.reason);
        let m = j.modules.unwrap();
        assert_eq!(
            (m.modules, m.parts.objects, m.parts.bitcode_thin),
            (2, 1, 1)
        );
        std::fs::write(p.join("lib/crc-a.o"), b"\x7fELF\x02\x01\x01").unwrap();
        assert_eq!(verdict_of(p).verdict, Verdict::Kept);
    }

    #[test]
    fn promoted_symbols_counted_from_a_real_link() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        std::fs::write(p.join("a.c"), "static __attribute__((noinline)) int helper(int x) { return x * 3; }\nint a(int x) { return helper(x) + 1; }\n").unwrap();
        std::fs::write(
            p.join("b.c"),
            "int a(int);\nint _start(void) { return a(2); }\n",
        )
        .unwrap();
        for f in ["a", "b"] {
            let st = Command::new("clang-19")
                .current_dir(p)
                .args([
                    "--target=aarch64-linux-gnu",
                    "-O2",
                    "-flto=thin",
                    "-ffreestanding",
                    "-c",
                    "-o",
                ])
                .arg(format!("{f}.o"))
                .arg(format!("{f}.c"))
                .status()
                .expect("clang-19: install the Debian package clang-19");
            assert!(st.success());
        }
        let st = Command::new("ld.lld-19")
            .current_dir(p)
            .args(["-o", "vmlinux", "a.o", "b.o"])
            .status()
            .expect("ld.lld-19: install the Debian package lld-19");
        assert!(st.success());
        let want = Command::new("llvm-nm-19")
            .arg(p.join("vmlinux"))
            .output()
            .expect("llvm-nm-19: install the Debian package llvm-19");
        let want = String::from_utf8_lossy(&want.stdout)
            .lines()
            .filter(|l| l.contains(".llvm."))
            .count() as u64;
        assert!(
            want > 0,
            "ThinLTO promoted nothing: the test proves nothing"
        );
        assert_eq!(promoted_symbols(&p.join("vmlinux")).unwrap(), want);
        assert!(promoted_symbols(&p.join("a.c")).is_err());
    }

    #[test]
    fn json_survives_non_utf8_paths() {
        use std::os::unix::ffi::OsStrExt;
        let mut f = facts(vec![obj("x.o", ObjectFacts::Elf(Some(C_LTO)))]);
        f.tree = PathBuf::from(std::ffi::OsStr::from_bytes(b"/o/\xff"));
        if let Some(Ok(m)) = &mut f.vmlinux_a {
            m[0].path = PathBuf::from(std::ffi::OsStr::from_bytes(b"bad\xfe.o"));
        }
        let j = judge(&f);
        let v: serde_json::Value = serde_json::from_str(&render_json(&f, &j, 0.0)).unwrap();
        assert_eq!(v["exit"], 4);
        assert_eq!(v["verdict"], "lost");
        assert_eq!(v["vmlinux_a"]["lost"][0], "bad\u{fffd}.o");
        assert!(render_text(&f, &j, 0.0).contains("LTO LOST (exit 4)"));
    }
}
