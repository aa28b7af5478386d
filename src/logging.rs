//! Diagnostics on stderr under `KBUILD_LD_SHIM_LOG` (env_logger's filter
//! syntax). Silent on success by default, like ld.lld; every line carries
//! the program's prefix so it can be found in a 100k-line build log.

use std::io::Write;

pub const ENV_LOG: &str = "KBUILD_LD_SHIM_LOG";

/// Installs the logger; warnings show by default, decisions at info and the
/// facts behind them at debug only when asked for.
pub fn init() {
    let env = env_logger::Env::new().filter_or(ENV_LOG, "warn");
    let _ = env_logger::Builder::from_env(env)
        .format(|buf, record| {
            writeln!(
                buf,
                "kbuild-ld-shim: {}: {}",
                record.level().as_str().to_lowercase(),
                record.args()
            )
        })
        .try_init();
}
