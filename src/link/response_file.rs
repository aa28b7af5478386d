//! `@file` expansion the way ld.lld 19 does it, so the shim can look at the
//! real argument list. The expansion is for analysis only: the shim always
//! forwards the caller's original arguments, never these.
//!
//! What lld does (LLVM 19 `ELFOptTable::parse` in `lld/ELF/DriverUtils.cpp`,
//! calling `cl::ExpandResponseFiles` in `llvm/lib/Support/CommandLine.cpp`,
//! and checked against Debian's ld.lld 19.1.7):
//! - every argument starting with `@` is expanded before options are parsed,
//!   so even the value of `-o` can come from a file;
//! - the contents are split with `cl::TokenizeGNUCommandLine` (unless
//!   `--rsp-quoting=windows` is on the command line: the caller checks that);
//! - `RelativeNames` is off, so a relative `@name` inside a response file is
//!   resolved against the process's current directory, not the directory of
//!   the file that names it;
//! - a file that includes itself, directly or through others, is an error
//!   ("recursive expansion of"); including the same file twice side by side
//!   is fine;
//! - a file that does not exist is left as a literal `@name` argument (which
//!   lld then fails to open as an input); a UTF-8 byte order mark is skipped.
//!
//! Anything this module cannot reproduce with certainty is an error, and an
//! error means "not eligible": the shim forwards the call to ld.lld untouched.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::paths::normalize;

/// Deepest chain of response files naming response files that we follow;
/// lld has no limit, but a real build needs one level.
pub const MAX_DEPTH: usize = 64;

/// Largest response file we read; kbuild's `.mod` files are a few lines.
pub const MAX_FILE_SIZE: u64 = crate::regular_file::Kind::ResponseFile.max_bytes();

/// Largest expanded argument list; guards against files that name other
/// files many times over (exponential growth without any cycle).
pub const MAX_ARGS: usize = 1 << 20;

/// Most `@file` expansions in one argument list, counted per visit (a
/// file named twice is read twice, as lld does). [`MAX_ARGS`] alone does
/// not bound the work: files that name files over and over, down to an
/// empty leaf, produce no argument at all while the visits double with
/// every level (40 levels: 2^40 reads). A real build expands one or two.
pub const MAX_EXPANSIONS: usize = 4096;

/// Most bytes read from response files in one argument list, all visits
/// together; the same guard for large files named many times.
pub const MAX_TOTAL_BYTES: u64 = 4 * MAX_FILE_SIZE;

/// The arguments after expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expanded {
    /// The argument list with every `@file` replaced by its tokens.
    pub args: Vec<OsString>,
    /// Whether at least one `@file` was expanded.
    pub used_response_file: bool,
}

/// Why a response file could not be expanded faithfully.
#[derive(Debug)]
pub enum ResponseFileError {
    /// A non-UTF-8 argument starting with `@`: we cannot name the file
    /// reliably, so we refuse rather than guess.
    NonUtf8Argument {
        /// The argument, lossily converted for messages.
        arg: String,
    },
    /// A bare `@`: lld would try to read the current directory.
    EmptyName,
    /// The file could not be read (missing, unreadable, a directory...).
    Read {
        /// The file as named in the argument.
        path: PathBuf,
        /// What the reader reported.
        source: io::Error,
    },
    /// The file includes itself, directly or through other files.
    Cycle {
        /// The file that was named again.
        path: PathBuf,
        /// The chain of files being expanded, outermost first.
        chain: Vec<PathBuf>,
    },
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep {
        /// The file that would have gone past the limit.
        path: PathBuf,
    },
    /// The file is larger than [`MAX_FILE_SIZE`].
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The expansion grew past [`MAX_ARGS`] arguments.
    TooManyArgs,
    /// More than [`MAX_EXPANSIONS`] `@file` expansions.
    TooManyExpansions,
    /// More than [`MAX_TOTAL_BYTES`] read in all.
    TooMuchText,
    /// The file is not UTF-8.
    NonUtf8Content {
        /// The file.
        path: PathBuf,
    },
    /// An unterminated quote. lld silently accepts it (the token runs to the
    /// end of the file); we would rather not decide on such a file.
    Unterminated {
        /// The file.
        path: PathBuf,
    },
    /// Content where shell-words and lld's GNU tokenizer could disagree.
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What was found.
        reason: &'static str,
    },
}

impl fmt::Display for ResponseFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NonUtf8Argument { arg } => {
                write!(f, "response file argument is not UTF-8: {arg}")
            }
            Self::EmptyName => write!(f, "response file argument '@' names no file"),
            Self::Read { path, source } => {
                write!(
                    f,
                    "cannot read response file '{}': {source}",
                    path.display()
                )
            }
            Self::Cycle { path, chain } => {
                let chain: Vec<String> = chain.iter().map(|p| p.display().to_string()).collect();
                write!(
                    f,
                    "response file '{}' includes itself (via {})",
                    path.display(),
                    chain.join(" -> ")
                )
            }
            Self::TooDeep { path } => write!(
                f,
                "response file '{}' is nested more than {MAX_DEPTH} deep",
                path.display()
            ),
            Self::TooLarge { path } => write!(
                f,
                "response file '{}' is larger than {MAX_FILE_SIZE} bytes",
                path.display()
            ),
            Self::TooManyArgs => {
                write!(f, "response files expand to more than {MAX_ARGS} arguments")
            }
            Self::TooManyExpansions => write!(
                f,
                "response files are expanded more than {MAX_EXPANSIONS} times (files naming files over and over)"
            ),
            Self::TooMuchText => write!(
                f,
                "response files hold more than {MAX_TOTAL_BYTES} bytes in all their expansions"
            ),
            Self::NonUtf8Content { path } => {
                write!(f, "response file '{}' is not UTF-8", path.display())
            }
            Self::Unterminated { path } => {
                write!(
                    f,
                    "response file '{}' has an unterminated quote",
                    path.display()
                )
            }
            Self::Unsupported { path, reason } => write!(
                f,
                "response file '{}' is not understood safely: {reason}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for ResponseFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Reads a response file from disk, at most `MAX_FILE_SIZE` bytes: an
/// oversized file is detected without reading it whole. Relative paths are
/// resolved against the current directory, as lld does for every level.
pub fn read_from_disk(path: &Path) -> io::Result<Vec<u8>> {
    // A FIFO named as a response file must not block the shim (nor lose
    // the bytes ld.lld will read): it is refused, and the call forwarded.
    // Over the cap it is `FileTooLarge`, which `expand_into` reports as
    // [`ResponseFileError::TooLarge`].
    crate::regular_file::read_capped(path, crate::regular_file::Kind::ResponseFile)
}

/// Expands every `@file` in `args`, reading files from disk.
pub fn expand(args: &[OsString]) -> Result<Expanded, ResponseFileError> {
    expand_with(args, read_from_disk)
}

/// Expands every `@file` in `args`, reading files through `read` (which gets
/// the name exactly as written after the `@`), so tests need no disk.
pub fn expand_with(
    args: &[OsString],
    mut read: impl FnMut(&Path) -> io::Result<Vec<u8>>,
) -> Result<Expanded, ResponseFileError> {
    let mut out = Vec::with_capacity(args.len());
    let mut chain = Vec::new();
    let mut budget = Budget::default();
    let used = expand_into(args, &mut read, &mut chain, &mut budget, &mut out)?;
    Ok(Expanded {
        args: out,
        used_response_file: used,
    })
}

/// What one expansion has spent so far, against [`MAX_EXPANSIONS`] and
/// [`MAX_TOTAL_BYTES`].
#[derive(Default)]
struct Budget {
    expansions: usize,
    bytes: u64,
}

/// Appends the expansion of `args` to `out`; `chain` holds the files being
/// expanded around this call (outermost first), for cycle detection.
fn expand_into(
    args: &[OsString],
    read: &mut dyn FnMut(&Path) -> io::Result<Vec<u8>>,
    chain: &mut Vec<PathBuf>,
    budget: &mut Budget,
    out: &mut Vec<OsString>,
) -> Result<bool, ResponseFileError> {
    let mut used = false;
    for arg in args {
        let Some(name) = response_file_name(arg)? else {
            out.push(arg.clone());
            if out.len() > MAX_ARGS {
                return Err(ResponseFileError::TooManyArgs);
            }
            continue;
        };
        used = true;
        let path = PathBuf::from(name);
        // Paths are compared by their components so `a.rsp` and `./a.rsp`
        // are one file; every relative name resolves against the same
        // directory (see the module comment), so no cwd join is needed.
        // Cycles that only symlinks reveal end at MAX_DEPTH instead.
        let key = normalize(&path);
        if chain.contains(&key) {
            return Err(ResponseFileError::Cycle {
                path,
                chain: chain.clone(),
            });
        }
        if chain.len() >= MAX_DEPTH {
            return Err(ResponseFileError::TooDeep { path });
        }
        budget.expansions += 1;
        if budget.expansions > MAX_EXPANSIONS {
            return Err(ResponseFileError::TooManyExpansions);
        }
        let bytes = read(&path).map_err(|source| match source.kind() {
            io::ErrorKind::FileTooLarge => ResponseFileError::TooLarge { path: path.clone() },
            _ => ResponseFileError::Read {
                path: path.clone(),
                source,
            },
        })?;
        if bytes.len() as u64 > MAX_FILE_SIZE {
            return Err(ResponseFileError::TooLarge { path });
        }
        budget.bytes += bytes.len() as u64;
        if budget.bytes > MAX_TOTAL_BYTES {
            return Err(ResponseFileError::TooMuchText);
        }
        let tokens = tokenize_gnu(&path, &bytes)?;
        drop(bytes);
        if out.len().saturating_add(tokens.len()) > MAX_ARGS
            && !tokens.iter().any(|t| t.starts_with('@'))
        {
            return Err(ResponseFileError::TooManyArgs);
        }
        let tokens: Vec<OsString> = tokens.into_iter().map(OsString::from).collect();
        chain.push(key);
        expand_into(&tokens, read, chain, budget, out)?;
        chain.pop();
    }
    Ok(used)
}

/// The file named by a `@file` argument, `None` for an ordinary argument.
fn response_file_name(arg: &OsStr) -> Result<Option<&str>, ResponseFileError> {
    match arg.to_str() {
        Some(s) => match s.strip_prefix('@') {
            Some("") => Err(ResponseFileError::EmptyName),
            Some(name) => Ok(Some(name)),
            None => Ok(None),
        },
        None if arg.as_encoded_bytes().first() == Some(&b'@') => {
            Err(ResponseFileError::NonUtf8Argument {
                arg: arg.to_string_lossy().into_owned(),
            })
        }
        None => Ok(None),
    }
}

/// Splits response-file contents into arguments as
/// `llvm::cl::TokenizeGNUCommandLine` does, using shell-words for the
/// splitting.
///
/// Why the checks: shell-words follows the POSIX shell, and lld's GNU
/// tokenizer does not. They agree on plain words, whitespace runs, and
/// single/double quotes without backslashes. They differ here, and each
/// difference is either rewritten to the GNU answer or refused:
/// - backslash: GNU escapes any next character, also inside single quotes
///   and inside double quotes, and keeps an escaped newline as a newline;
///   POSIX does none of that. Refused.
/// - `#`: GNU has no comments; shell-words drops the rest of the line after
///   a `#` that starts a word. A `#` at the start of a word (or after any
///   whitespace, even inside quotes, to keep the check simple) is refused.
/// - carriage return: GNU splits on `\r` outside quotes and keeps it inside;
///   shell-words keeps it everywhere. Outside quotes we turn it into a space;
///   a file with both quotes and `\r` is refused.
/// - empty quotes (`""`, `''`): GNU never produces an empty argument;
///   shell-words does. Empty words are dropped.
/// - unterminated quote: GNU takes the rest of the file as the token;
///   shell-words fails. Refused ([`ResponseFileError::Unterminated`]).
/// - NUL: lld keeps tokens as C strings, so a NUL truncates the token.
///   Refused.
/// - byte order marks: lld skips a UTF-8 BOM (done here) and converts UTF-16
///   (refused).
fn tokenize_gnu(path: &Path, bytes: &[u8]) -> Result<Vec<String>, ResponseFileError> {
    let unsupported = |reason| ResponseFileError::Unsupported {
        path: path.to_path_buf(),
        reason,
    };
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(unsupported("UTF-16 byte order mark"));
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| ResponseFileError::NonUtf8Content {
        path: path.to_path_buf(),
    })?;
    if text.contains('\0') {
        return Err(unsupported("NUL byte"));
    }
    if text.contains('\\') {
        return Err(unsupported("backslash (GNU and POSIX escapes differ)"));
    }
    let is_gnu_space = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    let mut prev: Option<char> = None;
    for c in text.chars() {
        if c == '#' && prev.is_none_or(is_gnu_space) {
            return Err(unsupported("'#' at the start of a word"));
        }
        prev = Some(c);
    }
    let has_quotes = text.contains(['"', '\'']);
    let text = if text.contains('\r') {
        if has_quotes {
            return Err(unsupported("carriage return together with quotes"));
        }
        text.replace('\r', " ")
    } else {
        text.to_owned()
    };
    let words = shell_words::split(&text).map_err(|_| ResponseFileError::Unterminated {
        path: path.to_path_buf(),
    })?;
    Ok(words.into_iter().filter(|w| !w.is_empty()).collect())
}

/// For tests: a reader over an in-memory map of file name -> contents
/// (`a.rsp` and `./a.rsp` are one file), so expansion needs no disk.
#[cfg(test)]
pub(crate) fn in_memory(map: &[(&str, &str)]) -> impl FnMut(&Path) -> io::Result<Vec<u8>> {
    let map: std::collections::HashMap<PathBuf, Vec<u8>> = map
        .iter()
        .map(|(k, v)| (normalize(Path::new(k)), v.as_bytes().to_vec()))
        .collect();
    move |p: &Path| {
        map.get(&normalize(p))
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    use super::in_memory as files;

    /// Files `f0` to `f{last}`, file `fi` holding `content(i)`.
    fn numbered_files(
        last: usize,
        content: impl Fn(usize) -> String,
    ) -> impl FnMut(&Path) -> io::Result<Vec<u8>> {
        let files: Vec<(String, String)> =
            (0..=last).map(|i| (format!("f{i}"), content(i))).collect();
        let map: Vec<(&str, &str)> = files
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_str()))
            .collect();
        in_memory(&map)
    }

    #[test]
    fn no_response_file_passes_through() {
        let got = expand_with(&os(&["-r", "-o", "x.o", "y.o"]), files(&[])).unwrap();
        assert_eq!(got.args, os(&["-r", "-o", "x.o", "y.o"]));
        assert!(!got.used_response_file);
    }

    #[test]
    fn composite_module_mod_file() {
        let reader = files(&[("drivers/foo/foo.mod", "drivers/foo/a.o drivers/foo/b.o\n")]);
        let got = expand_with(
            &os(&["-r", "-o", "drivers/foo/foo.o", "@drivers/foo/foo.mod"]),
            reader,
        )
        .unwrap();
        assert_eq!(
            got.args,
            os(&[
                "-r",
                "-o",
                "drivers/foo/foo.o",
                "drivers/foo/a.o",
                "drivers/foo/b.o"
            ])
        );
        assert!(got.used_response_file);
    }

    #[test]
    fn nested_names_resolve_against_cwd_not_parent_dir() {
        // sub/outer.rsp names `inner.rsp`: lld 19 reads ./inner.rsp, not
        // sub/inner.rsp (RelativeNames is off).
        let mut asked = Vec::new();
        let map = files(&[("sub/outer.rsp", "a @inner.rsp d"), ("inner.rsp", "b c")]);
        let mut map = map;
        let got = expand_with(&os(&["@sub/outer.rsp", "e"]), |p: &Path| {
            asked.push(p.to_path_buf());
            map(p)
        })
        .unwrap();
        assert_eq!(got.args, os(&["a", "b", "c", "d", "e"]));
        assert_eq!(
            asked,
            vec![PathBuf::from("sub/outer.rsp"), PathBuf::from("inner.rsp")]
        );
    }

    #[test]
    fn same_file_twice_side_by_side_is_fine() {
        let got = expand_with(&os(&["@q", "@./q"]), files(&[("q", "x")])).unwrap();
        assert_eq!(got.args, os(&["x", "x"]));
    }

    #[test]
    fn direct_and_indirect_cycles() {
        let err = expand_with(&os(&["@self"]), files(&[("self", "x @./self")])).unwrap_err();
        match err {
            ResponseFileError::Cycle { path, chain } => {
                assert_eq!(path, PathBuf::from("./self"));
                assert_eq!(chain, vec![PathBuf::from("self")]);
            }
            other => panic!("{other:?}"),
        }
        let err = expand_with(
            &os(&["@a"]),
            files(&[("a", "@b"), ("b", "@c"), ("c", "@a")]),
        )
        .unwrap_err();
        assert!(
            matches!(&err, ResponseFileError::Cycle { path, chain } if path == Path::new("a") && chain.len() == 3),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "response file 'a' includes itself (via a -> b -> c)"
        );
    }

    #[test]
    fn nesting_deeper_than_lld_allows_names_the_deepest_file() {
        let chain = numbered_files(MAX_DEPTH + 1, |i| format!("@f{}", i + 1));
        let err = expand_with(&os(&["@f0"]), chain).unwrap_err();
        match err {
            ResponseFileError::TooDeep { path } => {
                assert_eq!(path, PathBuf::from(format!("f{MAX_DEPTH}")))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_file_is_named() {
        let err = expand_with(&os(&["-r", "@nope.mod"]), files(&[])).unwrap_err();
        assert!(
            matches!(&err, ResponseFileError::Read { path, .. } if path == Path::new("nope.mod"))
        );
        assert_eq!(
            err.to_string(),
            "cannot read response file 'nope.mod': no such file"
        );
    }

    #[test]
    fn oversized_and_non_utf8_files_are_errors_and_a_utf8_bom_is_skipped() {
        let big = vec![b'a'; MAX_FILE_SIZE as usize + 1];
        let err = expand_with(&os(&["@big"]), |_: &Path| Ok(big.clone())).unwrap_err();
        assert!(matches!(err, ResponseFileError::TooLarge { .. }));
        let err = expand_with(&os(&["@bin"]), |_: &Path| Ok(vec![b'a', 0xC3, b' '])).unwrap_err();
        assert!(
            matches!(&err, ResponseFileError::NonUtf8Content { path } if path == Path::new("bin"))
        );
        let got = expand_with(&os(&["@bom"]), |_: &Path| {
            Ok(b"\xEF\xBB\xBFx.o y.o".to_vec())
        })
        .unwrap();
        assert_eq!(got.args, os(&["x.o", "y.o"]));
        let err =
            expand_with(&os(&["@u16"]), |_: &Path| Ok(vec![0xFF, 0xFE, b'a', 0])).unwrap_err();
        assert!(matches!(
            err,
            ResponseFileError::Unsupported {
                reason: "UTF-16 byte order mark",
                ..
            }
        ));
    }

    #[test]
    fn gnu_quoting_that_shell_words_gets_right() {
        // Checked against ld.lld 19: `""` yields nothing, quotes join with
        // neighbours, `#` inside a word is literal, `\r` splits
        // outside quotes.
        let got = expand_with(
            &os(&["@q"]),
            files(&[("q", "a1 \"c 1\" 'e 2'x \"\" '' y#z\n\tlast")]),
        )
        .unwrap();
        assert_eq!(got.args, os(&["a1", "c 1", "e 2x", "y#z", "last"]));
        let crlf = expand_with(&os(&["@q"]), files(&[("q", "a.o\r\nb.o\r\n")])).unwrap();
        assert_eq!(crlf.args, os(&["a.o", "b.o"]));
    }

    #[test]
    fn gnu_differences_are_refused() {
        for (content, want) in [
            ("a\\ b", "backslash (GNU and POSIX escapes differ)"),
            ("a #b", "'#' at the start of a word"),
            ("#b", "'#' at the start of a word"),
            ("'a'\r\nb", "carriage return together with quotes"),
            ("a\0b", "NUL byte"),
        ] {
            let err = expand_with(&os(&["@q"]), files(&[("q", content)])).unwrap_err();
            match err {
                ResponseFileError::Unsupported { reason, .. } => {
                    assert_eq!(reason, want, "{content:?}")
                }
                other => panic!("{content:?}: {other:?}"),
            }
        }
        let err = expand_with(&os(&["@q"]), files(&[("q", "a \"unterminated")])).unwrap_err();
        assert!(matches!(err, ResponseFileError::Unterminated { .. }));
    }

    #[test]
    fn an_empty_or_non_utf8_at_name_is_an_error_but_a_non_utf8_input_passes() {
        assert!(matches!(
            expand_with(&os(&["@"]), files(&[])).unwrap_err(),
            ResponseFileError::EmptyName
        ));
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let bad_rsp = OsString::from_vec(b"@\xFFx".to_vec());
            let err = expand_with(&[bad_rsp], files(&[])).unwrap_err();
            assert!(matches!(err, ResponseFileError::NonUtf8Argument { .. }));
            let bad_input = OsString::from_vec(b"caf\xE9.o".to_vec());
            let got = expand_with(std::slice::from_ref(&bad_input), files(&[])).unwrap();
            assert_eq!(got.args, vec![bad_input]);
        }
    }

    #[test]
    fn more_than_max_args_expanded_arguments_is_an_error() {
        // 1000 names of a file holding 1100 words: 1,100,000 arguments, over
        // MAX_ARGS (1,048,576), and no cycle.
        let wide = vec!["w"; 1100].join(" ");
        let names = vec!["@wide"; 1000].join(" ");
        let err = expand_with(
            &os(&["@names"]),
            files(&[("names", &names), ("wide", &wide)]),
        )
        .unwrap_err();
        assert!(matches!(err, ResponseFileError::TooManyArgs));
    }

    /// 40 levels of files each naming the next twice, down to an empty
    /// leaf: no argument is ever produced, so only a count of the
    /// expansions stops the 2^40 reads.
    #[test]
    fn files_naming_files_over_and_over_stop_at_the_expansion_cap() {
        let mut reads = 0usize;
        let mut reader = numbered_files(40, |i| {
            if i == 40 {
                String::new()
            } else {
                format!("@f{} @f{}", i + 1, i + 1)
            }
        });
        let started = std::time::Instant::now();
        let err = expand_with(&os(&["-r", "@f0"]), |p: &Path| {
            reads += 1;
            reader(p)
        })
        .unwrap_err();
        assert!(
            matches!(err, ResponseFileError::TooManyExpansions),
            "{err:?}"
        );
        assert_eq!(reads, MAX_EXPANSIONS);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert_eq!(
            err.to_string(),
            "response files are expanded more than 4096 times (files naming files over and over)"
        );
        // The same shape, shallow enough, is expanded as lld would.
        let got = expand_with(&os(&["@f34"]), &mut reader).unwrap();
        assert!(got.args.is_empty() && got.used_response_file);
    }

    #[test]
    fn large_files_named_many_times_stop_at_the_byte_cap() {
        let big = vec![b' '; MAX_FILE_SIZE as usize];
        let names = ["@big"; 5].join(" ");
        let err = expand_with(&os(&["@names"]), |p: &Path| {
            Ok(if p == Path::new("names") {
                names.clone().into_bytes()
            } else {
                big.clone()
            })
        })
        .unwrap_err();
        assert!(matches!(err, ResponseFileError::TooMuchText), "{err:?}");
    }

    #[test]
    fn expand_reads_real_files_and_names_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        let rsp = dir.path().join("foo.mod");
        std::fs::write(&rsp, "a.o\nb.o\n").unwrap();
        let arg = OsString::from(format!("@{}", rsp.display()));
        let got = expand(&[arg]).unwrap();
        assert_eq!(got.args, os(&["a.o", "b.o"]));
        let err = expand(&[OsString::from(format!(
            "@{}",
            dir.path().join("missing").display()
        ))])
        .unwrap_err();
        assert!(
            matches!(&err, ResponseFileError::Read { source, .. } if source.kind() == io::ErrorKind::NotFound)
        );
    }
}
