use super::*;

#[test]
fn makeflags_lose_the_jobserver_and_keep_the_variables() {
    assert_eq!(
        query_makeflags(
            "rRs -j64 --jobserver-auth=3,4 --no-print-directory -- obj=lib LLVM=1 KCFLAGS=a\\ b"
        )
        .unwrap(),
        "rRs --no-print-directory -- obj=lib LLVM=1 KCFLAGS=a\\ b"
    );
    assert_eq!(
        query_makeflags("rRs -j2 --jobserver-auth=fifo:/tmp/GMfifo1 -- obj=lib").unwrap(),
        "rRs -- obj=lib"
    );
    // Flags that would make make build, touch or print instead of parse.
    assert_eq!(
        query_makeflags("nqtkpd -I/src -- V=1").unwrap(),
        "k -I/src -- V=1"
    );
    assert_eq!(query_makeflags(" -- obj=.").unwrap(), "-- obj=.");
    assert_eq!(query_makeflags("s").unwrap(), "s");
    let e = query_makeflags("e -- $(MAKEOVERRIDES)").unwrap_err();
    assert!(e.contains("make -e"), "{e}");
}

#[test]
fn the_makefiles_and_obj_come_from_makes_argv() {
    let argv = |words: &[&str]| words.iter().map(OsString::from).collect::<Vec<_>>();
    assert_eq!(
        makefiles_and_obj(&argv(&[
            "make",
            "-f",
            "../scripts/Makefile.build",
            "obj=lib",
            "need-builtin=1"
        ])),
        Ok((vec!["../scripts/Makefile.build".into()], Some("lib".into())))
    );
    assert_eq!(
        makefiles_and_obj(&argv(&["make", "--file=a.mk", "-fb.mk", "goal"])),
        Ok((vec!["a.mk".into(), "b.mk".into()], None))
    );
    assert!(makefiles_and_obj(&argv(&["make", "obj=a", "obj=b"])).is_err());
    assert!(makefiles_and_obj(&argv(&["make", "-f"])).is_err());
}

#[test]
fn the_answer_is_read_only_from_the_marked_lines() {
    let shim = Path::new("/usr/bin/kbuild-ld-shim");
    let out = format!(
        "noise\n{MARK} version 4.3\n{MARK} shell /usr/bin/kbuild-ld-shim\n{MARK} obj-m lib/crc16.o  lib/crc-itu-t.o\n"
    );
    assert_eq!(
        parse_output(&out, shim),
        Ok(vec!["lib/crc16.o".into(), "lib/crc-itu-t.o".into()])
    );
    let empty =
        format!("{MARK} version 4.4.1\n{MARK} shell /usr/bin/kbuild-ld-shim\n{MARK} obj-m \n");
    assert_eq!(parse_output(&empty, shim), Ok(vec![]));
    let old =
        format!("{MARK} version 3.82\n{MARK} shell /usr/bin/kbuild-ld-shim\n{MARK} obj-m a.o\n");
    assert!(parse_output(&old, shim).unwrap_err().contains("3.82"));
    let overridden = format!("{MARK} version 4.3\n{MARK} shell /bin/bash\n{MARK} obj-m a.o\n");
    assert!(parse_output(&overridden, shim)
        .unwrap_err()
        .contains("/bin/bash"));
    let twice = format!("{MARK} version 4.3\n{MARK} shell /usr/bin/kbuild-ld-shim\n{MARK} obj-m a.o\n{MARK} obj-m b.o\n");
    assert!(parse_output(&twice, shim).unwrap_err().contains("twice"));
    assert!(parse_output("nothing\n", shim).is_err());
}

/// A recipe shell whose parent is not make (here: this test binary) is
/// never answered by running that parent.
#[test]
fn a_parent_that_is_not_make_is_not_asked() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut sh = Command::new("sh")
        .args(["-c", "echo started; read go"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(sh.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let answer = ask(sh.id(), Path::new("."), Path::new("d/a.o"));
    drop(sh.stdin.take());
    sh.wait().unwrap();
    let why = answer.in_obj_m.unwrap_err();
    assert!(why.contains("not make"), "{why}");
    assert!(!answer.cached);
}
