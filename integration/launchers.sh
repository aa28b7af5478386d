#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# The compiler-launcher door, proven on a real kernel: the regressed arm64
# ThinLTO kernel built through the shim with ccache, sccache, distcc (a
# distccd started here on 127.0.0.1) and TuxMake in front of the compiler,
# compared byte for byte with the fixed kernel, and the shim's record with
# the record of the same build without a launcher.
#
#   integration/launchers.sh [--shim PATH] [--without ccache|sccache|distcc|tuxmake]...
#                            [--reuse-reference]
#
# --reuse-reference keeps the fixed and shim builds (trees and record) of an
# earlier run in the same KERNEL_WORK when their .config and shim binary are
# this run's: for re-running one launcher, e.g. --reuse-reference --without
# ccache --without sccache --without distcc.
#
# Every build: Debian's linux-source-6.12, ARCH=arm64 LLVM=-N, kernel-lib.sh's
# tinyconfig + LTO_CLANG_THIN + MODULES + 5 tristates (one .config, made
# once and copied in; after each build the tree's .config must still be it),
# make -jJOBS Image modules under nice -n 5, KBUILD_BUILD_* pinned, from the
# same source path into the same O= path, then moved to $KERNEL_WORK/tree.NAME.
#   fixed          fixed rule, LD=ld.lld-N                    the reference
#   shim           regressed rule, LD=<shim>                  the record to match
#   ccache-cold    as shim, CC="ccache clang-N", empty CCACHE_DIR
#   ccache-warm    the same after a clean, same CCACHE_DIR   (hits asserted)
#   sccache-cold   as shim, CC="sccache clang-N", empty SCCACHE_DIR, own server
#   sccache-warm   the same after a clean, same SCCACHE_DIR  (hits asserted)
#   distcc-fixed   fixed rule, LD=ld.lld-N, CC="distcc clang-N"
#   distcc-shim    regressed rule, LD=<shim>, CC="distcc clang-N"
#   tuxmake        regressed rule: tuxmake -r null -a arm64 -t clang -w ccache
#                  -k <the .config> LLVM=-N LD=<shim> config kernel modules,
#                  with ccache-warm's CCACHE_DIR (TuxMake 1.45.0 from PyPI in
#                  a venv under $KERNEL_WORK)
# Asserted: every launcher build through the shim has vmlinux, Image, every
# .ko and every .o byte-identical to fixed (distcc-shim: to distcc-fixed,
# since a remote compile of preprocessed source is not byte-equal to a local
# one); its record has no error decisions and links exactly what the
# launcher-less shim build links, each with the same decision and reason
# (`ld --version` probes aside); warm builds hit the cache (>= 95%); distccd logged
# remote compiles (COMPILE_OK) for both distcc builds.
#
# distcc settings (the shared notes' three, for LLVM=-N spelling):
# DISTCC_HOSTS=127.0.0.1:PORT/JOBS (a TCP host, so compiles really go through
# distccd), DISTCC_NO_REWRITE_CROSS=1 (distcc would add the host's -target),
# KCFLAGS=-Wno-unused-command-line-argument (the remote compile leaves
# -fmacro-prefix-map unused, an error under kbuild's flags), clang-N in
# distccd's command whitelist /usr/lib/distcc; DISTCC_FALLBACK=0 and
# DISTCC_SKIP_LOCAL_RETRY=1, so a compile that fails remotely fails the build
# instead of hiding behind a local one.
#
# icecc is not tried: see docs/doors.md, "Compiler launchers and build farms".
#
# Environment: KERNEL_WORK (scratch dir, default /tmp/kbuild-ld-shim-launchers;
# an unpack there is reused, builds never are), KERNEL_LLVM (default 19),
# KERNEL_JOBS (default 2). Needs root only when .ci/deps must install packages
# or distccd's whitelist lacks clang-N (update-distcc-symlinks).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
jobs=${KERNEL_JOBS:-2}
llvm=${KERNEL_LLVM:-19}
klib_name=launchers
# shellcheck source=integration/kernel-lib.sh
. "$here/kernel-lib.sh"

tuxmake_version=1.45.0
usage() { echo "usage: $0 [--shim PATH] [--without ccache|sccache|distcc|tuxmake]... [--reuse-reference]" >&2; exit 2; }
shim=
reuse=0
declare -A want=([ccache]=1 [sccache]=1 [distcc]=1 [tuxmake]=1)
while [ $# -gt 0 ]; do
	case "$1" in
	--shim) [ $# -ge 2 ] || usage; shim=$2; shift 2 ;;
	--without) [ $# -ge 2 ] && [ -n "${want[$2]:-}" ] || usage; want[$2]=0; shift 2 ;;
	--reuse-reference) reuse=1; shift ;;
	*) usage ;;
	esac
done
[[ $llvm =~ ^[1-9][0-9]*$ ]] || { echo "launchers: KERNEL_LLVM='$llvm' is not a major version number" >&2; exit 2; }
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "launchers: KERNEL_JOBS='$jobs' is not a positive number" >&2; exit 2; }
work=$(klib_workdir "${KERNEL_WORK:-/tmp/kbuild-ld-shim-launchers}") || exit 2
out=$work/out
lld=ld.lld-$llvm
cc=clang-$llvm
arch=arm64
klib_clean_shim_env
# A launcher's own settings from the caller's environment would change what is tested.
for v in CCACHE_DIR CCACHE_CONFIGPATH SCCACHE_DIR SCCACHE_CONF SCCACHE_SERVER_PORT DISTCC_HOSTS KCFLAGS; do
	if [ -n "${!v:-}" ]; then echo "launchers: ignoring $v=${!v} from the environment"; fi
	unset "$v"
done

distccd_pid=
sccache_port=
cleanup() {
	[ -z "$distccd_pid" ] || kill "$distccd_pid" 2>/dev/null
	[ -z "$sccache_port" ] || SCCACHE_SERVER_PORT=$sccache_port sccache --stop-server >/dev/null 2>&1
	set_flavor reference >/dev/null 2>&1 || true
}
trap cleanup EXIT

# free_port: a TCP port on 127.0.0.1 nothing listens on now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---------------------------------------------------------------- tools
phase "tools"
(cd "$repo" && bash .ci/deps launchers) || die ".ci/deps launchers failed"
tools=("$cc" "$lld" make jq cmp bc python3)
[ "${want[ccache]}" = 0 ] || tools+=(ccache)
[ "${want[sccache]}" = 0 ] || tools+=(sccache)
[ "${want[distcc]}" = 0 ] || tools+=(distcc distccd)
for tool in "${tools[@]}"; do command -v "$tool" >/dev/null || die "required tool '$tool' not found"; done
klib_private_shim
[ "${want[ccache]}" = 0 ] || echo "   $(ccache --version | head -n1)"
[ "${want[sccache]}" = 0 ] || echo "   $(sccache --version | head -n1)"
if [ "${want[distcc]}" = 1 ]; then
	echo "   $(distcc --version | head -n1)"
	# distccd runs only compilers it finds in /usr/lib/distcc; Debian's distcc
	# links the compilers present when it is installed (or triggered by gcc), so
	# a clang installed later is missing until update-distcc-symlinks.
	if [ ! -e "/usr/lib/distcc/$cc" ]; then
		[ "$(id -u)" = 0 ] || die "/usr/lib/distcc/$cc is missing (distccd refuses $cc): run update-distcc-symlinks as root"
		update-distcc-symlinks || die "update-distcc-symlinks failed"
		[ -e "/usr/lib/distcc/$cc" ] || die "/usr/lib/distcc/$cc still missing after update-distcc-symlinks"
	fi
fi
if [ "${want[tuxmake]}" = 1 ]; then
	venv=$work/venv
	if [ "$("$venv/bin/tuxmake" --version 2>/dev/null)" != "tuxmake $tuxmake_version" ]; then
		rm -rf "$venv"
		python3 -m venv "$venv" || die "python3 -m venv $venv failed"
		"$venv/bin/pip" install -q "tuxmake==$tuxmake_version" >"$work/pip.log" 2>&1 \
			|| { tail "$work/pip.log"; die "pip install tuxmake==$tuxmake_version failed"; }
	fi
	echo "   $("$venv/bin/tuxmake" --version)"
fi
phase_end

# ---------------------------------------------------------------- source
phase "unpack and configure"
unpack_source
config_tinyconfig "$arch" "$lld" "$work/config.log"
config_lto_modules "$arch" "$lld" "$work/config.log"
cp "$out/.config" "$work/config.$arch"
shim_sum=$(sha256sum "$shim" | cut -d' ' -f1)
reused=0
if [ $reuse = 1 ] && cmp -s "$work/tree.fixed/.config" "$work/config.$arch" && cmp -s "$work/tree.shim/.config" "$work/config.$arch" \
	&& [ -s "$work/rec.shim.jsonl" ] && [ "$(cat "$work/tree.shim/.launchers-shim" 2>/dev/null)" = "$shim_sum" ]; then
	reused=1
	echo "   reusing $work/tree.fixed, $work/tree.shim and $work/rec.shim.jsonl"
	for t in "$work"/tree.*; do case $t in */tree.fixed|*/tree.shim) ;; *) rm -rf "$t" ;; esac; done
	find "$work"/rec.*.jsonl ! -name rec.shim.jsonl -delete 2>/dev/null
else
	[ $reuse = 0 ] || echo "   nothing to reuse (no earlier fixed and shim builds of this .config and shim)"
	rm -rf "$work"/tree.* "$work"/rec.*.jsonl "$work"/logs
fi
rm -rf "$out"
mkdir -p "$work/logs"
phase_end

# finish_tree NAME: the build left in $out keeps the one .config, then becomes $work/tree.NAME.
finish_tree() {
	local name=$1
	if [ -f "$out/.config" ] && cmp -s "$out/.config" "$work/config.$arch"; then :
	else
		fail "$name: the build's .config is not the one configured:"
		diff "$work/config.$arch" "$out/.config" | grep '^[<>]' | head | sed 's/^/    | /'
	fi
	mv "$out" "$work/tree.$name"
}

# launcher_in_recipe NAME LAUNCHER: kbuild recorded NAME's compiles as "LAUNCHER clang-N ..." (the
# recipe the shim reads starts the same way), so the launcher really was in front of the compiler.
launcher_in_recipe() {
	local name=$1 launcher=$2 cmd=$work/tree.$1/init/.main.o.cmd
	if grep -q "^savedcmd_init/main.o := $launcher $cc " "$cmd" 2>/dev/null; then
		pass "$name: kbuild compiled through the launcher: init/.main.o.cmd has '$launcher $cc ...'"
	else
		fail "$name: $cmd does not record a '$launcher $cc' compile: $(head -c 120 "$cmd" 2>/dev/null)"
	fi
}

# build NAME FLAVOR LD [ENV=VALUE...] [-- MAKE-ARGS...]: a fresh O= tree of
# the one .config, make Image modules with the shim's record when LD is the
# shim; ENV goes into make's environment, MAKE-ARGS onto its command line.
build() {
	local name=$1 flavor=$2 ld=$3 envs=() margs=()
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ $# = 0 ] || { shift; margs=("$@"); }
	[ "$ld" != "$shim" ] || envs+=(KBUILD_LD_SHIM_RECORD="$work/rec.$name.jsonl")
	if build_tree "$name" "$flavor" "$ld" "$work/config.$arch" "$work/logs/$name.log" "${envs[@]}" -- \
		ARCH=$arch "${margs[@]}" Image modules; then
		built[$name]=1
		finish_tree "$name"
	else
		fail "$name: the build failed (LD=$ld ${margs[*]}; log $work/logs/$name.log)"
		rm -rf "$out"
	fi
}
declare -A built=()

# check_record NAME: NAME's record has no errors and links what the launcher-less shim build links.
declare -A tally=()
check_record() {
	local name=$1 rec=$work/rec.$1.jsonl np nf ne nprobe
	[ -s "$rec" ] || { fail "$name: no shim record at $rec"; return; }
	read -r np nf ne nprobe <<<"$(record_tally "$rec")"
	tally[$name]="$np $nf $ne $nprobe"
	echo "   $name record: $np passthroughs, $nf forwards ($nprobe of them probes), $ne other"
	[ "$ne" = 0 ] || fail "$name: $ne error decisions in $rec"
	[ "$name" = shim ] && return
	[ -s "$work/rec.shim.jsonl" ] || { fail "$name: no launcher-less shim record to compare with"; return; }
	if diff <(record_links "$work/rec.shim.jsonl") <(record_links "$rec") >"$work/logs/$name.record.diff"; then
		read -r sp sf _ sprobe <<<"${tally[shim]}"
		pass "$name: the record links exactly what the shim build without a launcher links ($np passthroughs, $((nf - nprobe)) forwards; shim: $sp, $((sf - sprobe)))"
	else
		fail "$name: the record differs from the launcher-less shim build's ($work/logs/$name.record.diff):"
		grep '^[<>]' "$work/logs/$name.record.diff" | head | sed 's/^/    | /'
	fi
}

# ---------------------------------------------------------------- builds without a launcher
phase "fixed ($lld) and shim, no launcher"
if [ $reused = 1 ]; then
	built[fixed]=1 built[shim]=1
else
	build fixed reference "$lld"
	build shim regressed "$shim"
	[ -z "${built[shim]:-}" ] || echo "$shim_sum" >"$work/tree.shim/.launchers-shim"
fi
[ -n "${built[fixed]:-}" ] || die "the fixed reference build failed: nothing to compare with"
[ -n "${built[shim]:-}" ] && compare_kernels "shim == fixed (no launcher)" "$work/tree.fixed" "$work/tree.shim"
check_record shim
read -r np _ _ _ <<<"${tally[shim]:-0 0 0 0}"
[ "$np" -gt 0 ] || fail "shim: no passthroughs: the regression is not in the way, nothing is tested"
phase_end

declare -A stats=()
# cold_and_warm TOOL START ZERO STATS ENV...: TOOL's cache ($work/TOOL) and
# config file ($work/TOOL.conf, so no system or user setting changes what
# is cached) emptied, START run (a server, or :), then a regressed + shim
# build with CC="TOOL clang" from the empty cache and one after a clean from
# the cache it filled; ZERO resets the cache's counters, STATS TEMP prints
# "HITS MISSES" since then. Each build must equal the fixed kernel and link
# like the build without a launcher.
cold_and_warm() {
	local tool=$1 start=$2 zero=$3 stats_of=$4 temp h m
	shift 4
	rm -rf "${work:?}/$tool"; mkdir -p "$work/$tool"
	: >"$work/$tool.conf"
	"$start"
	for temp in cold warm; do
		"$zero"
		build "$tool-$temp" regressed "$shim" "$@" -- CC="$tool $cc"
		read -r h m <<<"$("$stats_of" "$temp")"
		stats[$tool-$temp]="$h hits, $m misses"
		echo "   $tool-$temp: $h hits, $m misses"
		[ -n "${built[$tool-$temp]:-}" ] || continue
		launcher_in_recipe "$tool-$temp" "$tool"
		compare_kernels "$tool-$temp: regressed + shim == fixed + $lld" "$work/tree.fixed" "$work/tree.$tool-$temp"
		check_record "$tool-$temp"
		case $temp in
		# A cold build can hit its own entries: kbuild compiles a few sources twice alike.
		cold) [ "$m" -gt 0 ] && [ "$h" -lt "$m" ] && pass "$tool-cold: an empty cache, so compiled: $m misses, $h hits" \
			|| fail "$tool-cold: expected mostly misses from an empty cache, got $h hits, $m misses" ;;
		# Warm: at least 95% of the compiles served from the cache (ccache 4.7 misses one of 559 here).
		warm) [ "$h" -gt 0 ] && [ $((m * 20)) -lt "$h" ] && pass "$tool-warm: the cache served the build: $h hits, $m misses" \
			|| fail "$tool-warm: expected at least 95% hits, got $h hits, $m misses" ;;
		esac
	done
}

# ---------------------------------------------------------------- ccache
# ccache's settings, also TuxMake's below.
ccenv=(CCACHE_DIR="$work/ccache" CCACHE_CONFIGPATH="$work/ccache.conf")
# ccache_stats: "HITS MISSES" since the last zeroing.
ccache_stats() {
	env "${ccenv[@]}" ccache --print-stats | awk -F'\t' '
		$1=="direct_cache_hit"||$1=="preprocessed_cache_hit" {h+=$2} $1=="cache_miss" {m+=$2}
		END {print h+0, m+0}'
}
ccache_zero() { env "${ccenv[@]}" ccache -z >/dev/null; }
if [ "${want[ccache]}" = 1 ]; then
	phase "ccache cold and warm"
	cold_and_warm ccache : ccache_zero ccache_stats "${ccenv[@]}"
	phase_end
fi

# ---------------------------------------------------------------- sccache
if [ "${want[sccache]}" = 1 ]; then
	phase "sccache cold and warm"
	sccache_port=$(free_port)
	scenv=(SCCACHE_DIR="$work/sccache" SCCACHE_CONF="$work/sccache.conf" SCCACHE_SERVER_PORT="$sccache_port" SCCACHE_IDLE_TIMEOUT=0)
	# The server compiles for every client: started niced like the builds.
	sccache_start() {
		env "${scenv[@]}" nice -n 5 sccache --start-server >"$work/logs/sccache-server.log" 2>&1 \
			|| { cat "$work/logs/sccache-server.log"; die "sccache --start-server failed (port $sccache_port)"; }
	}
	# sccache_stats: "HITS MISSES" since the last zeroing.
	sccache_stats() {
		env "${scenv[@]}" sccache --show-stats >"$work/logs/sccache-$1.stats" 2>&1
		awk '/^Cache hits  /{h=$NF} /^Cache misses  /{m=$NF} END {print h+0, m+0}' "$work/logs/sccache-$1.stats"
	}
	sccache_zero() { env "${scenv[@]}" sccache --zero-stats >/dev/null; }
	cold_and_warm sccache sccache_start sccache_zero sccache_stats "${scenv[@]}"
	env "${scenv[@]}" sccache --stop-server >/dev/null 2>&1
	sccache_port=
	phase_end
fi

# ---------------------------------------------------------------- distcc
if [ "${want[distcc]}" = 1 ]; then
	phase "distcc fixed and shim (distccd on 127.0.0.1)"
	dd=$work/distcc
	rm -rf "$dd"; mkdir -p "$dd/home"
	dlog=$dd/distccd.log
	# Started as root, distccd runs as the distccd user: it must be able to write its log.
	: >"$dlog"; chmod 666 "$dlog"
	dport=$(free_port)
	nice -n 5 distccd --daemon --no-detach --listen 127.0.0.1 --allow 127.0.0.1 --port "$dport" \
		--log-file "$dlog" --log-level info --jobs "$jobs" &
	distccd_pid=$!
	for _ in $(seq 50); do grep -q "listening on 127.0.0.1:$dport" "$dlog" && break; sleep 0.2; done
	grep -q "listening on 127.0.0.1:$dport" "$dlog" || { cat "$dlog"; die "distccd did not start listening on 127.0.0.1:$dport"; }
	dcenv=(DISTCC_HOSTS="127.0.0.1:$dport/$jobs" DISTCC_DIR="$dd/home" DISTCC_NO_REWRITE_CROSS=1
		DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1)
	dcmake=(CC="distcc $cc" KCFLAGS=-Wno-unused-command-line-argument)
	declare -A remote=()
	for v in fixed shim; do
		before=$(grep -c 'COMPILE_OK' "$dlog")
		if [ $v = fixed ]; then build distcc-fixed reference "$lld" "${dcenv[@]}" -- "${dcmake[@]}"
		else build distcc-shim regressed "$shim" "${dcenv[@]}" -- "${dcmake[@]}"; fi
		ok=$(($(grep -c 'COMPILE_OK' "$dlog") - before))
		ncc=$(grep -cE '^  CC( \[M\])? ' "$work/logs/distcc-$v.log")
		remote[$v]=$ok
		stats[distcc-$v]="$ok remote compiles of $ncc CC lines"
		[ "$ok" -gt 0 ] && pass "distcc-$v: distccd compiled $ok objects (the make log has $ncc CC lines)" \
			|| fail "distcc-$v: distccd logged no COMPILE_OK: nothing was distributed"
	done
	for v in fixed shim; do [ -z "${built[distcc-$v]:-}" ] || launcher_in_recipe "distcc-$v" distcc; done
	if [ -n "${built[distcc-fixed]:-}" ] && [ -n "${built[distcc-shim]:-}" ]; then
		compare_kernels "distcc-shim: regressed + shim == fixed + $lld, both through distcc" "$work/tree.distcc-fixed" "$work/tree.distcc-shim"
		cmp -s "$work/tree.fixed/vmlinux" "$work/tree.distcc-fixed/vmlinux" \
			&& echo "   distcc-fixed's vmlinux equals the local fixed build's" \
			|| echo "   distcc-fixed's vmlinux differs from the local fixed build's (remote compiles of preprocessed source; expected)"
	fi
	[ -z "${built[distcc-shim]:-}" ] || check_record distcc-shim
	kill "$distccd_pid" 2>/dev/null; wait "$distccd_pid" 2>/dev/null
	distccd_pid=
	phase_end
fi

# ---------------------------------------------------------------- TuxMake
if [ "${want[tuxmake]}" = 1 ]; then
	phase "TuxMake (-r null -t clang -w ccache)"
	mkdir -p "$work/ccache"; : >"$work/ccache.conf"
	set_flavor regressed
	rm -rf "$out" "$work/tuxmake-output"
	mkdir -p "$out"
	rec=$work/rec.tuxmake.jsonl
	# -e: TuxMake sets its own KBUILD_BUILD_* and KCFLAGS=-ffile-prefix-map=<build dir>/;
	# pinned to the other builds' values they give the same bytes. PATH: its
	# clang toolchain looks for a bare `clang` before it builds (LLVM=-N then
	# makes it call clang-N, as CC="ccache clang-N").
	tenv=()
	for kv in "${klib_build_env[@]}"; do tenv+=(-e "$kv"); done
	ccache_zero
	if timed tuxmake "$work/logs/tuxmake.log" env PATH="/usr/lib/llvm-$llvm/bin:$PATH" \
		KBUILD_LD_SHIM_RECORD="$rec" "${ccenv[@]}" \
		nice -n 5 "$venv/bin/tuxmake" -r null -a $arch -t clang -w ccache -j "$jobs" -C "$src" -b "$out" -o "$work/tuxmake-output" \
		-k "$work/config.$arch" "${tenv[@]}" -e KCFLAGS= LLVM=-"$llvm" LD="$shim" config kernel modules; then
		built[tuxmake]=1
		grep -E "^(I|E): (config|default|kernel|modules):" "$work/logs/tuxmake.log" | sed 's/^/    | /'
		for t in config default kernel modules; do
			grep -q "^I: $t: PASS" "$work/logs/tuxmake.log" || fail "tuxmake: no 'I: $t: PASS' in its log"
		done
		read -r h m <<<"$(ccache_stats)"
		stats[tuxmake]="ccache: $h hits, $m misses"
		echo "   tuxmake: ccache $h hits, $m misses"
		# TuxMake's modules target installs stripped copies (INSTALL_MOD_STRIP=1)
		# into the build dir; the built .ko files are the ones compared.
		rm -rf "$work/tuxmake-modinstall"
		[ ! -d "$out/modinstall" ] || mv "$out/modinstall" "$work/tuxmake-modinstall"
		finish_tree tuxmake
		launcher_in_recipe tuxmake ccache
		compare_kernels "tuxmake: regressed + shim == fixed + $lld" "$work/tree.fixed" "$work/tree.tuxmake"
		check_record tuxmake
	else
		fail "tuxmake: the build failed (log $work/logs/tuxmake.log)"
	fi
	set_flavor reference
	phase_end
fi

echo
echo "Summary (Linux $(kernel_version), ARCH=$arch, LLVM=-$llvm, tinyconfig + ThinLTO, make -j$jobs, nice -n 5)"
printf '  %-14s %6s %6s  %-24s %s\n' build wall cpu "record (pass/fwd/probe)" "launcher"
for k in fixed shim ccache-cold ccache-warm sccache-cold sccache-warm distcc-fixed distcc-shim tuxmake; do
	[ -n "${wall[$k]:-}" ] || continue
	t=-
	if [ -n "${tally[$k]:-}" ]; then read -r a b _ d <<<"${tally[$k]}"; t="$a/$((b - d))/$d"; fi
	printf '  %-14s %6s %6s  %-24s %s\n' "$k" "${wall[$k]}" "${cpu[$k]}" "$t" "${stats[$k]:-}"
done
phase_summary
echo "trees kept in $work/tree.*, records in $work/rec.*.jsonl, logs in $work/logs"
echo "launchers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
