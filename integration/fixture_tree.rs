//! The kernel-shaped tree (integration/fixture/) built with real clang-19
//! and ld.lld-19 in every variant, for both arm64 and x86_64: unfixed 6.13
//! recipes through the shim must give the fixed kernel's bytes.

use crate::common::*;

#[test]
fn unfixed_through_the_shim_equals_fixed_on_both_arches() {
    require_toolchain();
    // What fixture.sh runs besides the toolchain.
    let bash = require_tool("bash", "bash");
    require_tool("make", "make");
    require_tool("cmp", "diffutils");
    require_tool("llvm-nm-19", "llvm-19");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/integration/fixture.sh");
    let out = command(bash, std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
        .arg(script)
        .arg(shim())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "fixture.sh failed\n{stdout}\n{stderr}"
    );
    let last = stdout.lines().last().unwrap_or("");
    assert!(
        last.starts_with("fixture: ") && last.ends_with(" passed, 0 failed"),
        "{stdout}"
    );
    // The regression must be visible in the fixture, or the comparison proves nothing.
    assert!(
        stdout.contains("arm64   unfixed+ld.lld            0"),
        "{stdout}"
    );
    // And the shim must keep exactly as many objects bitcode as the fixed
    // kernel does (the table's count column), whatever the tree holds.
    let bitcode_count = |variant: &str| -> u32 {
        stdout
            .lines()
            .find_map(|l| {
                let mut words = l.split_whitespace();
                (words.next() == Some("arm64") && words.next() == Some(variant))
                    .then(|| words.next().and_then(|n| n.parse().ok()))
                    .flatten()
            })
            .unwrap_or_else(|| panic!("no arm64 {variant} row in\n{stdout}"))
    };
    let fixed = bitcode_count("fixed+ld.lld");
    assert!(fixed > 0, "{stdout}");
    assert_eq!(bitcode_count("unfixed+shim"), fixed, "{stdout}");
}
