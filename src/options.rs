//! ld.lld (LLVM 19) command-line options as data, and LLVM OptTable's lookup
//! rule, so the shim can read a linker call exactly the way ld.lld will.
//!
//! Why a table and not a CLI parser: lld's options are not GNU-shaped
//! (`-maarch64elf`, `-z norelro`, single-dash long options, `-oFILE`), and a
//! guess about an unfamiliar argument could turn a real link into a copy. So
//! every spelling ld.lld 19 accepts is listed here, and anything not listed is
//! "unknown" for the caller to refuse.
//!
//! Where the data comes from: the option table compiled into Debian's
//! `ld.lld-19` (LLD 19.1.7), read out of the binary and checked against
//! `lld/ELF/Options.td` (its `F`/`FF`/`J`/`JJ`/`Eq`/`EEq`/`B`/`BB` helper
//! classes decide the `-`/`--` prefixes and the `=`/separate value forms).
//! Every spelling of LLVM 19 is present, aliases included; options that
//! later LLVM versions added (for example `--bp-compression-sort=`,
//! `--why-live`) are deliberately absent, and so is GNU ld's `-i`, which
//! ld.lld 19 rejects as unknown. A `name=` Joined option paired with a `name`
//! Separate option (the `Eq`/`EEq` multiclasses, and the hand-written
//! `--output`, `--library`, `--library-path`, `--rpath-link`,
//! `--Ttext-segment` pairs) is one [`Form::Eq`] row here.

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
            (Dash::One, "-") | (Dash::Two, "--") | (Dash::Both, "-") | (Dash::Both, "--")
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
    /// `name=` and a Separate `name`.
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

/// Every option of ld.lld 19's ELF driver, sorted by `name` (byte order) so
/// lookups can binary-search; a unit test keeps it sorted and free of
/// duplicates.
pub static OPTIONS: &[Opt] = &[
    o("(", One, Flag, ChangesLink),
    o(")", One, Flag, ChangesLink),
    o("Bdynamic", Both, Flag, Neutral),
    o("Bno-symbolic", Both, Flag, Neutral),
    o("Bshareable", Both, Flag, Neutral),
    o("Bstatic", Both, Flag, Neutral),
    o("Bsymbolic", Both, Flag, Neutral),
    o("Bsymbolic-functions", Both, Flag, Neutral),
    o("Bsymbolic-non-weak", Both, Flag, Neutral),
    o("Bsymbolic-non-weak-functions", Both, Flag, Neutral),
    o("E", One, Flag, Neutral),
    o("EB", Both, Flag, Neutral),
    o("EL", Both, Flag, Neutral),
    o("F", One, Separate, Neutral),
    o("G", One, JoinedOrSeparate, Neutral),
    o("L", One, JoinedOrSeparate, Neutral),
    o("M", One, Flag, ChangesLink),
    o("Map", Both, EqForm, ChangesLink),
    o("N", One, Flag, Neutral),
    o("O", One, JoinedOrSeparate, Neutral),
    o("R", One, JoinedOrSeparate, ChangesLink),
    o("S", One, Flag, Neutral),
    o("T", One, JoinedOrSeparate, ChangesLink),
    o("Tbss", Both, EqForm, Neutral),
    o("Tdata", Both, EqForm, Neutral),
    o("Ttext", Both, EqForm, Neutral),
    o("Ttext-segment", Both, EqForm, Neutral),
    o("V", One, Flag, Probe),
    o("X", One, Flag, Neutral),
    o("allow-multiple-definition", Both, Flag, Neutral),
    o("allow-shlib-undefined", Both, Flag, Neutral),
    o("android-memtag-heap", Two, Flag, Neutral),
    o("android-memtag-mode", Two, EqForm, Neutral),
    o("android-memtag-stack", Two, Flag, Neutral),
    o("apply-dynamic-relocs", Two, Flag, Neutral),
    o("as-needed", Both, Flag, Neutral),
    o("auxiliary", Both, EqForm, Neutral),
    o("b", One, Separate, ChangesLink),
    o("be8", Both, Flag, Neutral),
    o("build-id", Both, Flag, Neutral),
    o("build-id=", Both, Joined, Neutral),
    o("call-graph-ordering-file", Both, EqForm, ChangesLink),
    o("call-graph-profile-sort=", Two, Joined, Neutral),
    o("call_shared", Both, Flag, Neutral),
    o("check-dynamic-relocations", Two, Flag, Neutral),
    o("check-sections", Both, Flag, Neutral),
    o("chroot", Two, Separate, ChangesLink),
    o("cmse-implib", Two, Flag, Neutral),
    o("color-diagnostics", Two, Flag, Neutral),
    o("color-diagnostics=", Two, Joined, Neutral),
    o("compress-debug-sections", Both, EqForm, Neutral),
    o("compress-sections", Two, EqForm, Neutral),
    o("cref", Two, Flag, ChangesLink),
    o("d", One, Flag, Neutral),
    o("dT", One, Separate, ChangesLink),
    o("debug-names", Two, Flag, Neutral),
    o("default-script", Two, EqForm, ChangesLink),
    o("defsym", Both, EqForm, ChangesLink),
    o("demangle", Both, Flag, Neutral),
    o("dependency-file", Two, EqForm, ChangesLink),
    o("dependent-libraries", Two, Flag, Neutral),
    o("disable-new-dtags", Both, Flag, Neutral),
    o("disable-verify", Both, Flag, Neutral),
    o("discard-all", Both, Flag, Neutral),
    o("discard-locals", Both, Flag, Neutral),
    o("discard-none", Both, Flag, Neutral),
    o("dn", Both, Flag, Neutral),
    o("dy", Both, Flag, Neutral),
    o("dynamic-linker", Both, EqForm, Neutral),
    o("dynamic-list", Both, EqForm, ChangesLink),
    o("e", One, JoinedOrSeparate, ChangesLink),
    o("eh-frame-hdr", Both, Flag, Neutral),
    o("emit-relocs", Both, Flag, Neutral),
    o("enable-new-dtags", Both, Flag, Neutral),
    o("enable-non-contiguous-regions", Two, Flag, Neutral),
    o("end-group", Both, Flag, ChangesLink),
    o("end-lib", Both, Flag, ChangesLink),
    o("entry", Both, EqForm, ChangesLink),
    o("error-handling-script", Two, EqForm, Neutral),
    o("error-limit", Two, EqForm, Neutral),
    o("error-unresolved-symbols", Both, Flag, Neutral),
    o("exclude-libs", Both, EqForm, Neutral),
    o("execute-only", Two, Flag, Neutral),
    o("export-dynamic", Both, Flag, Neutral),
    o("export-dynamic-symbol", Two, EqForm, ChangesLink),
    o("export-dynamic-symbol-list", Two, EqForm, ChangesLink),
    o("f", One, Separate, Neutral),
    o("fat-lto-objects", Two, Flag, Neutral),
    o("fatal-warnings", Both, Flag, Neutral),
    o("filter", Both, EqForm, Neutral),
    o("fini", Both, EqForm, ChangesLink),
    o("fix-cortex-a53-843419", Both, Flag, Neutral),
    o("fix-cortex-a8", Both, Flag, Neutral),
    o("force-group-allocation", Two, Flag, Neutral),
    o("format", Both, EqForm, ChangesLink),
    o("fortran-common", Two, Flag, Neutral),
    o("g", One, Flag, Neutral),
    o("gc-sections", Both, Flag, Neutral),
    o("gdb-index", Two, Flag, Neutral),
    o("gnu-unique", Two, Flag, Neutral),
    o("h", One, JoinedOrSeparate, Neutral),
    o("hash-style", Both, EqForm, Neutral),
    o("help", Both, Flag, Probe),
    o("icf=all", Both, Flag, Neutral),
    o("icf=none", Both, Flag, Neutral),
    o("icf=safe", Both, Flag, Neutral),
    o("ignore-data-address-equality", Two, Flag, Neutral),
    o("ignore-function-address-equality", Two, Flag, Neutral),
    o("image-base", Two, EqForm, Neutral),
    o("in-implib", Two, EqForm, ChangesLink),
    o("init", Both, EqForm, ChangesLink),
    o("just-symbols", Both, EqForm, ChangesLink),
    o("keep-unique", Both, EqForm, Neutral),
    o("l", One, JoinedOrSeparate, ChangesLink),
    o("library", Both, EqForm, ChangesLink),
    o("library-path", Both, EqForm, Neutral),
    o("load-pass-plugin", Two, EqForm, ChangesLink),
    o("long-plt", Both, Flag, Neutral),
    o("lto-CGO", Two, Joined, Neutral),
    o("lto-O", Two, Joined, Neutral),
    o("lto-aa-pipeline=", Two, Joined, Neutral),
    o("lto-basic-block-address-map", Two, Flag, Neutral),
    o("lto-basic-block-sections=", Two, Joined, Neutral),
    o("lto-cs-profile-file=", Two, Joined, Neutral),
    o("lto-cs-profile-generate", Two, Flag, Neutral),
    o("lto-debug-pass-manager", Two, Flag, Neutral),
    o("lto-emit-asm", Two, Flag, ChangesLink),
    o("lto-emit-llvm", Two, Flag, ChangesLink),
    o("lto-known-safe-vtables", Two, EqForm, Neutral),
    o("lto-newpm-passes=", Two, Joined, Neutral),
    o("lto-obj-path=", Two, Joined, ChangesLink),
    o("lto-partitions=", Two, Joined, Neutral),
    o("lto-pgo-warn-mismatch", Two, Flag, Neutral),
    o("lto-sample-profile=", Two, Joined, Neutral),
    o("lto-unique-basic-block-section-names", Two, Flag, Neutral),
    o(
        "lto-validate-all-vtables-have-type-infos",
        Two,
        Flag,
        Neutral,
    ),
    o("lto-whole-program-visibility", Two, Flag, Neutral),
    o("lto=", Two, Joined, Neutral),
    o("m", One, JoinedOrSeparate, Neutral),
    o("merge-exidx-entries", Both, Flag, Neutral),
    o("mips-got-size", Both, EqForm, Neutral),
    o("mllvm", Both, EqForm, Neutral),
    o("mmap-output-file", Two, Flag, Neutral),
    o("n", One, Flag, Neutral),
    o("nmagic", Both, Flag, Neutral),
    o("no-add-needed", Two, Flag, Neutral),
    o("no-allow-multiple-definition", Both, Flag, Neutral),
    o("no-allow-shlib-undefined", Both, Flag, Neutral),
    o("no-android-memtag-heap", Two, Flag, Neutral),
    o("no-android-memtag-stack", Two, Flag, Neutral),
    o("no-apply-dynamic-relocs", Two, Flag, Neutral),
    o("no-as-needed", Both, Flag, Neutral),
    o("no-call-graph-profile-sort", Two, Flag, Neutral),
    o("no-check-dynamic-relocations", Two, Flag, Neutral),
    o("no-check-sections", Both, Flag, Neutral),
    o("no-color-diagnostics", Two, Flag, Neutral),
    o("no-copy-dt-needed-entries", Both, Flag, Neutral),
    o("no-ctors-in-init-array", Both, Flag, Neutral),
    o("no-debug-names", Two, Flag, Neutral),
    o("no-demangle", Both, Flag, Neutral),
    o("no-dependent-libraries", Two, Flag, Neutral),
    o("no-dynamic-linker", Both, Flag, Neutral),
    o("no-eh-frame-hdr", Both, Flag, Neutral),
    o("no-execute-only", Two, Flag, Neutral),
    o("no-export-dynamic", Both, Flag, Neutral),
    o("no-fat-lto-objects", Two, Flag, Neutral),
    o("no-fatal-warnings", Both, Flag, Neutral),
    o("no-fortran-common", Two, Flag, Neutral),
    o("no-gc-sections", Both, Flag, Neutral),
    o("no-gdb-index", Two, Flag, Neutral),
    o("no-gnu-unique", Two, Flag, Neutral),
    o("no-keep-memory", Both, Flag, Neutral),
    o("no-lto-basic-block-address-map", Two, Flag, Neutral),
    o("no-lto-pgo-warn-mismatch", Two, Flag, Neutral),
    o(
        "no-lto-unique-basic-block-section-names",
        Two,
        Flag,
        Neutral,
    ),
    o(
        "no-lto-validate-all-vtables-have-type-infos",
        Two,
        Flag,
        Neutral,
    ),
    o("no-lto-whole-program-visibility", Two, Flag, Neutral),
    o("no-merge-exidx-entries", Both, Flag, Neutral),
    o("no-mmap-output-file", Two, Flag, Neutral),
    o("no-nmagic", Both, Flag, Neutral),
    o("no-omagic", Both, Flag, Neutral),
    o("no-optimize-bb-jumps", Two, Flag, Neutral),
    o("no-pcrel-optimize", Two, Flag, Neutral),
    o("no-pie", Both, Flag, Neutral),
    o("no-power10-stubs", Two, Flag, Neutral),
    o("no-print-gc-sections", Both, Flag, Neutral),
    o("no-print-icf-sections", Both, Flag, Neutral),
    o("no-relax", Two, Flag, Neutral),
    o("no-relax-gp", Two, Flag, Neutral),
    o("no-rosegment", Two, Flag, Neutral),
    o("no-toc-optimize", Two, Flag, Neutral),
    o("no-undefined", Both, Flag, Neutral),
    o("no-undefined-version", Both, Flag, Neutral),
    o("no-use-android-relr-tags", Two, Flag, Neutral),
    o("no-warn-backrefs", Two, Flag, Neutral),
    o("no-warn-common", Both, Flag, Neutral),
    o("no-warn-ifunc-textrel", Two, Flag, Neutral),
    o("no-warn-mismatch", Both, Flag, Neutral),
    o("no-warn-symbol-ordering", Two, Flag, Neutral),
    o("no-warnings", Two, Flag, Neutral),
    o("no-whole-archive", Both, Flag, ChangesLink),
    o("noinhibit-exec", Both, Flag, Neutral),
    o("non_shared", Both, Flag, Neutral),
    o("nostdlib", Both, Flag, Neutral),
    o("o", One, JoinedOrSeparate, Output),
    o("oformat", Two, EqForm, Neutral),
    o("omagic", Two, Flag, Neutral),
    o("opt-remarks-filename", Two, Separate, ChangesLink),
    o("opt-remarks-format", Two, Separate, Neutral),
    o("opt-remarks-hotness-threshold", Two, EqForm, Neutral),
    o("opt-remarks-passes", Two, Separate, Neutral),
    o("opt-remarks-with-hotness", Two, Flag, Neutral),
    o("optimize-bb-jumps", Two, Flag, Neutral),
    o("orphan-handling", Both, EqForm, Neutral),
    o("out-implib", Two, EqForm, ChangesLink),
    o("output", Two, EqForm, Output),
    o("pack-dyn-relocs", Two, EqForm, Neutral),
    o("package-metadata=", Two, Joined, Neutral),
    o("pcrel-optimize", Two, Flag, Neutral),
    o("pic-executable", Both, Flag, Neutral),
    o("pic-veneer", Both, Flag, Neutral),
    o("pie", Both, Flag, Neutral),
    o("plugin", Both, EqForm, Neutral),
    o("plugin-opt=", Both, Joined, Neutral),
    o("plugin-opt=-", Both, Joined, Neutral),
    o("plugin-opt=-fresolution=", Both, Joined, Neutral),
    o("plugin-opt=-pass-through=", Both, Joined, Neutral),
    o("plugin-opt=O", Both, Joined, Neutral),
    o("plugin-opt=cs-profile-generate", Both, Flag, Neutral),
    o("plugin-opt=cs-profile-path=", Both, Joined, Neutral),
    o("plugin-opt=debug-pass-manager", Both, Flag, Neutral),
    o("plugin-opt=disable-verify", Both, Flag, Neutral),
    o("plugin-opt=dwo_dir=", Both, Joined, ChangesLink),
    o("plugin-opt=emit-asm", Both, Flag, ChangesLink),
    o("plugin-opt=emit-llvm", Both, Flag, ChangesLink),
    o("plugin-opt=jobs=", Both, Joined, Neutral),
    o("plugin-opt=lto-partitions=", Both, Joined, Neutral),
    o("plugin-opt=mcpu=", Both, Joined, Neutral),
    o("plugin-opt=obj-path=", Both, Joined, ChangesLink),
    o(
        "plugin-opt=opt-remarks-filename=",
        Both,
        Joined,
        ChangesLink,
    ),
    o("plugin-opt=opt-remarks-format=", Both, Joined, Neutral),
    o(
        "plugin-opt=opt-remarks-hotness-threshold=",
        Both,
        Joined,
        Neutral,
    ),
    o("plugin-opt=opt-remarks-passes=", Both, Joined, Neutral),
    o("plugin-opt=opt-remarks-with-hotness", Both, Flag, Neutral),
    o("plugin-opt=sample-profile=", Both, Joined, Neutral),
    o("plugin-opt=save-temps", Both, Flag, ChangesLink),
    o("plugin-opt=stats-file=", Both, Joined, ChangesLink),
    o("plugin-opt=thinlto", Both, Joined, Neutral),
    o(
        "plugin-opt=thinlto-emit-imports-files",
        Both,
        Flag,
        ChangesLink,
    ),
    o("plugin-opt=thinlto-index-only", Both, Flag, ChangesLink),
    o("plugin-opt=thinlto-index-only=", Both, Joined, ChangesLink),
    o(
        "plugin-opt=thinlto-object-suffix-replace=",
        Both,
        Joined,
        Neutral,
    ),
    o("plugin-opt=thinlto-prefix-replace=", Both, Joined, Neutral),
    o("pop-state", Both, Flag, ChangesLink),
    o("power10-stubs", Two, Flag, Neutral),
    o("power10-stubs=", Two, Joined, Neutral),
    o("print-archive-stats=", Both, Joined, ChangesLink),
    o("print-gc-sections", Both, Flag, ChangesLink),
    o("print-icf-sections", Both, Flag, ChangesLink),
    o("print-map", Both, Flag, ChangesLink),
    o("print-memory-usage", Both, Flag, ChangesLink),
    o("print-symbol-order", Both, EqForm, ChangesLink),
    o("push-state", Both, Flag, ChangesLink),
    o("q", One, Flag, Neutral),
    o("r", One, Flag, Relocatable),
    o("relax", Two, Flag, Neutral),
    o("relax-gp", Two, Flag, Neutral),
    o("relocatable", Both, Flag, Relocatable),
    o("remap-inputs", Two, EqForm, ChangesLink),
    o("remap-inputs-file=", Two, Joined, ChangesLink),
    o("reproduce", Two, EqForm, ChangesLink),
    o("retain-symbols-file", Both, EqForm, ChangesLink),
    o("rosegment", Two, Flag, Neutral),
    o("rpath", Both, EqForm, Neutral),
    o("rpath-link", Both, EqForm, Neutral),
    o("rsp-quoting", Two, EqForm, Neutral),
    o("s", One, Flag, Neutral),
    o("save-temps", Both, Flag, ChangesLink),
    o("save-temps=", Two, Joined, ChangesLink),
    o("script", Both, EqForm, ChangesLink),
    o("section-start", Both, EqForm, Neutral),
    o("secure-plt", Both, Flag, Neutral),
    o("shared", Both, Flag, Neutral),
    o("shuffle-sections", Two, EqForm, Neutral),
    o("soname", Both, EqForm, Neutral),
    o("sort-common", Both, Flag, Neutral),
    o("sort-section", Both, EqForm, Neutral),
    o("split-stack-adjust-size", Both, EqForm, Neutral),
    o("start-group", Both, Flag, ChangesLink),
    o("start-lib", Both, Flag, ChangesLink),
    o("static", Both, Flag, Neutral),
    o("stats", Both, Flag, Neutral),
    o("strip-all", Both, Flag, Neutral),
    o("strip-debug", Both, Flag, Neutral),
    o("symbol-ordering-file", Two, EqForm, ChangesLink),
    o("sysroot", Both, EqForm, Neutral),
    o("t", One, Flag, ChangesLink),
    o("target1-abs", Both, Flag, Neutral),
    o("target1-rel", Both, Flag, Neutral),
    o("target2", Both, EqForm, Neutral),
    o("thinlto-cache-dir=", Two, Joined, Neutral),
    o("thinlto-cache-policy", Two, EqForm, Neutral),
    o("thinlto-emit-imports-files", Two, Flag, ChangesLink),
    o("thinlto-emit-index-files", Two, Flag, ChangesLink),
    o("thinlto-index-only", Two, Flag, ChangesLink),
    o("thinlto-index-only=", Two, Joined, ChangesLink),
    o("thinlto-jobs=", Two, Joined, Neutral),
    o("thinlto-object-suffix-replace=", Two, Joined, Neutral),
    o("thinlto-prefix-replace=", Two, Joined, Neutral),
    o("thinlto-single-module=", Two, Joined, ChangesLink),
    o("threads", Two, EqForm, Neutral),
    o("time-trace", Two, Flag, ChangesLink),
    o("time-trace-granularity", Two, EqForm, Neutral),
    o("time-trace=", Two, Joined, ChangesLink),
    o("toc-optimize", Two, Flag, Neutral),
    o("trace", Both, Flag, ChangesLink),
    o("trace-symbol", Both, EqForm, ChangesLink),
    o("u", One, JoinedOrSeparate, ChangesLink),
    o("undefined", Both, EqForm, ChangesLink),
    o("undefined-glob", Two, EqForm, ChangesLink),
    o("undefined-version", Both, Flag, Neutral),
    o("unique", Both, Flag, Neutral),
    o("unresolved-symbols", Both, EqForm, Neutral),
    o("use-android-relr-tags", Two, Flag, Neutral),
    o("v", One, Flag, Probe),
    o("verbose", Both, Flag, ChangesLink),
    o("version", Both, Flag, Probe),
    o("version-script", Both, EqForm, ChangesLink),
    o("vs-diagnostics", Two, Flag, Neutral),
    o("w", One, Flag, Neutral),
    o("warn-backrefs", Two, Flag, Neutral),
    o("warn-backrefs-exclude", Two, EqForm, Neutral),
    o("warn-common", Both, Flag, Neutral),
    o("warn-execstack", Both, Flag, Neutral),
    o("warn-ifunc-textrel", Two, Flag, Neutral),
    o("warn-once", Both, Flag, Neutral),
    o("warn-shared-textrel", Both, Flag, Neutral),
    o("warn-symbol-ordering", Two, Flag, Neutral),
    o("warn-unresolved-symbols", Both, Flag, Neutral),
    o("whole-archive", Both, Flag, ChangesLink),
    o("why-extract=", Two, Joined, ChangesLink),
    o("wrap", Both, EqForm, ChangesLink),
    o("x", One, Flag, Neutral),
    o("y", One, JoinedOrSeparate, ChangesLink),
    o("z", One, JoinedOrSeparate, Neutral),
];

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
    if arg == "-" {
        return None;
    }
    let mut candidates: Vec<(usize, &'static Opt, &'static str)> = Vec::new();
    for prefix in ["--", "-"] {
        let Some(rest) = arg.strip_prefix(prefix) else {
            continue;
        };
        for len in (1..=rest.len()).rev() {
            if !rest.is_char_boundary(len) {
                continue;
            }
            if let Ok(i) = OPTIONS.binary_search_by(|o| o.name.cmp(&rest[..len])) {
                let opt = &OPTIONS[i];
                if opt.dash.allows(prefix) {
                    candidates.push((len, opt, prefix));
                }
            }
        }
    }
    // Longest name first, as OptTable's sort order guarantees; stable, so an
    // equal length keeps the `--` reading first (only one can exist anyway).
    candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
    for (len, opt, prefix) in candidates {
        let tail = &arg[prefix.len() + len..];
        let value = match opt.form {
            Form::Flag if tail.is_empty() => OptValue::None,
            Form::Separate if tail.is_empty() => OptValue::NextArg,
            Form::Flag | Form::Separate => continue,
            Form::Joined => OptValue::Inline(tail),
            Form::JoinedOrSeparate if tail.is_empty() => OptValue::NextArg,
            Form::JoinedOrSeparate => OptValue::Inline(tail),
            Form::Eq if tail.is_empty() => OptValue::NextArg,
            Form::Eq => match tail.strip_prefix('=') {
                Some(v) => OptValue::Inline(v),
                None => continue,
            },
        };
        return Some(Match { opt, prefix, value });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(arg: &str) -> Match<'_> {
        lookup(arg).unwrap_or_else(|| panic!("{arg} should be a known option"))
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
    fn output_spellings() {
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
    fn lto_options() {
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
    fn not_options() {
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
    fn spelling_for_messages() {
        assert_eq!(m("-Tfoo.lds").spelling(), "-T");
        assert_eq!(m("--script=foo").spelling(), "--script");
        assert_eq!(
            m("--print-archive-stats=x").spelling(),
            "--print-archive-stats"
        );
    }
}
