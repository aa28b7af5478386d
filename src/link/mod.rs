//! The linker call: what its arguments ask for (against ld.lld's own option
//! table, with response files and archives read as ld.lld reads them), and
//! finding the real ld.lld and handing the call to it unchanged.

pub(crate) mod archive;
pub(crate) mod forward;
pub mod options;
pub mod request;
pub(crate) mod resolve;
pub mod response_file;
