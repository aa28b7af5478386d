//! Reads a linker call (argv without argv[0]) into a [`LinkRequest`]: what
//! the call links, into what, and anything that makes it more than a plain
//! per-object relink. It reads arguments exactly as ld.lld 19 does
//! (`-plugin-opt X` joining, then OptTable lookup), so the shim's decision
//! is about the call lld will really see. A call that names a response file
//! is not read at all (see [`classify`]). It never decides
//! anything itself and never changes the arguments.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::PathBuf;

use crate::link::options::{self, Effect, OptValue};

/// What a linker call asks for, as far as the shim cares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkRequest {
    /// `-r` / `--relocatable` was given.
    pub relocatable: bool,
    /// The output file; the last `-o` wins, as in lld.
    pub output: Option<PathBuf>,
    /// Positional inputs in order; a lone `-` counts. Bytes of non-UTF-8
    /// names are kept.
    pub inputs: Vec<PathBuf>,
    /// Each option seen whose [`Effect`] is `ChangesLink`, as spelled (`-T`,
    /// `--whole-archive`), for the reason message.
    pub changes_link: Vec<String>,
    /// `--version`, `-v`, `-V` or `--help` was given.
    pub probe: bool,
    /// Arguments starting with `-` that ld.lld 19 does not know (non-UTF-8
    /// ones lossily converted). Any entry makes the call ineligible.
    pub unknown: Vec<String>,
}

/// Why a call was not read; every case means "forward unchanged".
#[derive(Debug, PartialEq, Eq)]
pub enum RequestError {
    /// An argument starts with `@`: ld.lld would read a response file
    /// there, so the shim reads nothing.
    ResponseFile,
    /// An option that takes the next argument was last (lld: "missing
    /// argument").
    MissingValue {
        /// The option as written.
        option: String,
    },
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ResponseFile => write!(f, "an argument names a response file (@file)"),
            Self::MissingValue { option } => write!(f, "{option}: missing argument"),
        }
    }
}

impl std::error::Error for RequestError {}

/// Classifies `args` (argv without argv[0]). A call that names a response
/// file is [`RequestError::ResponseFile`] before anything is read.
pub fn classify(args: &[OsString]) -> Result<LinkRequest, RequestError> {
    // ld.lld reads a response file for every argument starting with `@`
    // (non-UTF-8 or a bare `@` included), before it parses options, the
    // value of a separate-valued option too (`-o @name` writes the file
    // that `name` names), and nothing else (`-o@name` writes `@name`). Only
    // the first byte is looked at: no file is opened.
    if args
        .iter()
        .any(|a| a.as_encoded_bytes().first() == Some(&b'@'))
    {
        return Err(RequestError::ResponseFile);
    }
    let args = concat_plugin_opts(args);

    let mut req = LinkRequest::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if !is_option(arg) {
            req.inputs.push(PathBuf::from(arg));
            continue;
        }
        // Non-UTF-8 options are unknown, named lossily.
        let Some((text, m)) = arg.to_str().and_then(|t| Some((t, options::lookup(t)?))) else {
            req.unknown.push(arg.to_string_lossy().into_owned());
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

/// lld's `concatLTOPluginOptions`: `-plugin-opt X` / `--plugin-opt X`
/// becomes `-plugin-opt=X` (gold's spelling), unless it is the last
/// argument, in which case lld reports it as unknown.
fn concat_plugin_opts(args: &[OsString]) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut it = args.iter().peekable();
    while let Some(arg) = it.next() {
        let mut arg = arg.clone();
        if let Some(value) = it.next_if(|_| arg == "-plugin-opt" || arg == "--plugin-opt") {
            arg.push("=");
            arg.push(value);
        }
        out.push(arg);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    fn classify_str(s: &str) -> LinkRequest {
        classify(&os(s)).unwrap()
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

    /// kbuild's composite-module link, `-r -o m.o @m.mod`, and every
    /// other argument lld would expand: the call is not read, and nothing
    /// is opened (the files named here do not exist).
    #[test]
    fn any_argument_starting_with_at_names_a_response_file() {
        for args in [
            "-r -o drivers/foo/foo.o @drivers/foo/foo.mod",
            "-r -o d/.tmp_a.o @/nonexistent/a.rsp",
            // lld expands the value of a separate-valued option too.
            "-r -o @name y.o",
            "-r -o x.o x.o @",
            "@a -r -o",
        ] {
            assert_eq!(
                classify(&os(args)),
                Err(RequestError::ResponseFile),
                "{args}"
            );
        }
        // Joined to its option, or inside an argument, `@` is a name.
        let r = classify_str("-r -o@x.o a@b.o");
        assert_eq!(r.output, Some(PathBuf::from("@x.o")));
        assert_eq!(r.inputs, paths(&["a@b.o"]));
        // --rsp-quoting only matters to files, which are never read here.
        assert!(classify(&os("--rsp-quoting=windows -r -o o.o x.o")).is_ok());
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
            match classify(&os(args)) {
                Err(RequestError::MissingValue { option }) => assert_eq!(option, opt),
                other => panic!("{args}: {other:?}"),
            }
        }
        let err = classify(&os("-r -o")).unwrap_err();
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

    #[cfg(unix)]
    #[test]
    fn non_utf8_paths_keep_their_bytes_and_a_non_utf8_at_names_a_response_file() {
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
        let r = classify(&args).unwrap();
        assert_eq!(r.inputs, vec![PathBuf::from(input.clone())]);
        assert_eq!(r.inputs[0].as_os_str().as_bytes(), b"lib/caf\xE9.o");
        assert_eq!(r.output, Some(PathBuf::from(out)));
        assert_eq!(r.unknown, vec!["-\u{FFFD}"]);
        let err = classify(&[OsString::from_vec(b"@\xFF".to_vec())]).unwrap_err();
        assert_eq!(err, RequestError::ResponseFile);
    }
}
