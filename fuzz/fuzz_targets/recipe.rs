//! Recipe reading: `recipe::split_commands` and `recipe::analyse`, both
//! over the one shell tokeniser that reads quotes and escapes. Neither
//! panics; a script it cannot read (an unterminated quote) names no
//! relink; and the words it reads come back the same when quoted again,
//! so its quotes and escapes neither lose nor add a character.
//! Input: line 1 the relink's input path, line 2 its output path, the rest
//! the `sh -c` script (lossy UTF-8, as `context::shell_script` hands it).
#![no_main]

use std::path::Path;

use kbuild_ld_shim::kbuild::recipe;
use libfuzzer_sys::fuzz_target;

/// The commands as a script of single-quoted words.
fn quoted(commands: &[Vec<String>]) -> String {
    let command = |words: &Vec<String>| {
        let words: Vec<String> = words
            .iter()
            .map(|w| format!("'{}'", w.replace('\'', r"'\''")))
            .collect();
        words.join(" ")
    };
    commands.iter().map(command).collect::<Vec<_>>().join("; ")
}

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
        let again = recipe::split_commands(&quoted(commands));
        assert_eq!(again.as_ref(), Some(commands), "{script:?}");
    }
    let reading = recipe::analyse(script, Path::new(input), Path::new(output));
    // No commands, no relink found.
    if commands.is_none() {
        assert!(reading.is_none());
    }
    let _ = recipe::split_commands(&text);
});
