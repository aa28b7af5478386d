//! What the shim says on stderr: one error line when it fails, and
//! diagnostics under `KBUILD_LD_SHIM_LOG` (env_logger's filter syntax).
//! Silent on success by default, like ld.lld; every line carries the
//! program's prefix so it can be found in a 100k-line build log.

use std::ffi::OsStr;
use std::io::Write;

const PREFIX: &str = "kbuild-ld-shim";

/// Prints one error line with the program's prefix. A stderr that cannot
/// be written (closed, full) loses the line, never the exit status.
pub fn error_line(message: impl std::fmt::Display) {
    let line = format!("{PREFIX}: {message}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Installs the logger. Without a filter only warnings show, through a
/// logger that costs nothing to set up (most calls are forwards, and each
/// pays its start-up); env_logger is built only when asked for.
pub fn init(filter: Option<&OsStr>) {
    let Some(filter) = filter.and_then(OsStr::to_str) else {
        if log::set_logger(&WARNINGS).is_ok() {
            log::set_max_level(log::LevelFilter::Warn);
        }
        return;
    };
    let _ = env_logger::Builder::new()
        .parse_filters(filter)
        .format(|buf, record| writeln!(buf, "{}", line(record)))
        .try_init();
}

fn line(record: &log::Record<'_>) -> String {
    format!(
        "{PREFIX}: {}: {}",
        record.level().as_str().to_lowercase(),
        record.args()
    )
}

/// Warnings and errors, each written whole in one write.
struct Warnings;

static WARNINGS: Warnings = Warnings;

impl log::Log for Warnings {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let _ = std::io::stderr().write_all(format!("{}\n", line(record)).as_bytes());
        }
    }

    fn flush(&self) {}
}
