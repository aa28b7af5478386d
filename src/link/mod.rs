//! The linker call: what its arguments ask for (against ld.lld's own option
//! table, with archives read as ld.lld reads them; a call naming a response
//! file is not read), and finding the real ld.lld and handing the call to it
//! unchanged.

pub(crate) mod archive;
pub(crate) mod forward;
pub mod options;
pub mod request;
pub(crate) mod resolve;
