//! The shim's own `--shim-*` commands, one file each; every one renders its
//! whole answer and hands it to [`crate::output::emit`].

pub(crate) mod doctor;
pub(crate) mod explain;
pub(crate) mod inspect;
pub mod report;
pub(crate) mod verify;
pub(crate) mod which;
