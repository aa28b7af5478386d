//! kbuild-ld-shim: a drop-in `LD` for Linux 6.13 kbuild that passes per-object
//! bitcode relinks through where the fixed kernel (695ed93bb30e) would not
//! have relinked, and forwards every other call to the real ld.lld unchanged.
//!
//! The folders are layers; each imports only from the ones listed after it
//! (docs/design.md, "Architecture"):
//!
//! - edges: `main`, [`app`] (one run over the mode), [`cli`];
//! - [`commands`]: the `--shim-*` commands, each in its own file;
//! - [`record`]: the audit record, written by `app`, read by `report`;
//! - [`relink`]: one relink's facts, the decision and the passthrough;
//! - [`link`]: the linker call: its arguments, archives, finding the real
//!   linker and forwarding to it;
//! - [`environment`]: every variable the shim reads, kbuild's exported
//!   directories among them, read once;
//! - [`kbuild`]: the one model of a kbuild tree;
//! - [`bitcode`]: LLVM bitcode, read without LLVM;
//! - base: `child`, [`exit`], [`logging`], [`output`], [`paths`], `procfs`, [`regular_file`],
//!   [`lto`], `spelling`, [`toolchains`].
//!
//! `layers.rs` holds this order as a table and its tests fail on an import
//! up a layer or a circle between files.

pub mod app;
pub mod bitcode;
pub(crate) mod child;
pub(crate) mod cli;
pub mod commands;
pub mod environment;
pub(crate) mod exit;
pub mod kbuild;
#[cfg(test)]
mod layers;
pub mod link;
pub(crate) mod logging;
pub mod lto;
pub(crate) mod output;
pub(crate) mod paths;
pub(crate) mod procfs;
pub mod record;
pub(crate) mod regular_file;
pub mod relink;
pub(crate) mod spelling;
pub mod toolchains;
