//! ld.lld (LLVM 19) command-line options as data, and LLVM OptTable's lookup
//! rule, so the shim can read a linker call exactly the way ld.lld will.
//!
//! Why a table and not a CLI parser: lld's options are not GNU-shaped
//! (`-maarch64elf`, `-z norelro`, single-dash long options, `-oFILE`), and a
//! guess about an unfamiliar argument could turn a real link into a copy. So
//! every spelling ld.lld 19 accepts is listed here, and anything not listed is
//! "unknown" for the caller to refuse.
//!
//! Where the data comes from: [`LLD_ROWS`] (src/link/options/lld.rs) is the
//! option table compiled into Debian's `ld.lld-19` (LLD 19.1.7), read out of
//! the binary by `python3 src/link/options/gen.py ld.lld-19`, which reproduces the
//! committed file byte for byte (integration/toolchains.rs checks it) and
//! reads ld.lld 14, 15 and 16 the same way. lld's `lld/ELF/Options.td` is the
//! upstream source of the same rows (its `F`/`FF`/`J`/`JJ`/`Eq`/`EEq`/`B`/`BB`
//! helper classes decide the `-`/`--` prefixes and the `=`/separate value
//! forms). Every spelling of LLVM 19 is present, aliases included; options
//! that later LLVM versions added (for example `--bp-compression-sort=`,
//! `--why-live`) are absent and so read as unknown, which the caller forwards
//! to the real ld.lld, and so is GNU ld's `-i`, which ld.lld 19 rejects as
//! unknown. Each `name=`/`name` pair is one [`Form::Eq`] row. What an option
//! means to the shim ([`Effect`]) is the project's own knowledge,
//! hand-written in `EFFECTS` and joined by name.

/// Which dash prefixes an option accepts; lld only ever uses `-` and `--`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dash {
    /// `-name` only (short options and a few single-dash spellings).
    One,
    /// `--name` only (lld-specific and newer long options).
    Two,
    /// Both `-name` and `--name` (GNU-compatible long options).
    Both,
}

impl Dash {
    /// Whether an argument written with `prefix` (`"-"` or `"--"`) can name
    /// an option with these dashes.
    pub fn allows(self, prefix: &str) -> bool {
        matches!(
            (self, prefix),
            (Dash::One | Dash::Both, "-") | (Dash::Two | Dash::Both, "--")
        )
    }
}

/// How an option takes its value, in LLVM OptTable terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    /// No value; the argument must be exactly the spelling.
    Flag,
    /// The value is the rest of the same argument (possibly empty). Names of
    /// `=`-style joined options end in `=` here, as in Options.td.
    Joined,
    /// The value is the next argument; the argument must be exactly the
    /// spelling.
    Separate,
    /// `-zX` (joined) or `-z X` (separate).
    JoinedOrSeparate,
    /// `--name=value` or `--name value`: lld's `Eq`/`EEq` pair of a Joined
    /// `name=` and a Separate `name` (also the hand-written `--output`,
    /// `--library`, `--library-path`, `--rpath-link`, `--Ttext-segment`).
    Eq,
}

/// What an option means for the shim's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// `-r` / `--relocatable`: the output is a relocatable object.
    Relocatable,
    /// `-o` / `--output`: names the output file.
    Output,
    /// Changes what the link does or writes, so the call is not a plain
    /// "relink this object as is": the option brings
    /// in files or symbols (`-T`, `-l`, `--defsym`, `-u`, `--wrap`, `-e`...),
    /// changes how inputs are read (`--whole-archive`, groups, `--start-lib`,
    /// `--format`, `--chroot`, `--remap-inputs`), changes what kind of
    /// output is written (`--lto-emit-llvm`, `--thinlto-index-only`), or makes
    /// lld write or print something besides the output (`-Map`,
    /// `--dependency-file`, `--reproduce`, `--trace`, `--save-temps`...),
    /// which a copy of the input would silently skip.
    ChangesLink,
    /// `--version`, `-v`, `-V`, `--help`: informational calls whose output
    /// kbuild reads (scripts/ld-version.sh, ld-option).
    Probe,
    /// Everything else: target, tuning and diagnostics options that do not
    /// change which inputs are linked (`-EL`, `-m`, `-z`, `-mllvm`,
    /// `--build-id`, `-plugin-opt=...`, `-L`, `--lto-O2`, ...).
    Neutral,
}

/// One spelling family of an ld.lld option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opt {
    /// Option name without dashes, exactly as in Options.td (`build-id=`,
    /// `plugin-opt=thinlto`, `m`, `Map`).
    pub name: &'static str,
    /// Which dash prefixes may precede `name`.
    pub dash: Dash,
    /// How the value is given.
    pub form: Form,
    /// What the option means to the shim.
    pub effect: Effect,
}

/// The value of a matched option, as found in the argument list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptValue<'a> {
    /// A flag: no value.
    None,
    /// The value is inside the same argument (`-oFILE`, `--output=FILE`,
    /// `-zmax-page-size=0x1000`).
    Inline(&'a str),
    /// The value is the next argument (`-o FILE`, `-z norelro`); the caller
    /// consumes it (and reports it missing at the end of the list).
    NextArg,
}

/// The result of looking one argument up in [`OPTIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match<'a> {
    /// The option row that matched.
    pub opt: &'static Opt,
    /// The dash prefix the argument used (`"-"` or `"--"`).
    pub prefix: &'static str,
    /// Where the value is.
    pub value: OptValue<'a>,
}

impl Match<'_> {
    /// The option as written, without its value (`-T`, `--script`,
    /// `--defsym`), for messages; a trailing `=` of a joined name is dropped.
    pub fn spelling(&self) -> String {
        format!("{}{}", self.prefix, self.opt.name.trim_end_matches('='))
    }
}

const fn o(name: &'static str, dash: Dash, form: Form, effect: Effect) -> Opt {
    Opt {
        name,
        dash,
        form,
        effect,
    }
}

use Dash::{Both, One, Two};
use Effect::{ChangesLink, Neutral, Output, Probe, Relocatable};
use Form::{Eq as EqForm, Flag, Joined, JoinedOrSeparate, Separate};

/// ld.lld 19's option spellings: name, dashes and value form exactly as its
/// own OptTable has them, generated by `src/link/options/gen.py` (see there for
/// how, and for why not `--help`). Sorted by name bytes.
pub const LLD_ROWS: &[(&str, Dash, Form)] = include!("options/lld.rs");

/// What each of [`LLD_ROWS`] means to the shim: the project's own reading
/// of lld's documentation and source, row for row in the same order. A
/// regenerated table with a new or renamed option does not compile until
/// the option is classified here: no option's effect is ever a default.
const EFFECTS: &[(&str, Effect)] = &[
    ("(", ChangesLink),
    (")", ChangesLink),
    ("Bdynamic", Neutral),
    ("Bno-symbolic", Neutral),
    ("Bshareable", Neutral),
    ("Bstatic", Neutral),
    ("Bsymbolic", Neutral),
    ("Bsymbolic-functions", Neutral),
    ("Bsymbolic-non-weak", Neutral),
    ("Bsymbolic-non-weak-functions", Neutral),
    ("E", Neutral),
    ("EB", Neutral),
    ("EL", Neutral),
    ("F", Neutral),
    ("G", Neutral),
    ("L", Neutral),
    ("M", ChangesLink),
    ("Map", ChangesLink),
    ("N", Neutral),
    ("O", Neutral),
    ("R", ChangesLink),
    ("S", Neutral),
    ("T", ChangesLink),
    ("Tbss", Neutral),
    ("Tdata", Neutral),
    ("Ttext", Neutral),
    ("Ttext-segment", Neutral),
    ("V", Probe),
    ("X", Neutral),
    ("allow-multiple-definition", Neutral),
    ("allow-shlib-undefined", Neutral),
    ("android-memtag-heap", Neutral),
    ("android-memtag-mode", Neutral),
    ("android-memtag-stack", Neutral),
    ("apply-dynamic-relocs", Neutral),
    ("as-needed", Neutral),
    ("auxiliary", Neutral),
    ("b", ChangesLink),
    ("be8", Neutral),
    ("build-id", Neutral),
    ("build-id=", Neutral),
    ("call-graph-ordering-file", ChangesLink),
    ("call-graph-profile-sort=", Neutral),
    ("call_shared", Neutral),
    ("check-dynamic-relocations", Neutral),
    ("check-sections", Neutral),
    ("chroot", ChangesLink),
    ("cmse-implib", Neutral),
    ("color-diagnostics", Neutral),
    ("color-diagnostics=", Neutral),
    ("compress-debug-sections", Neutral),
    ("compress-sections", Neutral),
    ("cref", ChangesLink),
    ("d", Neutral),
    ("dT", ChangesLink),
    ("debug-names", Neutral),
    ("default-script", ChangesLink),
    ("defsym", ChangesLink),
    ("demangle", Neutral),
    ("dependency-file", ChangesLink),
    ("dependent-libraries", Neutral),
    ("disable-new-dtags", Neutral),
    ("disable-verify", Neutral),
    ("discard-all", Neutral),
    ("discard-locals", Neutral),
    ("discard-none", Neutral),
    ("dn", Neutral),
    ("dy", Neutral),
    ("dynamic-linker", Neutral),
    ("dynamic-list", ChangesLink),
    ("e", ChangesLink),
    ("eh-frame-hdr", Neutral),
    ("emit-relocs", Neutral),
    ("enable-new-dtags", Neutral),
    ("enable-non-contiguous-regions", Neutral),
    ("end-group", ChangesLink),
    ("end-lib", ChangesLink),
    ("entry", ChangesLink),
    ("error-handling-script", Neutral),
    ("error-limit", Neutral),
    ("error-unresolved-symbols", Neutral),
    ("exclude-libs", Neutral),
    ("execute-only", Neutral),
    ("export-dynamic", Neutral),
    ("export-dynamic-symbol", ChangesLink),
    ("export-dynamic-symbol-list", ChangesLink),
    ("f", Neutral),
    ("fat-lto-objects", Neutral),
    ("fatal-warnings", Neutral),
    ("filter", Neutral),
    ("fini", ChangesLink),
    ("fix-cortex-a53-843419", Neutral),
    ("fix-cortex-a8", Neutral),
    ("force-group-allocation", Neutral),
    ("format", ChangesLink),
    ("fortran-common", Neutral),
    ("g", Neutral),
    ("gc-sections", Neutral),
    ("gdb-index", Neutral),
    ("gnu-unique", Neutral),
    ("h", Neutral),
    ("hash-style", Neutral),
    ("help", Probe),
    ("icf=all", Neutral),
    ("icf=none", Neutral),
    ("icf=safe", Neutral),
    ("ignore-data-address-equality", Neutral),
    ("ignore-function-address-equality", Neutral),
    ("image-base", Neutral),
    ("in-implib", ChangesLink),
    ("init", ChangesLink),
    ("just-symbols", ChangesLink),
    ("keep-unique", Neutral),
    ("l", ChangesLink),
    ("library", ChangesLink),
    ("library-path", Neutral),
    ("load-pass-plugin", ChangesLink),
    ("long-plt", Neutral),
    ("lto-CGO", Neutral),
    ("lto-O", Neutral),
    ("lto-aa-pipeline=", Neutral),
    ("lto-basic-block-address-map", Neutral),
    ("lto-basic-block-sections=", Neutral),
    ("lto-cs-profile-file=", Neutral),
    ("lto-cs-profile-generate", Neutral),
    ("lto-debug-pass-manager", Neutral),
    ("lto-emit-asm", ChangesLink),
    ("lto-emit-llvm", ChangesLink),
    ("lto-known-safe-vtables", Neutral),
    ("lto-newpm-passes=", Neutral),
    ("lto-obj-path=", ChangesLink),
    ("lto-partitions=", Neutral),
    ("lto-pgo-warn-mismatch", Neutral),
    ("lto-sample-profile=", Neutral),
    ("lto-unique-basic-block-section-names", Neutral),
    ("lto-validate-all-vtables-have-type-infos", Neutral),
    ("lto-whole-program-visibility", Neutral),
    ("lto=", Neutral),
    ("m", Neutral),
    ("merge-exidx-entries", Neutral),
    ("mips-got-size", Neutral),
    ("mllvm", Neutral),
    ("mmap-output-file", Neutral),
    ("n", Neutral),
    ("nmagic", Neutral),
    ("no-add-needed", Neutral),
    ("no-allow-multiple-definition", Neutral),
    ("no-allow-shlib-undefined", Neutral),
    ("no-android-memtag-heap", Neutral),
    ("no-android-memtag-stack", Neutral),
    ("no-apply-dynamic-relocs", Neutral),
    ("no-as-needed", Neutral),
    ("no-call-graph-profile-sort", Neutral),
    ("no-check-dynamic-relocations", Neutral),
    ("no-check-sections", Neutral),
    ("no-color-diagnostics", Neutral),
    ("no-copy-dt-needed-entries", Neutral),
    ("no-ctors-in-init-array", Neutral),
    ("no-debug-names", Neutral),
    ("no-demangle", Neutral),
    ("no-dependent-libraries", Neutral),
    ("no-dynamic-linker", Neutral),
    ("no-eh-frame-hdr", Neutral),
    ("no-execute-only", Neutral),
    ("no-export-dynamic", Neutral),
    ("no-fat-lto-objects", Neutral),
    ("no-fatal-warnings", Neutral),
    ("no-fortran-common", Neutral),
    ("no-gc-sections", Neutral),
    ("no-gdb-index", Neutral),
    ("no-gnu-unique", Neutral),
    ("no-keep-memory", Neutral),
    ("no-lto-basic-block-address-map", Neutral),
    ("no-lto-pgo-warn-mismatch", Neutral),
    ("no-lto-unique-basic-block-section-names", Neutral),
    ("no-lto-validate-all-vtables-have-type-infos", Neutral),
    ("no-lto-whole-program-visibility", Neutral),
    ("no-merge-exidx-entries", Neutral),
    ("no-mmap-output-file", Neutral),
    ("no-nmagic", Neutral),
    ("no-omagic", Neutral),
    ("no-optimize-bb-jumps", Neutral),
    ("no-pcrel-optimize", Neutral),
    ("no-pie", Neutral),
    ("no-power10-stubs", Neutral),
    ("no-print-gc-sections", Neutral),
    ("no-print-icf-sections", Neutral),
    ("no-relax", Neutral),
    ("no-relax-gp", Neutral),
    ("no-rosegment", Neutral),
    ("no-toc-optimize", Neutral),
    ("no-undefined", Neutral),
    ("no-undefined-version", Neutral),
    ("no-use-android-relr-tags", Neutral),
    ("no-warn-backrefs", Neutral),
    ("no-warn-common", Neutral),
    ("no-warn-ifunc-textrel", Neutral),
    ("no-warn-mismatch", Neutral),
    ("no-warn-symbol-ordering", Neutral),
    ("no-warnings", Neutral),
    ("no-whole-archive", ChangesLink),
    ("noinhibit-exec", Neutral),
    ("non_shared", Neutral),
    ("nostdlib", Neutral),
    ("o", Output),
    ("oformat", Neutral),
    ("omagic", Neutral),
    ("opt-remarks-filename", ChangesLink),
    ("opt-remarks-format", Neutral),
    ("opt-remarks-hotness-threshold", Neutral),
    ("opt-remarks-passes", Neutral),
    ("opt-remarks-with-hotness", Neutral),
    ("optimize-bb-jumps", Neutral),
    ("orphan-handling", Neutral),
    ("out-implib", ChangesLink),
    ("output", Output),
    ("pack-dyn-relocs", Neutral),
    ("package-metadata=", Neutral),
    ("pcrel-optimize", Neutral),
    ("pic-executable", Neutral),
    ("pic-veneer", Neutral),
    ("pie", Neutral),
    ("plugin", Neutral),
    ("plugin-opt=", Neutral),
    ("plugin-opt=-", Neutral),
    ("plugin-opt=-fresolution=", Neutral),
    ("plugin-opt=-pass-through=", Neutral),
    ("plugin-opt=O", Neutral),
    ("plugin-opt=cs-profile-generate", Neutral),
    ("plugin-opt=cs-profile-path=", Neutral),
    ("plugin-opt=debug-pass-manager", Neutral),
    ("plugin-opt=disable-verify", Neutral),
    ("plugin-opt=dwo_dir=", ChangesLink),
    ("plugin-opt=emit-asm", ChangesLink),
    ("plugin-opt=emit-llvm", ChangesLink),
    ("plugin-opt=jobs=", Neutral),
    ("plugin-opt=lto-partitions=", Neutral),
    ("plugin-opt=mcpu=", Neutral),
    ("plugin-opt=obj-path=", ChangesLink),
    ("plugin-opt=opt-remarks-filename=", ChangesLink),
    ("plugin-opt=opt-remarks-format=", Neutral),
    ("plugin-opt=opt-remarks-hotness-threshold=", Neutral),
    ("plugin-opt=opt-remarks-passes=", Neutral),
    ("plugin-opt=opt-remarks-with-hotness", Neutral),
    ("plugin-opt=sample-profile=", Neutral),
    ("plugin-opt=save-temps", ChangesLink),
    ("plugin-opt=stats-file=", ChangesLink),
    ("plugin-opt=thinlto", Neutral),
    ("plugin-opt=thinlto-emit-imports-files", ChangesLink),
    ("plugin-opt=thinlto-index-only", ChangesLink),
    ("plugin-opt=thinlto-index-only=", ChangesLink),
    ("plugin-opt=thinlto-object-suffix-replace=", Neutral),
    ("plugin-opt=thinlto-prefix-replace=", Neutral),
    ("pop-state", ChangesLink),
    ("power10-stubs", Neutral),
    ("power10-stubs=", Neutral),
    ("print-archive-stats=", ChangesLink),
    ("print-gc-sections", ChangesLink),
    ("print-icf-sections", ChangesLink),
    ("print-map", ChangesLink),
    ("print-memory-usage", ChangesLink),
    ("print-symbol-order", ChangesLink),
    ("push-state", ChangesLink),
    ("q", Neutral),
    ("r", Relocatable),
    ("relax", Neutral),
    ("relax-gp", Neutral),
    ("relocatable", Relocatable),
    ("remap-inputs", ChangesLink),
    ("remap-inputs-file=", ChangesLink),
    ("reproduce", ChangesLink),
    ("retain-symbols-file", ChangesLink),
    ("rosegment", Neutral),
    ("rpath", Neutral),
    ("rpath-link", Neutral),
    ("rsp-quoting", Neutral),
    ("s", Neutral),
    ("save-temps", ChangesLink),
    ("save-temps=", ChangesLink),
    ("script", ChangesLink),
    ("section-start", Neutral),
    ("secure-plt", Neutral),
    ("shared", Neutral),
    ("shuffle-sections", Neutral),
    ("soname", Neutral),
    ("sort-common", Neutral),
    ("sort-section", Neutral),
    ("split-stack-adjust-size", Neutral),
    ("start-group", ChangesLink),
    ("start-lib", ChangesLink),
    ("static", Neutral),
    ("stats", Neutral),
    ("strip-all", Neutral),
    ("strip-debug", Neutral),
    ("symbol-ordering-file", ChangesLink),
    ("sysroot", Neutral),
    ("t", ChangesLink),
    ("target1-abs", Neutral),
    ("target1-rel", Neutral),
    ("target2", Neutral),
    ("thinlto-cache-dir=", Neutral),
    ("thinlto-cache-policy", Neutral),
    ("thinlto-emit-imports-files", ChangesLink),
    ("thinlto-emit-index-files", ChangesLink),
    ("thinlto-index-only", ChangesLink),
    ("thinlto-index-only=", ChangesLink),
    ("thinlto-jobs=", Neutral),
    ("thinlto-object-suffix-replace=", Neutral),
    ("thinlto-prefix-replace=", Neutral),
    ("thinlto-single-module=", ChangesLink),
    ("threads", Neutral),
    ("time-trace", ChangesLink),
    ("time-trace-granularity", Neutral),
    ("time-trace=", ChangesLink),
    ("toc-optimize", Neutral),
    ("trace", ChangesLink),
    ("trace-symbol", ChangesLink),
    ("u", ChangesLink),
    ("undefined", ChangesLink),
    ("undefined-glob", ChangesLink),
    ("undefined-version", Neutral),
    ("unique", Neutral),
    ("unresolved-symbols", Neutral),
    ("use-android-relr-tags", Neutral),
    ("v", Probe),
    ("verbose", ChangesLink),
    ("version", Probe),
    ("version-script", ChangesLink),
    ("vs-diagnostics", Neutral),
    ("w", Neutral),
    ("warn-backrefs", Neutral),
    ("warn-backrefs-exclude", Neutral),
    ("warn-common", Neutral),
    ("warn-execstack", Neutral),
    ("warn-ifunc-textrel", Neutral),
    ("warn-once", Neutral),
    ("warn-shared-textrel", Neutral),
    ("warn-symbol-ordering", Neutral),
    ("warn-unresolved-symbols", Neutral),
    ("whole-archive", ChangesLink),
    ("why-extract=", ChangesLink),
    ("wrap", ChangesLink),
    ("x", Neutral),
    ("y", ChangesLink),
    ("z", Neutral),
];

/// Joins [`LLD_ROWS`] and [`EFFECTS`] by name at compile time.
const fn join<const N: usize>() -> [Opt; N] {
    assert!(
        LLD_ROWS.len() == N && EFFECTS.len() == N,
        "src/link/options.rs EFFECTS must have one row per row of src/link/options/lld.rs"
    );
    let mut table = [o("", One, Flag, Neutral); N];
    let mut i = 0;
    while i < N {
        let (name, dash, form) = LLD_ROWS[i];
        let (classified, effect) = EFFECTS[i];
        assert!(
            same_name(name, classified),
            "src/link/options.rs EFFECTS must name the rows of src/link/options/lld.rs in the same order"
        );
        table[i] = o(name, dash, form, effect);
        i += 1;
    }
    table
}

const fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut i = 0;
    while i < a.len() && i < b.len() && a[i] == b[i] {
        i += 1;
    }
    i == a.len() && i == b.len()
}

/// Every option of ld.lld 19's ELF driver with its effect, sorted by `name`
/// (byte order) so lookups can binary-search; a unit test keeps it sorted and
/// free of duplicates.
pub static OPTIONS: [Opt; LLD_ROWS.len()] = join();

/// Looks `arg` up the way LLVM's OptTable does (ld.lld 19 uses it with
/// case-sensitive names and no grouped short options).
///
/// Returns `None` for arguments lld treats as inputs (anything not starting
/// with `-`, and a lone `-`) and for unknown options; the caller tells the two
/// apart by the leading `-`.
///
/// Why this order: OptTable tries every option whose prefix+name starts the
/// argument, longest name first, and takes the first whose form accepts the
/// argument: `-mllvm` beats `-m`, `--output=x` is `--output=`, `-oFILE` is
/// joined `-o`, and `-shared` is not `-s` followed by junk. A Flag or
/// Separate option only accepts an argument that is exactly its spelling, so
/// `-vX` falls through to "unknown" just as in lld.
pub fn lookup(arg: &str) -> Option<Match<'_>> {
    let (row, prefix, value) = lookup_in(LLD_ROWS, arg)?;
    Some(Match {
        opt: &OPTIONS[row],
        prefix,
        value,
    })
}

/// [`lookup`]'s rule over any ld.lld version's spelling rows (sorted by name
/// bytes, as `src/link/options/gen.py` writes them): the matching row's index,
/// the dash prefix used, and where the value is. The toolchain tests use it
/// to read kbuild's flags the way each tested ld.lld reads them.
pub fn lookup_in<'a, S: AsRef<str>>(
    rows: &[(S, Dash, Form)],
    arg: &'a str,
) -> Option<(usize, &'static str, OptValue<'a>)> {
    if arg == "-" {
        return None;
    }
    // The longest accepted name wins; on equal length the `--` reading,
    // tried first, is kept (only one can exist anyway). Every name that can
    // start `rest` shares its first byte, and the sorted rows hold those in
    // one run: a few dozen comparisons, no allocation, whatever the
    // argument's length (kbuild's final links pass long -L and path flags).
    let mut best: Option<(usize, usize, &'static str, OptValue<'a>)> = None;
    for prefix in ["--", "-"] {
        let Some(rest) = arg.strip_prefix(prefix) else {
            continue;
        };
        let Some(&first) = rest.as_bytes().first() else {
            continue;
        };
        let start = rows.partition_point(|r| r.0.as_ref().as_bytes().first() < Some(&first));
        for (row, (name, dash, form)) in rows.iter().enumerate().skip(start) {
            let name = name.as_ref();
            if name.as_bytes().first() != Some(&first) {
                break;
            }
            if best.as_ref().is_some_and(|b| b.1 >= name.len())
                || !rest.starts_with(name)
                || !dash.allows(prefix)
            {
                continue;
            }
            if let Some(value) = accepts(*form, &rest[name.len()..]) {
                best = Some((row, name.len(), prefix, value));
            }
        }
    }
    best.map(|(row, _, prefix, value)| (row, prefix, value))
}

/// How an option of `form` reads the text after its name, or `None` when
/// that form does not accept it (a Flag with junk after it, `--name` glued
/// to a value without `=`).
fn accepts(form: Form, tail: &str) -> Option<OptValue<'_>> {
    Some(match form {
        Form::Flag if tail.is_empty() => OptValue::None,
        Form::Separate if tail.is_empty() => OptValue::NextArg,
        Form::Flag | Form::Separate => return None,
        Form::Joined => OptValue::Inline(tail),
        Form::JoinedOrSeparate if tail.is_empty() => OptValue::NextArg,
        Form::JoinedOrSeparate => OptValue::Inline(tail),
        Form::Eq if tail.is_empty() => OptValue::NextArg,
        Form::Eq => OptValue::Inline(tail.strip_prefix('=')?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(arg: &str) -> Match<'_> {
        lookup(arg).unwrap_or_else(|| panic!("{arg} should be a known option"))
    }

    /// The search narrows to names sharing the argument's first byte; this
    /// checks it against the rule stated plainly over every row: the
    /// longest name (`--` reading first) whose form accepts the rest.
    #[test]
    fn lookup_agrees_with_a_scan_of_every_row() {
        let scan = |arg: &str| {
            let mut best: Option<(usize, usize, &'static str)> = None;
            for prefix in ["--", "-"] {
                let Some(rest) = arg.strip_prefix(prefix) else {
                    continue;
                };
                for (row, (name, dash, form)) in LLD_ROWS.iter().enumerate() {
                    let fits = dash.allows(prefix)
                        && rest.starts_with(name)
                        && accepts(*form, &rest[name.len()..]).is_some();
                    if fits && best.is_none_or(|b| name.len() > b.1) {
                        best = Some((row, name.len(), prefix));
                    }
                }
            }
            best.map(|(row, _, prefix)| (row, prefix))
        };
        let mut checked = 0;
        for (name, _, _) in LLD_ROWS {
            for prefix in ["-", "--"] {
                for tail in ["", "=", "=x", "x", "-y", "é", "=a=b"] {
                    let arg = format!("{prefix}{name}{tail}");
                    let got = lookup_in(LLD_ROWS, &arg).map(|(row, p, _)| (row, p));
                    assert_eq!(got, scan(&arg), "{arg}");
                    checked += 1;
                }
            }
        }
        for arg in ["-", "--", "---", "-é", "", "x", "-Wl,-r", "--=x"] {
            let got = lookup_in(LLD_ROWS, arg).map(|(row, p, _)| (row, p));
            assert_eq!(got, scan(arg), "{arg}");
        }
        assert!(checked > 4000);
    }

    #[test]
    fn table_is_sorted_and_unique() {
        for w in OPTIONS.windows(2) {
            assert!(
                w[0].name < w[1].name,
                "not sorted or duplicate: {:?} then {:?}",
                w[0].name,
                w[1].name
            );
        }
        let mut seen = std::collections::HashSet::new();
        for o in OPTIONS {
            assert!(seen.insert((o.name, o.form)), "duplicate {:?}", o.name);
        }
    }

    #[test]
    fn table_size_matches_lld_19() {
        // 414 OptTable rows in LLD 19.1.7 (without <input>/<unknown>), 69
        // Joined+Separate pairs folded into one Eq row each.
        assert_eq!(OPTIONS.len(), 414 - 69);
        assert_eq!(OPTIONS.iter().filter(|o| o.form == Form::Eq).count(), 69);
    }

    #[test]
    fn kbuild_object_relink_flags() {
        let el = m("-EL");
        assert_eq!(
            (el.opt.name, el.opt.effect, el.value),
            ("EL", Effect::Neutral, OptValue::None)
        );
        let emu = m("-maarch64elf");
        assert_eq!(
            (emu.opt.name, emu.value),
            ("m", OptValue::Inline("aarch64elf"))
        );
        let z = m("-z");
        assert_eq!(
            (z.opt.name, z.opt.form, z.value),
            ("z", Form::JoinedOrSeparate, OptValue::NextArg)
        );
        let mllvm = m("-mllvm");
        assert_eq!(
            (mllvm.opt.name, mllvm.opt.effect, mllvm.value),
            ("mllvm", Effect::Neutral, OptValue::NextArg)
        );
        assert_eq!(m("-mllvm=-x").value, OptValue::Inline("-x"));
        let r = m("-r");
        assert_eq!(
            (r.opt.name, r.opt.effect, r.value),
            ("r", Effect::Relocatable, OptValue::None)
        );
        let out = m("-o");
        assert_eq!(
            (out.opt.name, out.opt.effect, out.value),
            ("o", Effect::Output, OptValue::NextArg)
        );
        // The value of `-mllvm`, looked at on its own, is not an lld option.
        assert!(lookup("-import-instr-limit=5").is_none());
    }

    #[test]
    fn every_spelling_of_the_output_option_is_found_as_lld_reads_it() {
        let eq = m("--output=x");
        assert_eq!(
            (eq.opt.name, eq.opt.effect, eq.value),
            ("output", Effect::Output, OptValue::Inline("x"))
        );
        assert_eq!(m("--output").value, OptValue::NextArg);
        let joined = m("-oX");
        assert_eq!(
            (joined.opt.name, joined.value),
            ("o", OptValue::Inline("X"))
        );
        // `--output` is two-dash only, so `-output=x` is `-o` with "utput=x",
        // exactly as lld reads it.
        let single = m("-output=x");
        assert_eq!(
            (single.opt.name, single.value),
            ("o", OptValue::Inline("utput=x"))
        );
        assert_eq!(single.opt.effect, Effect::Output);
    }

    #[test]
    fn joined_and_equals_forms() {
        assert_eq!(
            m("-zmax-page-size=0x1000").value,
            OptValue::Inline("max-page-size=0x1000")
        );
        let b = m("--build-id=sha1");
        assert_eq!(
            (b.opt.name, b.opt.effect, b.value),
            ("build-id=", Effect::Neutral, OptValue::Inline("sha1"))
        );
        assert_eq!(m("--build-id").opt.name, "build-id");
        let t = m("-T");
        assert_eq!(
            (t.opt.name, t.opt.effect, t.value),
            ("T", Effect::ChangesLink, OptValue::NextArg)
        );
        let tx = m("-Tx");
        assert_eq!((tx.opt.name, tx.value), ("T", OptValue::Inline("x")));
        let s = m("--script=x");
        assert_eq!(
            (s.opt.name, s.opt.effect, s.value),
            ("script", Effect::ChangesLink, OptValue::Inline("x"))
        );
        let map = m("-Map=x");
        assert_eq!((map.opt.name, map.value), ("Map", OptValue::Inline("x")));
        let relr = m("--pack-dyn-relocs=relr");
        assert_eq!(
            (relr.opt.name, relr.opt.effect, relr.value),
            ("pack-dyn-relocs", Effect::Neutral, OptValue::Inline("relr"))
        );
        // --pack-dyn-relocs is an EEq option: two dashes only.
        assert!(lookup("-pack-dyn-relocs=relr").is_none());
        let orphan = m("--orphan-handling=warn");
        assert_eq!(
            (orphan.opt.name, orphan.value),
            ("orphan-handling", OptValue::Inline("warn"))
        );
        let icf = m("--icf=all");
        assert_eq!(
            (icf.opt.name, icf.opt.form, icf.value),
            ("icf=all", Form::Flag, OptValue::None)
        );
        assert!(lookup("--icf=bogus").is_none());
    }

    #[test]
    fn lto_and_plugin_options_are_neutral_with_their_values() {
        let lto = m("--lto-O2");
        assert_eq!(
            (lto.opt.name, lto.opt.effect, lto.value),
            ("lto-O", Effect::Neutral, OptValue::Inline("2"))
        );
        let p = m("-plugin-opt=thinlto");
        assert_eq!(
            (p.opt.name, p.opt.effect, p.value),
            ("plugin-opt=thinlto", Effect::Neutral, OptValue::Inline(""))
        );
        assert_eq!(m("-plugin-opt=mcpu=x").opt.name, "plugin-opt=mcpu=");
        assert_eq!(m("--plugin-opt=O3").opt.name, "plugin-opt=O");
        assert_eq!(m("-plugin-opt=whatever").opt.name, "plugin-opt=");
        let cache = m("--thinlto-cache-dir=.thinlto-cache");
        assert_eq!(
            (cache.opt.name, cache.opt.effect, cache.value),
            (
                "thinlto-cache-dir=",
                Effect::Neutral,
                OptValue::Inline(".thinlto-cache")
            )
        );
        assert_eq!(m("--lto-emit-llvm").opt.effect, Effect::ChangesLink);
    }

    #[test]
    fn flags_of_other_kbuild_links() {
        for (arg, name, effect) in [
            ("-X", "X", Effect::Neutral),
            ("--whole-archive", "whole-archive", Effect::ChangesLink),
            (
                "--no-whole-archive",
                "no-whole-archive",
                Effect::ChangesLink,
            ),
            ("--no-undefined", "no-undefined", Effect::Neutral),
            ("-shared", "shared", Effect::Neutral),
            ("--emit-relocs", "emit-relocs", Effect::Neutral),
            ("--discard-none", "discard-none", Effect::Neutral),
            ("-Bsymbolic", "Bsymbolic", Effect::Neutral),
            ("--fatal-warnings", "fatal-warnings", Effect::Neutral),
            ("--strip-debug", "strip-debug", Effect::Neutral),
            ("--gc-sections", "gc-sections", Effect::Neutral),
            ("--relocatable", "relocatable", Effect::Relocatable),
            ("--start-group", "start-group", Effect::ChangesLink),
            ("--version", "version", Effect::Probe),
            ("-v", "v", Effect::Probe),
            ("-V", "V", Effect::Probe),
            ("--help", "help", Effect::Probe),
        ] {
            let got = m(arg);
            assert_eq!(
                (got.opt.name, got.opt.effect, got.value),
                (name, effect, OptValue::None),
                "{arg}"
            );
        }
    }

    #[test]
    fn longest_name_wins_and_exact_flags() {
        assert_eq!(m("-shared").opt.name, "shared");
        assert_eq!(m("-static").opt.name, "static");
        assert_eq!(m("-Bsymbolic-functions").opt.name, "Bsymbolic-functions");
        // `-mllvmX` is not `-mllvm` (Separate needs an exact match) but the
        // emulation `llvmX`, which is what ld.lld 19 reports.
        let mx = m("-mllvmX");
        assert_eq!((mx.opt.name, mx.value), ("m", OptValue::Inline("llvmX")));
        let lib = m("-lfoo");
        assert_eq!(
            (lib.opt.name, lib.opt.effect, lib.value),
            ("l", Effect::ChangesLink, OptValue::Inline("foo"))
        );
        let lp = m("-L/usr/lib");
        assert_eq!((lp.opt.name, lp.opt.effect), ("L", Effect::Neutral));
        assert_eq!(m("--library-path=/x").opt.name, "library-path");
        assert_eq!(m("-u").opt.effect, Effect::ChangesLink);
        assert_eq!(m("--undefined=sym").value, OptValue::Inline("sym"));
        assert_eq!(m("-Ttext-segment=0x1000").opt.name, "Ttext-segment");
        assert_eq!(m("--Ttext-segment").value, OptValue::NextArg);
        assert_eq!(m("-(").opt.name, "(");
    }

    #[test]
    fn inputs_and_unknown_dashed_arguments_are_not_in_the_table() {
        for arg in [
            "-vX",
            "-i",
            "-flavor",
            "--",
            "---version",
            "--no-warn-rwx-segments",
            "-",
            "foo.o",
            "--bp-compression-sort=both",
        ] {
            assert!(lookup(arg).is_none(), "{arg} -> {:?}", lookup(arg));
        }
    }

    #[test]
    fn one_letter_names_take_two_dashes_where_lld_allows() {
        // `--Map` and `--EL` look like typos but are valid: their F/Eq
        // classes accept the `--` prefix too.
        for arg in ["--Map", "--EL"] {
            assert!(lookup(arg).is_some(), "{arg}");
        }
    }

    #[test]
    fn messages_name_an_option_as_it_was_spelt() {
        assert_eq!(m("-Tfoo.lds").spelling(), "-T");
        assert_eq!(m("--script=foo").spelling(), "--script");
        assert_eq!(
            m("--print-archive-stats=x").spelling(),
            "--print-archive-stats"
        );
    }
}
