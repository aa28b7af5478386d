use super::*;
use crate::kbuild::test_rng::Rng;

/// A recipe text of integration/recipe-texts.txt, which also seeds the
/// recipe fuzz target.
fn text(name: &str) -> &'static str {
    include_str!("../../../integration/recipe-texts.txt")
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
        .unwrap_or_else(|| panic!("no {name:?} in integration/recipe-texts.txt"))
}

fn reading(script: &str, input: &str, output: &str) -> Option<Reading> {
    analyse(script, Path::new(input), Path::new(output))
}

#[track_caller]
fn proven(script: &str, input: &str, output: &str) -> RecipeFacts {
    match reading(script, input, output) {
        Some(Reading::Proven(facts)) => facts,
        other => panic!("not proven ({other:?}): {script}"),
    }
}

#[track_caller]
fn unproven(script: &str, input: &str, output: &str) -> String {
    match reading(script, input, output) {
        Some(Reading::Unproven(why)) => why,
        other => panic!("not unproven ({other:?}): {script}"),
    }
}

/// What the decision would do with the reading before asking make:
/// only a proven recipe of a built-in object that objtool does not
/// read passes through on the recipe alone.
fn passes(reading: &Reading) -> bool {
    match reading {
        Reading::Proven(f) => !f.objtool_follows && !f.compile.module,
        Reading::Unproven(_) => false,
    }
}

#[test]
fn lexer_handles_kbuild_quoting() {
    let cmds = split_commands(text("lexer-quoting")).unwrap();
    assert_eq!(
        cmds,
        vec![
            vec!["a", "b cd\"e", "f g"],
            vec!["h"],
            vec!["i"],
            vec!["j"],
            vec!["k", "it's", "x\\ y"],
        ]
    );
    assert_eq!(split_commands("echo 'unterminated"), None);
}

/// Whatever words the tokeniser reads, quoted again they read the same to
/// the search and to the proof: its quotes and escapes neither lose nor
/// add a character (the recipe fuzz target checks this on every input).
#[test]
fn words_read_back_the_same_when_quoted_again() {
    const PIECES: &[&str] = &[
        "'",
        "\"",
        "\\",
        ";",
        "\n",
        "&",
        "|",
        "(",
        ")",
        "`",
        "<",
        ">",
        "$",
        "*",
        "#",
        "~",
        " ",
        "\t",
        "\r",
        "a",
        "2",
        "-",
        "é",
        "\\\n",
        "'a b'",
        "\"c\\\"d\"",
    ];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut read = 0;
    for _ in 0..20_000 {
        let script: String = (0..rng.below(16))
            .map(|_| PIECES[rng.below(PIECES.len())])
            .collect();
        let Some(commands) = split_commands(&script) else {
            continue;
        };
        let quoted = commands
            .iter()
            .map(|words| {
                let words: Vec<String> = words
                    .iter()
                    .map(|w| format!("'{}'", w.replace('\'', r"'\''")))
                    .collect();
                words.join(" ")
            })
            .collect::<Vec<_>>()
            .join("; ");
        assert_eq!(
            split_commands(&quoted).as_ref(),
            Some(&commands),
            "{script:?}"
        );
        let proof: Vec<Vec<String>> = strict_commands(&quoted)
            .unwrap()
            .into_iter()
            .map(|c| c.words)
            .collect();
        assert_eq!(proof, commands, "{script:?}");
        read += 1;
    }
    assert!(read > 5_000, "only {read} scripts read");
}

/// Strict mode has no false alarm on a compiler kbuild builds with:
/// the compile is the command that writes the input with `-c -o`,
/// whatever its program's name and whatever launcher runs it.
#[test]
fn any_compiler_word_kbuild_accepts_is_proven() {
    let base = text("arm64-module");
    let clang = base
        .split_whitespace()
        .find(|w| w.contains("clang"))
        .expect("the sample compiles with clang")
        .to_string();
    for compiler in [
        "cc",
        "clang-19.1",
        "buildcache clang-19",
        "ccache /usr/bin/clang",
        "x86_64-linux-gnu-gcc",
    ] {
        let script = base.replacen(&clang, compiler, 1);
        let f = proven(&script, "lib/crc-ccitt.o", "lib/.tmp_crc-ccitt.o");
        assert!(f.compile.module, "{compiler}");
        assert_eq!(
            f.compile.modname.as_deref(),
            Some("crc_ccitt"),
            "{compiler}"
        );
    }
}

#[test]
fn a_module_objects_names_are_read() {
    let f = proven(
        text("arm64-module"),
        "lib/crc-ccitt.o",
        "lib/.tmp_crc-ccitt.o",
    );
    assert!(f.compile.module);
    assert_eq!(f.compile.basename.as_deref(), Some("crc_ccitt"));
    assert_eq!(f.compile.modname.as_deref(), Some("crc_ccitt"));
    assert!(!f.objtool_follows);
}

#[test]
fn builtin_and_composite_part_are_read_as_such() {
    let builtin = text("arm64-module").replace("-DMODULE ", "");
    let c = proven(&builtin, "lib/crc-ccitt.o", "lib/.tmp_crc-ccitt.o").compile;
    assert!(!c.module);
    let part = text("arm64-module")
        .replace(
            "-DKBUILD_MODNAME='\"crc_ccitt\"'",
            "-DKBUILD_MODNAME='\"crc\"'",
        )
        .replace("kmod_crc_ccitt", "kmod_crc");
    let c = proven(&part, "lib/crc-ccitt.o", "lib/.tmp_crc-ccitt.o").compile;
    assert!(c.module);
    assert_eq!(c.modname.as_deref(), Some("crc"));
}

/// init/Makefile forces a per-object header on version.o
/// (`CFLAGS_version.o := -include $(obj)/utsversion-tmp.h`); the fixed
/// kernel keeps it bitcode, so its recipe must be proven, while an
/// `-include` of something that is not a header stays unproven.
#[test]
fn a_per_object_forced_header_is_proven() {
    let script = |header: &str| {
        format!(
            "set -e; clang -Wp,-MMD,init/.version.o.d -nostdinc -include ./include/linux/kconfig.h \
             -include {header} -DKBUILD_BASENAME='\"version\"' -DKBUILD_MODNAME='\"version\"' \
             -D__KBUILD_MODNAME=kmod_version -c -o init/version.o init/version.c; \
             ld.lld -EL -maarch64elf -r -o init/.tmp_version.o init/version.o; \
             mv init/.tmp_version.o init/version.o"
        )
    };
    let (input, output) = (
        Path::new("init/version.o"),
        Path::new("init/.tmp_version.o"),
    );
    assert!(matches!(
        analyse(&script("init/utsversion-tmp.h"), input, output),
        Some(Reading::Proven(_))
    ));
    assert!(matches!(
        analyse(&script("init/flags.cfg"), input, output),
        Some(Reading::Unproven(_))
    ));
}

/// Every kbuild shape around the relink is proven: the quiet, verbose
/// (V=1) and silent (-s) prologues, all five traps, a launcher, the
/// objtool tail, both fixdep tails and if_changed's saved command.
#[test]
fn kbuild_shapes_are_proven() {
    let traps: String = TRAPPED_SIGNALS
        .iter()
        .map(|s| format!(" trap 'rm -f d/foo.o; trap - {s}; kill -s {s} $$' {s};"))
        .collect();
    let compile = "clang -Wp,-MMD,d/.foo.o.d -nostdinc -I./include -include ./include/linux/compiler-version.h -include ./include/linux/kconfig.h -include /src/include/linux/compiler_types.h -D__KERNEL__ -DKBUILD_BASENAME='\"foo\"' -DKBUILD_MODNAME='\"foo\"' -D__KBUILD_MODNAME=kmod_foo -c -o d/foo.o d/foo.c";
    let relink = "ld.lld -EL -maarch64elf -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o";
    for prologue in [
        "set -e; echo '  CC      d/foo.o';".to_string(),
        format!("set -e; echo '# CC d/foo.o'; echo '  clang '\\''x'\\'' -c';{traps}"),
        format!("set -e; exec >/dev/null;{traps}"),
        String::new(),
    ] {
        for (launcher, ld) in [
            ("", "ld.lld"),
            ("ccache ", "/usr/bin/ld.lld-19"),
            ("/usr/bin/sccache ", "/opt/kbuild-ld-shim"),
            ("distcc ", "aarch64-linux-gnu-ld.lld"),
            ("icecc ", "ld"),
        ] {
            let relink = relink.replace("ld.lld ", &format!("{ld} "));
            for tail in [
                "",
                "; scripts/basic/fixdep d/.foo.o.d d/foo.o 'clang $(pound) ; x' > d/.foo.o.cmd; rm -f d/.foo.o.d",
                "; ./scripts/basic/fixdep d/.foo.o.d d/foo.o 'x' > d/.foo.o.tmp; rm -f d/.foo.o.d; mv -f d/.foo.o.tmp d/.foo.o.cmd",
                "; printf '%s\\n' 'savedcmd_d/foo.o := clang -c' > d/.foo.o.cmd",
            ] {
                let script = format!("{prologue} {launcher}{compile} ; {relink}{tail}");
                let f = proven(&script, "d/foo.o", "d/.tmp_foo.o");
                assert!(!f.objtool_follows && !f.compile.module, "{script}");
                let objtool = format!(
                    "{prologue} {launcher}{compile} ; {relink} ; ./tools/objtool/objtool --link --module d/foo.o{tail}"
                );
                assert!(proven(&objtool, "d/foo.o", "d/.tmp_foo.o").objtool_follows);
            }
        }
    }
    let top = proven(
        text("top-level-module-common"),
        ".module-common.o",
        "./.tmp_.module-common.o",
    );
    assert!(!top.compile.module);
    let x86 = proven(
        text("x86-objtool-after-relink"),
        "drivers/m.mod.o",
        "drivers/.tmp_m.mod.o",
    );
    assert!(x86.objtool_follows);
}

/// The reproductions and their kin: each passed through
/// before; now each is unproven, and the reason names the construct.
#[test]
fn constructs_outside_the_grammar_are_unproven_and_named() {
    let base = "clang -DKBUILD_BASENAME='\"foo\"' -DKBUILD_MODNAME='\"foo\"' -c -o d/foo.o d/foo.c; ld.lld -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o";
    for (script, named) in [
        (base.replace("-c -o", "-Wp,-DMODULE -c -o"), "-Wp,-DMODULE"),
        (base.replace("-c -o", "-Xclang -DMODULE -c -o"), "-Xclang"),
        (base.replace("-c -o", "-D MODULE -c -o"), "separate word"),
        (base.replace("-c -o", "-DMODULE=1 -c -o"), "-DMODULE=1"),
        (
            base.replace("-c -o", "--define-macro=MODULE -c -o"),
            "--define-macro",
        ),
        (base.replace("-c -o", "@d/flags -c -o"), "@d/flags"),
        (
            base.replace("-c -o", "-include d/mod.cfg -c -o"),
            "-include d/mod.cfg",
        ),
        (base.replace("-c -o", "-imacros d/mod.h -c -o"), "-imacros"),
        (base.replace("-c -o", "-UMODULE -c -o"), "-UMODULE"),
        (base.replace("-c -o", "--config=d/m.cfg -c -o"), "--config"),
        (format!("{base}; $OBJTOOL d/foo.o"), "`$` expansion"),
        (
            format!("OBJTOOL=./tools/objtool/objtool; {base}"),
            "assignment",
        ),
        (
            format!("trap './tools/objtool/objtool d/foo.o' EXIT; {base}"),
            "trap",
        ),
        (
            format!("{base}; echo d/foo.o | xargs ./tools/objtool/objtool"),
            "pipe",
        ),
        (format!("{base}; xargs ./tools/objtool/objtool"), "xargs"),
        (format!("{base}; ./tools/objtool/objtool d/*.o"), "glob `*`"),
        (format!("{base}; ./tools/*/objtool d/foo.o"), "glob `*`"),
        (
            format!("{base}; eval './tools/objtool/objtool d/foo.o'"),
            "eval",
        ),
        (
            format!("{base}; (./tools/objtool/objtool d/foo.o)"),
            "subshell",
        ),
        (format!("{base} && ./tools/objtool/objtool d/foo.o"), "`&`"),
        (
            format!("{base}; x=`./tools/objtool/objtool d/foo.o`"),
            "backquote",
        ),
        (
            format!("{base}; sh -c './tools/objtool/objtool d/foo.o'"),
            "`sh -c",
        ),
        (
            format!("{base}; {{ ./tools/objtool/objtool d/foo.o; }}"),
            "brace",
        ),
        (format!("{base}; cat d/foo.o > d/bar.o"), "redirection"),
        (format!("{base} 2>&1"), "numbered descriptor"),
        (
            format!("{base}; echo \"$(./tools/objtool/objtool d/foo.o)\""),
            "`$` expansion in double quotes",
        ),
        (
            format!("{base}; ./tools/objtool/objtool d/foo.o; ./tools/objtool/objtool d/foo.o"),
            "outside kbuild's recipe",
        ),
        (format!("{base} # x"), "comment"),
        (format!("{base}; ~/objtool d/foo.o"), "tilde"),
        (format!("cp d/foo.o d/bar.o; {base}"), "`cp"),
        (base.replace("clang", "CCACHE_DIR=x clang"), "assignment"),
        (base.replace("clang", "env clang"), "`env"),
        (
            base.replace(
                "-r -o d/.tmp_foo.o d/foo.o",
                "-r -o d/.tmp_foo.o d/foo.o d/bar.o",
            ),
            "relink",
        ),
        (base.replace("; mv", "; cp"), "`mv`"),
        (
            base.replace(
                "ld.lld -r",
                "sh -c 'ld.lld \"$@\"; objtool d/.tmp_foo.o' sh -r",
            ),
            "relink",
        ),
        (base.replace("ld.lld -r", "env ld.lld -r"), "relink"),
        (base.replace("ld.lld -r", "/usr/bin/python3 -r"), "relink"),
        (
            "ld.lld -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o".to_string(),
            "no compile",
        ),
    ] {
        let why = unproven(&script, "d/foo.o", "d/.tmp_foo.o");
        assert!(why.contains(named), "{script}: {why}");
    }
}

/// The recipe the grammar proves is the one the search for the relink
/// finds, word for word: the redirection's target is the last word.
#[test]
fn the_proof_and_the_search_read_a_proven_recipe_alike() {
    for (name, input, output) in [
        ("arm64-module", "lib/crc-ccitt.o", "lib/.tmp_crc-ccitt.o"),
        (
            "x86-objtool-after-relink",
            "drivers/m.mod.o",
            "drivers/.tmp_m.mod.o",
        ),
        (
            "top-level-module-common",
            ".module-common.o",
            "./.tmp_.module-common.o",
        ),
    ] {
        proven(text(name), input, output);
        let proof: Vec<Vec<String>> = strict_commands(text(name))
            .unwrap()
            .into_iter()
            .map(|c| c.words.into_iter().chain(c.stdout_to).collect())
            .collect();
        assert_eq!(Some(proof), split_commands(text(name)), "{name}");
    }
}

#[test]
fn module_is_read_only_from_kbuild_spellings() {
    for not_module in ["-DMODULES", "-DMODULE_X=1", "-DX=MODULE", "-UX"] {
        let script = format!(
            "clang -DKBUILD_BASENAME='\"foo\"' -DKBUILD_MODNAME='\"foo\"' -c -o d/foo.o d/foo.c {not_module}; ld.lld -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o"
        );
        let f = proven(&script, "d/foo.o", "d/.tmp_foo.o");
        assert!(!f.compile.module, "{not_module}");
    }
    // The three kbuild names must agree with each other's spelling.
    let mismatch = "clang -DMODULE -DKBUILD_BASENAME='\"foo\"' -DKBUILD_MODNAME='\"foo\"' -D__KBUILD_MODNAME=kmod_bar -c -o d/foo.o d/foo.c; ld.lld -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o";
    assert!(unproven(mismatch, "d/foo.o", "d/.tmp_foo.o").contains("disagrees"));
    let unquoted = mismatch
        .replace("'\"foo\"'", "foo")
        .replace("kmod_bar", "kmod_foo");
    assert!(unproven(&unquoted, "d/foo.o", "d/.tmp_foo.o").contains("KBUILD_BASENAME"));
}

#[test]
fn objtool_counts_only_on_the_relinked_object_right_after_the_mv() {
    let x86 = text("x86-objtool-after-relink");
    let other = x86.replace("--module drivers/m.mod.o", "--module drivers/other.o");
    // objtool on another object is not kbuild's tail for this one.
    assert!(!passes(
        &reading(&other, "drivers/m.mod.o", "drivers/.tmp_m.mod.o").unwrap()
    ));
    // Before the relink, objtool is an unknown command.
    let before = "./tools/objtool/objtool d/foo.o; clang -c -o d/foo.o d/foo.c; ld.lld -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o";
    unproven(before, "d/foo.o", "d/.tmp_foo.o");
}

#[test]
fn paths_compare_after_normalisation() {
    let f = proven(
        "clang -c -o ./d/foo.o d/foo.c; ld.lld -r -o d/./.tmp_foo.o ./d/foo.o; mv ./d/.tmp_foo.o d/foo.o",
        "d/foo.o",
        "d/.tmp_foo.o",
    );
    assert!(!f.compile.module);
}

#[test]
fn a_recipe_without_this_relink_is_not_ours() {
    assert_eq!(
        reading(text("arm64-module"), "lib/crc16.o", "lib/.tmp_crc16.o"),
        None
    );
    // The quoted copy in the fixdep arguments is one word, never a command.
    let only_quoted = text("quoted-relink-only");
    assert_eq!(reading(only_quoted, "lib/a.o", "lib/.tmp_a.o"), None);
    // Unreadable to either lexer: not a recipe at all.
    assert_eq!(
        reading("ld.lld -r -o d/.tmp_a.o d/a.o '", "d/a.o", "d/.tmp_a.o"),
        None
    );
    let why = unproven(text("relink-without-compile"), "d/a.o", "d/.tmp_a.o");
    assert!(why.contains("no compile of d/a.o"), "{why}");
}

#[test]
fn large_recipes_read_in_linear_time() {
    let started = std::time::Instant::now();
    let many_words = format!(
        "clang -c -o d/foo.o d/foo.c; ld.lld -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o; {}",
        "objtool ".repeat(500_000)
    );
    unproven(&many_words, "d/foo.o", "d/.tmp_foo.o");
    let long_echo = format!(
        "echo '{}'; clang -c -o d/foo.o d/foo.c; ld.lld -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o",
        "x; ".repeat(1_000_000)
    );
    proven(&long_echo, "d/foo.o", "d/.tmp_foo.o");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// Shell constructs outside the grammar, `{o}` standing for the object.
const CONSTRUCTS: &[&str] = &[
    "$X",
    "${X}",
    "$(./tools/objtool/objtool {o})",
    "`./tools/objtool/objtool {o}`",
    "\"$X\"",
    "( ./tools/objtool/objtool {o} )",
    "{ ./tools/objtool/objtool {o}; }",
    "| ./tools/objtool/objtool {o}",
    "| xargs ./tools/objtool/objtool",
    "&& ./tools/objtool/objtool {o}",
    "|| true",
    "& wait",
    "> {o}",
    ">> log",
    "2>&1",
    "< /dev/null",
    "*.o",
    "d/?oo.o",
    "[a-z]",
    "~/bin/objtool",
    "# comment",
    "!",
];

/// Unknown commands: fine as words inside a command, not as commands.
const UNKNOWN_COMMANDS: &[&str] = &[
    "./tools/objtool/objtool --link {o}",
    "xargs ./tools/objtool/objtool",
    "env ./tools/objtool/objtool {o}",
    "sh -c './tools/objtool/objtool {o}'",
    "frobnicate {o}",
    "true",
    ":",
    "cp {o} {o}.bak",
    "ld.lld -r -o d/.tmp_foo.o d/foo.o",
    "trap './tools/objtool/objtool {o}' EXIT",
    "eval ./tools/objtool/objtool {o}",
    "OBJTOOL=./tools/objtool/objtool",
    "OBJTOOL=./tools/objtool/objtool echo",
];

/// Real kbuild recipes as lists of commands, with the object they relink.
fn real_recipes() -> Vec<(Vec<String>, &'static str, &'static str)> {
    let split = |t: &str| -> Vec<String> {
        // The texts are kbuild's `; `-joined lines; the quoted fixdep
        // argument stays whole because it is cut off first.
        let (head, quoted) = match t.split_once(" 'clang") {
            Some((h, q)) => (h, Some(format!("'clang{q}"))),
            None => (t, None),
        };
        let mut cmds: Vec<String> = head.split(';').map(|c| c.trim().to_string()).collect();
        if let Some(q) = quoted {
            let last = cmds.pop().unwrap();
            let (q, rest) = q.split_once("' > ").unwrap();
            cmds.push(format!("{last} {q}' > {}", rest.split(';').next().unwrap()));
            cmds.extend(rest.split(';').skip(1).map(|c| c.trim().to_string()));
        }
        cmds
    };
    let module = text("arm64-module");
    let builtin = module.replace("-DMODULE ", "");
    vec![
        (split(module), "lib/crc-ccitt.o", "lib/.tmp_crc-ccitt.o"),
        (split(&builtin), "lib/crc-ccitt.o", "lib/.tmp_crc-ccitt.o"),
        (
            split(text("x86-objtool-after-relink")),
            "drivers/m.mod.o",
            "drivers/.tmp_m.mod.o",
        ),
        (
            split(text("top-level-module-common")),
            ".module-common.o",
            "./.tmp_.module-common.o",
        ),
    ]
}

/// Random insertions of shell constructs into real kbuild recipes never
/// turn a forward into a passthrough, and never leave a passthrough
/// standing: whatever the grammar does not know is unproven.
#[test]
fn random_insertions_never_make_a_passthrough() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let recipes = real_recipes();
    for (cmds, input, output) in &recipes {
        let joined = cmds.join("; ");
        assert!(
            matches!(
                analyse(&joined, Path::new(input), Path::new(output)),
                Some(Reading::Proven(_))
            ),
            "the base recipe reads: {joined}"
        );
    }
    let mut cases = 0;
    for case in 0..6000 {
        let (cmds, input, output) = &recipes[rng.below(recipes.len())];
        let mut cmds = cmds.clone();
        let inserts = 1 + rng.below(3);
        for _ in 0..inserts {
            let at = rng.below(cmds.len() + 1);
            if rng.below(2) == 0 {
                let c = CONSTRUCTS[rng.below(CONSTRUCTS.len())].replace("{o}", input);
                if at < cmds.len() {
                    // Inside a command: after one of its words.
                    // After a word outside quotes, where the shell reads
                    // the construct as syntax, not as quoted text.
                    let words: Vec<&str> = cmds[at].split(' ').collect();
                    let outside_quotes: Vec<usize> = (1..=words.len())
                        .filter(|&cut| {
                            words[..cut]
                                .join(" ")
                                .matches('\'')
                                .count()
                                .is_multiple_of(2)
                        })
                        .collect();
                    let cut = outside_quotes[rng.below(outside_quotes.len())];
                    let text = format!("{} {c} {}", words[..cut].join(" "), words[cut..].join(" "));
                    cmds[at] = text.trim_end().to_string();
                } else {
                    cmds.push(c);
                }
            } else {
                let c = UNKNOWN_COMMANDS[rng.below(UNKNOWN_COMMANDS.len())].replace("{o}", input);
                cmds.insert(at, c);
            }
        }
        let script = cmds.join("; ");
        let Some(read) = analyse(&script, Path::new(input), Path::new(output)) else {
            // The insertion hid the relink itself (in a quote or a
            // comment): no recipe of ours, a forward.
            continue;
        };
        // One exception to "anything inserted is unproven": an objtool
        // command inserted right after the `mv` is kbuild's own tail,
        // which forwards.
        assert!(!passes(&read), "case {case}: {script}\n{read:?}");
        cases += 1;
    }
    assert!(cases > 4000, "only {cases} cases named the relink");
}
