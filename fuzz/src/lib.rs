//! Shared input format of the argv fuzz targets: argv plus in-memory
//! response files, so one byte string exercises `@file` expansion without
//! touching the disk.
//!
//! The input is split on `\0\0` into sections. Section 0 is argv (without
//! argv[0]), arguments separated by `\0`, any bytes (non-UTF-8 included).
//! Section k (k >= 1) is the content of the response file named `k`
//! (also reachable as `./k`, `k/`, ...: the name is read leniently, so the
//! fuzzer can find spellings that defeat cycle detection). Any other name
//! is "not found", which the expansion must survive too.

use std::ffi::OsString;
use std::io;
use std::os::unix::ffi::OsStringExt;
use std::path::Path;

pub struct ArgvInput {
    pub args: Vec<OsString>,
    pub files: Vec<Vec<u8>>,
}

impl ArgvInput {
    pub fn parse(data: &[u8]) -> ArgvInput {
        let mut sections = split(data, b"\0\0");
        let argv: &[u8] = if sections.is_empty() { &[] } else { sections.remove(0) };
        let args = if argv.is_empty() {
            Vec::new()
        } else {
            argv.split(|&b| b == 0)
                .map(|a| OsString::from_vec(a.to_vec()))
                .collect()
        };
        ArgvInput {
            args,
            files: sections.into_iter().map(<[u8]>::to_vec).collect(),
        }
    }

    /// The reader handed to `expand_with` / `classify`.
    pub fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let digits: String = path
            .to_string_lossy()
            .chars()
            .filter(char::is_ascii_digit)
            .take(4)
            .collect();
        match digits.parse::<usize>() {
            Ok(k) if k >= 1 && k <= self.files.len() => Ok(self.files[k - 1].clone()),
            _ => Err(io::Error::from(io::ErrorKind::NotFound)),
        }
    }
}

fn split<'a>(data: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(i) = rest.windows(sep.len()).position(|w| w == sep) {
        out.push(&rest[..i]);
        rest = &rest[i + sep.len()..];
    }
    out.push(rest);
    out
}
