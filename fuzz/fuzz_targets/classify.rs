//! argv classification (`request::classify`) (format: `src/lib.rs`). Must
//! never panic or hang, on any bytes; the relink candidate drawn from it
//! must be self-consistent.
#![no_main]

use kbuild_ld_shim::link::request;
use kbuild_ld_shim::relink::decision;
use kbuild_ld_shim_fuzz::ArgvInput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = ArgvInput::parse(data);
    let names_file = input
        .args
        .iter()
        .any(|a| a.as_encoded_bytes().first() == Some(&b'@'));
    match request::classify(&input.args) {
        Ok(req) => {
            // An argument starting with `@` is never classified.
            assert!(!names_file);
            if let Ok(c) = decision::relink_candidate(&req) {
                // A candidate has exactly one input, the request's, and an output.
                assert_eq!(req.inputs.len(), 1);
                assert_eq!(c.input, req.inputs[0]);
                assert_eq!(Some(&c.output), req.output.as_ref());
            }
        }
        Err(request::RequestError::ResponseFile) => assert!(names_file),
        Err(request::RequestError::MissingValue { .. }) => assert!(!names_file),
    }
});
