//! The passthrough: the relink's output becomes a byte-for-byte copy of its
//! input, written so that the output is either complete or absent.

use std::fmt;
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A failed passthrough, naming the file involved.
#[derive(Debug)]
pub struct PassthroughError {
    pub path: PathBuf,
    pub what: &'static str,
    pub source: io::Error,
}

impl fmt::Display for PassthroughError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.path.display(), self.what, self.source)
    }
}

impl std::error::Error for PassthroughError {}

/// True when `output` already names the same file as `input` (another
/// spelling, a hard link or a symlink): copying would truncate the input.
pub fn same_file(input: &Path, output: &Path) -> bool {
    match (fs::metadata(input), fs::metadata(output)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Copies `input` to `output` through a fresh temporary file in the output's
/// directory, then renames it into place. Returns the bytes copied.
///
/// The temporary name is unpredictable and created with O_EXCL, so a
/// planted file or symlink is never opened; the rename replaces whatever is
/// at `output` (a symlink there is replaced, not written through). The copy
/// goes through `std::io::copy`, which uses copy_file_range on Linux (a
/// reflink where the filesystem can). The mode is 0666 less the umask, as
/// ld.lld gives a relocatable output.
pub fn copy_atomically(input: &Path, output: &Path) -> Result<u64, PassthroughError> {
    let fail = |path: &Path, what, source| PassthroughError {
        path: path.to_path_buf(),
        what,
        source,
    };
    let mut source = File::open(input).map_err(|e| fail(input, "cannot open input", e))?;
    let expected = source
        .metadata()
        .map_err(|e| fail(input, "cannot stat input", e))?;
    if !expected.is_file() {
        return Err(fail(
            input,
            "input is not a regular file",
            io::Error::from(io::ErrorKind::InvalidInput),
        ));
    }
    let dir = match output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".kbuild-ld-shim.")
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| fail(dir, "cannot create temporary file", e))?;
    let copied = io::copy(&mut source, temp.as_file_mut())
        .map_err(|e| fail(temp.path(), "copy failed", e))?;
    if copied != expected.len() {
        return Err(fail(
            input,
            "input changed size during the copy",
            io::Error::from(io::ErrorKind::UnexpectedEof),
        ));
    }
    temp.persist(output)
        .map_err(|e| fail(output, "cannot rename into place", e.error))?;
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".kbuild-ld-shim."))
            .collect()
    }

    #[test]
    fn copies_bytes_and_replaces_a_symlink_at_the_output() {
        let d = tempfile::tempdir().unwrap();
        let input = d.path().join("a.o");
        let victim = d.path().join("victim");
        fs::write(&input, b"BC\xc0\xde payload").unwrap();
        fs::write(&victim, b"keep").unwrap();
        let output = d.path().join(".tmp_a.o");
        std::os::unix::fs::symlink(&victim, &output).unwrap();
        assert_eq!(copy_atomically(&input, &output).unwrap(), 12);
        assert_eq!(fs::read(&output).unwrap(), b"BC\xc0\xde payload");
        assert!(!fs::symlink_metadata(&output).unwrap().file_type().is_symlink());
        assert_eq!(fs::read(&victim).unwrap(), b"keep");
        assert!(leftovers(d.path()).is_empty());
    }

    #[test]
    fn failure_leaves_no_output_and_no_temporary() {
        let d = tempfile::tempdir().unwrap();
        let input = d.path().join("missing.o");
        let output = d.path().join(".tmp_missing.o");
        let err = copy_atomically(&input, &output).unwrap_err();
        assert!(err.to_string().contains("missing.o"), "{err}");
        assert!(!output.exists());
        let dir_input = d.path().join("dir.o");
        fs::create_dir(&dir_input).unwrap();
        assert!(copy_atomically(&dir_input, &output).is_err());
        let no_dir = d.path().join("nope/.tmp_x.o");
        fs::write(d.path().join("x.o"), b"x").unwrap();
        assert!(copy_atomically(&d.path().join("x.o"), &no_dir).is_err());
        assert!(!output.exists());
        assert!(leftovers(d.path()).is_empty());
    }

    #[test]
    fn same_file_sees_links_and_spellings() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.o");
        fs::write(&a, b"x").unwrap();
        let hard = d.path().join("hard.o");
        fs::hard_link(&a, &hard).unwrap();
        assert!(same_file(&a, &hard));
        assert!(same_file(&a, &d.path().join("./a.o")));
        assert!(!same_file(&a, &d.path().join("b.o")));
    }
}
