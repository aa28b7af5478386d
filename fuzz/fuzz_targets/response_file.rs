//! `@file` expansion (`response_file::expand_with`) with in-memory files
//! (format: `src/lib.rs`): cycles, deep nesting, quoting, non-UTF-8.
#![no_main]

use kbuild_ld_shim::link::response_file;
use kbuild_ld_shim_fuzz::ArgvInput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = ArgvInput::parse(data);
    let mut reads = 0usize;
    let result = response_file::expand_with(&input.args, |p| {
        reads += 1;
        input.read(p)
    });
    if let Ok(expanded) = result {
        assert!(expanded.args.len() <= response_file::MAX_ARGS);
        if !expanded.used_response_file {
            assert_eq!(expanded.args, input.args);
            assert_eq!(reads, 0);
        }
    }
});
