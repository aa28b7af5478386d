//! The make lexer (`kbuild::make_lexer::lex`), which the doctor reads
//! kbuild's own scripts with. On any text: no panic or hang, line numbers
//! that never go back, nothing after an `Unreadable` line.
#![no_main]

use kbuild_ld_shim::kbuild::make_lexer::{self, LineKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = make_lexer::lex(&text);
    let physical = text.split('\n').count();
    let mut last = 0;
    for (i, line) in lines.iter().enumerate() {
        assert!(line.number >= last && line.number >= 1 && line.number <= physical, "{line:?}");
        last = line.number;
        if matches!(line.kind, LineKind::Unreadable { .. }) {
            assert_eq!(i + 1, lines.len(), "lines after Unreadable");
        }
    }
});
