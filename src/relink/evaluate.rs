//! Gathering the facts for one call and asking the decision: the only place
//! that knows in which order facts are needed, so that the common call is
//! settled from argv alone and files and /proc are read only for a relink.

use std::ffi::OsString;
use std::path::Path;

use crate::bitcode;
use crate::environment::Mode;
use crate::kbuild::kconfig::Kconfig;
use crate::kbuild::obj_m::{self, MakeAnswer};
use crate::kbuild::recipe::Reading;
use crate::kbuild::tree::Exported;
use crate::link::request::{self, LinkRequest};
use crate::lto::Lto;
use crate::relink::context::{self, RecipeLookup};
use crate::relink::decision::{self, Candidate, Context, Decision, Input, Reason};
use crate::relink::passthrough;

/// Everything that went into a decision, for the audit record, the log and
/// `--shim-explain`: each part is there exactly when the evaluation got
/// that far.
#[derive(Debug)]
pub struct Evaluation {
    /// argv classified; `None` in mode off, when argv names a response file
    /// (nothing is read for it) or an option lacks its value.
    pub request: Option<LinkRequest>,
    /// The relink's facts, when argv has kbuild's relink shape.
    pub relink: Option<RelinkFacts>,
    pub decision: Decision,
}

/// What was found about a relink candidate.
#[derive(Debug)]
pub struct RelinkFacts {
    pub candidate: Candidate,
    pub input: Input,
    pub kconfig: Option<Kconfig>,
    /// Looked up only for a bitcode input in an LTO configuration.
    pub recipe: Option<RecipeLookup>,
    /// Asked only for a module object that objtool does not read next.
    pub make: Option<MakeAnswer>,
}

impl Evaluation {
    pub fn lto(&self) -> Option<Lto> {
        match self.relink.as_ref().map(|r| &r.input) {
            Some(Input::Bitcode { lto }) => Some(*lto),
            _ => None,
        }
    }

    fn without_relink(request: Option<LinkRequest>, reason: Reason) -> Evaluation {
        Evaluation {
            request,
            relink: None,
            decision: Decision::Forward(reason),
        }
    }
}

/// Evaluates one linker call made in `cwd`, with kbuild's `exported`
/// directories from the recipe's environment.
pub fn evaluate(mode: Mode, args: &[OsString], cwd: &Path, exported: &Exported) -> Evaluation {
    if mode == Mode::Off {
        return Evaluation::without_relink(None, Reason::ModeOff);
    }
    let request = match request::classify(args) {
        Ok(request) => request,
        Err(e) => return Evaluation::without_relink(None, Reason::from(e)),
    };
    let candidate = match decision::relink_candidate(&request) {
        Ok(c) => c,
        Err(reason) => return Evaluation::without_relink(Some(request), reason),
    };
    let input = examine_input(&cwd.join(&candidate.input));
    let same_file =
        passthrough::same_file(&cwd.join(&candidate.input), &cwd.join(&candidate.output));
    let kconfig = Kconfig::read(&exported.objtree(cwd));
    let mut recipe = None;
    let mut make = None;
    let context = if kconfig.as_ref().is_some_and(|k| k.lto() == Lto::None) {
        Context::KconfigWithoutLto
    } else if matches!(input, Input::Bitcode { .. }) {
        let found = context::find_recipe(&candidate.input, &candidate.output);
        let context = match &found {
            RecipeLookup::Visible {
                pid,
                reading: Reading::Proven(facts),
            } => {
                // make is asked only where its answer decides: a module
                // object that objtool does not read next.
                let answer = (facts.compile.module && !facts.objtool_follows)
                    .then(|| obj_m::ask(*pid, cwd, &candidate.input));
                make.clone_from(&answer);
                Context::Recipe(facts.clone(), answer)
            }
            RecipeLookup::Visible {
                reading: Reading::Unproven(why),
                ..
            } => Context::Unproven(why.clone()),
            RecipeLookup::NotVisible { why } => Context::NoRecipe(why.clone()),
        };
        recipe = Some(found);
        context
    } else {
        // Not bitcode: the decision forwards without looking at the recipe.
        Context::NoRecipe("not looked up".into())
    };
    Evaluation {
        request: Some(request),
        decision: decision::decide(mode, &candidate, &input, same_file, &context),
        relink: Some(RelinkFacts {
            candidate,
            input,
            kconfig,
            recipe,
            make,
        }),
    }
}

/// What the relink's input is, reduced to what the decision needs.
pub fn examine_input(path: &Path) -> Input {
    match bitcode::examine_path(path) {
        Ok(bitcode::FileFacts {
            bitcode: Some(facts),
            ..
        }) => Input::Bitcode { lto: facts.lto },
        Ok(other) => Input::NotBitcode(other.kind.in_words().to_string()),
        Err(e @ bitcode::BitcodeError::Io(_)) => {
            Input::Unreadable(format!("{}: {e}", path.display()))
        }
        Err(e) => Input::CorruptBitcode(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relink::decision::ReasonTag;

    fn os(line: &str) -> Vec<OsString> {
        line.split_whitespace().map(OsString::from).collect()
    }

    /// The header's promise: every call but the relink shape is settled
    /// from argv alone. The directory does not exist, so any read of the
    /// input, the configuration or the recipe would show in the facts
    /// (as an unreadable input at least); none is gathered.
    #[test]
    fn the_common_call_is_settled_from_argv_alone() {
        let nowhere = Path::new("/nonexistent/kbuild-ld-shim/objtree");
        assert!(!nowhere.exists());
        for (line, tag) in [
            ("--version", ReasonTag::Probe),
            (
                "-EL -maarch64elf -o vmlinux -T vmlinux.lds vmlinux.o",
                ReasonTag::NotRelocatable,
            ),
            (
                "-r -o vmlinux.o --whole-archive vmlinux.a --no-whole-archive",
                ReasonTag::ChangesLink,
            ),
            (
                "-r -T scripts/module.lds -o lib/m.ko lib/m.o lib/m.mod.o",
                ReasonTag::ChangesLink,
            ),
            (
                "-r -o drivers/foo.o drivers/foo-a.o drivers/foo-b.o",
                ReasonTag::InputCount,
            ),
            (
                "-r -o drivers/foo.o drivers/foo-main.o",
                ReasonTag::OutputNotTmp,
            ),
            (
                "--frobnicate -r -o d/.tmp_a.o d/a.o",
                ReasonTag::UnknownOption,
            ),
            (
                "-r -o drivers/foo.o @drivers/foo.mod",
                ReasonTag::ViaResponseFile,
            ),
        ] {
            let eval = evaluate(Mode::Auto, &os(line), nowhere, &Exported::default());
            assert!(!eval.decision.is_passthrough(), "{line}");
            assert_eq!(eval.decision.reason().tag(), tag, "{line}");
            // A response file is not even classified: nothing is read.
            let classified = tag != ReasonTag::ViaResponseFile;
            assert_eq!(eval.request.is_some(), classified, "{line}");
            assert!(eval.relink.is_none(), "{line}");
        }
        // The relink shape is the one call that looks further: here it
        // finds no input, and says so.
        let eval = evaluate(
            Mode::Auto,
            &os("-r -o d/.tmp_a.o d/a.o"),
            nowhere,
            &Exported::default(),
        );
        assert!(
            matches!(
                eval.relink.as_ref().map(|r| &r.input),
                Some(Input::Unreadable(_))
            ),
            "{eval:?}"
        );
        assert_eq!(eval.decision.reason().tag(), ReasonTag::InputUnreadable);
    }

    #[test]
    fn mode_off_reads_not_even_argv() {
        let eval = evaluate(
            Mode::Off,
            &os("-r -o d/.tmp_a.o d/a.o"),
            Path::new("/"),
            &Exported::default(),
        );
        assert_eq!(eval.decision, Decision::Forward(Reason::ModeOff));
        assert!(eval.request.is_none());
    }
}
