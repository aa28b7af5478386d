#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# The external-module door (make M=DIR, and DKMS), proven on a real kernel:
# real out-of-tree modules built against the fixed arm64 ThinLTO tree with
# plain ld.lld and against the regressed tree through the shim must give the
# same bytes, every .ko and every part object.
#
#   integration/external.sh [--shim PATH] [--no-dkms]
#                           [--ksrc DIR --fixed-tree DIR --shim-tree DIR]
#
# Trees: --fixed-tree/--shim-tree/--ksrc reuse two already built O= trees of
# one source tree (e.g. packaging.sh's $KERNEL_WORK/tree.reference and
# tree.shim with its linux-source-6.12): both must have been built from KSRC
# into the same O= path. Without them the script builds both itself
# (kernel-lib.sh's tinyconfig + ThinLTO + MODULES, arm64, LLVM=-N): fixed
# rule with ld.lld-N, regressed rule with LD=<shim>; they are kept in
# $KERNEL_WORK/tree.{fixed,shim} and reused while their .config is the same.
#
# During each module build the tree in use is moved to one path
# ($KERNEL_WORK/kobj) and the module source is copied to one path, so no
# embedded path can differ between the variants; KSRC's one
# cmd_ld_single_m line is switched to the tree's rule (kernel-lib.sh).
#
# Modules: Debian's DKMS packages from trixie (bookworm's do not build against
# 6.12: removed kernel APIs), fetched from the Debian mirror by pinned
# version and sha256 into $KERNEL_WORK/dl, and one of our own:
#   dm-writeboost 2.2.18   one module of three parts
#   lime-forensics 1.9.1   one module of five parts
#   v4l2loopback 0.15.0    one single-object module
# tinyconfig lacks device-mapper, V4L2 and networking, so modpost's undefined
# symbols are made warnings (KBUILD_MODPOST_WARN=1), and LiME needs
# KCFLAGS=-Wno-error=strict-prototypes with clang 19; the same for every variant.
#   zname (integration/external-modules/zname): zname-y := sub/zname.o glue.o,
#                          a part in a subdirectory named like its module
#   psplit (integration/external-modules/psplit): three single-object modules
#                          that are so only by a command-line variable, an
#                          environment variable and an include read in order,
#                          and p-vf, whose part in $(obj) is named like it
# Variants, each `make -C KSRC O=kobj M=DIR ARCH=arm64 LLVM=-N LD=...`:
#   fixed      fixed tree, fixed rule, LD=ld.lld-N
#   regressed  shim tree, regressed rule, LD=ld.lld-N   (shows what is at stake)
#   shim       shim tree, regressed rule, LD=<shim>, KBUILD_LD_SHIM_RECORD set
# Asserted per module: shim's .o and .ko files are the fixed ones byte for
# byte; the record has no error decisions and passes through exactly the
# objects that are bitcode in the fixed build; multi-part modules differ
# when regressed with plain ld.lld. Both trees pass --shim-verify (0), and so
# does each module directory of the shim build (--shim-verify DIR
# --shim-kernel KOBJ), while the regressed plain build of a module with
# bitcode parts exits 4 (LTO lost).
#
# DKMS (unless --no-dkms): Debian's dkms (3.0.10 on bookworm) builds
# lime-forensics against the shim tree with its own dkms tree, source tree
# and install tree under $KERNEL_WORK/dkms. DKMS appends `CC=clang
# LD=ld.lld` to make when vmlinux's .comment names clang/LLD, which beats
# any LD=, so the shim is reached through the masquerade directory first on
# PATH, then /usr/lib/llvm-N/bin (clang, and the real ld.lld the shim
# forwards to), with ARCH=arm64 and LLVM=1 in the environment (dkms -a does
# not reach make). STRIP[0]=no in the copied dkms.conf keeps DKMS's host
# strip off the arm64 module, so the .ko DKMS stores is the one make built;
# it is compared with a plain fixed-tree build in the same directory DKMS
# builds in, and the record must show DKMS's linker calls.
#
# Environment: KERNEL_WORK (default /tmp/kbuild-ld-shim-external),
# KERNEL_LLVM (default 19), KERNEL_JOBS (default nproc),
# DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
jobs=${KERNEL_JOBS:-$(nproc)}
llvm=${KERNEL_LLVM:-19}
klib_name=external
# shellcheck source=integration/kernel-lib.sh
. "$here/kernel-lib.sh"

usage() { echo "usage: $0 [--shim PATH] [--no-dkms] [--ksrc DIR --fixed-tree DIR --shim-tree DIR]" >&2; exit 2; }
shim=
dkms_step=1
given_src= given_fixed= given_shimtree=
while [ $# -gt 0 ]; do
	case "$1" in
	--shim) [ $# -ge 2 ] || usage; shim=$2; shift 2 ;;
	--no-dkms) dkms_step=0; shift ;;
	--ksrc) [ $# -ge 2 ] || usage; given_src=$2; shift 2 ;;
	--fixed-tree) [ $# -ge 2 ] || usage; given_fixed=$2; shift 2 ;;
	--shim-tree) [ $# -ge 2 ] || usage; given_shimtree=$2; shift 2 ;;
	*) usage ;;
	esac
done
n_given=0
for g in "$given_src" "$given_fixed" "$given_shimtree"; do [ -z "$g" ] || n_given=$((n_given + 1)); done
[ $n_given = 0 ] || [ $n_given = 3 ] || { echo "external: --ksrc, --fixed-tree and --shim-tree go together" >&2; exit 2; }
[[ $llvm =~ ^[1-9][0-9]*$ ]] || { echo "external: KERNEL_LLVM='$llvm' is not a major version number" >&2; exit 2; }
work=$(klib_workdir "${KERNEL_WORK:-/tmp/kbuild-ld-shim-external}") || exit 2
out=$work/out
kobj=$work/kobj
mods=$work/modules
results=$work/results
lld=ld.lld-$llvm
arch=arm64
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
klib_clean_shim_env

# name|version|pool path|sha256|directory holding the Kbuild file, inside usr/src/NAME-VERSION
debs=(
	"dm-writeboost|2.2.18|pool/main/d/dm-writeboost/dm-writeboost-dkms_2.2.18-0.1_all.deb|5a16385af12a6ee48e70b1823cb88ef21d9a88950241e73ac46c00ce47af8b78|."
	"lime-forensics|1.9.1|pool/main/l/lime-forensics/lime-forensics-dkms_1.9.1-8_all.deb|9b91917a1e49f802d5164231ab3cd32e6be4017d7064986f1d8f8ddf47e52363|."
	"v4l2loopback|0.15.0|pool/main/v/v4l2loopback/v4l2loopback-dkms_0.15.0-2_all.deb|d9b768037e28852070d31af3376d90c8b448f9807de29d664587082bb7784cd4|."
)

# ---------------------------------------------------------------- tools
phase "tools"
(cd "$repo" && bash .ci/deps kernel external) || die ".ci/deps kernel external failed"
for tool in "clang-$llvm" "$lld" make jq cmp curl sha256sum dpkg-deb dkms; do
	command -v "$tool" >/dev/null || die "required tool '$tool' not found"
done
klib_private_shim
echo "   dkms $(dkms --version 2>&1 | head -n1)"
phase_end

# ---------------------------------------------------------------- sources of the modules
phase "fetch modules"
mkdir -p "$work/dl"
declare -A mod_src=()
for d in "${debs[@]}"; do
	IFS='|' read -r name ver path sum sub <<<"$d"
	f=$work/dl/$(basename "$path")
	if [ ! -f "$f" ] || [ "$(sha256sum "$f" | cut -d' ' -f1)" != "$sum" ]; then
		curl -fsSL --retry 3 -o "$f.part" "$mirror/$path" || die "cannot fetch $mirror/$path"
		got=$(sha256sum "$f.part" | cut -d' ' -f1)
		[ "$got" = "$sum" ] || { rm -f "$f.part"; die "$(basename "$path"): sha256 $got, pinned $sum"; }
		mv "$f.part" "$f"
	fi
	rm -rf "$work/dl/x.$name"
	dpkg-deb -x "$f" "$work/dl/x.$name" || die "dpkg-deb -x $f failed"
	mod_src[$name]=$work/dl/x.$name/usr/src/$name-$ver/$sub
	[ -f "${mod_src[$name]}/Makefile" ] || [ -f "${mod_src[$name]}/Kbuild" ] || die "$f: no Makefile or Kbuild in usr/src/$name-$ver/$sub"
	echo "   $(basename "$path") (sha256 ok)"
done
mod_src[zname]=$here/external-modules/zname
mod_src[psplit]=$here/external-modules/psplit
mod_names=(dm-writeboost lime-forensics v4l2loopback zname psplit)
lime_flags=(KCFLAGS=-Wno-error=strict-prototypes KBUILD_MODPOST_WARN=1)
phase_end

# ---------------------------------------------------------------- trees
phase "trees"
if [ $n_given = 3 ]; then
	src=$(cd "$given_src" && pwd -P) || die "--ksrc $given_src: no such directory"
	mkfile=$src/scripts/Makefile.build
	tree_fixed=$(cd "$given_fixed" && pwd -P) || die "--fixed-tree $given_fixed: no such directory"
	tree_shim=$(cd "$given_shimtree" && pwd -P) || die "--shim-tree $given_shimtree: no such directory"
	for t in "$tree_fixed" "$tree_shim"; do
		# make -C TREE (DKMS's way in) reads TREE/Makefile, which names the source the tree was built from.
		grep -qxF "include $src/Makefile" "$t/Makefile" \
			|| die "$t/Makefile does not include $src/Makefile: --ksrc must be the source the tree was built from"
	done
	echo "   reusing $tree_fixed and $tree_shim (source $src, $(kernel_version))"
else
	unpack_source
	tree_fixed=$work/tree.fixed
	tree_shim=$work/tree.shim
	config_tinyconfig "$arch" "$lld" "$work/config.log"
	config_lto_modules "$arch" "$lld" "$work/config.log"
	cp "$out/.config" "$work/config.$arch"
	rm -rf "$out"
	# external_tree DIR FLAVOR LD [RECORD]: vmlinux + modules in $out, then moved to DIR.
	external_tree() {
		local dir=$1 flavor=$2 ld=$3 rec=${4:-} envs=()
		if [ -f "$dir/vmlinux" ] && cmp -s "$dir/.external-config" "$work/config.$arch"; then
			echo "   reusing $dir (same .config)"; return
		fi
		rm -rf "$dir"
		[ -z "$rec" ] || envs=(KBUILD_LD_SHIM_RECORD="$rec")
		build_tree "$(basename "$dir")" "$flavor" "$ld" "$work/config.$arch" "$work/$(basename "$dir").log" \
			"${envs[@]}" -- ARCH=$arch vmlinux modules || die "building $dir failed"
		cp "$work/config.$arch" "$out/.external-config"
		mv "$out" "$dir"
		echo "   built $dir ($flavor, LD=$ld)"
	}
	external_tree "$tree_fixed" reference "$lld"
	external_tree "$tree_shim" regressed "$shim" "$work/tree-shim.jsonl"
fi
for t in "$tree_fixed" "$tree_shim"; do
	[ -f "$t/vmlinux" ] && [ -f "$t/Module.symvers" ] || die "$t: no vmlinux and Module.symvers (not a built tree)"
	grep -qx CONFIG_LTO_CLANG_THIN=y "$t/.config" || die "$t: not a ThinLTO tree"
	run_verify "$work/verify.$(basename "$t").txt" "$t"
	expect_verify "$(basename "$t") (LTO kept)" 0 "$work/verify.$(basename "$t").txt"
done
phase_end

# Put a tree back where it was if the script stops while it is at $kobj.
tree_at_kobj=
restore() {
	[ -n "$tree_at_kobj" ] && [ -d "$kobj" ] && mv "$kobj" "$tree_at_kobj"
	set_flavor reference >/dev/null 2>&1 || true
}
trap restore EXIT
[ ! -e "$kobj" ] || die "$kobj exists: a tree left there by an interrupted run? Move it back to its tree.* name"

# with_tree TREE FLAVOR CMD...: run CMD with TREE at $kobj and KSRC's rule set to FLAVOR.
with_tree() {
	local tree=$1 flavor=$2 rc=0
	shift 2
	set_flavor "$flavor"
	mv "$tree" "$kobj" || die "cannot move $tree to $kobj"
	tree_at_kobj=$tree
	"$@" || rc=$?
	mv "$kobj" "$tree" || die "cannot move $kobj back to $tree"
	tree_at_kobj=
	return $rc
}

# modmake DIR LD [ARGS...]: the external-module make a user runs, against $kobj.
modmake() {
	local dir=$1 ld=$2
	shift 2
	kmake O="$kobj" M="$dir" ARCH=$arch LD="$ld" -j"$jobs" "$@"
}

# build_module VARIANT NAME LD [RECORD]: fresh copy of NAME's source at
# $mods/NAME, make modules, every .o/.ko into $results/VARIANT/NAME.
build_module() {
	local variant=$1 name=$2 ld=$3 rec=${4:-} dir=$mods/$2 dest=$results/$1/$2 extra=()
	case "$name" in
	# tinyconfig has neither device-mapper, V4L2 nor networking: their
	# symbols stay undefined, which modpost reports as warnings with this set.
	dm-writeboost|v4l2loopback) extra=(KBUILD_MODPOST_WARN=1) ;;
	# And LiME's `init()`-style declarations are errors under the kernel's
	# -Werror=strict-prototypes with clang 19.
	lime-forensics) extra=("${lime_flags[@]}") ;;
	# obj-m from the command line and the environment (its Kbuild says why).
	psplit) extra=(CONFIG_P_SPLIT=y) ;;
	esac
	rm -rf "$dir" "$dest"; mkdir -p "$mods" "$dest"
	cp -a "${mod_src[$name]}" "$dir"
	[ -z "$rec" ] || rm -f "$rec"
	if ! ( [ -z "$rec" ] || export KBUILD_LD_SHIM_RECORD=$rec
	       [ "$name" != psplit ] || export CONFIG_P_ENV=y
	       modmake "$dir" "$ld" "${extra[@]}" modules ) >"$dest.log" 2>&1; then
		fail "$variant $name: make M=$dir modules failed (LD=$ld):"; tail -n 15 "$dest.log" | sed 's/^/    | /'
		return 1
	fi
	(cd "$dir" && find . \( -name '*.o' -o -name '*.ko' \) -type f -printf '%P\n') | while read -r f; do
		mkdir -p "$dest/$(dirname "$f")"; cp "$dir/$f" "$dest/$f"
	done
	if [ "$variant" != fixed ]; then
		run_verify "$dest.verify.txt" "$dir" --shim-kernel "$kobj"
	fi
}

# compare_module NAME: shim == fixed for every file; the record; regressed differs.
compare_module() {
	local name=$1 a=$results/fixed/$1 b=$results/shim/$1 r=$results/regressed/$1 f n=0 nko=0 nbc=0
	local rec=$results/shim/$1.jsonl
	[ -d "$a" ] && [ -d "$b" ] || { fail "$name: a build is missing, cannot compare"; return; }
	local -A bitcode=()
	while read -r f; do
		n=$((n + 1))
		case "$f" in
		*.ko) nko=$((nko + 1)) ;;
		*.mod.o|*module-common.o) ;;
		*) is_bitcode "$a/$f" && { nbc=$((nbc + 1)); bitcode[$f]=1; } ;;
		esac
	done < <(tree_files "$a" '*')
	if same_trees "$a" "$b" '*' && [ $nko -gt 0 ]; then
		pass "$name: regressed + shim == fixed + $lld: all $n files ($nko .ko, $((n - nko)) .o; $nbc parts bitcode) byte-identical"
	else
		fail "$name: regressed + shim differs from fixed + $lld ($nko .ko among $n files; above)"
	fi
	# The record: no errors, and the passthroughs are exactly the fixed build's bitcode objects.
	if [ ! -s "$rec" ]; then fail "$name: no shim record at $rec"; return; fi
	local ne np passed_set want_set
	ne=$(jq -r 'select(.decision!="forward" and .decision!="passthrough") | .decision' "$rec" | wc -l)
	np=$(jq -r 'select(.decision=="passthrough") | .output' "$rec" | wc -l)
	[ "$ne" = 0 ] || fail "$name: $ne error decisions in the record"
	passed_set=$(jq -r 'select(.decision=="passthrough") | .inputs[0]' "$rec" | sed "s|^$mods/$name/||; s|^\./||" | LC_ALL=C sort | tr '\n' ' ')
	want_set=$(printf '%s\n' "${!bitcode[@]}" | grep -v '^$' | LC_ALL=C sort | tr '\n' ' ')
	if [ "$passed_set" = "$want_set" ]; then
		pass "$name: the shim passed through exactly the fixed build's bitcode objects: ${passed_set:-none}"
	else
		fail "$name: passed through '${passed_set}', fixed build's bitcode objects '${want_set}'"
		jq -r '"    | \(.decision) \(.reason) \(.inputs[0] // "") \(.detail // "")"' "$rec" | head -n 12
	fi
	echo "   $name record: $(jq -r '"\(.decision) \(.reason)"' "$rec" | sort | uniq -c | sed 's/^ *//' | paste -sd, | sed 's/,/, /g')"
	# --shim-verify on the module directory: kept through the shim; lost
	# with plain ld.lld wherever a part stays bitcode in the fixed build.
	local want_lost=0
	[ ${#bitcode[@]} -gt 0 ] && want_lost=4
	expect_verify "$name: DIR --shim-kernel KOBJ on the shim build (LTO kept)" 0 "$results/shim/$name.verify.txt"
	expect_verify "$name: on the regressed plain $lld build" "$want_lost" "$results/regressed/$name.verify.txt"
	# What is at stake: the regressed rule with plain ld.lld.
	if [ -d "$r" ]; then
		if same_trees "$a" "$r" '*' >/dev/null; then
			if [ ${#bitcode[@]} -gt 0 ]; then fail "$name: regressed + plain $lld equals fixed although the fixed build keeps bitcode parts"
			else echo "   $name: regressed + plain $lld == fixed (no part stays bitcode: a single-object module is relinked either way)"; fi
		else
			[ ${#bitcode[@]} -gt 0 ] && pass "$name: regressed + plain $lld differs from fixed (the regression reaches this module)" \
				|| fail "$name: regressed + plain $lld differs from fixed, yet nothing is bitcode in fixed"
		fi
	fi
}

# ---------------------------------------------------------------- module builds
phase "module builds (fixed, regressed, shim)"
rm -rf "$results"
build_all() {
	local variant=$1 ld=$2 withrec=$3 m
	for m in "${mod_names[@]}"; do
		if [ "$withrec" = 1 ]; then build_module "$variant" "$m" "$ld" "$results/$variant/$m.jsonl"
		else build_module "$variant" "$m" "$ld"; fi
	done
}
with_tree "$tree_fixed" reference build_all fixed "$lld" 0
with_tree "$tree_shim" regressed build_all regressed "$lld" 0
with_tree "$tree_shim" regressed build_all shim "$shim" 1
phase_end

phase "module checks"
for m in "${mod_names[@]}"; do compare_module "$m"; done
phase_end

# ---------------------------------------------------------------- DKMS
if [ $dkms_step = 1 ]; then
	phase "dkms build (lime-forensics, masquerade ld.lld)"
	dk=$work/dkms
	name=lime-forensics ver=1.9.1 kmod=lime
	rm -rf "$dk"; mkdir -p "$dk/tree" "$dk/source" "$dk/install" "$dk/masq"
	cp -a "${mod_src[$name]}" "$dk/source/$name-$ver"
	# DKMS's host strip fails on an arm64 module and would change it: off.
	echo 'STRIP[0]="no"' >>"$dk/source/$name-$ver/dkms.conf"
	ln -s "$shim" "$dk/masq/ld.lld"
	kver=$(cat "$tree_shim/include/config/kernel.release") || die "$tree_shim: no include/config/kernel.release"
	dkms_opts=(--dkmstree "$dk/tree" --sourcetree "$dk/source" --installtree "$dk/install" -m "$name" -v "$ver" -k "$kver")
	builddir=$dk/tree/$name/$ver/build
	# The fixed tree's plain build in the directory DKMS builds in (DKMS empties it again).
	rm -rf "$builddir"; mkdir -p "$(dirname "$builddir")"; cp -a "${mod_src[$name]}" "$builddir"
	with_tree "$tree_fixed" reference modmake "$builddir" "$lld" "${lime_flags[@]}" modules >"$dk/fixed.log" 2>&1 \
		|| { tail -n 15 "$dk/fixed.log"; fail "dkms: the fixed build in $builddir failed"; }
	cp "$builddir/$kmod.ko" "$dk/fixed.ko" 2>/dev/null
	rm -rf "$builddir"
	rec=$dk/dkms.jsonl; rm -f "$rec"
	dkms_build() {
		env PATH="$dk/masq:/usr/lib/llvm-$llvm/bin:$PATH" ARCH=$arch LLVM=1 "${lime_flags[@]}" KBUILD_LD_SHIM_RECORD="$rec" "${klib_build_env[@]}" \
			dkms "${dkms_opts[@]}" add &&
		env PATH="$dk/masq:/usr/lib/llvm-$llvm/bin:$PATH" ARCH=$arch LLVM=1 "${lime_flags[@]}" KBUILD_LD_SHIM_RECORD="$rec" "${klib_build_env[@]}" \
			dkms "${dkms_opts[@]}" --kernelsourcedir "$kobj" build
	}
	if with_tree "$tree_shim" regressed dkms_build >"$dk/dkms.log" 2>&1; then
		pass "dkms build of $name $ver against the regressed tree (PATH=masquerade:/usr/lib/llvm-$llvm/bin, ARCH=$arch, LLVM=1)"
	else
		fail "dkms build of $name $ver failed:"; tail -n 25 "$dk/dkms.log" | sed 's/^/    | /'
		find "$dk/tree" -name make.log -exec tail -n 15 {} \; 2>/dev/null | sed 's/^/    make.log | /'
	fi
	mk=$(find "$dk/tree/$name/$ver" -name make.log | head -n1)
	if [ -n "$mk" ] && grep -q 'LD=ld.lld' "$mk"; then
		echo "   DKMS's make command: $(grep -m1 -E '^(DKMS make.log|make )|LD=ld.lld' "$mk" | cut -c1-240)"
	fi
	dko=$(find "$dk/tree/$name/$ver/$kver" -name "$kmod.ko" 2>/dev/null | head -n1)
	if [ -z "$dko" ]; then fail "dkms: no $kmod.ko under $dk/tree/$name/$ver/$kver"
	elif [ ! -f "$dk/fixed.ko" ]; then fail "dkms: no fixed-tree $kmod.ko to compare with"
	elif cmp -s "$dko" "$dk/fixed.ko"; then pass "dkms: the $kmod.ko DKMS stored ($dko) == the fixed tree's plain build, byte for byte"
	else fail "dkms: $dko differs from the fixed tree's plain build"; fi
	np=$(jq -r 'select(.decision=="passthrough") | .output' "$rec" 2>/dev/null | wc -l)
	nf=$(jq -r 'select(.decision=="forward") | .output' "$rec" 2>/dev/null | wc -l)
	ne=$(jq -r 'select(.decision!="forward" and .decision!="passthrough") | .decision' "$rec" 2>/dev/null | wc -l)
	inbuild=$(jq -r --arg b "$builddir/" 'select(.inputs[0] // "" | startswith($b)) | .output' "$rec" 2>/dev/null | wc -l)
	if [ "$np" -gt 0 ] && [ "$ne" = 0 ] && [ "$inbuild" -gt 0 ]; then
		pass "dkms: the record shows DKMS's linker calls through the shim: $np passthroughs, $nf forwards, $inbuild of them in $builddir"
	else
		fail "dkms: record $rec has $np passthroughs, $nf forwards, $ne errors, $inbuild in the DKMS build dir"
	fi
	phase_end
fi

echo
echo "Summary (Linux $(kernel_version), ARCH=$arch, LLVM=-$llvm, make -j$jobs)"
printf '  %-16s %5s %5s %8s %s\n' module files ko bitcode "shim == fixed"
for m in "${mod_names[@]}"; do
	a=$results/fixed/$m b=$results/shim/$m
	[ -d "$a" ] || continue
	nb=0; while read -r f; do is_bitcode "$a/$f" && nb=$((nb + 1)); done < <(cd "$a" && find . -type f -printf '%P\n')
	printf '  %-16s %5s %5s %8s %s\n' "$m" "$(find "$a" -type f | wc -l)" "$(find "$a" -name '*.ko' | wc -l)" "$nb" \
		"$(same_trees "$a" "$b" '*' >/dev/null && echo same || echo DIFFERS)"
done
phase_summary
echo "results kept in $results"
echo "external: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
