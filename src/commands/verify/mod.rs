//! `--shim-verify OBJTREE`: did this built kernel really keep Clang LTO?
//!
//! The post-build gate, for any tree, built with the shim or without it.
//! Two halves: [`gather`] (gather.rs) reads the tree into [`Facts`]
//! (auto.conf, the thin `vmlinux.a` and the objects it names with their
//! `.N.o.cmd` recipes, modules.order with each module's objects, the
//! ThinLTO-promoted symbols of `vmlinux`, counted by elf.rs), and [`judge`]
//! (here) turns facts into a [`Judgement`] without touching the file
//! system, so every verdict is unit-tested on facts; render.rs words it.
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
//! them bitcode for the module's own `ld -r`; a part is what a `.mod`
//! file lists, whatever its name, unless it is itself a module object
//! (kbuild's `is-single-obj-m` is membership of obj-m). There is no ratio or
//! threshold, so no tree is too small to judge: one wrongly relinked object
//! is a verdict, and an all-ELF tree is lost even without recipes. An ELF
//! object whose recipe is missing cannot be excused, so it makes the
//! verdict "cannot tell" (1) unless something is already lost.
//!
//! Single-object module objects (what modpost reads) must be ELF; one that
//! is bitcode is a wrong build whatever happened to LTO (exit 5).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

use crate::exit::ExitStatus;
use crate::kbuild::cmd_file::{SavedCommand, Source};
use crate::logging::error_line;
use crate::lto::Lto;
use crate::spelling::spelled_enum;

mod elf;
mod gather;
mod render;

pub use elf::promoted_symbols;
pub use gather::gather;
pub use render::{render_json, render_text};

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

/// One object as found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectFacts {
    Bitcode(Lto),
    /// ELF, with its recipe when the `.N.o.cmd` file exists.
    Elf(Option<SavedCommand>),
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
    /// The kernel's object tree when `tree` is an external module's build
    /// directory (`make M=`): the configuration is the kernel's, and there
    /// is no vmlinux to judge, only the modules.
    pub kernel: Option<PathBuf>,
    pub config: Result<ConfigFacts, String>,
    /// `None`: no vmlinux.a; `Err`: unreadable or damaged.
    pub vmlinux_a: Option<Result<Vec<Object>, String>>,
    /// `None`: no modules.order (modules not built or disabled).
    pub modules: Option<Result<Vec<Module>, String>>,
    /// `None`: no vmlinux; otherwise its ThinLTO-promoted symbol count.
    pub vmlinux: Option<Result<u64, String>>,
}

// ------------------------------------------------------------------ judging

/// Counts over a set of objects (vmlinux.a members, or module parts). A
/// problem is kept as the list of its paths and counted by the list's
/// length, so a count and its list cannot disagree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub objects: usize,
    pub bitcode_thin: usize,
    pub bitcode_full: usize,
    /// Bitcode without an LTO summary.
    pub bitcode_plain: usize,
    /// ELF that the fixed kernel would have made ELF too, by reason.
    pub elf_assembly: usize,
    pub elf_no_flto: usize,
    pub elf_objtool: usize,
    pub elf_not_c: usize,
    /// ELF that the fixed kernel keeps as bitcode: the loss.
    pub lost: Vec<String>,
    /// ELF without a `.N.o.cmd` to judge by.
    pub unexplained: Vec<String>,
    /// Objects that cannot be read, as `path: why`.
    pub unreadable: Vec<String>,
}

impl Tally {
    pub fn bitcode(&self) -> usize {
        self.bitcode_thin + self.bitcode_full + self.bitcode_plain
    }

    /// ELF objects that the fixed kernel makes ELF too.
    pub fn elf_as_fixed(&self) -> usize {
        self.elf_assembly + self.elf_no_flto + self.elf_objtool + self.elf_not_c
    }

    pub fn elf(&self) -> usize {
        self.elf_as_fixed() + self.lost.len() + self.unexplained.len()
    }

    /// The one place an ELF object is excused or not (see the module docs).
    fn of<'a>(objects: impl IntoIterator<Item = &'a Object>) -> Tally {
        let mut t = Tally::default();
        for o in objects {
            t.objects += 1;
            match &o.facts {
                ObjectFacts::Bitcode(Lto::Thin) => t.bitcode_thin += 1,
                ObjectFacts::Bitcode(Lto::Full) => t.bitcode_full += 1,
                ObjectFacts::Bitcode(Lto::None) => t.bitcode_plain += 1,
                ObjectFacts::Elf(None) => t.unexplained.push(lossy(&o.path)),
                ObjectFacts::Elf(Some(recipe)) => match recipe.source {
                    Source::Assembly => t.elf_assembly += 1,
                    Source::Rust | Source::None => t.elf_not_c += 1,
                    Source::C if recipe.objtool => t.elf_objtool += 1,
                    Source::C if !recipe.flto => t.elf_no_flto += 1,
                    Source::C => t.lost.push(lossy(&o.path)),
                },
                ObjectFacts::Unreadable(why) => {
                    t.unreadable.push(format!("{}: {why}", lossy(&o.path)))
                }
            }
        }
        t
    }
}

/// As the JSON has always spelled a tally: each count beside the list it
/// counts, the counts of the lists included.
impl Serialize for Tally {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let counts = [
            ("objects", self.objects),
            ("bitcode_thin", self.bitcode_thin),
            ("bitcode_full", self.bitcode_full),
            ("bitcode_plain", self.bitcode_plain),
            ("elf", self.elf()),
            ("elf_assembly", self.elf_assembly),
            ("elf_no_flto", self.elf_no_flto),
            ("elf_objtool", self.elf_objtool),
            ("elf_not_c", self.elf_not_c),
            ("elf_lost", self.lost.len()),
            ("elf_unexplained", self.unexplained.len()),
            ("unreadable", self.unreadable.len()),
        ];
        let mut json = s.serialize_struct("Tally", counts.len() + 3)?;
        for (key, count) in counts {
            json.serialize_field(key, &count)?;
        }
        json.serialize_field("lost", &self.lost)?;
        json.serialize_field("unexplained", &self.unexplained)?;
        json.serialize_field("unreadable_detail", &self.unreadable)?;
        json.end()
    }
}

spelled_enum! {
    pub enum Verdict {
        Kept = "kept",
        Lost = "lost",
        NotLto = "not-lto",
        CannotTell = "cannot-tell",
        ModulesNotElf = "modules-not-elf",
    }
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
    /// Module objects that are bitcode, by path and kind.
    pub objects_not_elf: Vec<String>,
    /// Module objects that cannot be read (missing, not a regular file,
    /// damaged, neither ELF nor bitcode), by path and why: cannot tell.
    pub objects_unreadable: Vec<String>,
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

impl ModuleTally {
    fn of(list: &[Module]) -> ModuleTally {
        // An object that is itself a module (listed in modules.order, its
        // .mod naming only it) is relinked by the fixed kernel, even when
        // another module's .mod names it too; kbuild decides by obj-m,
        // never by a name.
        let module_objects: HashSet<&Path> = list.iter().map(|m| m.object.path.as_path()).collect();
        let parts = list.iter().flat_map(|m| &m.parts);
        let mut m = ModuleTally {
            modules: list.len(),
            parts: Tally::of(parts.filter(|p| !module_objects.contains(p.path.as_path()))),
            ..ModuleTally::default()
        };
        for module in list {
            let path = lossy(&module.object.path);
            match &module.object.facts {
                ObjectFacts::Elf(_) => m.objects_elf += 1,
                ObjectFacts::Bitcode(lto) => m
                    .objects_not_elf
                    .push(format!("{path}: {} bitcode", lto.describe())),
                ObjectFacts::Unreadable(why) => m.objects_unreadable.push(format!("{path}: {why}")),
            }
        }
        m
    }
}

/// The verdict over gathered facts; no I/O.
pub fn judge(facts: &Facts) -> Judgement {
    let builtin = facts.vmlinux_a.as_ref().and_then(|r| r.as_deref().ok());
    let modules = facts.modules.as_ref().and_then(|r| r.as_deref().ok());
    let builtin = builtin.map(Tally::of);
    let modules = modules.map(ModuleTally::of);
    let (verdict, reason) = verdict(facts, builtin.as_ref(), modules.as_ref());
    Judgement {
        verdict,
        reason,
        builtin,
        modules,
    }
}

/// The verdict, from the tallies of what could be read and from `facts`
/// for what could not.
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
    // An external module's directory has no vmlinux.a: its modules are
    // all there is to judge.
    let builtin = match (&facts.kernel, &facts.vmlinux_a, builtin) {
        (Some(_), ..) if facts.modules.is_none() => {
            return (
                CannotTell,
                "no modules.order: the external module is not built (make M=DIR modules)".into(),
            )
        }
        (Some(_), ..) => None,
        (None, None, _) => {
            return (
                CannotTell,
                "no vmlinux.a: the tree is not built (make vmlinux)".into(),
            )
        }
        (None, Some(Err(why)), _) => return (CannotTell, format!("vmlinux.a: {why}")),
        (None, _, Some(t)) if t.objects == 0 => {
            return (
                CannotTell,
                "vmlinux.a names no objects (an empty or interrupted build)".into(),
            )
        }
        (None, _, t) => t,
    };
    if let Some(Err(why)) = &facts.modules {
        return (CannotTell, format!("modules: {why}"));
    }
    let tallies = || builtin.into_iter().chain(modules.map(|m| &m.parts));
    let unreadable = tallies()
        .flat_map(|t| &t.unreadable)
        .chain(modules.into_iter().flat_map(|m| &m.objects_unreadable));
    if let Some((n, first)) = count_and_first(unreadable) {
        return (
            CannotTell,
            format!("{n} object(s) cannot be read, first {first}"),
        );
    }
    if let Some(Err(why)) = &facts.vmlinux {
        return (CannotTell, format!("vmlinux: {why}"));
    }
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
    if let Some((n, first)) = count_and_first(tallies().flat_map(|t| &t.lost)) {
        return (
            Lost,
            format!("{n} C object(s) compiled with -flto are ELF where the fixed kernel keeps bitcode, first {first}"),
        );
    }
    if let Some(t) = builtin.filter(|t| t.bitcode() == 0) {
        let symbol = match config.lto {
            Lto::Thin => "CONFIG_LTO_CLANG_THIN",
            _ => "CONFIG_LTO_CLANG_FULL",
        };
        return (
            Lost,
            format!(
                "{symbol} asks for {} but none of the {} objects in vmlinux.a is bitcode",
                config.lto.describe(),
                t.objects
            ),
        );
    }
    if let Some((n, first)) = count_and_first(tallies().flat_map(|t| &t.unexplained)) {
        let what = if builtin.is_some() { "object" } else { "part" };
        return (
            CannotTell,
            format!("{n} ELF {what}(s) have no .cmd recipe to judge by, first {first}"),
        );
    }
    let kept = match (builtin, modules) {
        (Some(t), _) => format!("{} of {} built-in objects", t.bitcode(), t.objects),
        (None, Some(m)) => format!(
            "{} of {} parts of the {} module(s)",
            m.parts.bitcode(),
            m.parts.objects,
            m.modules
        ),
        (None, None) => {
            unreachable!("an external module's directory without modules.order has its verdict")
        }
    };
    (
        Kept,
        format!("{kept} are bitcode; every ELF one is ELF in the fixed kernel too"),
    )
}

/// How many `problems` there are, and the first of them, if any.
fn count_and_first<'a>(problems: impl Iterator<Item = &'a String>) -> Option<(usize, &'a String)> {
    let mut problems = problems.peekable();
    let first = *problems.peek()?;
    Some((problems.count(), first))
}

fn lossy(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// `--shim-verify TREE [--json]`: prints the verdict and returns its exit
/// status. A tree that is not a directory is one error line and 1.
pub fn run(tree: &Path, kernel: Option<&Path>, json: bool) -> ExitStatus {
    let started = Instant::now();
    match std::fs::metadata(tree) {
        Ok(m) if m.is_dir() => {}
        other => {
            let why = other.map_or_else(|e| e.to_string(), |_| "not a directory".into());
            error_line(format!("{}: {why}", tree.display()));
            return ExitStatus::Failure;
        }
    }
    let facts = gather(tree, kernel);
    let judgement = judge(&facts);
    let render = if json { render_json } else { render_text };
    let text = render(&facts, &judgement, started.elapsed().as_secs_f64());
    // One write of the whole answer, through the shell's one stdout policy:
    // a reader that went away (`| head`) still gets the verdict's status, a
    // full disk is one error line and "cannot tell".
    match crate::output::emit(&text) {
        ExitStatus::Success => judgement.verdict.exit_status(),
        failed => failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kbuild::cmd_file::saved_command;

    pub(super) const C_LTO: SavedCommand = SavedCommand {
        source: Source::C,
        flto: true,
        objtool: false,
    };

    pub(super) fn obj(path: &str, facts: ObjectFacts) -> Object {
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

    pub(super) fn facts(members: Vec<Object>) -> Facts {
        Facts {
            tree: PathBuf::from("/o"),
            kernel: None,
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
                ObjectFacts::Elf(Some(SavedCommand {
                    source: Source::Assembly,
                    flto: false,
                    objtool: false,
                })),
            ),
        ]
    }

    /// The tally of one ELF object `x.o` with `recipe`: which count
    /// excuses it, or which list holds it.
    fn elf_origin(recipe: Option<&SavedCommand>) -> Tally {
        Tally::of(&[obj("x.o", ObjectFacts::Elf(recipe.copied()))])
    }

    fn counted(count: fn(&mut Tally) -> &mut usize) -> Tally {
        let mut t = Tally {
            objects: 1,
            ..Tally::default()
        };
        *count(&mut t) += 1;
        t
    }

    fn listed(list: fn(&mut Tally) -> &mut Vec<String>) -> Tally {
        let mut t = Tally {
            objects: 1,
            ..Tally::default()
        };
        list(&mut t).push("x.o".into());
        t
    }

    #[test]
    fn recipes_the_fixed_kernel_also_makes_elf() {
        let objtool = saved_command(
            "savedcmd_lib/crc.o := clang -flto=thin -c -o lib/crc.o lib/crc.c ; ld.lld -r -o lib/.tmp_crc.o lib/crc.o; mv lib/.tmp_crc.o lib/crc.o ; ./tools/objtool/objtool --link lib/crc.o\n",
        )
        .unwrap();
        assert_eq!(elf_origin(Some(&objtool)), counted(|t| &mut t.elf_objtool));
        let no_lto =
            saved_command("savedcmd_a/v.o := clang -flto=thin -fno-lto -c -o a/v.o a/v.c\n")
                .unwrap();
        assert_eq!(elf_origin(Some(&no_lto)), counted(|t| &mut t.elf_no_flto));
        let asm = saved_command(
            "savedcmd_arch/arm64/kernel/head.o := clang -D__ASSEMBLY__ -c -o arch/arm64/kernel/head.o arch/arm64/kernel/head.S\nsource_arch/arm64/kernel/head.o := arch/arm64/kernel/head.S\n",
        )
        .unwrap();
        assert_eq!(elf_origin(Some(&asm)), counted(|t| &mut t.elf_assembly));
        let objcopy = saved_command(
            "savedcmd_arch/arm64/kernel/pi/map.pi.o := llvm-objcopy --prefix-symbols=__pi_ arch/arm64/kernel/pi/map.o arch/arm64/kernel/pi/map.pi.o\n",
        )
        .unwrap();
        assert_eq!(elf_origin(Some(&objcopy)), counted(|t| &mut t.elf_not_c));
        // the last of -flto / -fno-lto wins, as in clang
        let back_on =
            saved_command("cmd_x.o := clang -fno-lto -flto=thin -c -o x.o x.c\n").unwrap();
        assert_eq!(elf_origin(Some(&back_on)), listed(|t| &mut t.lost));
        assert_eq!(saved_command("deps_x.o := \\\n"), None);
        assert_eq!(elf_origin(None), listed(|t| &mut t.unexplained));
    }

    #[test]
    fn kept_when_every_elf_object_is_excused() {
        let j = judge(&facts(kept_members()));
        assert_eq!(j.verdict, Verdict::Kept, "{}", j.reason);
        assert_eq!(j.verdict.exit_status().code(), 0);
        let t = j.builtin.unwrap();
        assert_eq!(
            (
                t.objects,
                t.bitcode_thin,
                t.elf(),
                t.elf_assembly,
                t.lost.len()
            ),
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
        assert_eq!(j.verdict.exit_status().code(), 4);
        assert!(j.reason.contains("lib/mix.o"), "{}", j.reason);
        assert_eq!(j.builtin.unwrap().lost, vec!["lib/mix.o".to_string()]);
    }

    #[test]
    fn no_bitcode_at_all_is_lost_even_without_recipes() {
        let j = judge(&facts(vec![
            obj("a.o", ObjectFacts::Elf(None)),
            obj(
                "b.o",
                ObjectFacts::Elf(Some(SavedCommand {
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
        assert_eq!(j.verdict.exit_status().code(), 1);
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

    /// kbuild relinks an object in obj-m even when another module's .mod
    /// names it too; a part named like its module up to -/_ (vfio-pci-core's
    /// vfio_pci_core.o) is still a part, and lost when ELF.
    #[test]
    fn a_module_object_is_excused_and_a_same_named_part_is_not() {
        let mut f = facts(kept_members());
        f.modules = Some(Ok(vec![
            Module {
                object: obj("drivers/solo.o", ObjectFacts::Elf(Some(C_LTO))),
                parts: vec![],
            },
            Module {
                object: obj("drivers/comp.o", ObjectFacts::Elf(None)),
                parts: vec![
                    obj("drivers/solo.o", ObjectFacts::Elf(Some(C_LTO))),
                    obj("drivers/comp_main.o", ObjectFacts::Bitcode(Lto::Thin)),
                ],
            },
        ]));
        let j = judge(&f);
        assert_eq!(j.verdict, Verdict::Kept, "{}", j.reason);
        assert_eq!(j.modules.as_ref().unwrap().parts.objects, 1);
        f.modules = Some(Ok(vec![Module {
            object: obj("drivers/vfio-pci-core.o", ObjectFacts::Elf(None)),
            parts: vec![
                obj("drivers/vfio_pci_core.o", ObjectFacts::Elf(Some(C_LTO))),
                obj("drivers/vfio_pci_intrs.o", ObjectFacts::Bitcode(Lto::Thin)),
            ],
        }]));
        let j = judge(&f);
        assert_eq!(j.verdict, Verdict::Lost, "{}", j.reason);
        assert!(j.reason.contains("drivers/vfio_pci_core.o"), "{}", j.reason);
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
        assert_eq!(j.verdict.exit_status().code(), 5);
        let m = j.modules.unwrap();
        assert_eq!((m.modules, m.objects_elf), (2, 1));
        assert!(m.objects_not_elf[0].starts_with("lib/crc-a.o"));
    }

    /// Cannot tell is 1 whatever the object: a module object that is gone
    /// or cannot be read is not proof of a wrong build (5).
    #[test]
    fn an_unreadable_module_object_cannot_tell() {
        let mut f = facts(kept_members());
        f.modules = Some(Ok(vec![
            Module {
                object: obj("drivers/m.o", ObjectFacts::Elf(Some(C_LTO))),
                parts: vec![],
            },
            Module {
                object: obj(
                    "lib/gone.o",
                    ObjectFacts::Unreadable("No such file or directory (os error 2)".into()),
                ),
                parts: vec![],
            },
        ]));
        let j = judge(&f);
        assert_eq!(j.verdict, Verdict::CannotTell, "{}", j.reason);
        assert_eq!(j.verdict.exit_status().code(), 1);
        assert!(
            j.reason.contains("lib/gone.o: No such file"),
            "{}",
            j.reason
        );
        assert!(j.modules.unwrap().objects_not_elf.is_empty());
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
        assert_eq!(j.verdict.exit_status().code(), 3);
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
            assert_eq!(j.verdict.exit_status().code(), 1, "{what}");
        }
    }
}
