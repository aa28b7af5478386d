#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# Byte-for-byte test of kbuild-ld-shim on a small kernel-shaped tree
# (integration/fixture/) whose recipes reproduce Linux 6.13 kbuild's $(LD) calls.
#
#   integration/fixture.sh [SHIM]        full test (ld.lld-N only if no SHIM)
#   integration/fixture.sh --demo SHIM   arm64 only, prints the side-by-side table
#
# N is FIXTURE_LLVM (default 19): every build uses clang-N, ld.lld-N,
# llvm-ar-N, llvm-nm-N, llvm-objdump-N and LLVM=-N, so the whole test runs on
# one LLVM release, as a kernel built with LLVM=-N would.
#
# For ARCH in arm64 x86_64 it builds, each from the same fixture into the SAME
# output path (then moved aside, so no embedded path can differ):
#   fixed+ld.lld    FLAVOR=fixed   (upstream 695ed93bb30e)   LD=ld.lld-N
#   unfixed+ld.lld  FLAVOR=unfixed (6.13.0: every object relinked)  LD=ld.lld-N
#   unfixed+shim    FLAVOR=unfixed LD=SHIM   (and a second clean build of it)
#   fixed+shim      FLAVOR=fixed   LD=SHIM
# and asserts:
#   (a) unfixed+shim == fixed+ld.lld, every .o, .a, .ko, vmlinux.o and vmlinux
#   (b) fixed+shim   == fixed+ld.lld
#   (c) unfixed+ld.lld's vmlinux differs from fixed's; add_one() (lib/) is
#       inlined into _start (kernel/) in fixed's and the shim's vmlinux, and
#       still called (bl/call <add_one>) in unfixed+ld.lld's
#   (d) the objtool/modpost stand-ins ran on the expected objects, never failed
#   (e) a second clean make -j8 of unfixed+shim gives the same bytes
#   (f) every vmlinux's .comment names LLD N and clang N: the shim ran
#       ld.lld-N (found through LLVM=-N), not some other ld.lld on PATH
#   (g) SHIM --shim-verify: 0 (LTO kept) on fixed and shim trees, 4 (lost) on unfixed+ld.lld
#
# Environment: FIXTURE_LLVM=N (default 19); FIXTURE_KEEP=dir keeps every
# build under dir (default: a mktemp -d removed on exit); FIXTURE_JOBS
# (default 8); FIXTURE_LLD (default ld.lld-N). The builds get LLVM=-N on the
# make command line (kbuild's convention), so a shim can find ld.lld-N the way
# it would in a kernel build. SHIM is copied into the work dir first
# (kernel-lib.sh's klib_private_shim), so a concurrent cargo build cannot
# swap it mid-test.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
fixture=$here/fixture
llvm=${FIXTURE_LLVM:-19}
[[ $llvm =~ ^[1-9][0-9]*$ ]] || { echo "fixture: FIXTURE_LLVM='$llvm' is not an LLVM major version (e.g. 16)" >&2; exit 2; }
lld=${FIXTURE_LLD:-ld.lld-$llvm}
jobs=${FIXTURE_JOBS:-8}
cc=clang-$llvm
ar=llvm-ar-$llvm
nm=llvm-nm-$llvm
objdump=llvm-objdump-$llvm
readelf=llvm-readelf-$llvm
klib_name=fixture
# shellcheck source=integration/kernel-lib.sh
. "$here/kernel-lib.sh"

usage() {
	echo "usage: $0 [SHIM] | $0 --demo SHIM" >&2
	exit 2
}

demo=0
shim=
case "${1:-}" in
--demo) demo=1; [ $# -eq 2 ] || usage; shim=$2 ;;
-h|--help) usage ;;
-*) usage ;;
*) [ $# -le 1 ] || usage; shim=${1:-} ;;
esac

for tool in make "$cc" "$lld" "$ar" "$nm" "$objdump" "$readelf" cmp od; do
	command -v "$tool" >/dev/null || {
		case $tool in
		clang-*|ld.lld-*|llvm-*) echo "fixture: required tool '$tool' not found (apt-get install clang-$llvm lld-$llvm llvm-$llvm)" >&2 ;;
		*) echo "fixture: required tool '$tool' not found" >&2 ;;
		esac
		exit 2
	}
done

if [ -n "${FIXTURE_KEEP:-}" ]; then
	work=$FIXTURE_KEEP
	mkdir -p "$work"
	work=$(cd "$work" && pwd)
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/kbuild-ld-shim-fixture.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi
out=$work/out		# the one output path every build uses
rm -rf "$out"
[ -z "$shim" ] || klib_private_shim

declare -A built=()	# "<arch> <variant>" -> 1 if make succeeded

# build ARCH VARIANT FLAVOR LD: make into $out, then move it to $work/ARCH.VARIANT
build() {
	local arch=$1 variant=$2 flavor=$3 ld=$4
	local dest=$work/$arch.$variant log=$work/$arch.$variant.log
	rm -rf "$out" "$dest"
	local t0=$SECONDS
	# CONFIG_ZP_CMDLINE on the command line, CONFIG_ZP_ENV in the
	# environment: drivers/zpack/Kbuild's obj-m depends on both.
	if CONFIG_ZP_ENV=y make -C "$fixture" O="$out" ARCH="$arch" FLAVOR="$flavor" LD="$ld" LLVM=-"$llvm" \
		CC="$cc" AR="$ar" NM="$nm" CONFIG_ZP_CMDLINE=y -j"$jobs" >"$log" 2>&1; then
		built["$arch $variant"]=1
		[ $demo -eq 1 ] || echo "built: $arch $variant (FLAVOR=$flavor LD=$ld) in $((SECONDS - t0))s"
	else
		built["$arch $variant"]=0
		fail "$arch $variant: make failed (FLAVOR=$flavor LD=$ld); last lines of $log:"
		tail -n 15 "$log" | sed 's/^/    | /'
	fi
	if [ -d "$out" ]; then mv "$out" "$dest"; else mkdir -p "$dest"; fi
}

ok_built() { [ "${built["$1 $2"]:-0}" = 1 ]; }

# Every compared output: objects, archives, modules, vmlinux.
compared=('*.o' '*.a' '*.ko' vmlinux)

# counts: bitcode .o, ELF .o
count_objects() {
	local dir=$1 f bc=0 elf=0
	while read -r f; do
		case $(magic_kind "$dir/$f") in
		bitcode) bc=$((bc + 1)) ;;
		ELF) elf=$((elf + 1)) ;;
		esac
	done < <(tree_files "$dir" '*.o')
	echo "$bc $elf"
}

# direct calls to add_one in vmlinux (bl on arm64, call on x86)
calls() {
	[ -f "$1/vmlinux" ] || { echo "-"; return; }
	"$objdump" -d --no-show-raw-insn "$1/vmlinux" | grep -cE '[[:space:]](bl|call|callq)[[:space:]].*<add_one>' || true
}

declare -a rows=()
row() {	# row ARCH VARIANT: one line of the table
	local arch=$1 variant=$2 dir=$work/$1.$2 bc elf n same
	if ! ok_built "$arch" "$variant"; then
		rows+=("$(printf '%-7s %-16s %10s %7s %14s  %s' "$arch" "$variant" - - - 'BUILD FAILED')")
		return
	fi
	read -r bc elf < <(count_objects "$dir")
	n=$(calls "$dir")
	if [ "$variant" = fixed+ld.lld ]; then
		same='(reference)'
	elif ok_built "$arch" fixed+ld.lld && same_trees "$work/$arch.fixed+ld.lld" "$dir" "${compared[@]}" >/dev/null; then
		same='yes'
	else
		same="no ($(same_trees "$work/$arch.fixed+ld.lld" "$dir" "${compared[@]}" | grep -c 'differs:' || true) files differ)"
	fi
	rows+=("$(printf '%-7s %-16s %10s %7s %14s  %s' "$arch" "$variant" "$bc" "$elf" "$n" "$same")")
}

print_table() {
	echo "LLVM $llvm ($("$cc" --version | head -n 1); $("$lld" --version | head -n 1))"
	printf '%-7s %-16s %10s %7s %14s  %s\n' ARCH variant 'bitcode .o' 'ELF .o' 'add_one calls' 'same bytes as fixed+ld.lld'
	printf '%s\n' "${rows[@]}"
}

# (d) what the objtool/modpost stand-ins saw
check_tools() {
	local arch=$1 variant=$2 log=$work/$1.$2/.fixture-tools.log m o want_o
	ok_built "$arch" "$variant" || return 0
	if [ ! -f "$log" ]; then
		fail "$arch $variant: no .fixture-tools.log (modpost stand-in never ran)"
		return
	fi
	if grep -q FAIL "$log"; then
		fail "$arch $variant: objtool/modpost stand-in saw a non-ELF object: $(grep FAIL "$log" | tr '\n' ' ')"
		return
	fi
	m=$(grep -c '^modpost: ok ELF' "$log" || true)
	o=$(grep -c '^objtool: ok ELF' "$log" || true)
	# modpost: 10 modules + vmlinux.o; objtool (x86 only): 10 modules, 10
	# *.mod.o, .module-common.o, .vmlinux.export.o, vmlinux.o
	if [ "$arch" = x86_64 ]; then want_o=23; else want_o=0; fi
	if [ "$m" -eq 11 ] && [ "$o" -eq "$want_o" ]; then
		pass "$arch $variant: modpost checked $m ELF objects, objtool $o, no failure"
	else
		fail "$arch $variant: expected 11 modpost and $want_o objtool checks, saw $m and $o"
	fi
}

# (f) lld and clang write their versions into .comment
check_toolchain() {
	local arch=$1 variant=$2 v=$work/$1.$2/vmlinux comment
	ok_built "$arch" "$variant" || return 0
	comment=$("$readelf" -p .comment "$v" 2>&1) || { fail "$arch $variant: cannot read .comment of vmlinux: $comment"; return; }
	if grep -q "LLD $llvm\." <<<"$comment" && grep -q "clang version $llvm\." <<<"$comment"; then
		pass "$arch $variant: vmlinux was made by LLD $llvm and clang $llvm"
	else
		fail "$arch $variant: vmlinux .comment does not name LLD $llvm and clang $llvm: $(grep -o '\(LLD\|clang version\) [0-9.]*' <<<"$comment" | sort -u | tr '\n' ' ')"
	fi
}

t_start=$SECONDS

if [ $demo -eq 1 ]; then
	build arm64 unfixed+ld.lld unfixed "$lld"
	build arm64 unfixed+shim unfixed "$shim"
	build arm64 fixed+ld.lld fixed "$lld"
	row arm64 unfixed+ld.lld
	row arm64 unfixed+shim
	row arm64 fixed+ld.lld
	print_table
	[ $failed -eq 0 ]
	exit
fi

for arch in arm64 x86_64; do
	build "$arch" fixed+ld.lld fixed "$lld"
	build "$arch" unfixed+ld.lld unfixed "$lld"
	if [ -n "$shim" ]; then
		build "$arch" unfixed+shim unfixed "$shim"
		build "$arch" fixed+shim fixed "$shim"
		build "$arch" unfixed+shim.2 unfixed "$shim"
	fi

	ref=$work/$arch.fixed+ld.lld
	ok_built "$arch" fixed+ld.lld || { fail "$arch: no reference build, skipping checks"; continue; }

	# (a), (b), (e)
	if [ -n "$shim" ]; then
		for pair in "unfixed+shim:fixed+ld.lld:(a) unfixed+shim vs fixed+ld.lld" \
			    "fixed+shim:fixed+ld.lld:(b) fixed+shim vs fixed+ld.lld" \
			    "unfixed+shim.2:unfixed+shim:(e) second unfixed+shim build vs first"; do
			IFS=: read -r v r what <<<"$pair"
			if ! ok_built "$arch" "$v" || ! ok_built "$arch" "$r"; then
				fail "$arch $what: not compared, a build failed"
			elif diffs=$(same_trees "$work/$arch.$r" "$work/$arch.$v" "${compared[@]}"); then
				pass "$arch $what: $(tree_files "$ref" "${compared[@]}" | wc -l) files byte-identical"
			else
				fail "$arch $what: outputs differ:"
				echo "$diffs"
			fi
		done
	fi

	# (c)
	if ok_built "$arch" unfixed+ld.lld; then
		if cmp -s "$ref/vmlinux" "$work/$arch.unfixed+ld.lld/vmlinux"; then
			fail "$arch (c): unfixed+ld.lld vmlinux is identical to fixed's: the fixture does not show the regression"
		else
			pass "$arch (c): unfixed+ld.lld vmlinux differs from fixed+ld.lld's"
		fi
		n_unfixed=$(calls "$work/$arch.unfixed+ld.lld")
		if [ "$n_unfixed" -ge 1 ]; then
			pass "$arch (c): unfixed+ld.lld vmlinux still calls add_one ($n_unfixed calls)"
		else
			fail "$arch (c): unfixed+ld.lld vmlinux has no call to add_one (expected the regression)"
		fi
	fi
	if ! "$objdump" -d "$ref/vmlinux" | grep '<add_one>:' >/dev/null; then
		fail "$arch (c): add_one not found in fixed+ld.lld vmlinux (disassembly check broken?)"
	fi
	for v in fixed+ld.lld unfixed+shim fixed+shim; do
		[ "$v" = fixed+ld.lld ] || [ -n "$shim" ] || continue
		ok_built "$arch" "$v" || continue
		n=$(calls "$work/$arch.$v")
		if [ "$n" -eq 0 ]; then
			pass "$arch (c): add_one inlined in $v vmlinux (0 calls)"
		else
			fail "$arch (c): $v vmlinux calls add_one $n times (ThinLTO did not inline across files)"
		fi
	done

	# (d)
	for v in fixed+ld.lld unfixed+ld.lld ${shim:+unfixed+shim fixed+shim unfixed+shim.2}; do
		check_tools "$arch" "$v"
	done

	# (f)
	for v in fixed+ld.lld unfixed+ld.lld ${shim:+unfixed+shim fixed+shim unfixed+shim.2}; do
		check_toolchain "$arch" "$v"
	done

	# (g) the post-build gate: kept (0) wherever the tree equals the fixed kernel's, lost (4) unfixed
	for vw in fixed+ld.lld:0 unfixed+ld.lld:4 unfixed+shim:0 fixed+shim:0; do
		[ -n "$shim" ] || break
		v=${vw%:*} want=${vw#*:}
		ok_built "$arch" "$v" || continue
		run_verify "$work/$arch.$v.verify" "$work/$arch.$v"
		expect_verify "$arch (g) $v" "$want" "$work/$arch.$v.verify"
	done

	for v in fixed+ld.lld unfixed+ld.lld ${shim:+unfixed+shim fixed+shim}; do
		row "$arch" "$v"
	done
done

echo
print_table
echo "($((SECONDS - t_start))s; builds in ${FIXTURE_KEEP:-a temporary directory, removed on exit})"
echo "fixture: $passed passed, $failed failed"
[ $failed -eq 0 ]
