//! The one model of a kbuild tree that LD mode, the doctor and verify
//! share: its configuration, the recipes make runs, and its Makefiles.

pub mod cmd_file;
pub mod kconfig;
pub mod make_answer;
pub mod obj_m;
pub mod recipe;
pub mod relink_query;
pub mod tree;

#[cfg(test)]
mod test_rng;
