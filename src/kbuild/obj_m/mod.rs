//! Whether a module object is in its directory's `$(obj-m)`, asked of the
//! make that runs the build.
//!
//! The fixed kernel (695ed93bb30e) relinks a module object exactly when
//! `is-single-obj-m = $(and $(part-of-module),$(filter $@, $(obj-m)),y)`
//! holds. `part-of-module` shows in the recipe (`-DMODULE`); `$(obj-m)`
//! depends on everything make sees (auto.conf, command-line variables, the
//! environment, includes in order, `$(eval)`, `$(shell)`), so no reading of
//! the Kbuild file can be trusted with it. The make that runs the recipe
//! shell knows it: the query runs the same make program, in the same
//! directory, on the same `-f` makefiles, with the recipe's environment
//! (make's exports and `MAKEFLAGS`, whose words after ` --` are the
//! command-line variables, `obj=DIR` among them), minus the jobserver, and
//! a goal of its own that prints `$(obj-m)` and builds nothing.
//!
//! The query's `SHELL` is the shim itself ([`shell`]): re-reading the
//! makefiles runs their `$(shell ...)` again while the directory's other
//! objects compile. Each (make process, directory) is asked once
//! ([`cache`]).

mod cache;
pub mod shell;

use std::collections::hash_map::DefaultHasher;
use std::ffi::{OsStr, OsString};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::make_answer;
use crate::procfs;

/// Set in the query make's environment: the shim started as its `SHELL`
/// is the query shell ([`shell::run`]), not a linker.
pub const QUERY_SHELL_ENV: &str = "KBUILD_LD_SHIM_QUERY_SHELL";
/// Starts every line the query prints and every refusal of the query shell.
const MARK: &str = "kbuild-ld-shim-query:";
/// The query's own goal; no makefile of kbuild's names it.
const GOAL: &str = "__kbuild_ld_shim_obj_m";
/// A parse of a large directory takes about 0.1 s; a build farm's loaded
/// machine may take many times that, and a query that never ends must not
/// stop the build.
const TIMEOUT: Duration = Duration::from_secs(60);

/// What the build's make said about one module object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MakeAnswer {
    /// The make asked: its makefiles and `obj=`, as its command line has them.
    pub make: String,
    /// The object is in `$(obj-m)`; the error when make could not say.
    /// In the record: `true`, `false` or the error's text.
    #[serde(with = "known_or_why")]
    pub in_obj_m: Result<bool, String>,
    /// The answer was another object's query's, kept for this make.
    pub cached: bool,
    /// How long the query that produced the answer took.
    pub query_micros: u64,
}

impl MakeAnswer {
    /// No make was asked; `why` says so.
    pub fn not_asked(why: &str) -> MakeAnswer {
        MakeAnswer {
            make: "(none)".into(),
            in_obj_m: Err(why.to_string()),
            cached: false,
            query_micros: 0,
        }
    }
}

impl std::fmt::Display for MakeAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let from = if self.cached { ", cached" } else { "" };
        let took = format!("{:.1} ms{from}", self.query_micros as f64 / 1000.0);
        let make = &self.make;
        match &self.in_obj_m {
            Ok(true) => write!(f, "in $(obj-m) of {make} ({took})"),
            Ok(false) => write!(f, "not in $(obj-m) of {make} ({took})"),
            Err(e) => write!(f, "make {make} could not say ({e}; {took})"),
        }
    }
}

/// `Result<bool, String>` as a JSON boolean or string.
mod known_or_why {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Json {
        Known(bool),
        Why(String),
    }

    pub fn serialize<S: Serializer>(v: &Result<bool, String>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Ok(known) => known.serialize(s),
            Err(why) => why.serialize(s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Result<bool, String>, D::Error> {
        Ok(match Json::deserialize(d)? {
            Json::Known(known) => Ok(known),
            Json::Why(why) => Err(why),
        })
    }
}

/// The directory's `$(obj-m)` as one query found it, or why it found none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Listing {
    obj_m: Result<Vec<String>, String>,
    micros: u64,
}

/// The make whose recipe shell is `shell_pid`, and how to ask it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RunningMake {
    pid: u32,
    start_time: u64,
    program: PathBuf,
    /// Its `-f` makefiles, in order.
    makefiles: Vec<OsString>,
    /// Its `obj=` (kbuild's per-directory make); where the cache is kept.
    obj: Option<OsString>,
}

/// Asks the make running the recipe shell `shell_pid`, in make's (and the
/// recipe's) directory `cwd`, whether `object` (the relink's input as the
/// recipe writes it, which is `$@`) is in `$(obj-m)`.
pub fn ask(shell_pid: u32, cwd: &Path, object: &Path) -> MakeAnswer {
    let make = match RunningMake::of_recipe_shell(shell_pid) {
        Ok(make) => make,
        Err(e) => return MakeAnswer::not_asked(&e),
    };
    let shown = make.shown();
    let (listing, cached) = match make.query_env(std::env::vars_os()) {
        Err(e) => (
            Listing {
                obj_m: Err(e),
                micros: 0,
            },
            false,
        ),
        Ok(env) => {
            let key = make.cache_key(cwd, &env);
            let dir = cwd.join(make.obj.as_deref().unwrap_or(OsStr::new(".")));
            cache::get_or_insert(&dir, &key, || make.query(cwd, &env))
        }
    };
    MakeAnswer {
        make: shown,
        in_obj_m: listing
            .obj_m
            .map(|words| words.iter().any(|w| Path::new(w) == object)),
        cached,
        query_micros: listing.micros,
    }
}

impl RunningMake {
    fn of_recipe_shell(shell_pid: u32) -> Result<RunningMake, String> {
        let pid = procfs::parent_of(shell_pid)
            .ok_or_else(|| format!("recipe shell {shell_pid} has no readable parent"))?;
        let gone = || format!("make {pid} is gone");
        let argv = procfs::cmdline(pid).ok_or_else(gone)?;
        let start_time = procfs::start_time(pid).ok_or_else(gone)?;
        let program = procfs::exe(pid).ok_or_else(gone)?;
        // Whatever runs the recipe shell is run again with make's options:
        // only a make (make, gmake, make-4.4, remake) is.
        let name = program.file_name().unwrap_or_default().to_string_lossy();
        if !name.contains("make") {
            return Err(format!(
                "the recipe's parent is {}, not make",
                program.display()
            ));
        }
        let (makefiles, obj) = makefiles_and_obj(&argv)?;
        Ok(RunningMake {
            pid,
            start_time,
            program,
            makefiles,
            obj,
        })
    }

    /// `-f scripts/Makefile.build obj=lib`, for records and messages.
    fn shown(&self) -> String {
        let shown = |f: &OsString| format!("-f {}", f.to_string_lossy());
        let mut words: Vec<String> = self.makefiles.iter().map(shown).collect();
        if let Some(obj) = &self.obj {
            words.push(format!("obj={}", obj.to_string_lossy()));
        }
        if words.is_empty() {
            words.push("(default makefile)".into());
        }
        words.join(" ")
    }

    /// The recipe's environment as the query make gets it: the jobserver
    /// and the options that would make it do something other than parse
    /// taken out of `MAKEFLAGS`, `MAKELEVEL` back at make's own level, and
    /// the query shell's marker.
    fn query_env(
        &self,
        env: impl Iterator<Item = (OsString, OsString)>,
    ) -> Result<Vec<(OsString, OsString)>, String> {
        let mut out = Vec::new();
        for (name, value) in env {
            let value = match name.to_str() {
                Some("MAKEFLAGS") => OsString::from(query_makeflags(&value.to_string_lossy())?),
                Some("MFLAGS") => continue,
                Some("MAKELEVEL") => match value.to_str().and_then(|v| v.parse::<u32>().ok()) {
                    Some(level) => OsString::from(level.saturating_sub(1).to_string()),
                    None => value,
                },
                Some(QUERY_SHELL_ENV) => continue,
                _ => value,
            };
            out.push((name, value));
        }
        out.push((QUERY_SHELL_ENV.into(), "1".into()));
        out.sort();
        Ok(out)
    }

    /// Names this make process (never reused while the machine is up) and
    /// everything the query reads, so a kept answer is only ever this
    /// query's.
    fn cache_key(&self, cwd: &Path, env: &[(OsString, OsString)]) -> String {
        let mut h = DefaultHasher::new();
        (&self.program, &self.makefiles, &self.obj, cwd, env).hash(&mut h);
        format!(
            "{} {} {} {:016x}",
            procfs::boot_id().unwrap_or_default(),
            self.pid,
            self.start_time,
            h.finish()
        )
    }

    fn query(&self, cwd: &Path, env: &[(OsString, OsString)]) -> Listing {
        let started = Instant::now();
        let obj_m = self.run_query(cwd, env);
        Listing {
            obj_m,
            micros: started.elapsed().as_micros() as u64,
        }
    }

    fn run_query(&self, cwd: &Path, env: &[(OsString, OsString)]) -> Result<Vec<String>, String> {
        let shim = std::env::current_exe().map_err(|e| format!("the shim's own path: {e}"))?;
        // Replaced during the build, it is `... (deleted)`: make could not
        // run it as SHELL, and every $(shell) would answer nothing.
        if !shim.is_file() {
            return Err(format!("the shim's own binary {} is gone", shim.display()));
        }
        let mut shell_arg = OsString::from("SHELL=");
        shell_arg.push(&shim);
        let mut cmd = Command::new(&self.program);
        cmd.current_dir(cwd).env_clear().envs(env.iter().cloned());
        cmd.args(["-s", "--no-print-directory"]);
        for f in &self.makefiles {
            cmd.arg("-f").arg(f);
        }
        cmd.arg(shell_arg).arg(format!(
            "--eval={GOAL}: ; $(info {MARK} version $(MAKE_VERSION))$(info {MARK} shell $(SHELL))$(info {MARK} obj-m $(obj-m))"
        ));
        cmd.arg(GOAL);
        let out = make_answer::run(&mut cmd, &self.program, TIMEOUT)?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if let Some(refused) = stderr.lines().find_map(shell::refusal) {
            return Err(format!("a parse-time command was refused: {refused}"));
        }
        if !out.status.success() {
            return Err(make_answer::failed(&out));
        }
        parse_output(&String::from_utf8_lossy(&out.stdout), &shim)
    }
}

/// The `-f` makefiles and `obj=` of make's argv. Goals and other options
/// are its own business: the query has its own goal, and make's options
/// reach it through `MAKEFLAGS`.
fn makefiles_and_obj(argv: &[OsString]) -> Result<(Vec<OsString>, Option<OsString>), String> {
    let mut makefiles = Vec::new();
    let mut obj: Option<OsString> = None;
    let mut args = argv.iter().skip(1);
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        if matches!(text.as_ref(), "-f" | "--file" | "--makefile") {
            makefiles.push(args.next().cloned().ok_or("make's -f has no file")?);
        } else if let Some(v) = text
            .strip_prefix("--file=")
            .or_else(|| text.strip_prefix("--makefile="))
            .or_else(|| text.strip_prefix("-f").filter(|_| !text.starts_with("--")))
        {
            makefiles.push(v.into());
        } else if let Some(v) = text.strip_prefix("obj=") {
            if matches!(&obj, Some(o) if o.to_string_lossy() != v) {
                return Err("make has two different obj= values".into());
            }
            obj = Some(OsString::from(v));
        }
    }
    Ok((makefiles, obj))
}

/// `MAKEFLAGS` for the query: no jobserver, no `-j`/`-l` (a parse needs
/// neither), and none of the flags that would make make do more or other
/// than read its makefiles and print (`n` and `q` change what a run
/// means, `t` would touch the goal into a file, `p` and `d` print
/// elsewhere on stdout). Command-line variables stay exactly as they are.
fn query_makeflags(value: &str) -> Result<String, String> {
    let split = value.split_once(" -- ");
    let split = split.or_else(|| value.strip_prefix("-- ").map(|vars| ("", vars)));
    let (options, variables) = split.map_or((value, None), |(o, v)| (o, Some(v)));
    if variables.is_some_and(|v| v.contains("$(MAKEOVERRIDES)")) {
        // make -e exports the variables as this reference, which a new
        // make cannot resolve: they would be silently missing.
        return Err("MAKEFLAGS names $(MAKEOVERRIDES) (make -e): the command-line variables are not visible".into());
    }
    let mut kept = Vec::new();
    for (i, word) in options.split(' ').filter(|w| !w.is_empty()).enumerate() {
        if i == 0 && !word.starts_with('-') {
            let letters: String = word.chars().filter(|c| !"nqtpdj".contains(*c)).collect();
            if !letters.is_empty() {
                kept.push(letters);
            }
        } else if !["-j", "-l", "--jobserver", "--debug", "--trace"]
            .iter()
            .any(|p| word.starts_with(p))
        {
            kept.push(word.to_string());
        }
    }
    let mut out = kept.join(" ");
    if let Some(vars) = variables {
        out.push_str(if out.is_empty() { "-- " } else { " -- " });
        out.push_str(vars);
    }
    Ok(out)
}

/// `$(obj-m)` from the query's stdout, after checking that the make is a
/// GNU make kbuild accepts and that its `SHELL` was the query shell (a
/// makefile's `override SHELL` would have run its commands unchecked).
fn parse_output(stdout: &str, shim: &Path) -> Result<Vec<String>, String> {
    let [_, shell, obj_m] = make_answer::fields(stdout, MARK, ["version", "shell", "obj-m"])?;
    if Path::new(&shell) != shim {
        return Err(format!(
            "the makefiles set SHELL to {shell} over the query's"
        ));
    }
    Ok(obj_m.split_whitespace().map(str::to_string).collect())
}

#[cfg(test)]
mod tests;
