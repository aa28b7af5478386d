#!/usr/bin/env bash
# Generates the seed corpora of the fuzz targets under fuzz/corpus/<target>/
# from real material: bitcode made by clang-19, kbuild command lines and
# recipes printed by the kernel-shaped fixture's Makefile (make -n), and the
# recipe texts of src/kbuild/recipe/tests.rs (integration/recipe-texts.txt).
# Nothing large is committed; the corpus directory is in .gitignore.
#
#   fuzz/seed.sh            (re)creates the seeds, keeps what the fuzzer found
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
corpus=$here/corpus
clang=${CLANG:-clang-19}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$corpus"/{bitcode,classify,recipe}

# --- bitcode: every shape examine() must read -------------------------------
cat >"$work/a.c" <<'C'
int add_one(int x) { return x + 1; }
static int hidden(int x) { return x * 3; }
int (*fp)(int) = hidden;
const char msg[] = "kbuild";
C
n=0
for flags in "-flto=thin -fsplit-lto-unit" "-flto=thin" "-flto=full" "-flto=full -fsplit-lto-unit" "-emit-llvm" \
	"-flto=thin -fsplit-lto-unit -fsanitize=cfi -fvisibility=hidden"; do
	for target in aarch64-linux-gnu x86_64-linux-gnu; do
		n=$((n + 1))
		# shellcheck disable=SC2086
		if "$clang" --target=$target -O2 $flags -c -o "$corpus/bitcode/clang-$n.bc" "$work/a.c" 2>/dev/null; then :; else rm -f "$corpus/bitcode/clang-$n.bc"; fi
	done
done
# The bitcode wrapper (0x0B17C0DE), as Darwin toolchains write it.
"$clang" --target=arm64-apple-macos -O2 -flto=thin -c -o "$corpus/bitcode/darwin.bc" "$work/a.c" 2>/dev/null || true
python3 - "$corpus/bitcode/clang-1.bc" "$corpus/bitcode/wrapped.bc" <<'PY'
import struct, sys
raw = open(sys.argv[1], 'rb').read()
open(sys.argv[2], 'wb').write(struct.pack('<5I', 0x0B17C0DE, 0, 20, len(raw), 0) + raw + b'\0' * 12)
PY
# A real kernel-shaped object from the fixture's sources.
for src in "$root"/integration/fixture/kernel/main.c "$root"/integration/fixture/lib/mix.c; do
	[ -f "$src" ] || continue
	"$clang" --target=aarch64-linux-gnu -D__KERNEL__ -I"$root/integration/fixture/include" -O2 -flto=thin -fsplit-lto-unit \
		-ffreestanding -c -o "$corpus/bitcode/fixture-$(basename "$src" .c).bc" "$src" 2>/dev/null || true
done
printf '\x7fELF\x02\x01\x01' >"$corpus/bitcode/elf-head"
printf 'BC\xc0\xde' >"$corpus/bitcode/magic-only"

# --- recipes: `make -n` of the fixture, both flavours and architectures -----
recipes=$work/recipes
: >"$recipes"
if command -v make >/dev/null && [ -f "$root/integration/fixture/Makefile" ]; then
	for arch in arm64 x86_64; do
		for flavor in unfixed fixed; do
			mkdir -p "$work/o-$arch-$flavor"
			make -n -s -C "$root/integration/fixture" O="$work/o-$arch-$flavor" FLAVOR=$flavor ARCH=$arch \
				LLVM=-19 LD=ld.lld-19 2>/dev/null >>"$recipes" || true
		done
	done
fi
# The recipe texts of src/kbuild/recipe/tests.rs (`name: text` lines).
sed -n 's/^[a-z0-9-]*: //p' "$root/integration/recipe-texts.txt" >>"$recipes"
i=0
while IFS= read -r line; do
	i=$((i + 1))
	# Input and output of the relink in the line, when it has one.
	out=$(printf '%s' "$line" | grep -o -- '-r -o [^ ;]*' | head -n1 | cut -d' ' -f3 || true)
	in=$(printf '%s' "$line" | grep -o -- "-r -o [^ ;]* [^ ;]*" | head -n1 | cut -d' ' -f4 || true)
	printf '%s\n%s\n%s' "${in:-lib/x.o}" "${out:-lib/.tmp_x.o}" "$line" >"$corpus/recipe/make-$i"
	# The $(LD) call itself: argv for classify.
	ld=$(printf '%s' "$line" | grep -o 'ld\.lld[^;]*' | head -n1 || true)
	if [ -n "$ld" ]; then
		# shellcheck disable=SC2086
		set -f; set -- $ld; set +f; shift
		printf '%s\0' "$@" | head -c -1 >"$corpus/classify/make-$i"
	fi
done <"$recipes"

# --- argv shapes of the kbuild call table ----------------------------------
argv() { # name, args...
	local name=$1; shift
	printf '%s\0' "$@" | head -c -1 >"$corpus/classify/$name"
}
argv relink -EL -maarch64elf -z norelro -mllvm -import-instr-limit=5 -z noexecstack -r -o lib/.tmp_crc16.o lib/crc16.o
argv multi-m -EL -maarch64elf -r -o drivers/comp.o @drivers/comp.mod
argv at-output -r -o @name lib/x.o
argv at-joined -r -o@lib/.tmp_x.o lib/x.o
argv vmlinux-o -r -o vmlinux.o --whole-archive vmlinux.a --no-whole-archive --start-group lib/lib.a --end-group
argv ko -r -EL -maarch64elf --build-id=sha1 -T scripts/module.lds -o lib/m.ko lib/m.o lib/m.mod.o .module-common.o
argv version --version
argv probe -z noexecstack -v
argv rsp-quoting --rsp-quoting=windows -r -o lib/.tmp_x.o lib/x.o
argv plugin -r -plugin-opt=thinlto -plugin-opt mcpu=x -o d/.tmp_a.o d/a.o
printf -- '-r\0-o\0d/.tmp_\xff.o\0d/\xff.o\0@\xfe' >"$corpus/classify/non-utf8"
for t in bitcode classify recipe; do
	echo "seed.sh: $t: $(find "$corpus/$t" -type f | wc -l) inputs"
done
