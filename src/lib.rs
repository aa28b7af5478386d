//! kbuild-ld-shim: a drop-in `LD` for Linux 6.13 kbuild that passes per-object
//! bitcode relinks through where the fixed kernel (695ed93bb30e) would not
//! have relinked, and forwards every other call to the real ld.lld unchanged.

pub mod app;
pub mod archive;
pub mod bitcode;
pub mod cli;
pub mod commands;
pub mod context;
pub mod decision;
pub mod doctor;
pub mod environment;
pub mod evaluate;
pub mod exit;
pub mod forward;
pub mod inspect;
pub mod kbuild;
pub mod logging;
pub mod lto;
pub mod options;
pub mod output;
pub mod passthrough;
pub mod paths;
pub mod record;
pub mod regular_file;
pub mod report;
pub mod request;
pub mod resolve;
pub mod response_file;
pub mod verify;
