# SPDX-License-Identifier: MIT OR Apache-2.0
#
# Shared helpers for the scripts that build kernels, real and kernel-shaped
# (kernel.sh, packaging.sh, external.sh, launchers.sh, fixture.sh): the
# pass/fail counters, the private shim copy, the phase timer (.ci/phases.sh)
# and command timer, how two trees' outputs are compared, how a shim record
# is tallied and how `--shim-verify`'s exit status is checked
# (run_verify, expect_verify); and for the real kernel, Debian's
# linux-source-6.12 unpacked once into a work dir, the one-line switch
# between the fixed rule and the recreated 6.13 regression, the tinyconfig +
# ThinLTO + modules configuration, a reproducible make (kmake) and the one
# way to build a tree with it (build_tree).
#
# Source it (do not run it) after setting:
#   repo   the repository's top directory
#   work   absolute scratch dir, outside the repository (klib_workdir makes one)
#   llvm   LLVM major version (clang-N, ld.lld-N, LLVM=-N)
#   out    the one O= path every build of the caller uses
# and optionally klib_name (the word the summary lines start with; default
# "kernel"). Functions read these globals at call time.

klib_name=${klib_name:-kernel}
phase_label=$klib_name
# shellcheck source=.ci/phases.sh
. "$(dirname "${BASH_SOURCE[0]}")/../.ci/phases.sh"
tarball=/usr/src/linux-source-6.12.tar.xz
# The tristates every tinyconfig build sets to m: single-object modules
# (crc-ccitt, crc16, crc-itu-t, libcrc32c) and a composite one (xz_dec).
modules=(CRC_CCITT CRC16 CRC_ITU_T LIBCRC32C XZ_DEC)
# Reproducibility: two clean builds of one tree give the same bytes only with these pinned.
klib_build_env=(KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026' KBUILD_BUILD_USER=kbuild
	KBUILD_BUILD_HOST=kbuild-ld-shim KBUILD_BUILD_VERSION=1)

passed=0
failed=0
# pass MSG / fail MSG: count and print one result line; die MSG: fail, print the totals, exit 1.
pass() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
die() { echo "FAIL: $*"; echo "$klib_name: $passed passed, $((failed + 1)) failed"; exit 1; }

# klib_workdir DIR: create DIR, refuse one inside the repository ($repo), print its physical path.
klib_workdir() {
	local dir=$1
	mkdir -p "$dir" || { echo "$klib_name: cannot create work dir $dir" >&2; return 2; }
	dir=$(cd "$dir" && pwd -P)
	case "$dir" in
	"$(cd "$repo" && pwd -P)"|"$(cd "$repo" && pwd -P)"/*)
		echo "$klib_name: work dir $dir is inside the repository; use a scratch dir" >&2; return 2 ;;
	esac
	echo "$dir"
}

# klib_clean_shim_env: unset the shim's own variables, which would change what is tested.
klib_clean_shim_env() {
	local v
	for v in KBUILD_LD_SHIM_MODE KBUILD_LD_SHIM_REAL_LD KBUILD_LD_SHIM_RECORD KBUILD_LD_SHIM_LOG; do
		if [ -n "${!v:-}" ]; then echo "$klib_name: ignoring $v=${!v} from the environment"; fi
		unset "$v"
	done
}

# klib_private_shim: sets shim to a private copy in $work/bin of the shim
# named by $shim (a path, or a name on PATH), built with cargo when $shim is
# empty, so a concurrent cargo build cannot swap the binary mid-test.
klib_private_shim() {
	local found
	if [ -z "$shim" ]; then
		(cd "$repo" && cargo build --release --locked) || die "cargo build --release failed"
		shim=$repo/target/$(rustc -vV | sed -n 's/^host: //p')/release/kbuild-ld-shim
	elif [[ $shim != */* ]]; then
		found=$(command -v "$shim") || die "shim '$shim' not found on PATH"
		shim=$found
	fi
	[ -x "$shim" ] || die "shim '$shim' is not executable"
	mkdir -p "$work/bin"
	cp "$shim" "$work/bin/kbuild-ld-shim.new" && mv -f "$work/bin/kbuild-ld-shim.new" "$work/bin/kbuild-ld-shim" \
		|| die "cannot copy the shim to $work/bin"
	echo "   shim: $shim ($("$shim" --shim-version 2>&1), sha256 $(sha256sum "$shim" | cut -c1-16)), copied to $work/bin"
	shim=$(cd "$work/bin" && pwd)/kbuild-ld-shim
}

# unpack_source: sets src to $work/linux-source-6.12, unpacking $tarball unless a complete unpack is there.
unpack_source() {
	src=$work/linux-source-6.12
	mkfile=$src/scripts/Makefile.build
	if [ -f "$work/.unpacked" ] && [ -f "$src/Makefile" ]; then
		echo "   reusing $src"
	else
		rm -rf "$src" "$work/.unpacked"
		tar -C "$work" -xJf "$tarball" || die "unpacking $tarball failed"
		[ -f "$src/Makefile" ] || die "$tarball did not unpack to $src"
		touch "$work/.unpacked"
	fi
	echo "   $(kernel_version)"
}

# kernel_version: VERSION.PATCHLEVEL.SUBLEVEL of $src.
kernel_version() { sed -n 's/^\(VERSION\|PATCHLEVEL\|SUBLEVEL\) = //p' "$src/Makefile" | paste -sd.; }

line_ref='cmd_ld_single_m = $(if $(is-single-obj-m), ; $(LD) $(ld_flags) -r -o $(tmp-target) $@; mv $(tmp-target) $@)'
line_reg='cmd_ld_single_m = $(if $(objtool-enabled), ; $(LD) $(ld_flags) -r -o $(tmp-target) $@; mv $(tmp-target) $@)'

# set_flavor reference|regressed: switch $src's one cmd_ld_single_m line in place, exactly, or die.
set_flavor() {
	local want have_ref have_reg n
	have_ref=$(grep -cxF -- "$line_ref" "$mkfile")
	have_reg=$(grep -cxF -- "$line_reg" "$mkfile")
	if [ $((have_ref + have_reg)) -ne 1 ] || [ "$(grep -c '^cmd_ld_single_m = ' "$mkfile")" -ne 1 ]; then
		grep -n 'cmd_ld_single_m' "$mkfile" | sed 's/^/    | /'
		die "$mkfile: expected exactly one cmd_ld_single_m line, as shipped or as edited (found $have_ref + $have_reg)"
	fi
	case "$1" in
	reference) want=$line_ref; [ "$have_ref" = 1 ] && return 0
		n=$(grep -nxF -- "$line_reg" "$mkfile" | cut -d: -f1)
		sed -i "${n}s/^cmd_ld_single_m = \$(if \$(objtool-enabled), ;/cmd_ld_single_m = \$(if \$(is-single-obj-m), ;/" "$mkfile" ;;
	regressed) want=$line_reg; [ "$have_reg" = 1 ] && return 0
		n=$(grep -nxF -- "$line_ref" "$mkfile" | cut -d: -f1)
		sed -i "${n}s/^cmd_ld_single_m = \$(if \$(is-single-obj-m), ;/cmd_ld_single_m = \$(if \$(objtool-enabled), ;/" "$mkfile" ;;
	esac
	[ "$(grep -cxF -- "$want" "$mkfile")" = 1 ] || die "$mkfile: switching to $1 did not produce the expected line"
}

# kmake ARGS...: make -C $src O=$out LLVM=-$llvm ARGS with KBUILD_BUILD_* pinned (a later O=/LLVM= in
# ARGS wins), under nice so that the test's own timers and checks are not starved by a -j build.
kmake() {
	nice -n 5 env "${klib_build_env[@]}" make -C "$src" O="$out" LLVM=-"$llvm" "$@"
}

# build_tree KEY FLAVOR LD CONFIG LOG [VAR=VALUE...] [-- MAKE-ARGS...]: the one way every script
# builds a kernel: the rule set to FLAVOR, a fresh $out configured from CONFIG, then
# `kmake LD=LD -j$jobs MAKE-ARGS` with each VAR=VALUE in make's environment, timed as KEY into
# LOG. Returns make's exit status and leaves $out to the caller.
build_tree() {
	local key=$1 flavor=$2 ld=$3 config=$4 log=$5 var
	shift 5
	local -a envs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ $# = 0 ] || shift
	set_flavor "$flavor"
	rm -rf "$out"; mkdir -p "$out"; cp "$config" "$out/.config"
	for var in "${envs[@]}"; do local -x "$var"; done
	timed "$key" "$log" kmake LD="$ld" -j"$jobs" "$@"
}

# run_verify TXT TREE [ARGS...]: `--shim-verify TREE ARGS`, its output into TXT and its exit status into TXT.rc,
# for expect_verify to judge once the caller knows what to expect.
run_verify() {
	local txt=$1 rc=0
	shift
	"$shim" --shim-verify "$@" >"$txt" 2>&1 || rc=$?
	echo "$rc" >"$txt.rc"
}

# expect_verify LABEL WANT TXT: pass when the run_verify saved as TXT exited WANT (naming its verdict);
# otherwise fail with its output.
expect_verify() {
	local label=$1 want=$2 txt=$3 rc
	rc=$(cat "$txt.rc" 2>/dev/null) || rc="nothing (it did not run)"
	if [ "$rc" = "$want" ]; then pass "$label: --shim-verify exits $want: $(sed -n 's/^verdict *//p' "$txt" | head -n 1)"
	else fail "$label: --shim-verify exits $rc, want $want:"; sed 's/^/    | /' "$txt" 2>/dev/null; fi
}

# magic FILE: FILE's first four bytes in hex.
magic() { head -c 4 "$1" | od -An -tx1 | tr -d ' \n'; }
# magic_kind FILE: bitcode (raw or wrapped), ELF, thin-archive or other.
magic_kind() {
	case $(magic "$1") in
	4243c0de|dec0170b) echo bitcode ;;
	7f454c46) echo ELF ;;
	213c7468) echo thin-archive ;;
	*) echo other ;;
	esac
}
is_bitcode() { [ "$(magic_kind "$1")" = bitcode ]; }

# config_tinyconfig ARCH LD LOG: a fresh plain tinyconfig in $out (fixed rule), log to LOG, or die.
config_tinyconfig() {
	local arch=$1 ld=$2 log=$3
	set_flavor reference
	rm -rf "$out"
	kmake ARCH="$arch" LD="$ld" tinyconfig >"$log" 2>&1 || { tail "$log"; die "$arch: tinyconfig failed"; }
}

# config_lto_modules ARCH LD LOG: turn $out's .config into ThinLTO + MODULES + $modules as m, checked, or die.
config_lto_modules() {
	local arch=$1 ld=$2 log=$3 sym args=() bad=0
	args=(-e MODULES -d LTO_NONE -e LTO_CLANG_THIN)
	[ "$arch" = x86_64 ] && args+=(-e 64BIT)
	for sym in "${modules[@]}"; do args+=(-m "$sym"); done
	"$src/scripts/config" --file "$out/.config" "${args[@]}" || die "$arch: scripts/config failed"
	kmake ARCH="$arch" LD="$ld" olddefconfig >>"$log" 2>&1 || { tail "$log"; die "$arch: olddefconfig failed"; }
	for sym in LTO_CLANG_THIN MODULES; do
		grep -qx "CONFIG_$sym=y" "$out/.config" || { echo "    CONFIG_$sym is not y"; bad=1; }
	done
	[ "$arch" = x86_64 ] && { grep -qx "CONFIG_64BIT=y" "$out/.config" || { echo "    CONFIG_64BIT is not y"; bad=1; }; }
	for sym in "${modules[@]}"; do
		grep -qx "CONFIG_$sym=m" "$out/.config" || { echo "    CONFIG_$sym is not m: $(grep "CONFIG_$sym[= ]" "$out/.config")"; bad=1; }
	done
	[ $bad = 0 ] || die "$arch: .config lacks the required options"
}

declare -A wall=() cpu=()
# shim_cpu RECORD BUILD_CPU_S: the shim's own CPU over a build (every call's
# cpu_micros: its work before the copy or the exec, make queries included)
# and its share of the build's CPU, as "S s (P %)".
shim_cpu() {
	local rec=$1 build_s=$2
	jq -s --argjson b "${build_s:-0}" -r \
		'((map(.cpu_micros // 0) | add // 0) / 1e6) as $s
		 | "\($s * 1000 | round / 1000) s (\(if $b > 0 then ($s / $b * 100 * 1000 | round / 1000) else "-" end) % of \($b) s)"' "$rec"
}

# timed KEY LOG CMD...: run CMD with its output in LOG; wall and children's CPU seconds into wall/cpu[KEY].
timed() {
	local key=$1 log=$2 t0=$EPOCHREALTIME rc=0
	shift 2
	( "$@" >"$log" 2>&1; rc=$?; times >"$log.times"; exit $rc ) || rc=$?
	wall[$key]=$(seconds_since "$t0" 0)
	cpu[$key]=$(sed -n 2p "$log.times" | awk '{ split($1,u,"m"); split($2,s,"m"); printf "%.0f", u[1]*60+u[2]+s[1]*60+s[2] }')
	echo "   $key: ${wall[$key]}s wall, ${cpu[$key]}s CPU (rc $rc)"
	[ $rc = 0 ] || { tail -n 25 "$log" | sed 's/^/    | /'; }
	return $rc
}

# record_tally REC: "PASSTHROUGHS FORWARDS OTHERS PROBES" of a shim record (probes are among the forwards).
record_tally() {
	local rec=$1
	[ -s "$rec" ] || { echo "0 0 0 0"; return; }
	jq -rs '[(map(select(.decision=="passthrough")) | length), (map(select(.decision=="forward")) | length),
		(map(select(.decision!="forward" and .decision!="passthrough")) | length),
		(map(select(.reason=="probe")) | length)] | map(tostring) | join(" ")' "$rec"
}

# record_links REC: the record's linker calls that produce an object, one "decision reason output" a
# line, sorted. Probes (ld --version) are left out: how often kbuild asks depends on how many
# make invocations a driver runs, not on what was linked. Scratch names are masked: kbuild's
# linker checks write to mktemp files (/tmp/tmp.XXXXXXXXXX) and pid-named .tmp_PID dirs.
record_links() {
	jq -r 'select(.reason!="probe") | "\(.decision) \(.reason) \(.output)"' "$1" |
		sed -E 's#/tmp\.[A-Za-z0-9]{10}$#/tmp.XXXXXXXXXX#; s#\.tmp_[0-9]+(/|$)#.tmp_PID\1#g' | LC_ALL=C sort
}

# tree_files DIR NAME...: the regular files under DIR named like one of the find -name patterns, relative, sorted.
tree_files() {
	local dir=$1 name
	shift
	local -a match=()
	for name; do match+=(-o -name "$name"); done
	(cd "$dir" && find . -type f \( "${match[@]:1}" \) -printf '%P\n' | LC_ALL=C sort)
}

# tree_differences A B FILE...: one line for each FILE (relative to A and B) that either lacks or
# whose bytes differ (with both files' kinds); false when there is any.
tree_differences() {
	local a=$1 b=$2 f rc=0
	shift 2
	for f; do
		if [ ! -f "$a/$f" ]; then echo "    missing in $a: $f"; rc=1
		elif [ ! -f "$b/$f" ]; then echo "    missing in $b: $f"; rc=1
		elif ! cmp -s "$a/$f" "$b/$f"; then echo "    differs: $f ($(magic_kind "$a/$f") vs $(magic_kind "$b/$f"))"; rc=1
		fi
	done
	return $rc
}

# same_trees A B NAME...: tree_differences over every file either tree has that is named like a NAME pattern.
same_trees() {
	local a=$1 b=$2
	shift 2
	local -a files=()
	mapfile -t files < <(LC_ALL=C sort -u <(tree_files "$a" "$@") <(tree_files "$b" "$@"))
	tree_differences "$a" "$b" "${files[@]}"
}

# compare_kernels LABEL A B: two built O= trees must hold the same vmlinux, Image, .ko and .o files,
# byte for byte; pass with the counts, or fail naming every file that differs or is missing.
compare_kernels() {
	local label=$1 a=$2 b=$3 img f nko=0 no=0
	img=arch/$arch/boot/Image
	[ "$arch" = x86_64 ] && img=arch/x86/boot/bzImage
	local -a files=(vmlinux "$img")
	mapfile -t -O 2 files < <(LC_ALL=C sort -u <(tree_files "$a" '*.ko' '*.o') <(tree_files "$b" '*.ko' '*.o'))
	for f in "${files[@]}"; do
		case "$f" in *.ko) nko=$((nko + 1)) ;; *.o) no=$((no + 1)) ;; esac
	done
	if ! tree_differences "$a" "$b" "${files[@]}"; then
		fail "$label: files differ or are missing (above)"; return 1
	elif [ $nko = 0 ]; then
		fail "$label: identical, but no .ko in $a"; return 1
	fi
	pass "$label: all ${#files[@]} files byte-identical (vmlinux, ${img##*/}, $nko .ko, $no .o)"
}
