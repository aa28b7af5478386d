//! Entry point: everything lives in the library; `main` only hands over
//! argv and turns the returned status into the exit code.
//!
//! `no_main`: most calls are forwards, and each pays the start-up before
//! its exec. std's own start-up installs a stack-overflow handler for the
//! main thread (reading /proc/self/maps, an alternate signal stack, two
//! handlers: about 15 system calls), which the shim does without (an
//! overflow is a plain SIGSEGV); the parts it does need, open standard
//! descriptors and an ignored SIGPIPE, are `app::prepare_process`.
#![no_main]

use std::ffi::{CStr, OsStr, OsString};
use std::os::raw::{c_char, c_int};
use std::os::unix::ffi::OsStrExt;

#[no_mangle]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    kbuild_ld_shim::app::prepare_process();
    let argv: Vec<OsString> = (0..usize::try_from(argc).unwrap_or(0))
        .map(|i| {
            // SAFETY: the C runtime passes argc valid NUL-terminated strings.
            let arg = unsafe { CStr::from_ptr(*argv.add(i)) };
            OsStr::from_bytes(arg.to_bytes()).to_os_string()
        })
        .collect();
    let status = kbuild_ld_shim::app::run(argv);
    // exit, not return: std::process::exit flushes stdout first.
    std::process::exit(status.code())
}
