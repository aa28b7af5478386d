//! The end-to-end tests, one test binary: every file here is one module
//! named after what it proves (`cargo test --release --test integration
//! forward::` runs one). One binary, because `cargo test --release` links
//! each test binary with fat LTO: fifteen of them took minutes of every cold
//! build. The tests share one process safely: whatever a test changes in
//! process state (signal dispositions, masks, privileges, namespaces) it
//! changes in a child, in `pre_exec` or a forked process, never in the
//! test process itself.

mod common;

mod bounded_io;
mod cli_output;
mod doctor;
mod fixture_tree;
mod forward;
mod input_faults;
mod make_query;
mod non_utf8;
mod operability;
mod output_faults;
mod passthrough;
mod races;
mod recipe_shapes;
mod recipes;
mod response_files;
mod signals;
mod toolchains;
mod unproven_recipes;
mod written_files;
