//! The bitstream walk (`bitcode::examine`) over an in-memory file, with the
//! true length and with a stated length that lies (longer and shorter), as
//! a file that changes under the reader would. Must never panic, hang or
//! allocate without bound.
#![no_main]

use kbuild_ld_shim::bitcode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let len = data.len() as u64;
    let _ = bitcode::examine(data, len);
    let _ = bitcode::sniff(data);
    if let Some(&last) = data.last() {
        let lie = u64::from(last) * 4;
        let _ = bitcode::examine(data, len + lie);
        let _ = bitcode::examine(data, len.saturating_sub(lie));
    }
});
