//! Finding the real ld.lld: the rules in the order they are tried, the
//! self-skip that keeps a masquerading shim from finding itself, and the
//! environment guard that turns any loop that is left into an error.

use std::cell::OnceCell;
use std::ffi::{CString, OsStr, OsString};
use std::fmt;
use std::fs::Metadata;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use crate::environment::{Environment, HOME, REAL_LD};
use crate::exit::ExitStatus;

/// The shim's own file name; any other invocation name is a masquerade.
pub const SHIM_NAME: &str = "kbuild-ld-shim";

/// Which rule chose the real linker, for `--shim-which` and the doctor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// `KBUILD_LD_SHIM_REAL_LD=<value>`.
    EnvRealLd(OsString),
    /// Invoked as `<name>` (a symlink or copy named like the real tool).
    Masquerade(OsString),
    /// kbuild's `LLVM=<value>` convention, resolved to a program name or path.
    Llvm { value: OsString, program: OsString },
    /// Nothing else said anything: `ld.lld` on PATH.
    DefaultPath,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::EnvRealLd(v) => write!(f, "{REAL_LD}={}", v.to_string_lossy()),
            Rule::Masquerade(name) => write!(
                f,
                "masquerade: invoked as '{}', next program of that name on PATH",
                name.to_string_lossy()
            ),
            Rule::Llvm { value, program } => write!(
                f,
                "kbuild LLVM={} -> {}",
                value.to_string_lossy(),
                program.to_string_lossy()
            ),
            Rule::DefaultPath => write!(f, "default: ld.lld on PATH"),
        }
    }
}

/// The linker to exec and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub path: PathBuf,
    pub rule: Rule,
}

/// Why no real linker could be used; each maps to the exit status a shell
/// would give for the same situation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    NotFound {
        rule: Rule,
        searched: String,
    },
    /// The rule names a path that exists but cannot be run as a linker.
    NotRunnable {
        rule: Rule,
        path: PathBuf,
        why: &'static str,
    },
    Recursion,
}

impl ResolveError {
    /// A shell's 127 for a missing program, 126 for one it cannot run.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            ResolveError::NotRunnable { .. } => ExitStatus::CannotExecute,
            _ => ExitStatus::NotFound,
        }
    }
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveError::NotFound { rule, searched } => write!(
                f,
                "no real linker found ({rule}); searched {searched}, skipping the shim itself"
            ),
            ResolveError::NotRunnable { rule, path, why } => {
                write!(f, "cannot run {}: {why} ({rule})", path.display())
            }
            ResolveError::Recursion => write!(
                f,
                "recursive invocation: the linker the shim ran was the shim again; \
                 set {REAL_LD} to the real ld.lld"
            ),
        }
    }
}

/// Everything resolution depends on, gathered once so the rules stay pure
/// and testable with temporary directories.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// argv[0] as invoked: decides masquerade. Not `current_exe()`, which
    /// resolves the symlink and loses the name.
    pub argv0: OsString,
    pub real_ld: Option<OsString>,
    pub llvm: Option<OsString>,
    pub path: Option<OsString>,
    pub cwd: PathBuf,
    /// (device, inode) of the running shim binary, `None` when it cannot be
    /// told. Left empty, it is read from /proc/self/exe the first time a
    /// candidate needs comparing, so a forward that finds no candidate, or
    /// finds one before anything could be the shim, never pays for it.
    pub self_id: OnceCell<Option<(u64, u64)>>,
}

impl Inputs {
    /// The inputs of this process: its environment, read once at start,
    /// and the identity of its own binary.
    pub fn of_process(argv0: OsString, env: &Environment) -> Inputs {
        Inputs {
            argv0,
            real_ld: env.real_ld.clone(),
            llvm: env.llvm.clone(),
            path: env.path.clone(),
            cwd: env.cwd.clone(),
            self_id: OnceCell::new(),
        }
    }

    /// The running binary's (device, inode), the identity that skips the
    /// shim whatever name or link reaches it. stat of /proc/self/exe follows
    /// the link to the file itself: one system call, where `current_exe()`
    /// and a stat of its answer take two.
    fn self_id(&self) -> Option<(u64, u64)> {
        *self.self_id.get_or_init(|| {
            let meta = std::fs::metadata("/proc/self/exe").ok()?;
            Some((meta.dev(), meta.ino()))
        })
    }

    /// The name the shim was invoked under, when that is not its own name.
    pub fn masquerade_name(&self) -> Option<OsString> {
        let name = Path::new(&self.argv0).file_name()?;
        let is_shim = name.to_str().is_some_and(|n| n.starts_with(SHIM_NAME));
        (!is_shim).then(|| name.to_os_string())
    }
}

/// Applies the rules in order; the first that names something decides,
/// and a rule that names something absent is an error rather than a reason
/// to fall through (an explicit choice that fails must not silently become
/// another linker).
pub fn resolve(inputs: &Inputs) -> Result<Resolved, ResolveError> {
    let (rule, program) = choose_rule(inputs);
    let found = if has_slash(&program) {
        // Named explicitly: anything that exists is taken (exec reports
        // what is wrong with it), except the shim itself.
        let path = inputs.cwd.join(&program);
        match std::fs::metadata(&path) {
            Ok(meta) if !is_self(inputs, &meta) => Some((path, meta)),
            _ => None,
        }
    } else {
        search_path(inputs, &program)
    };
    match found {
        Some((path, meta)) => match not_runnable(&meta) {
            Some(why) => Err(ResolveError::NotRunnable { rule, path, why }),
            None => Ok(Resolved { path, rule }),
        },
        None => Err(ResolveError::NotFound {
            searched: describe_search(inputs, &program),
            rule,
        }),
    }
}

/// Why an existing file cannot be the linker: a directory, another
/// non-regular file, or no execute permission for anyone. Judged on the
/// stat the search already made: one system call per candidate.
fn not_runnable(meta: &Metadata) -> Option<&'static str> {
    use std::os::unix::fs::PermissionsExt;
    if meta.is_dir() {
        Some("is a directory, not a linker")
    } else if !meta.is_file() {
        Some("is not a regular file")
    } else if meta.permissions().mode() & 0o111 == 0 {
        Some("is not executable")
    } else {
        None
    }
}

fn choose_rule(inputs: &Inputs) -> (Rule, OsString) {
    if let Some(v) = &inputs.real_ld {
        return (Rule::EnvRealLd(v.clone()), v.clone());
    }
    if let Some(name) = inputs.masquerade_name() {
        return (Rule::Masquerade(name.clone()), name);
    }
    if let Some(value) = &inputs.llvm {
        let program = llvm_program(value);
        return (
            Rule::Llvm {
                value: value.clone(),
                program: program.clone(),
            },
            program,
        );
    }
    (Rule::DefaultPath, OsString::from("ld.lld"))
}

/// kbuild's Makefile: `LLVM=<dir>/` is a prefix, `LLVM=-<ver>` a suffix,
/// anything else means the unversioned tools on PATH.
fn llvm_program(value: &OsStr) -> OsString {
    let text = value.to_string_lossy();
    let dir = text.ends_with('/');
    let mut program = OsString::new();
    if dir {
        program.push(value);
    }
    program.push("ld.lld");
    if !dir && text.starts_with('-') {
        program.push(value);
    }
    program
}

fn has_slash(name: &OsStr) -> bool {
    name.as_encoded_bytes().contains(&b'/')
}

fn is_self(inputs: &Inputs, candidate: &Metadata) -> bool {
    inputs.self_id() == Some((candidate.dev(), candidate.ino()))
}

/// The first executable regular file called `name` in PATH's directories
/// that is not the shim, as `which` and execvp find it: empty and relative
/// entries are relative to the working directory, a leading `~` is $HOME.
/// One stat per directory tried (it also gives the identity for the
/// self-skip) and one access(X_OK) for the file that is taken.
fn search_path(inputs: &Inputs, name: &OsStr) -> Option<(PathBuf, Metadata)> {
    let path = inputs.path.as_ref()?;
    std::env::split_paths(path)
        .map(|dir| path_entry(&dir, &inputs.cwd).join(name))
        .find_map(|candidate| {
            let meta = std::fs::metadata(&candidate).ok()?;
            (meta.is_file() && !is_self(inputs, &meta) && is_executable(&candidate))
                .then_some((candidate, meta))
        })
}

/// A PATH entry as a directory: `~` and `~/...` under $HOME (when set),
/// other relative entries (the empty one too) under `cwd`.
fn path_entry(dir: &Path, cwd: &Path) -> PathBuf {
    let mut parts = dir.components();
    if let Some(Component::Normal(first)) = parts.next() {
        if first == "~" {
            return match std::env::var_os(HOME) {
                Some(home) => PathBuf::from(home).join(parts.as_path()),
                None => dir.to_path_buf(),
            };
        }
    }
    cwd.join(dir)
}

fn is_executable(path: &Path) -> bool {
    let Ok(c_path) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a NUL-terminated path that lives across the call.
    unsafe { libc::access(c_path.as_ptr(), libc::X_OK) == 0 }
}

fn describe_search(inputs: &Inputs, program: &OsStr) -> String {
    let program = program.to_string_lossy();
    if program.contains('/') {
        return format!("'{program}'");
    }
    let path = inputs.path.as_ref().map(|p| p.to_string_lossy());
    format!(
        "'{program}' on PATH={}",
        path.as_deref().unwrap_or("(unset)")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn file_id(path: &Path) -> Option<(u64, u64)> {
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }

    fn exe(dir: &Path, name: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    fn inputs(argv0: &str, path: &[&Path]) -> Inputs {
        Inputs {
            argv0: argv0.into(),
            path: Some(std::env::join_paths(path).unwrap()),
            cwd: std::env::temp_dir(),
            ..Default::default()
        }
    }

    #[test]
    fn llvm_convention_maps_values_to_programs() {
        assert_eq!(llvm_program(OsStr::new("-19")), "ld.lld-19");
        assert_eq!(
            llvm_program(OsStr::new("/usr/lib/llvm-19/bin/")),
            "/usr/lib/llvm-19/bin/ld.lld"
        );
        assert_eq!(llvm_program(OsStr::new("1")), "ld.lld");
    }

    #[test]
    fn real_ld_beats_argv0_beats_llvm_suffix_beats_the_default() {
        let d = tempfile::tempdir().unwrap();
        let lld = exe(d.path(), "ld.lld");
        let lld19 = exe(d.path(), "ld.lld-19");
        let mut i = inputs("/opt/kbuild-ld-shim", &[d.path()]);
        assert_eq!(resolve(&i).unwrap().path, lld);
        assert_eq!(resolve(&i).unwrap().rule, Rule::DefaultPath);
        i.llvm = Some("-19".into());
        assert_eq!(resolve(&i).unwrap().path, lld19);
        i.argv0 = "ld.lld".into();
        assert_eq!(resolve(&i).unwrap().path, lld);
        i.real_ld = Some(lld19.clone().into());
        let r = resolve(&i).unwrap();
        assert_eq!(
            (r.path, r.rule),
            (lld19.clone(), Rule::EnvRealLd(lld19.into()))
        );
    }

    #[test]
    fn masquerade_skips_the_shim_by_identity() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        let shim = exe(first.path(), "kbuild-ld-shim");
        symlink(&shim, first.path().join("ld.lld")).unwrap();
        let real = exe(second.path(), "ld.lld");
        let mut i = inputs("ld.lld", &[first.path(), second.path()]);
        i.self_id = OnceCell::from(file_id(&shim));
        assert_eq!(resolve(&i).unwrap().path, real);

        let only_shim = inputs("ld.lld", &[first.path()]);
        let only_shim = Inputs {
            self_id: OnceCell::from(file_id(&shim)),
            ..only_shim
        };
        let err = resolve(&only_shim).unwrap_err();
        assert!(matches!(err, ResolveError::NotFound { .. }));
        assert!(err.to_string().contains("'ld.lld' on PATH="), "{err}");
    }

    #[test]
    fn path_entries_resolve_like_which() {
        let cwd = Path::new("/k/obj");
        assert_eq!(
            path_entry(Path::new("/usr/bin"), cwd),
            Path::new("/usr/bin")
        );
        assert_eq!(path_entry(Path::new("bin"), cwd), Path::new("/k/obj/bin"));
        // An empty entry is the working directory, as for execvp.
        assert_eq!(
            path_entry(Path::new(""), cwd).join("ld.lld"),
            Path::new("/k/obj/ld.lld")
        );
        let home = std::env::var_os(HOME).map(PathBuf::from);
        let tilde = path_entry(Path::new("~/bin"), cwd);
        match home {
            Some(home) => assert_eq!(tilde, home.join("bin")),
            None => assert_eq!(tilde, Path::new("~/bin")),
        }
    }

    #[test]
    fn path_search_skips_directories_and_non_executables() {
        let d = tempfile::tempdir().unwrap();
        let (dir, plain, good) = (d.path().join("a"), d.path().join("b"), d.path().join("c"));
        for p in [&dir, &plain, &good] {
            std::fs::create_dir(p).unwrap();
        }
        std::fs::create_dir(dir.join("ld.lld")).unwrap();
        std::fs::write(plain.join("ld.lld"), "").unwrap();
        let real = exe(&good, "ld.lld");
        let i = inputs("kbuild-ld-shim", &[&dir, &plain, &good]);
        assert_eq!(resolve(&i).unwrap().path, real);
    }

    #[test]
    fn a_directory_or_non_executable_file_is_not_a_linker() {
        let d = tempfile::tempdir().unwrap();
        let plain = d.path().join("ld.lld");
        std::fs::write(&plain, b"#!/bin/sh\n").unwrap();
        for (target, why) in [
            (d.path().to_path_buf(), "is a directory, not a linker"),
            (plain, "is not executable"),
        ] {
            let mut i = inputs("kbuild-ld-shim", &[]);
            i.real_ld = Some(target.clone().into_os_string());
            let err = resolve(&i).unwrap_err();
            assert_eq!(err.exit_status(), ExitStatus::CannotExecute);
            assert!(
                err.to_string()
                    .starts_with(&format!("cannot run {}: {why}", target.display())),
                "{err}"
            );
        }
    }

    #[test]
    fn explicit_path_that_is_missing_is_an_error_not_a_fallback() {
        let d = tempfile::tempdir().unwrap();
        exe(d.path(), "ld.lld");
        let mut i = inputs("kbuild-ld-shim", &[d.path()]);
        i.real_ld = Some(d.path().join("nope").into());
        assert!(resolve(&i).is_err());
    }
}
