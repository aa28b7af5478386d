//! Input format of the argv fuzz target: argv (without argv[0]), arguments
//! separated by `\0`, any bytes (non-UTF-8 included). The shim never reads
//! a response file, so an input carries no file contents.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

pub struct ArgvInput {
    pub args: Vec<OsString>,
}

impl ArgvInput {
    pub fn parse(data: &[u8]) -> ArgvInput {
        let args = if data.is_empty() {
            Vec::new()
        } else {
            data.split(|&b| b == 0)
                .map(|a| OsString::from_vec(a.to_vec()))
                .collect()
        };
        ArgvInput { args }
    }
}
