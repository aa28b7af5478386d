//! The shim's own `--shim-*` commands, one file each; every one renders its
//! whole answer and hands it to [`crate::output::emit`].

pub mod doctor;
pub mod explain;
pub mod inspect;
pub mod report;
pub mod verify;
pub mod which;
