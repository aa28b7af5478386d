//! Where every `--shim-*` command's answer goes: stdout, written whole, with
//! a reader that went away (`| head`) ending the command quietly and any
//! other failure turned into one error line and a failure status. The one
//! place that decides what a broken or full stdout means.

use std::io::Write;

use crate::exit::ExitStatus;
use crate::logging::error_line;

/// Writes a command's answer to stdout.
pub fn emit(text: &str) -> ExitStatus {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitStatus::Success,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitStatus::Success,
        Err(e) => {
            error_line(format!("cannot write to stdout: {e}"));
            ExitStatus::Failure
        }
    }
}

/// `text` for one line of a message or a list: control characters become
/// spaces, and past `max` bytes it is cut on a character boundary and ends
/// in `…`.
pub fn one_line(text: &str, max: usize) -> String {
    one_line_cut(text, max, "…")
}

/// [`one_line`] ending a cut line in `mark` instead.
pub fn one_line_cut(text: &str, max: usize, mark: &str) -> String {
    let mut line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.len() > max {
        let mut end = max;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
        line.push_str(mark);
    }
    line
}

/// Paths in the shim's JSON (record, report, inspect, verify), losslessly: a UTF-8
/// path is a string; any other is an object with its text (U+FFFD for the
/// bytes that are not UTF-8, for people) and all its bytes in hex (for
/// programs). Serialising never fails, so no path can abort a command.
pub mod json_path {
    use std::ffi::OsString;
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::path::{Path, PathBuf};

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Form {
        Text(String),
        Bytes { lossy: String, hex: String },
    }

    fn form(path: &Path) -> Form {
        match path.to_str() {
            Some(text) => Form::Text(text.to_owned()),
            None => Form::Bytes {
                lossy: path.to_string_lossy().into_owned(),
                hex: path
                    .as_os_str()
                    .as_bytes()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
            },
        }
    }

    fn path<E: serde::de::Error>(form: Form) -> Result<PathBuf, E> {
        match form {
            Form::Text(text) => Ok(PathBuf::from(text)),
            Form::Bytes { hex, .. } => {
                if hex.len() % 2 != 0 {
                    return Err(E::custom("odd number of hex digits in a path"));
                }
                let byte = |i| {
                    hex.get(i..i + 2)
                        .and_then(|p| u8::from_str_radix(p, 16).ok())
                };
                let bytes: Option<Vec<u8>> = (0..hex.len()).step_by(2).map(byte).collect();
                let bytes = bytes.ok_or_else(|| E::custom("bad hex digit in a path"))?;
                Ok(PathBuf::from(OsString::from_vec(bytes)))
            }
        }
    }

    pub fn serialize<S: Serializer>(p: &Path, s: S) -> Result<S::Ok, S::Error> {
        form(p).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
        path(Form::deserialize(d)?)
    }

    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(p: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
            p.as_deref().map(form).serialize(s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PathBuf>, D::Error> {
            Option::<Form>::deserialize(d)?.map(path).transpose()
        }
    }

    pub mod list {
        use super::*;

        pub fn serialize<S: Serializer>(p: &[PathBuf], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(p.iter().map(|p| form(p)))
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PathBuf>, D::Error> {
            Vec::<Form>::deserialize(d)?.into_iter().map(path).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn one_line_replaces_control_characters_and_cuts_on_a_character() {
        assert_eq!(one_line("a\nb\tc", 10), "a b c");
        assert_eq!(one_line("ééé", 3), "é…");
        assert_eq!(one_line("abc", 3), "abc");
    }
}
