//! Entry point: everything lives in the library; `main` only hands over
//! argv and turns the returned status into the exit code.

fn main() {
    let status = kbuild_ld_shim::app::run(std::env::args_os().collect());
    std::process::exit(status.code());
}
