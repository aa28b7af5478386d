//! Recipe reading: `recipe::split_commands`, `recipe::analyse` and the
//! grammar's own lexer (`recipe::strict_words`). A recipe the grammar
//! proves must read the same to the permissive lexer that finds it, word
//! for word: the two can never disagree on what the shell runs.
//! Input: line 1 the relink's input path, line 2 its output path, the rest
//! the `sh -c` script (lossy UTF-8, as `context::shell_script` hands it).
#![no_main]

use std::path::Path;

use kbuild_ld_shim::kbuild::recipe;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let (input, output, script) = match (parts.next(), parts.next(), parts.next()) {
        (Some(i), Some(o), Some(s)) => (i, o, s),
        _ => ("lib/x.o", "lib/.tmp_x.o", &*text),
    };
    let commands = recipe::split_commands(script);
    if let Some(commands) = &commands {
        assert!(commands.iter().all(|c| !c.is_empty()));
    }
    let reading = recipe::analyse(script, Path::new(input), Path::new(output));
    // No commands, no relink found.
    if commands.is_none() {
        assert!(reading.is_none());
    }
    if let Some(recipe::Reading::Proven(_)) = reading {
        let strict = recipe::strict_words(script).expect("a proven recipe lexes");
        assert_eq!(Some(strict), commands, "{script:?}");
    }
    let _ = recipe::split_commands(&text);
});
