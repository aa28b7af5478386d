//! Shared helpers for the end-to-end tests: the shim binary, the real
//! toolchain, running a command in a known state, and comparing what a
//! caller of the shim and of ld.lld observes.
//!
//! A test never passes without testing: a tool it needs that is missing
//! fails it with one line naming the Debian package to install
//! ([`require_tool`]), and a machine that cannot give it what it needs (root,
//! a private mount namespace) fails it with one line saying how to provide it.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use kbuild_ld_shim::environment;

// ------------------------------------------------------------ the toolchain

pub const LLD: &str = "/usr/bin/ld.lld-19";
pub const CLANG: &str = "/usr/bin/clang-19";
pub const LLVM_OBJDUMP: &str = "/usr/bin/llvm-objdump-19";
pub const LLVM_AR: &str = "/usr/bin/llvm-ar-19";

/// kbuild's arm64 ThinLTO compile flags, as far as they shape the bitcode.
pub const CFLAGS: &[&str] = &[
    "--target=aarch64-linux-gnu",
    "-O2",
    "-flto=thin",
    "-fsplit-lto-unit",
    "-ffreestanding",
    "-fno-PIE",
];

pub const CALLEE_C: &str = "int add_one(int x) { return x + 1; }\n";

/// The name every temporary file of the shim starts with.
pub const TMP_PREFIX: &str = ".kbuild-ld-shim.";

pub fn shim() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kbuild-ld-shim"))
}

/// `program` (a name looked up on PATH, or a path), which the Debian package
/// `package` provides. A missing one fails the test with one line naming
/// the package: it is a hard requirement (`.ci/deps` installs it), never a
/// reason to skip.
#[track_caller]
pub fn require_tool(program: &str, package: &str) -> PathBuf {
    match which::which(program) {
        Ok(path) => path,
        Err(_) => panic!("{program} not found: apt-get install {package}"),
    }
}

/// The LLVM 19 toolchain every end-to-end test runs.
#[track_caller]
pub fn require_toolchain() {
    require_tool(LLD, "lld-19");
    require_tool(CLANG, "clang-19");
    for tool in [LLVM_OBJDUMP, LLVM_AR] {
        require_tool(tool, "llvm-19");
    }
}

// ------------------------------------------------- commands in a known state

/// Variables of the caller's environment that would change what a test
/// runs, besides the shim's own ([`environment::SETTINGS`] and the guard):
/// kbuild's toolchain selection, make's flags (a `make test` would hand its
/// jobserver down), the variables the fixture's Makefile reads; and, by
/// prefix, fixture.sh's `FIXTURE_*` settings.
const CALLER_VARIABLES: &[&str] = &[
    "LLVM_IAS",
    "CC",
    "LD",
    "AR",
    "NM",
    "ARCH",
    "CROSS_COMPILE",
    "FLAVOR",
    "O",
    "MAKEFLAGS",
    "MFLAGS",
    "GNUMAKEFLAGS",
    "MAKELEVEL",
];

/// A command that starts the same whatever started the test run: none of
/// the caller's shim, toolchain or make settings, the C locale (messages
/// and `ls` order), umask 022, stdin empty, and the signals a test sends or
/// provokes at their defaults (run under `nohup` or in the background, the
/// test process inherits some of them ignored, and exec keeps that).
pub fn command(program: impl AsRef<OsStr>, cwd: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(cwd).stdin(Stdio::null()).env("LC_ALL", "C");
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if environment::SETTINGS.contains(&&*text)
            || text == environment::GUARD
            || CALLER_VARIABLES.contains(&&*text)
            || text.starts_with("FIXTURE_")
        {
            cmd.env_remove(&name);
        }
    }
    // SAFETY: umask and signal are async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o022);
            for sig in [
                libc::SIGINT,
                libc::SIGTERM,
                libc::SIGHUP,
                libc::SIGQUIT,
                libc::SIGXFSZ,
            ] {
                if libc::signal(sig, libc::SIG_DFL) == libc::SIG_ERR {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    cmd
}

/// The shim, pointed at ld.lld-19, in the automatic mode.
pub fn shim_cmd(dir: &Path) -> Command {
    let mut cmd = command(shim(), dir);
    cmd.env("KBUILD_LD_SHIM_REAL_LD", LLD);
    cmd
}

/// The shim forced to pass bitcode relinks through (no recipe needed).
pub fn forced(dir: &Path) -> Command {
    let mut cmd = shim_cmd(dir);
    cmd.env("KBUILD_LD_SHIM_MODE", "force");
    cmd
}

pub fn lld_cmd(dir: &Path) -> Command {
    command(LLD, dir)
}

#[track_caller]
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn os(args: &[&'static str]) -> Vec<&'static OsStr> {
    args.iter().map(|a| OsStr::new(*a)).collect()
}

/// `sh -c script`, as make runs a recipe, with the shim pointed at
/// ld.lld-19 for any $(LD) call in it.
pub fn recipe_shell(dir: &Path, script: &str) -> Command {
    let mut cmd = command("/bin/sh", dir);
    cmd.env("KBUILD_LD_SHIM_REAL_LD", LLD).arg("-c").arg(script);
    cmd
}

/// `script` as the recipe of a real GNU make whose `$(obj-m)` is `obj_m`:
/// make runs it as `/bin/sh -c script` (the shim's parent, as in kbuild),
/// and the shim asks this make about module objects. The script reaches
/// make through the environment and `$(value)`, so no byte of it is
/// expanded or split.
pub fn recipe_under_make(dir: &Path, script: &str, obj_m: &[&str]) -> Command {
    recipe_under_makefile(dir, script, &format!("obj-m := {}\n", obj_m.join(" ")))
}

/// As [`recipe_under_make`], with `makefile` (which sets `obj-m`) as the
/// makefile's text before the recipe's rule.
pub fn recipe_under_makefile(dir: &Path, script: &str, makefile_text: &str) -> Command {
    let makefile = dir.join("Makefile.recipe");
    fs::write(
        &makefile,
        format!("{makefile_text}.PHONY: recipe\nrecipe:\n\t@$(value RECIPE_SCRIPT)\n"),
    )
    .unwrap();
    let mut cmd = command("make", dir);
    cmd.env("KBUILD_LD_SHIM_REAL_LD", LLD)
        .env("RECIPE_SCRIPT", script)
        .args(["-s", "--no-print-directory", "-f"])
        .arg(&makefile)
        .arg("recipe");
    cmd
}

/// Writes the `/bin/sh` script `body` to `path`, executable: a stand-in
/// for a tool (objtool, a linker) that a test watches.
pub fn write_script(path: &Path, body: &str) {
    write_executable(path, format!("#!/bin/sh\n{body}").as_bytes());
}

/// Writes an executable file from a child process. Written from the test
/// process itself, the file's descriptor would be inherited by whatever a
/// parallel test forks at that moment, and exec of the file in that window
/// fails with ETXTBSY ("Text file busy"): a flaky test, not a shim bug.
pub fn write_executable(path: &Path, contents: &[u8]) {
    let mut child = Command::new("/bin/sh")
        .args(["-c", r#"cat > "$0" && chmod 755 "$0""#])
        .arg(path)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(contents).unwrap();
    assert!(
        child.wait().unwrap().success(),
        "cannot write {}",
        path.display()
    );
}

/// A copy of the executable `from` at `to`, made as [`write_executable`]
/// makes files, for the same reason.
pub fn copy_executable(from: &Path, to: &Path) {
    let status = Command::new("cp").arg(from).arg(to).status().unwrap();
    assert!(status.success(), "cp {} {}", from.display(), to.display());
}

// ------------------------------------------------------- machine privileges

pub fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Fails the test unless it runs as root; `why` says what root is for.
#[track_caller]
pub fn require_root(why: &str) {
    assert!(
        is_root(),
        "this test needs root ({why}): run the tests as root, as CI does"
    );
}

/// In the child before exec, when the test runs as root: give up the
/// capabilities that let root ignore file permissions (the bounding set
/// bounds what root gets at exec), so the child and what it execs meet a
/// permission fault as an ordinary user would. Not root, the child has
/// none of them to give up.
pub fn without_dac_override(cmd: &mut Command) {
    if !is_root() {
        return;
    }
    // <linux/capability.h>; libc does not name them.
    const CAP_DAC_OVERRIDE: libc::c_ulong = 1;
    const CAP_DAC_READ_SEARCH: libc::c_ulong = 2;
    // SAFETY: prctl is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            for cap in [CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH] {
                if libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}

/// `unshare` ready to run a command in a private mount namespace, where a
/// test may mount (a read-only bind, a small tmpfs) without touching the
/// machine's mounts. Root gets one directly; anyone else through a user
/// namespace. What the machine lacks for it fails the test with one line.
#[track_caller]
pub fn private_mount_namespace(cwd: &Path) -> Command {
    let unshare = require_tool("unshare", "util-linux");
    require_tool("mount", "mount");
    let mountinfo = fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_else(|e| panic!("cannot read /proc/self/mountinfo ({e}): mount /proc"));
    // unshare makes every mount below `/` private, which needs `/` to be a
    // mount point: in a chroot into a plain directory it is not.
    let root_is_a_mount_point = mountinfo.lines().any(|l| l.split(' ').nth(4) == Some("/"));
    assert!(
        root_is_a_mount_point,
        "`/` is not a mount point (a chroot into a plain directory?), so no private mount \
         namespace can be made: bind-mount the root onto itself (mount --bind ROOT ROOT) \
         before entering it"
    );
    let flags: &[&str] = if is_root() {
        &["--mount"]
    } else {
        &["--mount", "--map-root-user"]
    };
    let probe = command(&unshare, cwd)
        .args(flags)
        .arg("true")
        .output()
        .expect("spawn unshare");
    if !probe.status.success() {
        let why = String::from_utf8_lossy(&probe.stderr);
        let why = why.lines().next().unwrap_or("no message");
        let how = if is_root() {
            "allow mount namespaces (a container needs CAP_SYS_ADMIN and unshare(2) not \
             filtered, e.g. --privileged)"
        } else {
            "run the tests as root, or allow unprivileged user namespaces \
             (sysctl kernel.unprivileged_userns_clone=1; none can be made inside a chroot)"
        };
        panic!("cannot make a private mount namespace ({why}): {how}");
    }
    let mut cmd = command(&unshare, cwd);
    cmd.args(flags);
    cmd
}

// ------------------------------------------------------------ test objects

/// Compiles C source text to an object with real clang-19.
#[track_caller]
pub fn compile(dir: &Path, name: &str, source: &str, flags: &[&str]) -> PathBuf {
    let c = dir.join(format!("{name}.c"));
    fs::write(&c, source).unwrap();
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

/// A fresh directory holding `x.c` and `x.o`, the ThinLTO bitcode clang-19
/// makes of it (whose bytes come along).
#[track_caller]
pub fn thin_object_dir() -> (tempfile::TempDir, Vec<u8>) {
    require_toolchain();
    let d = tempfile::tempdir().unwrap();
    let o = compile(d.path(), "x", CALLEE_C, CFLAGS);
    let bytes = fs::read(o).unwrap();
    (d, bytes)
}

/// The arguments of kbuild's per-object relink of `x.o`.
pub fn relink_args() -> Vec<&'static OsStr> {
    os(&["-r", "-o", ".tmp_x.o", "x.o"])
}

/// The defines kbuild gives the compile of `stem`.o in module `modname`;
/// `module` adds -DMODULE (the object is built for a module).
pub fn recipe_defines(stem: &str, modname: &str, module: bool) -> String {
    format!(
        "{}-DKBUILD_BASENAME='\"{stem}\"' -DKBUILD_MODNAME='\"{modname}\"' -D__KBUILD_MODNAME=kmod_{modname}",
        if module { "-DMODULE " } else { "" }
    )
}

pub fn is_elf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x7fELF")
}

pub fn is_bitcode(bytes: &[u8]) -> bool {
    bytes.starts_with(b"BC\xc0\xde")
}

/// `bitcode` inside the bitcode wrapper (0x0B17C0DE), padded with zeros to
/// `size` bytes (sparse): a bitcode object as large as needed that the
/// shim's bitstream walk accepts.
pub fn large_bitcode(path: &Path, bitcode: &[u8], size: u64) {
    let mut f = fs::File::create(path).unwrap();
    for word in [0x0B17_C0DEu32, 0, 20, bitcode.len() as u32, 0] {
        f.write_all(&word.to_le_bytes()).unwrap();
    }
    f.write_all(bitcode).unwrap();
    f.set_len(size).unwrap();
}

/// Like [`large_bitcode`], with every padding byte written (no holes), for
/// file systems whose space must really be used.
pub fn dense_bitcode(path: &Path, bitcode: &[u8], size: u64) {
    large_bitcode(path, bitcode, 20 + bitcode.len() as u64);
    let mut f = fs::OpenOptions::new().append(true).open(path).unwrap();
    let rest = size - f.metadata().unwrap().len();
    f.write_all(&vec![0xa5; rest as usize]).unwrap();
}

// ------------------------------------------------------- what a caller sees

/// Temporary files of the shim left anywhere under `dir`.
#[track_caller]
pub fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let entries = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot look for leftovers in {}: {e}", dir.display()));
    for e in entries {
        let e = e.unwrap();
        let p = e.path();
        if e.file_name().as_bytes().starts_with(TMP_PREFIX.as_bytes()) {
            found.push(p.clone());
        }
        if e.file_type().unwrap().is_dir() {
            found.extend(leftovers(&p));
        }
    }
    found
}

/// Runs `cmd` (program, arguments, environment) in `dir` under `strace -f`
/// tracing the system calls `trace`, and returns the trace.
#[track_caller]
pub fn strace(dir: &Path, trace: &str, cmd: &mut Command) -> String {
    let strace = require_tool("strace", "strace");
    let log = dir.join(format!("strace-{}.log", std::process::id()));
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let envs: Vec<_> = cmd
        .get_envs()
        .map(|(k, v)| (k.to_owned(), v.map(|v| v.to_owned())))
        .collect();
    let mut s = command(strace, dir);
    s.args(["-f", "-qq", "-e", &format!("trace={trace}"), "-o"])
        .arg(&log)
        .arg(program)
        .args(args);
    for (k, v) in envs {
        match v {
            Some(v) => s.env(k, v),
            None => s.env_remove(k),
        };
    }
    run_ok(&mut s);
    let text = fs::read_to_string(&log).unwrap();
    fs::remove_file(&log).unwrap();
    text
}

/// What a caller of a linker can observe.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub output: Option<Vec<u8>>,
}

/// Runs `cmd` with no `output` file beforehand and reports what a caller
/// sees, the `output` file included; leaves no `output` behind.
pub fn outcome(cmd: &mut Command, output: &Path) -> Outcome {
    let _ = fs::remove_file(output);
    let out = cmd.output().expect("spawn");
    let o = Outcome {
        code: out.status.code(),
        signal: out.status.signal(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        output: fs::read(output).ok(),
    };
    let _ = fs::remove_file(output);
    o
}

/// Runs `args` in `dir` through plain ld.lld and through the shim (prepared
/// by `shim`) and asserts the caller sees the very same thing, and that the
/// shim left no temporary file.
#[track_caller]
pub fn assert_same_as_lld(
    dir: &Path,
    args: &[&OsStr],
    output: &Path,
    shim: fn(&Path) -> Command,
) -> Outcome {
    assert_same_as_lld_with(dir, args, output, shim, |_| {})
}

/// [`assert_same_as_lld`], with `prepare` applied to both commands.
#[track_caller]
pub fn assert_same_as_lld_with(
    dir: &Path,
    args: &[&OsStr],
    output: &Path,
    shim: fn(&Path) -> Command,
    prepare: impl Fn(&mut Command),
) -> Outcome {
    let mut lld = lld_cmd(dir);
    lld.args(args);
    prepare(&mut lld);
    let expected = outcome(&mut lld, output);
    let mut s = shim(dir);
    s.args(args);
    prepare(&mut s);
    let got = outcome(&mut s, output);
    assert_eq!(got, expected, "shim and ld.lld differ on {args:?}");
    assert!(leftovers(dir).is_empty(), "{:?}", leftovers(dir));
    got
}

/// The shim failed cleanly: status 1, exactly one stderr line with the
/// program's prefix containing every `needle`, nothing on stdout.
#[track_caller]
pub fn assert_one_error_line(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("kbuild-ld-shim: "), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{n:?} not in {stderr}");
    }
}

// ------------------------------------------------ kbuild trees for the doctor

/// How a small kbuild tree writes the per-object relink: as 6.13 shipped
/// it and with the fix (695ed93bb30e), in `Makefile.lib`; as Debian's 6.12
/// ships it and with the one-line switch `integration/kernel-lib.sh` uses
/// to recreate the regression, in `Makefile.build`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KbuildRelink {
    Unfixed613,
    Fixed613,
    Shipped612,
    Regressed612,
}

/// A kbuild tree with kbuild's own lines around the relink, shaped as the
/// real scripts are (Makefile.build includes Kbuild.include, the
/// directory's Kbuild and Makefile.lib), which the doctor's make reads;
/// `config` is its `include/config/auto.conf`.
pub fn kbuild_tree(relink: KbuildRelink, config: &str) -> tempfile::TempDir {
    use KbuildRelink::*;
    let fixed = relink == Fixed613;
    let (ifdef, endif) = if fixed {
        ("ifdef CONFIG_OBJTOOL\n", "endif\n")
    } else {
        ("", "")
    };
    let ld = "; $(LD) $(ld_flags) -r -o $(tmp-target) $@; mv $(tmp-target) $@)";
    let condition = match relink {
        Unfixed613 | Regressed612 => "$(objtool-enabled)",
        Fixed613 => "$(objtool-enabled)$(is-single-obj-m)",
        Shipped612 => "$(is-single-obj-m)",
    };
    let relink_line =
        |name: &str| format!("ifdef CONFIG_LTO_CLANG\n{name} = $(if {condition}, {ld}\nendif\n");
    let (in_lib, in_build) = match relink {
        Unfixed613 | Fixed613 => (relink_line("cmd_ld_single"), String::new()),
        Shipped612 | Regressed612 => (String::new(), relink_line("cmd_ld_single_m")),
    };
    let build = format!(
        "src := $(srcroot)/$(obj)\nobj-y :=\nobj-m :=\n-include include/config/auto.conf\n\
         include $(srctree)/scripts/Kbuild.include\ninclude $(kbuild-file)\n\
         include $(srctree)/scripts/Makefile.lib\n\
         is-single-obj-m = $(and $(part-of-module),$(filter $@, $(obj-m)),y)\n{in_build}\
         is-standard-object = $(if $(filter-out y%, $(OBJECT_FILES_NON_STANDARD)n),$(is-kernel-object))\n\
         {ifdef}$(obj)/%.o: private objtool-enabled = $(if $(is-standard-object),$(if $(delay-objtool),$(is-single-obj-m),y))\n{endif}"
    );
    // 6.13 sets objtool-enabled for every object; the fix moves it under
    // CONFIG_OBJTOOL; 6.12 sets it per object only.
    let (enabled_with_objtool, enabled_always) = match relink {
        Unfixed613 => ("", "objtool-enabled := y\n"),
        Fixed613 => ("objtool-enabled := y\n", ""),
        Shipped612 | Regressed612 => ("", ""),
    };
    let lib = format!(
        "real-obj-y := $(addprefix $(obj)/,$(obj-y))\nreal-obj-m := $(addprefix $(obj)/,$(obj-m))\n\
         obj-m := $(addprefix $(obj)/,$(obj-m))\n\
         part-of-builtin = $(if $(filter $(basename $@).o, $(real-obj-y)),y)\n\
         part-of-module = $(if $(filter $(basename $@).o, $(real-obj-m)),y)\n\
         is-kernel-object = $(or $(part-of-builtin),$(part-of-module))\n\
         ifdef CONFIG_OBJTOOL\ndelay-objtool := $(or $(CONFIG_LTO_CLANG),$(CONFIG_X86_KERNEL_IBT))\n\
         cmd_objtool = $(if $(objtool-enabled), ; $(objtool) $(objtool-args) $@)\n{enabled_with_objtool}endif # CONFIG_OBJTOOL\n\
         {enabled_always}{in_lib}"
    );
    let d = tempfile::tempdir().unwrap();
    fs::create_dir_all(d.path().join("scripts")).unwrap();
    fs::create_dir_all(d.path().join("include/config")).unwrap();
    fs::write(d.path().join("scripts/Makefile.build"), build).unwrap();
    fs::write(d.path().join("scripts/Makefile.lib"), lib).unwrap();
    fs::write(
        d.path().join("scripts/Kbuild.include"),
        "kbuild-file = $(or $(wildcard $(src)/Kbuild),$(src)/Makefile)\n",
    )
    .unwrap();
    fs::write(d.path().join("include/config/auto.conf"), config).unwrap();
    d
}
