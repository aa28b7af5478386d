//! Recipe shapes that kbuild 6.13 itself does not write but wrappers and
//! patched Makefiles do: objtool behind a shell prefix, `-D MODULE` in two
//! words. None is proven kbuild's, so each is forwarded as unproven. Each runs through a real `sh -c` with real clang and ld.lld, and a
//! stand-in objtool that fails the recipe on anything but ELF, so a missed
//! objtool fails the build exactly as it would in a kernel tree.

use std::path::Path;

use crate::common::*;

const CFLAGS: &str =
    "--target=aarch64-linux-gnu -O2 -flto=thin -fsplit-lto-unit -ffreestanding -fno-PIE";
const LDFLAGS: &str = "-EL -maarch64elf -z norelro -z noexecstack";

/// Compiles and relinks `d/foo.o` as kbuild does, with `tail` after the
/// `mv`, in a fresh tree; returns the object and the record line.
fn run(defines: &str, tail: &str) -> (Vec<u8>, String) {
    require_toolchain();
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    std::fs::create_dir_all(dir.join("d")).unwrap();
    std::fs::create_dir_all(dir.join("tools/objtool")).unwrap();
    std::fs::write(
        dir.join("d/foo.c"),
        "int add_one(int x) { return x + 1; }\n",
    )
    .unwrap();
    let objtool = dir.join("tools/objtool/objtool");
    write_script(
        &objtool,
        "for a; do f=$a; done\n[ \"$(head -c 4 \"$f\" | od -An -tx1 | tr -d ' ')\" = 7f454c46 ] || { echo \"objtool: $f is not ELF\" >&2; exit 1; }\n",
    );
    let script = format!(
        "set -e; {CLANG} {CFLAGS} {defines} -c -o d/foo.o d/foo.c; {} {LDFLAGS} -r -o d/.tmp_foo.o d/foo.o; mv d/.tmp_foo.o d/foo.o{tail}",
        shim().display()
    );
    let record = dir.join("record.jsonl");
    // A make with an empty obj-m: every module object is a part.
    let out = recipe_under_make(dir, &script, &[])
        .env("KBUILD_LD_SHIM_RECORD", &record)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}\nfailed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        std::fs::read(dir.join("d/foo.o")).unwrap(),
        std::fs::read_to_string(Path::new(&record)).unwrap(),
    )
}

const COMPOSITE_PART: &str = "-DMODULE -DKBUILD_BASENAME='\"foo\"' -DKBUILD_MODNAME='\"foomod\"'";

#[test]
fn objtool_behind_a_shell_prefix_gets_elf() {
    // Control: without objtool this composite part stays bitcode.
    let (obj, line) = run(COMPOSITE_PART, "");
    assert!(obj.starts_with(b"BC\xc0\xde"), "{line}");
    for tail in [
        "; OBJTOOL_X=1 ./tools/objtool/objtool --link --module d/foo.o",
        "; env ./tools/objtool/objtool --link d/foo.o",
        "; { ./tools/objtool/objtool --link d/foo.o; }",
        "; if true; then ./tools/objtool/objtool --link d/foo.o; fi",
    ] {
        let (obj, line) = run(COMPOSITE_PART, tail);
        assert!(obj.starts_with(b"\x7fELF"), "{tail}: {line}");
        assert!(
            line.contains("\"reason\":\"unproven-recipe\""),
            "{tail}: {line}"
        );
    }
}

#[test]
fn module_define_in_any_spelling_relinks_a_single_object_module() {
    for module in ["-D MODULE", "-DMODULE=1"] {
        let defines = format!("{module} -DKBUILD_BASENAME='\"foo\"' -DKBUILD_MODNAME='\"foo\"'");
        let (obj, line) = run(&defines, "");
        assert!(obj.starts_with(b"\x7fELF"), "{module}: {line}");
        assert!(
            line.contains("\"reason\":\"unproven-recipe\""),
            "{module}: {line}"
        );
    }
}
