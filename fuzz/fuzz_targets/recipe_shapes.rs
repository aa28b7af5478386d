//! The objtool and `-D MODULE` recipe shapes: the bytes choose a shell
//! prefix (assignments, `env`, `{`, `if ...; then`, `$(`, `sh -c '`...),
//! a spelling of objtool, its arguments and a spelling of the input, or a
//! spelling of the module defines, and the target asserts that
//! `recipe::analyse` never lets such a recipe pass: it either sees what the
//! shell would run (objtool reading the relinked object, a single-object
//! module) or finds the recipe unproven. A passthrough is the unsafe
//! direction (bitcode reaches objtool or modpost), so it is a crash here.
#![no_main]

use std::path::Path;

use kbuild_ld_shim::kbuild::recipe;
use libfuzzer_sys::fuzz_target;

/// Choices drawn from the input bytes; an exhausted input picks the first.
struct Choices<'a>(std::slice::Iter<'a, u8>);

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        self.0.next().copied().unwrap_or(0)
    }
    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.byte() as usize % from.len()]
    }
    /// A plain word: starts with a letter, then letters, digits and `_./=-`,
    /// so it can neither open a quote nor end a command.
    fn word(&mut self) -> String {
        const FIRST: &[u8] = b"abcXYZ";
        const REST: &[u8] = b"abcxyzXYZ019_./=-";
        let len = self.byte() % 8;
        let mut w = String::from(self.pick(FIRST) as char);
        for _ in 0..len {
            w.push(self.pick(REST) as char);
        }
        w
    }
}

/// (opening, closing) of the constructs objtool may sit in.
const WRAPPERS: &[(&str, &str)] = &[
    ("", ""),
    ("OBJTOOL_X=1 ", ""),
    ("A=1 B=2 ", ""),
    ("env ", ""),
    ("env -i PATH=/bin ", ""),
    ("exec ", ""),
    ("nice -n 5 ", ""),
    ("time ", ""),
    ("command ", ""),
    ("! ", ""),
    ("{ ", "; }"),
    ("( ", " )"),
    ("if true; then ", "; fi"),
    ("if true\nthen\n\t", "\nfi"),
    ("while true; do ", "; break; done"),
    ("for f in 1; do ", "; done"),
    ("x=$(", ")"),
    ("x=`", "`"),
    ("sh -c '", "'"),
    ("eval \"", "\""),
    ("sh -ec \"", "\""),
];

const OBJTOOLS: &[&str] = &[
    "./tools/objtool/objtool",
    "tools/objtool/objtool",
    "/build/tools/objtool/objtool",
    "objtool",
    "tools//objtool/./objtool",
];

const ARGS: &[&str] = &[
    "--link",
    "--module",
    "--orc",
    "--hacks=jump_label",
    "2>&1",
    ">/dev/null",
    "&>log",
    "-",
];

const INPUTS: &[&str] = &[
    "d/foo.o",
    "./d/foo.o",
    "d/./foo.o",
    "d//foo.o",
    "--file=d/foo.o",
    "/build/d/foo.o",
];

const SEPARATORS: &[&str] = &["; ", " && ", " || ", "\n", " | ", " & "];

const MODULE: &[&str] = &[
    "-DMODULE",
    "-D MODULE",
    "-DMODULE=1",
    "-D MODULE=",
    "--define-macro MODULE",
    "--define-macro=MODULE",
];

const BASENAME: &[&str] = &[
    "-DKBUILD_BASENAME='\"foo\"'",
    "-D KBUILD_BASENAME='\"foo\"'",
    "-DKBUILD_BASENAME=foo",
    "--define-macro=KBUILD_BASENAME=foo",
];

const MODNAME: &[&str] = &[
    "-DKBUILD_MODNAME='\"foo\"'",
    "-D KBUILD_MODNAME='\"foo\"'",
    "'-DKBUILD_MODNAME=\"foo\"'",
    "--define-macro KBUILD_MODNAME=foo",
];

const RELINK: &str = "ld.lld -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o";

fn quoting(s: &str) -> bool {
    s.contains(['\'', '"', '`'])
}

/// `... ; <wrappers> objtool <args> <input> <args> <closers>`.
fn objtool_tail(c: &mut Choices) -> String {
    let mut open = String::new();
    let mut close = Vec::new();
    let mut quoted = false;
    for _ in 0..c.byte() % 4 {
        let (o, cl) = c.pick(WRAPPERS);
        // Quotes do not nest in the shell: one quoting construct at most.
        if quoted && quoting(o) {
            continue;
        }
        quoted |= quoting(o);
        open.push_str(o);
        close.push(cl);
    }
    let mut cmd = open;
    cmd.push_str(c.pick(OBJTOOLS));
    for _ in 0..c.byte() % 4 {
        cmd.push(' ');
        if c.byte() % 2 == 0 {
            cmd.push_str(c.pick(ARGS));
        } else {
            cmd.push_str(&c.word());
        }
    }
    cmd.push(' ');
    cmd.push_str(c.pick(INPUTS));
    for _ in 0..c.byte() % 3 {
        cmd.push(' ');
        cmd.push_str(&c.word());
    }
    for cl in close.iter().rev() {
        cmd.push_str(cl);
    }
    let mut tail = String::new();
    for _ in 0..c.byte() % 3 {
        tail.push_str(c.pick(SEPARATORS));
        tail.push_str(&c.word());
    }
    tail.push_str(c.pick(SEPARATORS));
    tail.push_str(&cmd);
    tail
}

/// A compile of `d/foo.o` with every define spelling, plain words between.
fn module_compile(c: &mut Choices) -> String {
    let mut parts = vec![c.pick(MODULE), c.pick(BASENAME), c.pick(MODNAME)];
    let order = c.byte();
    parts.rotate_left(order as usize % 3);
    let mut cmd = String::from("clang");
    for part in parts {
        for _ in 0..c.byte() % 2 {
            cmd.push(' ');
            cmd.push_str(&c.word());
        }
        cmd.push(' ');
        cmd.push_str(part);
    }
    cmd.push_str(" -c -o d/foo.o d/foo.c");
    cmd
}

/// What the decision would do on the recipe alone: only a proven recipe of
/// a built-in object (no MODULE, so make is not asked) that objtool does
/// not read passes through.
fn passes(reading: &recipe::Reading) -> bool {
    match reading {
        recipe::Reading::Proven(f) => !f.objtool_follows && !f.compile.module,
        recipe::Reading::Unproven(_) => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut c = Choices(data.iter());
    let input = Path::new("d/foo.o");
    let output = Path::new("d/.tmp_foo.o");

    let tail = objtool_tail(&mut c);
    let script = format!("clang -c -o d/foo.o d/foo.c; {RELINK}{tail}");
    let reading = recipe::analyse(&script, input, output)
        .unwrap_or_else(|| panic!("relink not found in {script:?}"));
    assert!(!passes(&reading), "objtool missed in {script:?}: {reading:?}");

    let compile = module_compile(&mut c);
    let script = format!("{compile}; {RELINK}");
    let reading = recipe::analyse(&script, input, output)
        .unwrap_or_else(|| panic!("relink not found in {script:?}"));
    assert!(
        !passes(&reading),
        "single-object module missed in {script:?}: {reading:?}"
    );
});
