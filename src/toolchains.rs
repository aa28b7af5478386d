//! The LLVM releases the project is tested with. It sits in the base layer
//! because the bitcode tests, the option table and the doctor all name the
//! same list, and the bitcode reader is below the linker call.

/// The LLVM major versions whose clang and ld.lld the project's tests run
/// (integration/fixture.sh's `FIXTURE_LLVM`, integration/toolchains.rs, the
/// bitcode walk's tests): a real linker of another version is untested, not
/// unsupported.
pub const TESTED_LLVM_MAJORS: &[u32] = &[14, 15, 16, 19];
