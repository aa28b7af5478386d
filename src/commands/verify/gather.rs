//! The half of `--shim-verify` that reads the object tree into [`Facts`].

use std::io;
use std::path::{Path, PathBuf};

use super::{promoted_symbols, ConfigFacts, Facts, Module, Object, ObjectFacts};
use crate::bitcode::{self, FileFacts, FileKind};
use crate::kbuild::cmd_file;
use crate::kbuild::kconfig::Kconfig;
use crate::link::archive;
use crate::regular_file::{read_capped, read_capped_lossy, CappedFile};

/// Thin archives nested in `vmlinux.a` are followed this deep (llvm-ar
/// flattens them; the cap only stops a self-referencing archive).
const MAX_ARCHIVE_DEPTH: usize = 8;

/// The most lines modules.order may have (allmodconfig: some 6,000).
pub const MAX_MODULES: usize = 1 << 17;

/// The most parts one `.mod` file may list (amdgpu: some 700).
pub const MAX_MODULE_PARTS: usize = 1 << 16;

/// The most module parts in all the `.mod` files together.
pub const MAX_ALL_MODULE_PARTS: usize = 1 << 20;

/// The most bytes of `.mod` files read in all (allmodconfig: well under
/// 1 MB): modules.order may name one large `.mod` many times over.
pub const MAX_ALL_MOD_BYTES: u64 = 64 << 20;

/// Reads everything [`judge`] needs from the object tree `tree`.
/// `kernel`, when given, is the kernel's object tree and `tree` an external
/// module's build directory, whose vmlinux.a and vmlinux are not read.
pub fn gather(tree: &Path, kernel: Option<&Path>) -> Facts {
    let own = kernel.is_none();
    Facts {
        tree: tree.to_path_buf(),
        kernel: kernel.map(Path::to_path_buf),
        config: read_config(kernel.unwrap_or(tree)),
        vmlinux_a: own
            .then(|| {
                read_if_present(tree.join("vmlinux.a"), |a| {
                    archive_objects(tree, a, 0, &mut 0)
                })
            })
            .flatten(),
        modules: read_modules(tree),
        vmlinux: own
            .then(|| read_if_present(tree.join("vmlinux"), promoted_symbols))
            .flatten(),
    }
}

fn read_config(tree: &Path) -> Result<ConfigFacts, String> {
    const ARCHES: &[(&str, &str)] = &[
        ("CONFIG_ARM64", "arm64"),
        ("CONFIG_X86_64", "x86_64"),
        ("CONFIG_X86_32", "x86"),
        ("CONFIG_RISCV", "riscv"),
        ("CONFIG_ARM", "arm"),
        ("CONFIG_PPC", "powerpc"),
        ("CONFIG_LOONGARCH", "loongarch"),
        ("CONFIG_S390", "s390"),
        ("CONFIG_MIPS", "mips"),
    ];
    let path = tree.join(Kconfig::PATH);
    let k = Kconfig::load(&path).map_err(|e| {
        if existing(tree.join("modules.order")).is_some()
            && existing(tree.join("vmlinux.a")).is_none()
        {
            format!(
                "{}: {e}: an external module's build directory? Name the kernel's object tree with --shim-kernel KOBJ",
                path.display()
            )
        } else {
            format!(
                "{}: {e} (not a configured kernel object tree?)",
                path.display()
            )
        }
    })?;
    Ok(ConfigFacts {
        lto: k.lto(),
        objtool: k.enabled("CONFIG_OBJTOOL"),
        modules: k.enabled("CONFIG_MODULES"),
        arch: ARCHES
            .iter()
            .find(|(symbol, _)| k.enabled(symbol))
            .map(|(_, arch)| *arch),
    })
}

/// `path` when something is there, a dangling symlink included: what is
/// there but cannot be read is an error, not an absence.
fn existing(path: PathBuf) -> Option<PathBuf> {
    path.symlink_metadata().is_ok().then_some(path)
}

/// `None` when nothing is at `path`; else what `read` makes of it, an
/// error with the path in front.
fn read_if_present<T>(
    path: PathBuf,
    read: impl FnOnce(&Path) -> Result<T, String>,
) -> Option<Result<T, String>> {
    let path = existing(path)?;
    Some(read(&path).map_err(|e| format!("{}: {e}", path.display())))
}

/// The objects of the thin archive `archive_path`, following nested thin
/// archives. `visited` counts every member of every archive read, nested
/// archives included, so an archive that names itself or another many
/// times over stops at the cap like a long one.
fn archive_objects(
    tree: &Path,
    archive_path: &Path,
    depth: usize,
    visited: &mut usize,
) -> Result<Vec<Object>, String> {
    let bytes = read_capped(archive_path, CappedFile::ThinArchive).map_err(|e| {
        if depth == 0 {
            e.to_string()
        } else {
            format!("{}: {e}", archive_path.display())
        }
    })?;
    let members = archive::thin_members(&bytes).map_err(|e| e.to_string())?;
    drop(bytes);
    // One archive's cap holds for all of them together: every object named
    // is opened and examined, and nesting multiplies the names.
    *visited += members.len();
    if *visited > archive::MAX_MEMBERS {
        return Err(format!(
            "too large: names more than {} objects (nested archives included)",
            archive::MAX_MEMBERS
        ));
    }
    let mut out = Vec::new();
    for member in members {
        let on_disk = archive::resolve_member(archive_path, &member);
        let examined = examine(&on_disk);
        if !matches!(&examined, Ok(f) if f.kind == FileKind::ThinArchive) {
            out.push(object(tree, &on_disk, examined));
        } else if depth >= MAX_ARCHIVE_DEPTH {
            return Err(format!(
                "thin archives nested deeper than {MAX_ARCHIVE_DEPTH} at {}",
                on_disk.display()
            ));
        } else {
            out.extend(archive_objects(tree, &on_disk, depth + 1, visited)?);
        }
    }
    Ok(out)
}

/// What is at `path`: a missing file, or a FIFO or a device in its place,
/// is said in so many words, not as a file of an unknown kind.
fn examine(path: &Path) -> Result<FileFacts, String> {
    crate::regular_file::open_regular(path).map_err(|e| e.to_string())?;
    bitcode::examine_path(path).map_err(|e| e.to_string())
}

/// The facts of the object at `path` (absolute or relative to the
/// process), as [`examine`] found it, reported relative to `tree`.
fn object(tree: &Path, path: &Path, examined: Result<FileFacts, String>) -> Object {
    let facts = match examined {
        Err(why) => ObjectFacts::Unreadable(why),
        Ok(f) => match (f.kind, f.bitcode) {
            (_, Some(bc)) => ObjectFacts::Bitcode(bc.lto),
            (FileKind::Elf, None) => {
                cmd_file::read(path).map_or_else(ObjectFacts::Unreadable, ObjectFacts::Elf)
            }
            (kind, None) => ObjectFacts::Unreadable(format!(
                "neither ELF nor LLVM bitcode ({kind:?}, {} bytes)",
                f.len
            )),
        },
    };
    let path = path.strip_prefix(tree).unwrap_or(path).to_path_buf();
    Object { path, facts }
}

fn read_modules(tree: &Path) -> Option<Result<Vec<Module>, String>> {
    let lines = read_if_present(tree.join("modules.order"), |order| {
        let text = read_capped_lossy(order, CappedFile::ModulesOrder).map_err(|e| e.to_string())?;
        let lines: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .take(MAX_MODULES + 1)
            .map(String::from)
            .collect();
        if lines.len() > MAX_MODULES {
            return Err(format!("too large: more than {MAX_MODULES} modules"));
        }
        Ok(lines)
    })?;
    Some(lines.and_then(|lines| modules(tree, &lines)))
}

/// The modules of modules.order's `lines`, with their parts.
fn modules(tree: &Path, lines: &[String]) -> Result<Vec<Module>, String> {
    let mut modules = Vec::with_capacity(lines.len());
    let mut all_parts = 0;
    let mut mod_bytes = 0;
    for line in lines {
        // 6.2+ lists D/m.o, older kernels D/m.ko
        let stem = line
            .strip_suffix(".ko")
            .or_else(|| line.strip_suffix(".o"))
            .unwrap_or(line);
        let object_path = tree.join(format!("{stem}.o"));
        let mod_file = tree.join(format!("{stem}.mod"));
        let names = mod_part_names(tree, &mod_file, &object_path, &mut mod_bytes)
            .map_err(|e| format!("{}: {e}", mod_file.display()))?;
        all_parts += names.len();
        if all_parts > MAX_ALL_MODULE_PARTS {
            return Err(format!(
                "too large: the .mod files list more than {MAX_ALL_MODULE_PARTS} parts in all"
            ));
        }
        modules.push(Module {
            object: object(tree, &object_path, examine(&object_path)),
            parts: names.iter().map(|p| object(tree, p, examine(p))).collect(),
        });
    }
    Ok(modules)
}

/// The parts listed in `D/m.mod`, unless it names only `D/m.o` itself (a
/// single-object module). A missing .mod file gives no parts: the module
/// object alone is still checked. One that cannot be read, or lists more
/// than [`MAX_MODULE_PARTS`], is an error.
fn mod_part_names(
    tree: &Path,
    mod_file: &Path,
    module_object: &Path,
    read_so_far: &mut u64,
) -> Result<Vec<PathBuf>, String> {
    let bytes = match read_capped(mod_file, CappedFile::ModFile) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.to_string()),
    };
    *read_so_far += bytes.len() as u64;
    if *read_so_far > MAX_ALL_MOD_BYTES {
        return Err(format!(
            "too large: the .mod files hold more than {MAX_ALL_MOD_BYTES} bytes in all"
        ));
    }
    let text = String::from_utf8_lossy(&bytes);
    let parts: Vec<PathBuf> = text
        .split_whitespace()
        .take(MAX_MODULE_PARTS + 1)
        .map(|p| tree.join(p.strip_prefix("./").unwrap_or(p)))
        .collect();
    if parts.len() > MAX_MODULE_PARTS {
        return Err(format!(
            "too large: lists more than {MAX_MODULE_PARTS} parts"
        ));
    }
    if parts.len() == 1 && parts[0] == module_object {
        return Ok(Vec::new());
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::verify::{judge, Judgement, Verdict};
    use std::process::Command;

    // ---- gathering from real files

    fn clang_thin_bitcode(dir: &Path) -> Vec<u8> {
        let src = dir.join("t.c");
        std::fs::write(&src, "int f(int x) { return x + 1; }\n").unwrap();
        let out = dir.join("t.bc.o");
        let status = Command::new("clang-19")
            .args([
                "--target=aarch64-linux-gnu",
                "-O2",
                "-flto=thin",
                "-c",
                "-o",
            ])
            .arg(&out)
            .arg(&src)
            .status()
            .unwrap_or_else(|e| panic!("clang-19: {e}: install the Debian package clang-19"));
        assert!(status.success());
        std::fs::read(out).unwrap()
    }

    /// A tree with auto.conf, kernel/fork.o (bitcode), head.o (ELF from
    /// assembly) and lib/mix.o (ELF from C with -flto: lost) unless `fixed`.
    fn tree(fixed: bool) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        let t = d.path();
        let bc = clang_thin_bitcode(t);
        for dir in ["include/config", "kernel", "lib", "arch"] {
            std::fs::create_dir_all(t.join(dir)).unwrap();
        }
        std::fs::write(
            t.join("include/config/auto.conf"),
            "CONFIG_ARM64=y\nCONFIG_LTO_CLANG_THIN=y\nCONFIG_MODULES=y\n",
        )
        .unwrap();
        std::fs::write(t.join("kernel/fork.o"), &bc).unwrap();
        std::fs::write(t.join("arch/head.o"), b"\x7fELF\x02\x01\x01").unwrap();
        std::fs::write(
            t.join("arch/.head.o.cmd"),
            "savedcmd_arch/head.o := clang -c -o arch/head.o arch/head.S\n",
        )
        .unwrap();
        if fixed {
            std::fs::write(t.join("lib/mix.o"), &bc).unwrap();
        } else {
            std::fs::write(t.join("lib/mix.o"), b"\x7fELF\x02\x01\x01").unwrap();
        }
        std::fs::write(t.join("lib/.mix.o.cmd"), "savedcmd_lib/mix.o := clang -flto=thin -c -o lib/mix.o lib/mix.c ; ld.lld -r -o lib/.tmp_mix.o lib/mix.o; mv lib/.tmp_mix.o lib/mix.o\n").unwrap();
        std::fs::write(
            t.join("vmlinux.a"),
            crate::link::archive::tests::thin_archive(&[
                "kernel/fork.o",
                "arch/head.o",
                "lib/mix.o",
            ]),
        )
        .unwrap();
        d
    }

    fn verdict_of(t: &Path) -> Judgement {
        judge(&gather(t, None))
    }

    /// The tree at `t` gets "cannot tell", for a reason that says `why`.
    fn assert_cannot_tell(t: &Path, why: &str) {
        let j = verdict_of(t);
        assert_eq!(j.verdict, Verdict::CannotTell, "{}", j.reason);
        assert!(j.reason.contains(why), "{}", j.reason);
    }

    /// An external module's build directory as 6.13 leaves it after `make
    /// M=`: zname.ko of sub/zname.o (bitcode, or ELF: lost) and glue.o, and
    /// the kernel tree it was built against.
    fn module_dir(kept: bool) -> (tempfile::TempDir, tempfile::TempDir) {
        let kernel = tree(true);
        let d = tempfile::tempdir().unwrap();
        let m = d.path();
        let bc = clang_thin_bitcode(m);
        std::fs::create_dir_all(m.join("sub")).unwrap();
        std::fs::write(m.join("modules.order"), "zname.o\n").unwrap();
        std::fs::write(m.join("zname.mod"), "sub/zname.o glue.o\n").unwrap();
        std::fs::write(m.join("zname.o"), b"\x7fELF\x02\x01\x01").unwrap();
        std::fs::write(m.join("glue.o"), &bc).unwrap();
        if kept {
            std::fs::write(m.join("sub/zname.o"), &bc).unwrap();
        } else {
            std::fs::write(m.join("sub/zname.o"), b"\x7fELF\x02\x01\x01").unwrap();
        }
        std::fs::write(m.join("sub/.zname.o.cmd"), "savedcmd_sub/zname.o := clang -flto=thin -DMODULE -c -o sub/zname.o sub/zname.c ; ld.lld -r -o sub/.tmp_zname.o sub/zname.o; mv sub/.tmp_zname.o sub/zname.o\n").unwrap();
        (d, kernel)
    }

    #[test]
    fn gathered_external_module_directories() {
        let (m, kernel) = module_dir(true);
        let j = judge(&gather(m.path(), Some(kernel.path())));
        assert_eq!(j.verdict, Verdict::Kept, "{}", j.reason);
        assert_eq!(j.modules.as_ref().unwrap().parts.bitcode_thin, 2);
        assert!(j.builtin.is_none());

        let (m, kernel) = module_dir(false);
        let j = judge(&gather(m.path(), Some(kernel.path())));
        assert_eq!(j.verdict, Verdict::Lost, "{}", j.reason);
        assert!(j.reason.contains("sub/zname.o"), "{}", j.reason);

        // Without the kernel tree: one line that says what to add.
        let j = judge(&gather(m.path(), None));
        assert_eq!(j.verdict, Verdict::CannotTell);
        assert!(j.reason.contains("--shim-kernel"), "{}", j.reason);

        // Not built yet.
        std::fs::remove_file(m.path().join("modules.order")).unwrap();
        let j = judge(&gather(m.path(), Some(kernel.path())));
        assert_eq!(j.verdict, Verdict::CannotTell);
        assert!(j.reason.contains("no modules.order"), "{}", j.reason);
    }

    #[test]
    fn gathered_trees_kept_and_lost() {
        let kept = tree(true);
        let j = verdict_of(kept.path());
        assert_eq!(j.verdict, Verdict::Kept, "{}", j.reason);
        assert_eq!(j.builtin.as_ref().unwrap().bitcode_thin, 2);
        let lost = tree(false);
        let j = verdict_of(lost.path());
        assert_eq!(j.verdict, Verdict::Lost, "{}", j.reason);
        assert_eq!(j.builtin.unwrap().lost, vec!["lib/mix.o".to_string()]);
    }

    #[test]
    fn gathered_trees_that_cannot_tell() {
        let t = tree(true);
        std::fs::remove_file(t.path().join("vmlinux.a")).unwrap();
        assert_eq!(verdict_of(t.path()).verdict, Verdict::CannotTell);

        let t = tree(true);
        std::fs::write(t.path().join("vmlinux.a"), b"!<thin>\n").unwrap();
        assert_cannot_tell(t.path(), "names no objects");

        // a damaged member: bitcode magic, then garbage
        let t = tree(true);
        std::fs::write(
            t.path().join("kernel/fork.o"),
            b"BC\xc0\xde\xff\xff\xff\xff\x00",
        )
        .unwrap();
        assert_cannot_tell(t.path(), "kernel/fork.o");

        // a member that is gone
        let t = tree(true);
        std::fs::remove_file(t.path().join("lib/mix.o")).unwrap();
        assert_cannot_tell(t.path(), "lib/mix.o");

        // auto.conf that cannot be read (a directory)
        let t = tree(true);
        let conf = t.path().join("include/config/auto.conf");
        std::fs::remove_file(&conf).unwrap();
        std::fs::create_dir(&conf).unwrap();
        assert_cannot_tell(t.path(), "auto.conf");
    }

    /// A nested thin archive naming itself 100,000 times: depth alone
    /// would allow 100,000^8 reads; the member count stops it at once.
    #[test]
    fn an_archive_naming_an_archive_over_and_over_is_too_large() {
        let t = tree(true);
        let p = t.path();
        std::fs::create_dir(p.join("sub")).unwrap();
        let names = vec!["loop.a"; 100_000];
        std::fs::write(
            p.join("sub/loop.a"),
            crate::link::archive::tests::thin_archive(&names),
        )
        .unwrap();
        std::fs::write(
            p.join("vmlinux.a"),
            crate::link::archive::tests::thin_archive(&["kernel/fork.o", "sub/loop.a"]),
        )
        .unwrap();
        let started = std::time::Instant::now();
        assert_cannot_tell(p, "too large: names more than 262144 objects");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    /// modules.order naming one 2 MiB `.mod` forty times: each read is
    /// under the per-file cap, the total is not.
    #[test]
    fn one_large_mod_file_named_many_times_is_too_large() {
        let t = tree(true);
        let p = t.path();
        let mut text = " ".repeat(2 << 20);
        text.push_str("lib/part.o\n");
        std::fs::write(p.join("lib/m.mod"), text).unwrap();
        std::fs::write(p.join("modules.order"), "lib/m.o\n".repeat(40)).unwrap();
        assert_cannot_tell(
            p,
            "too large: the .mod files hold more than 67108864 bytes in all",
        );
    }

    #[test]
    fn gathered_tree_without_lto_and_modules() {
        let t = tree(true);
        std::fs::write(
            t.path().join("include/config/auto.conf"),
            "CONFIG_ARM64=y\nCONFIG_LTO_NONE=y\n",
        )
        .unwrap();
        assert_eq!(verdict_of(t.path()).verdict, Verdict::NotLto);

        let t = tree(true);
        let p = t.path();
        std::fs::write(p.join("modules.order"), "lib/crc-a.o\nlib/comp.o\n").unwrap();
        std::fs::write(p.join("lib/crc-a.mod"), "lib/crc-a.o\n").unwrap();
        std::fs::write(p.join("lib/comp.mod"), "lib/comp_main.o\n").unwrap();
        std::fs::write(p.join("lib/comp.o"), b"\x7fELF\x02\x01\x01").unwrap();
        std::fs::copy(p.join("kernel/fork.o"), p.join("lib/comp_main.o")).unwrap();
        // modpost would read bitcode
        std::fs::copy(p.join("kernel/fork.o"), p.join("lib/crc-a.o")).unwrap();
        let j = verdict_of(p);
        assert_eq!(j.verdict, Verdict::ModulesNotElf, "{}", j.reason);
        let m = j.modules.unwrap();
        assert_eq!(
            (m.modules, m.parts.objects, m.parts.bitcode_thin),
            (2, 1, 1)
        );
        std::fs::write(p.join("lib/crc-a.o"), b"\x7fELF\x02\x01\x01").unwrap();
        assert_eq!(verdict_of(p).verdict, Verdict::Kept);
    }
}
