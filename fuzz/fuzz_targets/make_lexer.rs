//! The make lexer (`kbuild::make_lexer::lex`) and the composite-module
//! proof built on it (`kbuild::makefile::classify`). On any text: no panic
//! or hang, line numbers that never go back, nothing after an `Unreadable`
//! line; and a proof that the part is a composite part never survives an
//! `obj-m += <part>` appended to the Makefile (with the configuration
//! unknown every conditional is unknown, so nothing can hide it).
//! Input: line 1 the part relative to `$(obj)` (default `sub/foo.o`; the
//! module is its basename), the rest the kbuild file (lossy UTF-8).
#![no_main]

use std::path::Path;

use kbuild_ld_shim::kbuild::make_lexer::{self, Kind};
use kbuild_ld_shim::kbuild::makefile::{self, Listing};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (first, makefile_text) = text.split_once('\n').unwrap_or(("", &text));
    // A spelling make reads as one plain word (no `#`, `$`, `\\`).
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ',');
    let rel = if first.contains('/') && first.ends_with(".o") && first.chars().all(plain) {
        first
    } else {
        "sub/foo.o"
    };
    let modname = makefile::name_fix(
        Path::new(rel)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
            .as_str(),
    );

    let lines = make_lexer::lex(makefile_text);
    let physical = makefile_text.split('\n').count();
    let mut last = 0;
    for (i, line) in lines.iter().enumerate() {
        assert!(line.number >= last && line.number >= 1 && line.number <= physical, "{line:?}");
        last = line.number;
        if matches!(line.kind, Kind::Unreadable { .. }) {
            assert_eq!(i + 1, lines.len(), "lines after Unreadable");
        }
    }

    let read = |text: &str| {
        let files = vec![("m".to_string(), makefile::statements(text))];
        makefile::classify(&files, Path::new(rel), &modname, None)
    };
    if let Listing::CompositePart(part) = read(makefile_text) {
        assert!(makefile_text.contains(part.variable.as_str()));
        let added = format!("{makefile_text}\n\nobj-m += {rel}\n");
        let after = read(&added);
        assert!(
            !matches!(after, Listing::CompositePart(_)),
            "obj-m += {rel} appended, still {after:?}"
        );
    }
});
