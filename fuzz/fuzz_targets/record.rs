//! The record reader behind `--shim-report`: `record::read_from` and the
//! report's summary over any bytes. Must never panic or hold more than its
//! bounds; line numbers of bad lines rise; every non-blank line is either
//! a record or a bad line.
#![no_main]

use kbuild_ld_shim::commands::report;
use kbuild_ld_shim::record;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut summary = report::Summary::default();
    let mut last_bad = 0u64;
    let mut seen = 0u64;
    record::read_from(data, |r| {
        seen += 1;
        match r {
            Ok(rec) => summary.add(&rec),
            Err(bad) => {
                assert!(bad.line > last_bad, "line numbers must rise");
                last_bad = bad.line;
                summary.add_bad_line(&bad);
            }
        }
    })
    .expect("an in-memory reader under the size bound cannot fail");
    let lines = data.split(|&b| b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace));
    assert_eq!(seen, lines.count() as u64);
    assert!(summary.anomalies.len() <= report::MAX_ANOMALIES_LISTED);
    let _ = report::render_text(&summary);
});
