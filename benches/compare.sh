#!/usr/bin/env bash
# Whole-process cost of kbuild-ld-shim, side by side with every alternative,
# measured INTERLEAVED in one run (each round runs every command once, in a
# shuffled order), so background load hits all of them alike and the ratios
# stay meaningful on a busy machine.
#
#   bash benches/compare.sh
#
# Compared, on the same files and arguments:
#   - ld.lld-19 --version: direct, through the shim, through a naive bash wrapper
#   - the unfixed kernel's per-object relink `ld.lld-19 -r -o D/.tmp_N D/N` of
#     an 88 KB ThinLTO object (kernel/fork.o-sized) and of a 5 MB one, versus
#     the shim's passthrough of the same call (KBUILD_LD_SHIM_MODE=force: the
#     real evaluate + copy path, /proc walk included), versus `cp`, versus the
#     naive wrapper's passthrough
#   - /bin/true, the cost of starting any process at all (the floor)
#   - the physical limit of a forward: a three-line static C program that only
#     execv's its target (built here with gcc -static -O2), forwarding to
#     /bin/true and to ld.lld-19 --version like the shim; the shim's added cost
#     is reported as a ratio of this wrapper's added cost
#
# The C wrapper needs gcc and the static libc (libc6-dev).
#
# Environment (defaults in brackets):
#   REPS [200]            rounds of the cheap calls (everything but relinks)
#   RELINK_REPS [10]      relinks of the 88 KB object, spread over the rounds
#   BIG_RELINK_REPS [1]   relinks of the 5 MB object (about a minute each on
#                         a loaded 2-core machine; 0 skips them)
#   LLD [ld.lld-19]  SHIM [target/<host triple>/release/kbuild-ld-shim]
#   SHIM_BEFORE           another shim binary (e.g. the previous build) run
#                         as extra rows in the same interleaving, for a
#                         before/after taken in one run
#   SHIM_VARIANTS         more shims for the same interleaving, as
#                         space-separated LABEL=PATH (e.g. two build flavours)
#   ONLY=forward          only the forward-to-/bin/true rows (the shim's, its
#                         variants', the static exec wrapper's and the base):
#                         2 ms each, so thousands of rounds fit in a minute
#                         and the added-cost ratio gets tight bounds
#   KEEP=1                keep the scratch directory
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
: "${REPS:=200}" "${RELINK_REPS:=10}" "${BIG_RELINK_REPS:=1}"
: "${LLD:=ld.lld-19}" "${SHIM:=$here/target/$(rustc -vV | sed -n 's/^host: //p')/release/kbuild-ld-shim}"
data=${CARGO_TARGET_DIR:-$here/target}/bench-data

command -v "$LLD" >/dev/null || { echo "compare.sh: $LLD not found" >&2; exit 1; }
command -v gcc >/dev/null || { echo "compare.sh: gcc not found (Debian: gcc, libc6-dev)" >&2; exit 1; }
if [ ! -x "$SHIM" ]; then
    cargo build --release --quiet
fi
lld_path=$(command -v "$LLD")

echo "preparing bitcode (clang-19, cached in $data)..." >&2
bash benches/gen-bitcode.sh "$data/fn170x10.o" 170 10     # ~88 KB, like kernel/fork.o
bash benches/gen-bitcode.sh "$data/fn3000x40.o" 3000 40   # ~5 MB

work=$(mktemp -d "${TMPDIR:-/tmp}/kbuild-ld-shim-compare.XXXXXX")
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work/kernel"
cp "$data/fn170x10.o" "$work/kernel/fork.o"
cp "$data/fn3000x40.o" "$work/kernel/big.o"

# The ten-line wrapper a user would write instead of the shim: copy any
# `-r` call with one input whose output is a .tmp_ file, exec ld.lld otherwise.
cat > "$work/naive-ld" <<EOF
#!/bin/bash
args=("\$@") r= out= in= n=0
while [ \$# -gt 0 ]; do
  case \$1 in
    -r|--relocatable) r=1 ;;
    -o) out=\$2; shift ;;
    -z|-m|-mllvm) shift ;;
    -*) ;;
    *) in=\$1; n=\$((n + 1)) ;;
  esac; shift
done
if [ -n "\$r" ] && [ \$n = 1 ] && [[ \${out##*/} == .tmp_* ]]; then exec cp "\$in" "\$out"; fi
exec "\${NAIVE_REAL_LD:-$lld_path}" "\${args[@]}"
EOF
chmod +x "$work/naive-ld"

# The limit: one more exec and nothing else, statically linked so it pays
# no dynamic loader either.
cat > "$work/exec-wrapper.c" <<'EOF'
#include <unistd.h>
int main(int argc, char **argv) { (void)argc; execv(argv[1], argv + 1); return 127; }
EOF
gcc -static -O2 -o "$work/exec-wrapper.built" "$work/exec-wrapper.c" \
    || { echo "compare.sh: gcc -static failed (Debian: libc6-dev has the static libc)" >&2; exit 1; }

export WORK=$work LLD_PATH=$lld_path SHIM REPS RELINK_REPS BIG_RELINK_REPS \
    SHIM_BEFORE=${SHIM_BEFORE:-} SHIM_VARIANTS=${SHIM_VARIANTS:-} ONLY=${ONLY:-}
python3 benches/compare.py --self-test 2>/dev/null || { python3 benches/compare.py --self-test; exit 1; }
python3 benches/compare.py
