//! `--shim-explain LD-ARGS`: the decision the shim would take on one
//! linker call, and each fact behind it, in words.

use std::ffi::OsString;

use crate::environment::{Environment, Mode};
use crate::exit::ExitStatus;
use crate::kbuild::recipe::Reading;
use crate::link::request::LinkRequest;
use crate::logging::error_line;
use crate::lto::Lto;
use crate::output::emit;
use crate::relink::context::RecipeLookup;
use crate::relink::decision::{Decision, Input};
use crate::relink::evaluate::{evaluate, Evaluation};

/// `--shim-explain`: the decision and each fact behind it, in words.
pub fn run(args: &[OsString], env: &Environment) -> ExitStatus {
    let mode = match &env.mode {
        Ok(mode) => *mode,
        Err(e) => {
            error_line(e);
            return ExitStatus::Usage;
        }
    };
    emit(&explanation(
        mode,
        &evaluate(mode, args, &env.cwd, &env.kbuild),
    ))
}

fn explanation(mode: Mode, eval: &Evaluation) -> String {
    let outcome = match eval.decision {
        Decision::Passthrough(..) => "passthrough",
        Decision::Forward(_) => "forward",
        Decision::Refuse(_) => "fail (strict mode)",
    };
    let reason = eval.decision.reason();
    let mut lines = vec![
        format!("decision: {outcome}"),
        format!("reason:   {} ({reason})", reason.tag()),
        format!("mode:     {}", mode.as_str()),
    ];
    match &eval.request {
        Some(r) => {
            lines.push(format!("request:  {}", request_in_words(r)));
            let lists = [
                ("options that change the link", &r.changes_link),
                ("unknown options", &r.unknown),
            ];
            for (what, list) in lists {
                if !list.is_empty() {
                    lines.push(format!("          {what}: {}", list.join(" ")));
                }
            }
        }
        None => lines.push("request:  not classified".into()),
    }
    let relink = eval.relink.as_ref();
    if let Some(r) = relink {
        lines.push(format!(
            "relink:   {} -> {}",
            r.candidate.input.display(),
            r.candidate.output.display()
        ));
        lines.push(format!("input:    {}", input_in_words(&r.input)));
    }
    lines.push(match relink.and_then(|r| r.kconfig.as_ref()) {
        Some(k) => format!(
            "kconfig:  {}, objtool {}, modules {}",
            k.lto().describe(),
            on_off(k.enabled("CONFIG_OBJTOOL")),
            on_off(k.enabled("CONFIG_MODULES"))
        ),
        None => "kconfig:  no include/config/auto.conf here".into(),
    });
    if let Some(r) = relink.and_then(|r| r.recipe.as_ref()) {
        lines.push(format!("recipe:   {}", recipe_in_words(r)));
    }
    if let Some(answer) = relink.and_then(|r| r.make.as_ref()) {
        lines.push(format!("make:     {answer}"));
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn on_off(enabled: bool) -> &'static str {
    if enabled {
        "on"
    } else {
        "off"
    }
}

fn request_in_words(r: &LinkRequest) -> String {
    let mut facts = vec![if r.relocatable {
        "relocatable (-r)".to_string()
    } else {
        "not relocatable".to_string()
    }];
    facts.push(match &r.output {
        Some(o) => format!("output {}", o.display()),
        None => "no output".into(),
    });
    let inputs: Vec<String> = r.inputs.iter().map(|i| i.display().to_string()).collect();
    facts.push(match inputs.len() {
        0 => "no inputs".into(),
        1 => format!("1 input: {}", inputs[0]),
        n => format!("{n} inputs: {}", inputs.join(" ")),
    });
    if r.probe {
        facts.push("a probe (--version, -v, -V or --help)".into());
    }
    facts.join(", ")
}

fn input_in_words(input: &Input) -> String {
    match input {
        Input::Bitcode { lto: Lto::None } => "bitcode without an LTO summary".into(),
        Input::Bitcode { lto } => format!("{} bitcode", lto.describe()),
        Input::CorruptBitcode(e) => format!("corrupt bitcode: {e}"),
        Input::NotBitcode(kind) => format!("{kind}, not bitcode"),
        Input::Unreadable(e) => format!("unreadable: {e}"),
    }
}

fn recipe_in_words(recipe: &RecipeLookup) -> String {
    let (pid, facts) = match recipe {
        RecipeLookup::NotVisible { why } => return format!("not visible: {why}"),
        RecipeLookup::Visible {
            pid,
            reading: Reading::Unproven(why),
        } => return format!("the shell of process {pid}, not proven kbuild's: {why}"),
        RecipeLookup::Visible {
            pid,
            reading: Reading::Proven(facts),
        } => (pid, facts),
    };
    let c = &facts.compile;
    let compile = format!(
        "compiled {}, KBUILD_BASENAME {}, KBUILD_MODNAME {}",
        if c.module {
            "as a module (-DMODULE)"
        } else {
            "built in"
        },
        c.basename.as_deref().unwrap_or("(none)"),
        c.modname.as_deref().unwrap_or("(none)")
    );
    let objtool = if facts.objtool_follows {
        "objtool reads it next"
    } else {
        "objtool does not read it next"
    };
    format!("the shell of process {pid}: {compile}; {objtool}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kbuild::recipe::{CompileFacts, RecipeFacts};
    use crate::relink::decision::Reason;
    use crate::relink::evaluate::RelinkFacts;

    #[test]
    fn explanation_is_in_words() {
        let request = LinkRequest {
            relocatable: true,
            output: Some("lib/.tmp_a.o".into()),
            inputs: vec!["lib/a.o".into()],
            ..LinkRequest::default()
        };
        let answer = crate::kbuild::obj_m::MakeAnswer {
            make: "-f scripts/Makefile.build obj=lib".into(),
            in_obj_m: Ok(true),
            cached: true,
            query_micros: 95_000,
        };
        let eval = Evaluation {
            request: Some(request),
            relink: Some(RelinkFacts {
                candidate: crate::relink::decision::Candidate {
                    input: "lib/a.o".into(),
                    output: "lib/.tmp_a.o".into(),
                },
                input: Input::Bitcode { lto: Lto::Thin },
                kconfig: Some(crate::kbuild::kconfig::Kconfig::parse(
                    "CONFIG_LTO_CLANG_THIN=y\n",
                )),
                recipe: Some(RecipeLookup::Visible {
                    pid: 42,
                    reading: Reading::Proven(RecipeFacts {
                        compile: CompileFacts {
                            module: true,
                            basename: Some("a".into()),
                            modname: Some("a".into()),
                        },
                        objtool_follows: false,
                    }),
                }),
                make: Some(answer.clone()),
            }),
            decision: Decision::Forward(Reason::SingleObjectModule(answer)),
        };
        assert_eq!(
            explanation(Mode::Auto, &eval),
            "decision: forward\n\
             reason:   single-object-module (single-object module, in $(obj-m) of -f scripts/Makefile.build obj=lib (95.0 ms, cached): modpost needs ELF)\n\
             mode:     auto\n\
             request:  relocatable (-r), output lib/.tmp_a.o, 1 input: lib/a.o\n\
             relink:   lib/a.o -> lib/.tmp_a.o\n\
             input:    ThinLTO bitcode\n\
             kconfig:  ThinLTO, objtool off, modules off\n\
             recipe:   the shell of process 42: compiled as a module (-DMODULE), \
             KBUILD_BASENAME a, KBUILD_MODNAME a; objtool does not read it next\n\
             make:     in $(obj-m) of -f scripts/Makefile.build obj=lib (95.0 ms, cached)\n"
        );
    }
}
