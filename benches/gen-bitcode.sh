#!/usr/bin/env bash
# Writes a synthetic C file with FUNCS functions of STMTS statements each and
# compiles it with clang-19 -O2 -flto=thin into OUT (LLVM bitcode with a
# ThinLTO summary, like a kernel object under CONFIG_LTO_CLANG_THIN). Reuses
# OUT if it exists. Shared by benches/inprocess.rs and benches/compare.sh so
# both measure the same files.
#
#   bash benches/gen-bitcode.sh OUT FUNCS STMTS
set -euo pipefail
out=$1 funcs=$2 stmts=$3
clang=${CLANG:-clang-19}
[ -s "$out" ] && exit 0
mkdir -p "$(dirname "$out")"
src=$out.$$.c
awk -v F="$funcs" -v S="$stmts" 'BEGIN {
  for (i = 0; i < F; i++) {
    printf "unsigned f%d(unsigned *p, unsigned x) {\n", i
    for (c = 0; c < S; c++)
      printf "  x = x * %d + p[%d]; p[%d] = x ^ %d;\n", 2*c+3, (c*7+i)%64, (c*5+i)%64, c+i
    printf "  return x;\n}\n"
  }
}' > "$src"
"$clang" --target=x86_64-linux-gnu -O2 -flto=thin -c "$src" -o "$out.$$.part"
mv "$out.$$.part" "$out"
rm -f "$src"
