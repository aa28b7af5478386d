//! Reads a linker call (argv without argv[0]) into a [`LinkRequest`]: what
//! the call links, into what, and anything that makes it more than a plain
//! per-object relink. It reads arguments exactly as ld.lld 19 does
//! (response files first, then `-plugin-opt X` joining, then OptTable
//! lookup), so the shim's decision is about the call lld will really see.
//! It never decides anything itself and never changes the arguments.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::link::options::{self, Effect, OptValue};
use crate::link::response_file::{self, ResponseFileError};

/// What a linker call asks for, as far as the shim cares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkRequest {
    /// `-r` / `--relocatable` was given.
    pub relocatable: bool,
    /// The output file; the last `-o` wins, as in lld.
    pub output: Option<PathBuf>,
    /// Positional inputs in order, after response-file expansion; a lone
    /// `-` counts. Bytes of non-UTF-8 names are kept.
    pub inputs: Vec<PathBuf>,
    /// Each option seen whose [`Effect`] is `ChangesLink`, as spelled (`-T`,
    /// `--whole-archive`), for the reason message.
    pub changes_link: Vec<String>,
    /// `--version`, `-v`, `-V` or `--help` was given.
    pub probe: bool,
    /// Arguments starting with `-` that ld.lld 19 does not know (non-UTF-8
    /// ones lossily converted). Any entry makes the call ineligible.
    pub unknown: Vec<String>,
    /// At least one `@file` was expanded.
    pub used_response_file: bool,
}

/// Why a call could not be read; every case means "forward unchanged".
#[derive(Debug)]
pub enum RequestError {
    /// A response file could not be expanded faithfully.
    ResponseFile(ResponseFileError),
    /// An option that takes the next argument was last (lld: "missing
    /// argument").
    MissingValue {
        /// The option as written.
        option: String,
    },
    /// `--rsp-quoting` other than `posix` together with an `@file`: the
    /// files would be split by rules we do not reproduce.
    RspQuoting {
        /// The quoting style asked for.
        style: String,
    },
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ResponseFile(e) => e.fmt(f),
            Self::MissingValue { option } => write!(f, "{option}: missing argument"),
            Self::RspQuoting { style } => {
                write!(
                    f,
                    "response files with --rsp-quoting={style} are not supported"
                )
            }
        }
    }
}

impl std::error::Error for RequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::ResponseFile(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ResponseFileError> for RequestError {
    fn from(e: ResponseFileError) -> Self {
        Self::ResponseFile(e)
    }
}

/// Classifies `args` (argv without argv[0]), reading response files from
/// disk relative to the current directory.
pub fn classify_args(args: &[OsString]) -> Result<LinkRequest, RequestError> {
    classify(args, response_file::read_from_disk)
}

/// Classifies `args` (argv without argv[0]), reading response files through
/// `read_file` (given the name as written after `@`), so tests need no disk.
pub fn classify(
    args: &[OsString],
    read_file: impl FnMut(&Path) -> io::Result<Vec<u8>>,
) -> Result<LinkRequest, RequestError> {
    // lld parses the raw arguments once just to learn --rsp-quoting, before
    // expanding anything, so only a top-level --rsp-quoting counts.
    if args
        .iter()
        .any(|a| a.as_encoded_bytes().first() == Some(&b'@'))
    {
        let mut style = None;
        walk(args, |m, value| {
            if m.opt.name == "rsp-quoting" {
                style = Some(
                    value
                        .map(|v| v.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                );
            }
        });
        if let Some(style) = style.filter(|s| s != "posix") {
            return Err(RequestError::RspQuoting { style });
        }
    }

    let expanded = response_file::expand_with(args, read_file)?;
    let args = concat_plugin_opts(expanded.args);

    let mut req = LinkRequest {
        used_response_file: expanded.used_response_file,
        ..LinkRequest::default()
    };
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let Some(text) = arg.to_str() else {
            if is_option(arg) {
                req.unknown.push(arg.to_string_lossy().into_owned());
            } else {
                req.inputs.push(PathBuf::from(arg));
            }
            continue;
        };
        if !is_option(arg) {
            req.inputs.push(PathBuf::from(text));
            continue;
        }
        let Some(m) = options::lookup(text) else {
            req.unknown.push(text.to_owned());
            continue;
        };
        let value: Option<&OsStr> = match m.value {
            OptValue::None => None,
            OptValue::Inline(v) => Some(OsStr::new(v)),
            OptValue::NextArg => {
                let Some(v) = args.get(i) else {
                    return Err(RequestError::MissingValue {
                        option: text.to_owned(),
                    });
                };
                i += 1;
                Some(v.as_os_str())
            }
        };
        match m.opt.effect {
            Effect::Relocatable => req.relocatable = true,
            Effect::Output => req.output = value.map(PathBuf::from),
            Effect::ChangesLink => req.changes_link.push(m.spelling()),
            Effect::Probe => req.probe = true,
            Effect::Neutral => {}
        }
    }
    Ok(req)
}

/// Whether lld would read `arg` as an option: it starts with `-` and is not
/// `-` itself (OptTable's `isInput`).
fn is_option(arg: &OsStr) -> bool {
    let b = arg.as_encoded_bytes();
    b.first() == Some(&b'-') && b != b"-"
}

/// Calls `on` for every known option in `args` with its value (no response
/// files, no plugin-opt joining), for lld's preliminary --rsp-quoting pass.
fn walk(args: &[OsString], mut on: impl FnMut(&options::Match<'_>, Option<&OsStr>)) {
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let Some(m) = arg
            .to_str()
            .filter(|_| is_option(arg))
            .and_then(options::lookup)
        else {
            continue;
        };
        let value = match m.value {
            OptValue::None => None,
            OptValue::Inline(v) => Some(OsStr::new(v)),
            OptValue::NextArg => {
                let v = args.get(i).map(OsString::as_os_str);
                i += 1;
                v
            }
        };
        on(&m, value);
    }
}

/// lld's `concatLTOPluginOptions`: `-plugin-opt X` / `--plugin-opt X`
/// becomes `-plugin-opt=X` (gold's spelling), unless it is the last
/// argument, in which case lld reports it as unknown.
fn concat_plugin_opts(args: Vec<OsString>) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut it = args.into_iter().peekable();
    while let Some(arg) = it.next() {
        if (arg == "-plugin-opt" || arg == "--plugin-opt") && it.peek().is_some() {
            let mut joined = arg;
            joined.push("=");
            joined.push(it.next().unwrap_or_default());
            out.push(joined);
        } else {
            out.push(arg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::response_file::in_memory as files;

    fn os(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    fn classify_str(s: &str) -> LinkRequest {
        classify(&os(s), files(&[])).unwrap()
    }

    fn paths(v: &[&str]) -> Vec<PathBuf> {
        v.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn kbuilds_object_relink_is_relocatable_with_one_input() {
        let r = classify_str(
            "-EL -maarch64elf -z norelro -mllvm -import-instr-limit=5 -z noexecstack -r \
             -o lib/.tmp_crc-ccitt.o lib/crc-ccitt.o",
        );
        assert_eq!(
            r,
            LinkRequest {
                relocatable: true,
                output: Some(PathBuf::from("lib/.tmp_crc-ccitt.o")),
                inputs: paths(&["lib/crc-ccitt.o"]),
                ..LinkRequest::default()
            }
        );
    }

    #[test]
    fn joined_and_equals_forms() {
        let r = classify_str(
            "-EL -maarch64elf -znorelro -zmax-page-size=0x1000 --build-id=sha1 -mllvm=-x \
             --thinlto-cache-dir=.thinlto-cache --lto-O2 -plugin-opt=thinlto --relocatable \
             -oa.o --output=b.o in.o",
        );
        assert!(r.relocatable);
        assert_eq!(r.output, Some(PathBuf::from("b.o")));
        assert_eq!(r.inputs, paths(&["in.o"]));
        // The last -o wins, whichever spelling.
        assert_eq!(
            classify_str("-r --output x.o -oy.o in.o").output,
            Some(PathBuf::from("y.o"))
        );
    }

    #[test]
    fn composite_module_with_one_or_several_parts() {
        let args = os("-r -o drivers/foo/foo.o @drivers/foo/foo.mod");
        let one = classify(
            &args,
            files(&[("drivers/foo/foo.mod", "drivers/foo/a.o\n")]),
        )
        .unwrap();
        assert_eq!(one.inputs, paths(&["drivers/foo/a.o"]));
        assert_eq!(one.output, Some(PathBuf::from("drivers/foo/foo.o")));
        assert!(one.used_response_file && one.relocatable);
        let several = classify(
            &args,
            files(&[("drivers/foo/foo.mod", "drivers/foo/a.o drivers/foo/b.o\n")]),
        )
        .unwrap();
        assert_eq!(
            several.inputs,
            paths(&["drivers/foo/a.o", "drivers/foo/b.o"])
        );
    }

    #[test]
    fn vmlinux_o_link_lists_archives_as_inputs_and_groups_as_changing_the_link() {
        let r = classify_str(
            "-EL -maarch64elf -z norelro -r -o vmlinux.o --whole-archive vmlinux.a \
             --no-whole-archive --start-group lib/lib.a --end-group",
        );
        assert_eq!(r.inputs, paths(&["vmlinux.a", "lib/lib.a"]));
        assert_eq!(
            r.changes_link,
            vec![
                "--whole-archive",
                "--no-whole-archive",
                "--start-group",
                "--end-group"
            ]
        );
    }

    #[test]
    fn module_link_script_changes_the_link_and_is_not_an_input() {
        let r = classify_str(
            "-r -EL -maarch64elf --build-id=sha1 -T scripts/module.lds -o lib/crc16.ko \
             lib/crc16.o lib/crc16.mod.o .module-common.o",
        );
        assert_eq!(r.output, Some(PathBuf::from("lib/crc16.ko")));
        assert_eq!(
            r.inputs,
            paths(&["lib/crc16.o", "lib/crc16.mod.o", ".module-common.o"])
        );
        assert_eq!(r.changes_link, vec!["-T"]);
        // -T's value is the script, not an input.
        assert!(!r.inputs.contains(&PathBuf::from("scripts/module.lds")));
        let joined = classify_str("-r -Tscripts/module.lds --script=x.lds -o m.ko m.o");
        assert_eq!(joined.changes_link, vec!["-T", "--script"]);
        assert_eq!(joined.inputs, paths(&["m.o"]));
    }

    #[test]
    fn version_and_help_calls_are_probes_whatever_else_they_carry() {
        for (args, n_inputs) in [
            ("--version", 0),
            ("-v", 0),
            ("--fatal-warnings -v", 0),
            ("-V", 0),
            ("--help", 0),
            ("-v -r -o x.o y.o", 1),
        ] {
            let r = classify_str(args);
            assert!(r.probe, "{args}");
            assert_eq!(r.inputs.len(), n_inputs, "{args}");
            assert!(r.unknown.is_empty(), "{args}");
        }
    }

    #[test]
    fn unknown_options_are_collected_not_guessed() {
        let r = classify_str("-r -flavor gnu --no-warn-rwx-segments -vX -i -o x.o y.o");
        assert_eq!(
            r.unknown,
            vec!["-flavor", "--no-warn-rwx-segments", "-vX", "-i"]
        );
        // `gnu` after the unknown -flavor is a positional input, as for lld.
        assert_eq!(r.inputs, paths(&["gnu", "y.o"]));
    }

    #[test]
    fn missing_value_is_an_error() {
        for (args, opt) in [
            ("-r x.o -o", "-o"),
            ("-z", "-z"),
            ("--output", "--output"),
            ("-T", "-T"),
        ] {
            match classify(&os(args), files(&[])) {
                Err(RequestError::MissingValue { option }) => assert_eq!(option, opt),
                other => panic!("{args}: {other:?}"),
            }
        }
        let err = classify(&os("-r -o"), files(&[])).unwrap_err();
        assert_eq!(err.to_string(), "-o: missing argument");
    }

    #[test]
    fn lone_dash_and_slash_paths_are_inputs() {
        let r = classify_str("-r -o out.o - /abs/x.o");
        assert_eq!(r.inputs, paths(&["-", "/abs/x.o"]));
    }

    #[test]
    fn plugin_opt_separate_value_is_joined_like_lld() {
        let r = classify_str("-plugin-opt thinlto --plugin-opt O2 -r -o x.o y.o");
        assert!(r.unknown.is_empty());
        assert_eq!(r.inputs, paths(&["y.o"]));
        // At the end there is nothing to join: lld reports it as unknown.
        assert_eq!(
            classify_str("-r -o x.o y.o -plugin-opt").unknown,
            vec!["-plugin-opt"]
        );
    }

    #[test]
    fn response_file_errors_surface() {
        let err = classify(&os("-r -o x.o @missing.mod"), files(&[])).unwrap_err();
        assert!(
            matches!(&err, RequestError::ResponseFile(ResponseFileError::Read { path, .. }) if path == Path::new("missing.mod"))
        );
        let err = classify(&os("@a"), files(&[("a", "-r @b"), ("b", "@a")])).unwrap_err();
        assert!(matches!(
            err,
            RequestError::ResponseFile(ResponseFileError::Cycle { .. })
        ));
    }

    #[test]
    fn nested_and_quoted_response_files() {
        let r = classify(
            &os("@outer"),
            files(&[
                ("outer", "-r -o 'out dir/x.o' @inner"),
                ("inner", "\"in put.o\""),
            ]),
        )
        .unwrap();
        assert_eq!(r.output, Some(PathBuf::from("out dir/x.o")));
        assert_eq!(r.inputs, paths(&["in put.o"]));
        assert!(r.used_response_file && r.relocatable);
        // The value of -o can itself come from a response file.
        let r = classify(&os("-r -o @name y.o"), files(&[("name", "x.o")])).unwrap();
        assert_eq!(r.output, Some(PathBuf::from("x.o")));
    }

    #[test]
    fn windows_response_file_quoting_is_refused_only_with_a_response_file() {
        let err = classify(&os("--rsp-quoting=windows @a"), files(&[("a", "x")])).unwrap_err();
        assert!(matches!(&err, RequestError::RspQuoting { style } if style == "windows"));
        let r = classify(
            &os("--rsp-quoting posix -r -o o.o @a"),
            files(&[("a", "x.o")]),
        )
        .unwrap();
        assert_eq!(r.inputs, paths(&["x.o"]));
        // Without a response file the style does not matter.
        assert!(classify(&os("--rsp-quoting=windows -r -o o.o x.o"), files(&[])).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_paths_keep_their_bytes_and_a_non_utf8_response_file_is_an_error() {
        use std::os::unix::ffi::{OsStrExt, OsStringExt};
        let input = OsString::from_vec(b"lib/caf\xE9.o".to_vec());
        let bad_opt = OsString::from_vec(b"-\xFF".to_vec());
        let out = OsString::from_vec(b"out\xE9.o".to_vec());
        let args = vec![
            OsString::from("-r"),
            OsString::from("-o"),
            out.clone(),
            input.clone(),
            bad_opt,
        ];
        let r = classify(&args, files(&[])).unwrap();
        assert_eq!(r.inputs, vec![PathBuf::from(input.clone())]);
        assert_eq!(r.inputs[0].as_os_str().as_bytes(), b"lib/caf\xE9.o");
        assert_eq!(r.output, Some(PathBuf::from(out)));
        assert_eq!(r.unknown, vec!["-\u{FFFD}"]);
        let err = classify(&[OsString::from_vec(b"@\xFF".to_vec())], files(&[])).unwrap_err();
        assert!(matches!(
            err,
            RequestError::ResponseFile(ResponseFileError::NonUtf8Argument { .. })
        ));
    }

    #[test]
    fn classify_args_reads_disk() {
        let dir = tempfile::tempdir().unwrap();
        let rsp = dir.path().join("m.mod");
        std::fs::write(&rsp, "a.o b.o").unwrap();
        let mut args = os("-r -o m.o");
        args.push(OsString::from(format!("@{}", rsp.display())));
        let r = classify_args(&args).unwrap();
        assert_eq!(r.inputs, paths(&["a.o", "b.o"]));
        assert!(r.used_response_file);
    }
}
