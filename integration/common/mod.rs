//! Shared helpers for the end-to-end tests: the shim binary, the real
//! toolchain, and running a command to compare its observable behaviour.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const LLD: &str = "/usr/bin/ld.lld-19";
pub const CLANG: &str = "/usr/bin/clang-19";

pub fn shim() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kbuild-ld-shim"))
}

/// The toolchain is a hard requirement of these tests (`.ci/run` installs
/// it): a missing one must fail loudly, not skip.
pub fn require_toolchain() {
    for tool in [LLD, CLANG] {
        assert!(
            Path::new(tool).exists(),
            "{tool} missing: apt-get install clang-19 lld-19 llvm-19"
        );
    }
}

/// A command with a clean shim environment, so settings of the developer's
/// shell cannot leak into a test.
pub fn command(program: impl AsRef<OsStr>, cwd: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(cwd);
    for var in [
        "KBUILD_LD_SHIM_REAL_LD",
        "KBUILD_LD_SHIM_MODE",
        "KBUILD_LD_SHIM_LOG",
        "KBUILD_LD_SHIM_RECORD",
        "KBUILD_LD_SHIM_GUARD",
        "LLVM",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Compiles C source text to an object with real clang-19.
pub fn compile(dir: &Path, name: &str, source: &str, flags: &[&str]) -> PathBuf {
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, source).unwrap();
    let o = dir.join(format!("{name}.o"));
    run_ok(
        command(CLANG, dir)
            .args(flags)
            .arg("-c")
            .arg("-o")
            .arg(&o)
            .arg(&c),
    );
    o
}
