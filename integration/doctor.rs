//! `--shim-doctor`'s verdict comes from kbuild's own make: trees shaped as
//! 6.13 and 6.12 write the relink, run through real make, and the exit
//! status and lines a user reads. (`integration/kernel.sh` asks the same
//! of Debian's real 6.12 tree, as shipped and with the regression.)

use std::fs;
use std::path::Path;

use crate::common::*;

const ARM64: &str =
    "CONFIG_ARM64=y\nCONFIG_LTO_CLANG_THIN=y\nCONFIG_MODULES=y\nCONFIG_CLANG_VERSION=190107\n";

fn doctor(tree: &Path) -> (i32, String) {
    require_tool("make", "make");
    let out = shim_cmd(Path::new("/"))
        .arg("--shim-doctor")
        .arg(tree)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Rewrites the text file `path` with `change`.
fn edit(path: &Path, change: impl FnOnce(String) -> String) {
    let text = fs::read_to_string(path).unwrap();
    fs::write(path, change(text)).unwrap();
}

fn verdict(text: &str) -> &str {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix("verdict"))
        .unwrap_or_else(|| panic!("no verdict in {text}"))
        .trim_start()
}

#[test]
fn doctor_tells_the_unfixed_relink_from_the_fix() {
    require_toolchain();
    let unfixed = kbuild_tree(KbuildRelink::Unfixed613, ARM64);
    let (code, text) = doctor(unfixed.path());
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        verdict(&text),
        "AFFECTED: cmd_ld_single relinks every standard object where objtool does not run (the 6.13 regression); build with LD=kbuild-ld-shim"
    );
    assert!(
        text.contains("version         Debian LLD 19") || text.contains("version         LLD 19"),
        "{text}"
    );
    assert!(
        text.contains("LTO=Thin OBJTOOL=false MODULES=true"),
        "{text}"
    );

    let fixed = kbuild_tree(KbuildRelink::Fixed613, ARM64);
    let (code, text) = doctor(fixed.path());
    assert_eq!(code, 3, "{text}");
    assert!(
        verdict(&text).starts_with("not affected: cmd_ld_single leaves standard objects as bitcode where objtool does not run"),
        "{text}"
    );

    let riscv = kbuild_tree(KbuildRelink::Unfixed613, "CONFIG_RISCV=y\nCONFIG_CMODEL_MEDLOW=y\nCONFIG_LTO_CLANG_THIN=y\nCONFIG_CLANG_VERSION=200000\n");
    let (_, text) = doctor(riscv.path());
    assert!(text.contains("Code Model"), "{text}");
    assert!(
        text.contains("real ld.lld is LLVM 19 but the kernel is compiled by clang 20"),
        "{text}"
    );

    let (code, text) = doctor(Path::new("/nonexistent-tree"));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("BROKEN"), "{text}");
}

/// Debian's 6.12 relinks in Makefile.build (`cmd_ld_single_m`); the
/// verdict follows what the condition does, not which file holds it.
#[test]
fn doctor_reads_the_612_relink_and_its_recreated_regression() {
    require_toolchain();
    let (code, text) = doctor(kbuild_tree(KbuildRelink::Shipped612, ARM64).path());
    assert_eq!(code, 3, "{text}");
    assert!(
        verdict(&text).starts_with("not affected: cmd_ld_single_m leaves"),
        "{text}"
    );
    let (code, text) = doctor(kbuild_tree(KbuildRelink::Regressed612, ARM64).path());
    assert_eq!(code, 0, "{text}");
    assert!(
        verdict(&text).starts_with("AFFECTED: cmd_ld_single_m relinks"),
        "{text}"
    );
}

/// What only make knows: a half-applied fix (the condition changed, the
/// assignment left where it was), an assignment from an included file, a
/// relink removed altogether. A reader of the relink's own lines would
/// call the first two fixed.
#[test]
fn doctor_judges_what_make_evaluates() {
    require_toolchain();
    let half = kbuild_tree(KbuildRelink::Unfixed613, ARM64);
    edit(&half.path().join("scripts/Makefile.lib"), |text| {
        text.replace(
            "$(if $(objtool-enabled), ;",
            "$(if $(objtool-enabled)$(is-single-obj-m), ;",
        )
    });
    let (code, text) = doctor(half.path());
    assert_eq!(code, 0, "{text}");
    assert!(verdict(&text).starts_with("AFFECTED: "), "{text}");

    let included = kbuild_tree(KbuildRelink::Fixed613, ARM64);
    let scripts = included.path().join("scripts");
    fs::write(scripts.join("Makefile.local"), "objtool-enabled := y\n").unwrap();
    edit(&scripts.join("Makefile.lib"), |text| {
        text + "include $(srctree)/scripts/Makefile.local\n"
    });
    let (code, text) = doctor(included.path());
    assert_eq!(code, 0, "{text}");
    assert!(verdict(&text).starts_with("AFFECTED: "), "{text}");

    let none = kbuild_tree(KbuildRelink::Unfixed613, ARM64);
    edit(&none.path().join("scripts/Makefile.lib"), |text| {
        let cut = text.find("ifdef CONFIG_LTO_CLANG").unwrap();
        text[..cut].to_string()
    });
    let (code, text) = doctor(none.path());
    assert_eq!(code, 3, "{text}");
    assert!(
        verdict(&text).starts_with("not affected: no per-object relink"),
        "{text}"
    );
}

/// A kbuild make cannot read is no verdict: the doctor fails with make's
/// own first line, and writes nothing into the tree.
#[test]
fn doctor_without_an_answer_from_make_fails_and_says_why() {
    require_toolchain();
    let broken = kbuild_tree(KbuildRelink::Unfixed613, ARM64);
    edit(&broken.path().join("scripts/Makefile.build"), |text| {
        text + "$(error this kbuild is broken)\n"
    });
    let before = tree_listing(broken.path());
    let (code, text) = doctor(broken.path());
    assert_eq!(code, 1, "{text}");
    let verdict = verdict(&text);
    assert!(
        verdict.starts_with(
            "BROKEN: cannot judge: kbuild's make could not say: make exited with exit status: 2: "
        ),
        "{text}"
    );
    assert!(verdict.contains("this kbuild is broken"), "{text}");
    assert_eq!(tree_listing(broken.path()), before);
}

fn tree_listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        out.push(path.display().to_string());
        if path.is_dir() {
            out.extend(tree_listing(&path));
        }
    }
    out.sort();
    out
}
