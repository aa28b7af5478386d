//! The decision: pass a relink's bitcode through, or forward the call to the
//! real ld.lld. Pure functions over facts gathered elsewhere, in two steps so
//! the common call (anything that is not kbuild's per-object relink) is
//! settled from argv alone, before any file or /proc is read.
//!
//! The rule reproduced is the upstream fix's (695ed93bb30e): kbuild relinks
//! an object exactly when objtool reads it next or it is a single-object
//! module; everywhere else the object stays bitcode.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::environment::Mode;
use crate::environment::MODE;
use crate::kbuild::obj_m::MakeAnswer;
use crate::kbuild::recipe::RecipeFacts;
use crate::link::request::{LinkRequest, RequestError};
use crate::lto::Lto;
use crate::paths::normalize;
use crate::spelling::spelled_enum;

/// A call with kbuild's per-object relink shape: `-r -o D/.tmp_N D/N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub input: PathBuf,
    pub output: PathBuf,
}

/// What the relink's input file turned out to be, reduced to what the
/// decision needs (the bitcode walk's own facts are `bitcode`'s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Bitcode {
        lto: Lto,
    },
    /// Bitcode whose block structure does not hold together.
    CorruptBitcode(String),
    NotBitcode(String),
    Unreadable(String),
}

/// The kbuild side of the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Context {
    /// The recipe, and for a module object (`-DMODULE`) that objtool does
    /// not read next, what the build's make says of its `$(obj-m)`
    /// (`None`: not asked).
    Recipe(RecipeFacts, Option<MakeAnswer>),
    /// The recipe names this relink but is not one kbuild writes: what in
    /// it is outside the grammar, and where.
    Unproven(String),
    NoRecipe(String),
    /// The configuration says Clang LTO is off, so the bitcode is not
    /// kbuild's to keep.
    KconfigWithoutLto,
}

/// Declares the reason vocabulary from one table, so that a rule's variant,
/// its record tag, its words and whether it is an anomaly cannot drift apart,
/// and adding a rule is one row. A row is
/// `Variant(field: Type, ...) = "tag" | "old-tag", anomalous => "words", args;`
/// (the fields, the aliases and `anomalous` are optional) and gives a
/// [`Reason`] variant, a [`ReasonTag`] and its `Display` words; a
/// `retired Variant = "tag", anomalous;` row is a tag that old records carry
/// and no rule gives any more, so it is only a [`ReasonTag`]. Rows are read
/// one at a time because a retired row must keep its place among the tags
/// (their order is the order a bad record's error lists them in) while
/// giving no [`Reason`].
macro_rules! reason_vocabulary {
    (
        @row [$($reason:tt)*] [$($tag:tt)*] [$($words:tt)*] [$($anomalous:tt)*];
        $(#[$doc:meta])* retired $v:ident = $spelling:literal $(, $flag:ident)?;
        $($rows:tt)*
    ) => {
        reason_vocabulary!(
            @row [$($reason)*] [$($tag)* $(#[$doc])* $v = $spelling,] [$($words)*]
            [$($anomalous)* $([$v $flag])?]; $($rows)*
        );
    };
    (
        @row [$($reason:tt)*] [$($tag:tt)*] [$($words:tt)*] [$($anomalous:tt)*];
        $(#[$doc:meta])* $v:ident $(($($field:ident: $ty:ty),+))?
            = $spelling:literal $(| $alias:literal)* $(, $flag:ident)?
            => $text:literal $(, $arg:expr)*;
        $($rows:tt)*
    ) => {
        reason_vocabulary!(
            @row [$($reason)* $(#[$doc])* $v $(($($ty),+))?,]
            [$($tag)* $(#[$doc])* $v = $spelling $(| $alias)*,]
            [$($words)* [$v ($(($($field),+))?) $text $(, $arg)*]]
            [$($anomalous)* $([$v $flag])?]; $($rows)*
        );
    };
    (
        @row [$($reason:tt)*] [$($tag:tt)*]
        [$([$w:ident ($($pattern:tt)*) $text:literal $(, $arg:expr)*])*]
        [$([$a:ident anomalous])*];
    ) => {
        /// Why the call was forwarded or passed through. One variant per
        /// rule, so the audit record and `--shim-explain` name the rule that
        /// decided.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Reason {
            $($reason)*
        }

        spelled_enum! {
            /// A [`Reason`] without its particulars: the audit record's
            /// `reason` and the report's key. The spellings are a stable
            /// schema; old records must keep parsing, so a renamed tag keeps
            /// its old spelling as an alias.
            pub enum ReasonTag {
                $($tag)*
            }
        }

        impl Reason {
            /// The stable name of the rule, for records and reports.
            pub fn tag(&self) -> ReasonTag {
                match self {
                    $(Reason::$w { .. } => ReasonTag::$w,)*
                }
            }
        }

        impl ReasonTag {
            /// A forward for this reason means the shim could not follow
            /// kbuild's intent with certainty, or met something it does not
            /// understand: worth a look in `--shim-report`.
            pub fn is_anomalous(self) -> bool {
                matches!(self, $(ReasonTag::$a)|*)
            }
        }

        impl fmt::Display for Reason {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(Reason::$w $($pattern)* => write!(f, $text $(, $arg)*),)*
                }
            }
        }
    };
    (@row $($unread:tt)*) => {
        compile_error!(concat!("not a reason row: ", stringify!($($unread)*)));
    };
    ($($rows:tt)*) => {
        reason_vocabulary!(@row [] [] [] []; $($rows)*);
    };
}

reason_vocabulary! {
    ModeOff = "mode-off" => "{MODE}=off";
    NotRelocatable = "not-relocatable" => "not a relocatable (-r) link";
    Probe = "probe" => "informational call (--version, -v, --help)";
    /// Written by earlier versions, which read response files and forwarded
    /// a call whose file they could not read (or, misnamed, a missing
    /// argument); now no response file is read.
    retired ResponseFile = "response-file", anomalous;
    /// An option that takes a value was the last argument: ld.lld will say so.
    MissingArgument(e: String) = "missing-argument", anomalous => "{e}";
    UnknownOption(options: Vec<String>) = "unknown-option", anomalous
        => "options the table does not know: {}", options.join(" ");
    ChangesLink(options: Vec<String>) = "changes-link" | "adds-inputs"
        => "options that change what the link reads or writes: {}", options.join(" ");
    InputCount(n: usize) = "input-count" => "{n} input files, not exactly one";
    NoOutput = "no-output" => "no -o output";
    OutputNotTmp = "output-not-tmp" => "output is not dir(input)/.tmp_<input>";
    SameFile = "same-file", anomalous => "input and output are the same file";
    /// The call names a response file (`@file`), which only ld.lld reads.
    ViaResponseFile = "via-response-file"
        => "the call names a response file (@file): kbuild's per-object relink never does, and only ld.lld reads it";
    /// The relink shape with `-` (stdin) as its input.
    StdinInput = "stdin-input" => "the input is stdin ('-'), which a copy cannot read";
    BitcodeWithoutLto = "bitcode-without-lto" => "bitcode without an LTO summary";
    /// Bitcode whose block structure does not hold together.
    CorruptBitcode(e: String) = "corrupt-bitcode", anomalous => "corrupt bitcode: {e}";
    NotBitcode(kind: String) = "not-bitcode" => "input is {kind}, not bitcode";
    InputUnreadable(e: String) = "input-unreadable", anomalous => "input unreadable: {e}";
    KconfigWithoutLto = "kconfig-without-lto" => "include/config/auto.conf enables no Clang LTO";
    NoRecipe(why: String) = "no-recipe", anomalous
        => "no recipe visible ({why}); doing what kbuild asked";
    /// Written by earlier versions, whose recipe reading allowed a recipe
    /// without the compile; now such a recipe is unproven.
    retired CompileNotFound = "compile-not-found", anomalous;
    /// Forward: the recipe is not proven to be kbuild's (what and where).
    UnprovenRecipe(why: String) = "unproven-recipe", anomalous => "unproven recipe: {why}";
    /// Written by earlier versions, which required the names before reading
    /// kbuild's lists; now make is asked about every module object.
    retired ModuleNamesMissing = "module-names-missing", anomalous;
    /// Forward: kbuild relinks it (`is-single-obj-m`): make lists it in
    /// `$(obj-m)`.
    SingleObjectModule(answer: MakeAnswer) = "single-object-module"
        => "single-object module, {answer}: modpost needs ELF";
    /// Forward (strict: refuse): a module object, and make could not say
    /// whether it is in `$(obj-m)`.
    ObjMUnknown(answer: MakeAnswer) = "obj-m-unknown", anomalous
        => "module object, but {answer}; doing what kbuild asked";
    ObjtoolFollows = "objtool-follows" => "objtool reads this object next: it needs ELF";
    /// Passthrough: a module object that make does not list in `$(obj-m)`
    /// (a composite's part, `*.mod.o`), which the fixed kernel leaves bitcode.
    NotInObjM(answer: MakeAnswer, lto: Lto) = "not-in-obj-m" | "composite-part"
        => "module object {answer}: {} bitcode the fixed kernel does not relink", lto.describe();
    /// Passthrough: the fixed kernel keeps this object as bitcode.
    FixedKernelKeepsBitcode(lto: Lto) = "fixed-kernel-keeps-bitcode"
        => "{} bitcode the fixed kernel does not relink", lto.describe();
    /// Passthrough in force mode without a visible recipe.
    ForcedWithoutRecipe(lto: Lto) = "forced-without-recipe"
        => "{} bitcode, no recipe visible, {MODE}=force", lto.describe();
}

/// The outcome and the rule behind it; a passthrough carries the relink it
/// copies, so no caller has to find it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Passthrough(Candidate, Reason),
    Forward(Reason),
    /// Strict mode: neither copy nor link; the call fails with the reason.
    Refuse(Reason),
}

impl Decision {
    pub fn reason(&self) -> &Reason {
        match self {
            Decision::Passthrough(_, r) | Decision::Forward(r) | Decision::Refuse(r) => r,
        }
    }

    pub fn is_passthrough(&self) -> bool {
        matches!(self, Decision::Passthrough(..))
    }
}

/// Step one, from argv alone: is this kbuild's per-object relink,
/// `-r -o D/.tmp_N D/N` with one input and only neutral options?
///
/// This is the only relink rule. Everything it turns away is forwarded,
/// which is always safe: ld.lld then does exactly what kbuild asked, and
/// the cost is at most the cross-file optimisation of one object. So the
/// rule admits only what kbuild's `cmd_ld_single` writes (695ed93bb30e,
/// see the README): the input named on the command line, and not `-`,
/// which is stdin for ld.lld but would be a file named `-` for a copy. That
/// check comes last so every other call keeps the reason that names its
/// shape. A call naming a response file never gets here (see
/// `From<RequestError>` below): kbuild uses `@foo.mod` only for composite
/// modules, whose output is not a `.tmp_` of a part.
pub fn relink_candidate(request: &LinkRequest) -> Result<Candidate, Reason> {
    if request.probe {
        return Err(Reason::Probe);
    }
    if !request.relocatable {
        return Err(Reason::NotRelocatable);
    }
    if !request.unknown.is_empty() {
        return Err(Reason::UnknownOption(request.unknown.clone()));
    }
    if !request.changes_link.is_empty() {
        return Err(Reason::ChangesLink(request.changes_link.clone()));
    }
    if request.inputs.len() != 1 {
        return Err(Reason::InputCount(request.inputs.len()));
    }
    let output = request.output.clone().ok_or(Reason::NoOutput)?;
    let input = request.inputs[0].clone();
    if !is_tmp_of(&input, &output) {
        return Err(Reason::OutputNotTmp);
    }
    if input == Path::new("-") {
        return Err(Reason::StdinInput);
    }
    Ok(Candidate { input, output })
}

/// A call that could not be read: one naming a response file is settled
/// before any argument is classified, and no file is opened for it.
impl From<RequestError> for Reason {
    fn from(e: RequestError) -> Reason {
        match e {
            RequestError::ResponseFile => Reason::ViaResponseFile,
            e @ RequestError::MissingValue { .. } => Reason::MissingArgument(e.to_string()),
        }
    }
}

/// kbuild's `tmp-target`: `$(dir $@).tmp_$(notdir $@)`.
fn is_tmp_of(input: &Path, output: &Path) -> bool {
    let input = normalize(input);
    let Some(name) = input.file_name() else {
        return false;
    };
    let mut tmp_name = std::ffi::OsString::from(".tmp_");
    tmp_name.push(name);
    let expected = match input.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(tmp_name),
        _ => PathBuf::from(tmp_name),
    };
    normalize(output) == normalize(&expected)
}

/// Step two: the decision for a candidate, given what its input is, whether
/// input and output are already one file, and the kbuild context.
pub fn decide(
    mode: Mode,
    candidate: &Candidate,
    input: &Input,
    same_file: bool,
    context: &Context,
) -> Decision {
    let passthrough = |reason| Decision::Passthrough(candidate.clone(), reason);
    let lto = match input {
        Input::Bitcode {
            lto: lto @ (Lto::Thin | Lto::Full),
        } => *lto,
        Input::Bitcode { .. } => return Decision::Forward(Reason::BitcodeWithoutLto),
        Input::CorruptBitcode(e) => return Decision::Forward(Reason::CorruptBitcode(e.clone())),
        Input::NotBitcode(kind) => return Decision::Forward(Reason::NotBitcode(kind.clone())),
        Input::Unreadable(e) => return Decision::Forward(Reason::InputUnreadable(e.clone())),
    };
    if same_file {
        return Decision::Forward(Reason::SameFile);
    }
    let (facts, answer) = match context {
        Context::KconfigWithoutLto => return Decision::Forward(Reason::KconfigWithoutLto),
        Context::Unproven(why) => return unsure(mode, Reason::UnprovenRecipe(why.clone())),
        Context::NoRecipe(why) => {
            return match mode {
                Mode::Force => passthrough(Reason::ForcedWithoutRecipe(lto)),
                _ => Decision::Forward(Reason::NoRecipe(why.clone())),
            }
        }
        Context::Recipe(facts, answer) => (facts, answer),
    };
    if facts.objtool_follows {
        return Decision::Forward(Reason::ObjtoolFollows);
    }
    if !facts.compile.module {
        return passthrough(Reason::FixedKernelKeepsBitcode(lto));
    }
    let Some(answer) = answer else {
        return unsure(
            mode,
            Reason::ObjMUnknown(MakeAnswer::not_asked("make was not asked")),
        );
    };
    match answer.in_obj_m {
        Ok(true) => Decision::Forward(Reason::SingleObjectModule(answer.clone())),
        Ok(false) => passthrough(Reason::NotInObjM(answer.clone(), lto)),
        Err(_) => unsure(mode, Reason::ObjMUnknown(answer.clone())),
    }
}

/// What cannot be proven is forwarded, or in strict mode refused.
fn unsure(mode: Mode, reason: Reason) -> Decision {
    match mode {
        Mode::Strict => Decision::Refuse(reason),
        _ => Decision::Forward(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand() -> Candidate {
        Candidate {
            input: "d/a.o".into(),
            output: "d/.tmp_a.o".into(),
        }
    }
    use crate::kbuild::recipe::CompileFacts;

    fn request(relocatable: bool, output: Option<&str>, inputs: &[&str]) -> LinkRequest {
        LinkRequest {
            relocatable,
            output: output.map(PathBuf::from),
            inputs: inputs.iter().map(PathBuf::from).collect(),
            ..LinkRequest::default()
        }
    }

    fn recipe(module: bool, objtool: bool) -> Context {
        Context::Recipe(
            RecipeFacts {
                compile: CompileFacts {
                    module,
                    basename: Some("a".into()),
                    modname: Some("m".into()),
                },
                objtool_follows: objtool,
            },
            None,
        )
    }

    fn answer(in_obj_m: Result<bool, &str>) -> MakeAnswer {
        MakeAnswer {
            make: "-f scripts/Makefile.build obj=d".into(),
            in_obj_m: in_obj_m.map_err(str::to_string),
            cached: false,
            query_micros: 80_000,
        }
    }

    /// A module object's recipe with make's answer.
    fn module(in_obj_m: Result<bool, &str>) -> Context {
        match recipe(true, false) {
            Context::Recipe(facts, _) => Context::Recipe(facts, Some(answer(in_obj_m))),
            other => other,
        }
    }

    const THIN: Input = Input::Bitcode { lto: Lto::Thin };

    #[test]
    fn tmp_shape_is_required() {
        let ok = request(true, Some("lib/.tmp_crc16.o"), &["lib/crc16.o"]);
        assert_eq!(
            relink_candidate(&ok).unwrap(),
            Candidate {
                input: "lib/crc16.o".into(),
                output: "lib/.tmp_crc16.o".into()
            }
        );
        let top = request(true, Some("./.tmp_.module-common.o"), &[".module-common.o"]);
        assert!(relink_candidate(&top).is_ok());
        let dotted = request(true, Some("lib/.tmp_crc16.o"), &["./lib/crc16.o"]);
        assert!(relink_candidate(&dotted).is_ok());
        let composite = request(true, Some("drivers/foo.o"), &["drivers/foo-main.o"]);
        assert_eq!(relink_candidate(&composite), Err(Reason::OutputNotTmp));
        let two = request(true, Some("a/.tmp_b.o"), &["a/b.o", "a/c.o"]);
        assert_eq!(relink_candidate(&two), Err(Reason::InputCount(2)));
        let final_link = request(false, Some("vmlinux"), &["vmlinux.o"]);
        assert_eq!(relink_candidate(&final_link), Err(Reason::NotRelocatable));
        let mut scripted = ok.clone();
        scripted.changes_link = vec!["-T".into()];
        assert!(matches!(
            relink_candidate(&scripted),
            Err(Reason::ChangesLink(_))
        ));
        let mut unknown = ok.clone();
        unknown.unknown = vec!["--frobnicate".into()];
        assert!(matches!(
            relink_candidate(&unknown),
            Err(Reason::UnknownOption(_))
        ));
        let mut probe = ok;
        probe.probe = true;
        assert_eq!(relink_candidate(&probe), Err(Reason::Probe));
    }

    /// Every call shape kbuild 6.13 gives LD (scripts/Makefile.build and
    /// Makefile.lib's per-object relink, composite modules, vmlinux.o,
    /// Makefile.modfinal's .ko link, the final link, the ld-version.sh and
    /// ld-option probes), from argv through the real classifier: only
    /// kbuild's per-object relink is a candidate.
    #[test]
    fn every_kbuild_call_shape_from_argv() {
        const LDFLAGS: &str =
            "-EL -maarch64elf -z norelro -mllvm -import-instr-limit=5 -z noexecstack";
        let shape = |line: &str| {
            let args: Vec<std::ffi::OsString> = line.split_whitespace().map(Into::into).collect();
            match crate::link::request::classify(&args) {
                Ok(request) => relink_candidate(&request).map(|c| c.input),
                Err(e) => Err(Reason::from(e)),
            }
        };
        let candidates = [
            // C object, *.mod.o, .module-common.o, .vmlinux.export.o
            (
                format!("{LDFLAGS} -r -o kernel/.tmp_fork.o kernel/fork.o"),
                "kernel/fork.o",
            ),
            (
                format!("{LDFLAGS} -r -o lib/.tmp_crc16.mod.o lib/crc16.mod.o"),
                "lib/crc16.mod.o",
            ),
            (
                format!("{LDFLAGS} -r -o ./.tmp_.module-common.o .module-common.o"),
                ".module-common.o",
            ),
            (
                format!("{LDFLAGS} -r -o ./.tmp_.vmlinux.export.o .vmlinux.export.o"),
                ".vmlinux.export.o",
            ),
        ];
        for (line, input) in &candidates {
            assert_eq!(shape(line), Ok(PathBuf::from(input)), "{line}");
        }
        let forwarded = [
            // composite modules from a response file, never read
            (format!("{LDFLAGS} -r -o drivers/comp.o @drivers/comp.mod"), "via-response-file"),
            // vmlinux.o from the thin archive, the .ko link, the final link
            (format!("{LDFLAGS} -r -o vmlinux.o --whole-archive vmlinux.a --no-whole-archive"), "changes-link"),
            (format!("-r {LDFLAGS} --build-id=sha1 -T scripts/module.lds -o lib/crc16.ko lib/crc16.o lib/crc16.mod.o .module-common.o"), "changes-link"),
            (format!("{LDFLAGS} --build-id=sha1 -o vmlinux -T arch/arm64/kernel/vmlinux.lds vmlinux.o"), "not-relocatable"),
            // probes
            ("--version".to_string(), "probe"),
            ("-v".to_string(), "probe"),
            (format!("{LDFLAGS} -z max-page-size=0x10000 -v"), "probe"),
            // unknown option, missing argument
            ("--frobnicate -r -o d/.tmp_a.o d/a.o".to_string(), "unknown-option"),
            ("-r d/a.o -o".to_string(), "missing-argument"),
            // the relink shape, but not as kbuild writes it
            ("-r -o d/.tmp_a.o @d/a.rsp".to_string(), "via-response-file"),
            ("-r -o ./.tmp_- -".to_string(), "stdin-input"),
        ];
        for (line, tag) in &forwarded {
            let reason = shape(line).expect_err(line);
            assert_eq!(reason.tag(), *tag, "{line}: {reason:?}");
        }
    }

    #[test]
    fn reason_tags_spell_the_same_in_json_and_keep_old_names() {
        let mut spellings = ReasonTag::SPELLINGS.to_vec();
        spellings.sort_unstable();
        spellings.dedup();
        assert_eq!(
            spellings.len(),
            ReasonTag::ALL.len(),
            "two tags spell the same"
        );
        for &tag in ReasonTag::ALL {
            let json = serde_json::to_string(&tag).unwrap();
            assert_eq!(json, format!("\"{}\"", tag.as_str()));
            assert_eq!(serde_json::from_str::<ReasonTag>(&json).unwrap(), tag);
        }
        let old: ReasonTag = serde_json::from_str("\"adds-inputs\"").unwrap();
        assert_eq!(old, ReasonTag::ChangesLink);
    }

    /// Each tag is what its rule gives, from the step that applies the rule.
    /// The match has no wildcard, so a new tag does not compile until a case
    /// here produces it.
    #[test]
    fn every_reason_tag_is_given_by_its_rule() {
        use crate::kbuild::tree::Exported;
        use crate::relink::evaluate::evaluate;

        let nowhere = Path::new("/nonexistent/kbuild-ld-shim/objtree");
        let evaluated = |mode: Mode, line: &str| {
            let args: Vec<std::ffi::OsString> = line.split_whitespace().map(Into::into).collect();
            evaluate(mode, &args, nowhere, &Exported::default()).decision
        };
        let from_argv = |line: &str| evaluated(Mode::Auto, line);
        let decided = |mode: Mode, input: &Input, same_file: bool, context: &Context| {
            decide(mode, &cand(), input, same_file, context)
        };
        let builtin = recipe(false, false);
        for &tag in ReasonTag::ALL {
            let decision = match tag {
                ReasonTag::ModeOff => evaluated(Mode::Off, "-r -o d/.tmp_a.o d/a.o"),
                ReasonTag::NotRelocatable => from_argv("-o vmlinux -T vmlinux.lds vmlinux.o"),
                ReasonTag::Probe => from_argv("--version"),
                // No rule gives it any more; it names old records' forwards.
                ReasonTag::ResponseFile => continue,
                ReasonTag::MissingArgument => from_argv("-r -o d/.tmp_a.o d/a.o -z"),
                ReasonTag::UnknownOption => from_argv("--frobnicate -r -o d/.tmp_a.o d/a.o"),
                ReasonTag::ChangesLink => from_argv("-r -T scripts/module.lds -o m.ko m.o"),
                ReasonTag::InputCount => from_argv("-r -o d/foo.o d/foo-a.o d/foo-b.o"),
                ReasonTag::NoOutput => from_argv("-r d/a.o"),
                ReasonTag::OutputNotTmp => from_argv("-r -o d/foo.o d/foo-main.o"),
                ReasonTag::SameFile => decided(Mode::Auto, &THIN, true, &builtin),
                ReasonTag::ViaResponseFile => from_argv("-r -o d/.tmp_a.o @/nonexistent/a.rsp"),
                ReasonTag::StdinInput => from_argv("-r -o ./.tmp_- -"),
                ReasonTag::BitcodeWithoutLto => decided(
                    Mode::Auto,
                    &Input::Bitcode { lto: Lto::None },
                    false,
                    &builtin,
                ),
                ReasonTag::CorruptBitcode => {
                    let input = Input::CorruptBitcode("truncated block".into());
                    decided(Mode::Auto, &input, false, &builtin)
                }
                ReasonTag::NotBitcode => decided(
                    Mode::Auto,
                    &Input::NotBitcode("ELF".into()),
                    false,
                    &builtin,
                ),
                ReasonTag::InputUnreadable => from_argv("-r -o d/.tmp_a.o d/a.o"),
                ReasonTag::KconfigWithoutLto => {
                    decided(Mode::Auto, &THIN, false, &Context::KconfigWithoutLto)
                }
                ReasonTag::NoRecipe => {
                    decided(Mode::Auto, &THIN, false, &Context::NoRecipe("none".into()))
                }
                // No rule gives it any more; it names old records' forwards.
                ReasonTag::CompileNotFound => continue,
                ReasonTag::UnprovenRecipe => {
                    decided(Mode::Auto, &THIN, false, &Context::Unproven("glob".into()))
                }
                // No rule gives it any more; it names old records' forwards.
                ReasonTag::ModuleNamesMissing => continue,
                ReasonTag::SingleObjectModule => {
                    decided(Mode::Auto, &THIN, false, &module(Ok(true)))
                }
                ReasonTag::ObjMUnknown => {
                    decided(Mode::Auto, &THIN, false, &module(Err("make exited with 2")))
                }
                ReasonTag::ObjtoolFollows => {
                    decided(Mode::Auto, &THIN, false, &recipe(false, true))
                }
                ReasonTag::NotInObjM => decided(Mode::Auto, &THIN, false, &module(Ok(false))),
                ReasonTag::FixedKernelKeepsBitcode => decided(Mode::Auto, &THIN, false, &builtin),
                ReasonTag::ForcedWithoutRecipe => {
                    decided(Mode::Force, &THIN, false, &Context::NoRecipe("none".into()))
                }
            };
            assert_eq!(decision.reason().tag(), tag, "{decision:?}");
        }
    }

    /// The fixed kernel's rule: a module object is relinked exactly when
    /// make lists it in `$(obj-m)`; everything else stays bitcode, unless
    /// objtool reads it next.
    #[test]
    fn the_fixed_kernel_rule() {
        let builtin = recipe(false, false);
        assert!(decide(Mode::Auto, &cand(), &THIN, false, &builtin).is_passthrough());
        let part = decide(Mode::Auto, &cand(), &THIN, false, &module(Ok(false)));
        assert_eq!(
            part,
            Decision::Passthrough(cand(), Reason::NotInObjM(answer(Ok(false)), Lto::Thin))
        );
        assert_eq!(
            part.reason().to_string(),
            "module object not in $(obj-m) of -f scripts/Makefile.build obj=d (80.0 ms): \
             ThinLTO bitcode the fixed kernel does not relink"
        );
        let single = decide(Mode::Auto, &cand(), &THIN, false, &module(Ok(true)));
        assert_eq!(
            single,
            Decision::Forward(Reason::SingleObjectModule(answer(Ok(true))))
        );
        // objtool reading the object next outranks make's answer.
        let mut objtool = module(Ok(false));
        if let Context::Recipe(facts, _) = &mut objtool {
            facts.objtool_follows = true;
        }
        assert_eq!(
            decide(Mode::Auto, &cand(), &THIN, false, &objtool),
            Decision::Forward(Reason::ObjtoolFollows)
        );
        let full = Input::Bitcode { lto: Lto::Full };
        assert_eq!(
            decide(Mode::Auto, &cand(), &full, false, &builtin),
            Decision::Passthrough(cand(), Reason::FixedKernelKeepsBitcode(Lto::Full))
        );
    }

    /// A module object make could not answer for (or was not asked about)
    /// is forwarded, naming why; strict mode refuses it.
    #[test]
    fn a_module_object_without_makes_answer_is_not_passed_through() {
        let failed = module(Err("a parse-time command was refused: `touch x`"));
        let got = decide(Mode::Auto, &cand(), &THIN, false, &failed);
        assert_eq!(got.reason().tag(), ReasonTag::ObjMUnknown);
        assert!(!got.is_passthrough());
        assert!(got.reason().to_string().contains("`touch x`"), "{got:?}");
        assert!(matches!(
            decide(Mode::Strict, &cand(), &THIN, false, &failed),
            Decision::Refuse(Reason::ObjMUnknown(_))
        ));
        let not_asked = recipe(true, false);
        assert!(matches!(
            decide(Mode::Auto, &cand(), &THIN, false, &not_asked),
            Decision::Forward(Reason::ObjMUnknown(_))
        ));
        // Force mode stands in only for a missing recipe, never for make.
        assert!(!decide(Mode::Force, &cand(), &THIN, false, &failed).is_passthrough());
    }

    #[test]
    fn auto_mode_forwards_every_input_or_context_it_cannot_prove() {
        let builtin = recipe(false, false);
        for input in [
            Input::Bitcode { lto: Lto::None },
            Input::CorruptBitcode("truncated".into()),
            Input::NotBitcode("ELF".into()),
            Input::Unreadable("EACCES".into()),
        ] {
            assert!(!decide(Mode::Auto, &cand(), &input, false, &builtin).is_passthrough());
        }
        assert_eq!(
            decide(Mode::Auto, &cand(), &THIN, true, &builtin),
            Decision::Forward(Reason::SameFile)
        );
        let unproven = Context::Unproven("glob `*` at byte 9".into());
        assert_eq!(
            decide(Mode::Auto, &cand(), &THIN, false, &unproven),
            Decision::Forward(Reason::UnprovenRecipe("glob `*` at byte 9".into()))
        );
        assert_eq!(
            decide(
                Mode::Auto,
                &cand(),
                &THIN,
                false,
                &Context::KconfigWithoutLto
            ),
            Decision::Forward(Reason::KconfigWithoutLto)
        );
    }

    #[test]
    fn force_only_replaces_the_missing_recipe() {
        let none = Context::NoRecipe("no shell".into());
        assert!(matches!(
            decide(Mode::Auto, &cand(), &THIN, false, &none),
            Decision::Forward(Reason::NoRecipe(_))
        ));
        assert_eq!(
            decide(Mode::Force, &cand(), &THIN, false, &none),
            Decision::Passthrough(cand(), Reason::ForcedWithoutRecipe(Lto::Thin))
        );
        assert!(!decide(Mode::Force, &cand(), &THIN, false, &module(Ok(true))).is_passthrough());
    }
}
