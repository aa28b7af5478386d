//! One `ld -r` relink of a kbuild object: gathering its facts (the input,
//! the recipe that ran it, kbuild's lists), the one decision rule, and the
//! passthrough that copies the bitcode instead of relinking it.

pub(crate) mod context;
pub mod decision;
pub mod evaluate;
pub mod passthrough;
