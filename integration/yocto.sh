#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# The Yocto door, run by real BitBake: the README's lines for each branch
# family are applied to a small layer of our own and parsed (bitbake -e,
# bitbake -g; nothing is fetched or built: the snapshots are whole layer
# trees, and there is no network).
#
#   integration/yocto.sh [--shim PATH] [--readme FILE] [--only scarthgap|master]
#
# Combinations (tarballs in YOCTO_SNAPSHOTS, see its README.txt):
#   scarthgap  openembedded-core scarthgap + bitbake 2.8 + meta-clang
#   master     openembedded-core master + bitbake master
# Recipes: integration/yocto/meta-kbuild-ld-shim-test's linux-shimtest
# (inherit kernel, 6.13) and shimtest-mod (inherit module), and
# openembedded-core's make-mod-scripts.
# README lines: the indented block between `<!-- yocto-lines: NAME -->` and
# `<!-- /yocto-lines -->` in README.md (or --readme FILE). In it, a comment
# line whose first word is conf/local.conf or ends in .bbappend starts the
# lines for that file; <kernel> and <module> stand for the two recipes.
# Asserted from BitBake's own output, per recipe:
#   - KERNEL_LD starts with kbuild-ld-shim;
#   - HOSTTOOLS names kbuild-ld-shim and BitBake's hosttools link is our shim;
#   - every make of the task that links (kernel: do_compile and
#     do_compile_kernelmodules; module: do_compile; make-mod-scripts:
#     do_configure) ends up with LD=kbuild-ld-shim and CC=clang;
#   - kernel and module: KBUILD_LD_SHIM_RECORD is exported, into ${B};
#   - the shim, found on the task's PATH and run with the task's exported
#     environment, names with --shim-which a real ld.lld in the recipe's own
#     native sysroot. That sysroot is a stand-in, staged as task-depends.dot
#     says BitBake would: the recipe providing ld.lld must be among the
#     do_populate_sysroot dependencies of the recipe's
#     do_prepare_recipe_sysroot (native and cross ones followed, as
#     staging.bbclass does), and then its ld.lld is a link to the host's
#     real ld.lld-19.
#
# BitBake refuses to run as root: as root the script creates the user
# YOCTO_USER (default kbuild-yocto) and the en_US.UTF-8 locale and runs
# BitBake as that user; otherwise it runs as the caller.
#
# Environment: YOCTO_WORK (default /tmp/kbuild-ld-shim-yocto),
# YOCTO_SNAPSHOTS (default the repository's ../shared/yocto),
# YOCTO_USER (default kbuild-yocto).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
klib_name=yocto
# shellcheck source=integration/kernel-lib.sh
. "$here/kernel-lib.sh"

usage() { echo "usage: $0 [--shim PATH] [--readme FILE] [--only scarthgap|master]" >&2; exit 2; }
shim=
readme=$repo/README.md
combos=(scarthgap master)
while [ $# -gt 0 ]; do
	case "$1" in
	--shim) [ $# -ge 2 ] || usage; shim=$2; shift 2 ;;
	--readme) [ $# -ge 2 ] || usage; readme=$(realpath "$2"); shift 2 ;;
	--only) [ $# -ge 2 ] || usage; case $2 in scarthgap|master) combos=("$2") ;; *) usage ;; esac; shift 2 ;;
	*) usage ;;
	esac
done
snapshots=${YOCTO_SNAPSHOTS:-$repo/../shared/yocto}
user=${YOCTO_USER:-kbuild-yocto}
real_lld=/usr/bin/ld.lld-19
kernel_pn=linux-shimtest
module_pn=shimtest-mod

phase "setup"
work=$(klib_workdir "${YOCTO_WORK:-/tmp/kbuild-ld-shim-yocto}") || exit 2
klib_clean_shim_env
[ -r "$readme" ] || die "README $readme not readable"
[ -d "$snapshots" ] || die "no layer snapshots at $snapshots (set YOCTO_SNAPSHOTS)"
# The stand-in sysroot links to it, and it must answer --version like a
# real ld.lld: without it nothing below could tell a real linker found.
[ -x "$real_lld" ] || die "$real_lld missing (bash .ci/deps yocto)"
for tool in python3 tar xz; do command -v "$tool" >/dev/null || die "$tool missing (bash .ci/deps yocto)"; done

if [ "$(id -u)" -eq 0 ]; then
	for tool in runuser useradd locale-gen; do command -v "$tool" >/dev/null || die "$tool missing (bash .ci/deps yocto)"; done
	id "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash "$user" || die "useradd $user failed"
	as_user() { runuser -u "$user" -- "$@"; }
	if ! locale -a 2>/dev/null | grep -qix 'en_US.utf-\?8'; then
		[ -f /etc/locale.gen ] || die "/etc/locale.gen missing (package locales: bash .ci/deps yocto)"
		grep -q '^en_US.UTF-8 UTF-8' /etc/locale.gen || echo 'en_US.UTF-8 UTF-8' >>/etc/locale.gen
		locale-gen >/dev/null || die "locale-gen failed"
	fi
else
	user=$(id -un)
	as_user() { "$@"; }
fi
locale -a 2>/dev/null | grep -qix 'en_US.utf-\?8' || die "no en_US.UTF-8 locale (BitBake's sanity check wants UTF-8)"
klib_private_shim
chmod 0755 "$work" "$work/bin" "$shim"
echo "   README lines from $readme; BitBake runs as $user"

# readme_lines NAME: the README's code lines of the yocto-lines block NAME.
readme_lines() {
	awk -v name="$1" '
		$0 == "<!-- yocto-lines: " name " -->" { inside = 1; found = 1; next }
		inside && $0 == "<!-- /yocto-lines -->" { inside = 0; next }
		inside && /^    / { print substr($0, 5) }
		END { if (!found) exit 3 }' "$readme"
}

# apply_lines NAME CONF LAYERDIR: split NAME's README lines by their file
# headers into CONF (local.conf) and bbappends in LAYERDIR; prints each file.
apply_lines() {
	local name=$1 conf=$2 dir=$3 lines line file="" word
	lines=$(readme_lines "$name") || { fail "$name: $readme has no <!-- yocto-lines: $name --> block"; return 1; }
	[ -n "$lines" ] || { fail "$name: the yocto-lines: $name block has no indented lines"; return 1; }
	mkdir -p "$dir"
	while IFS= read -r line; do
		word=${line#\# }
		word=${word%% *}
		if [[ $line == "# "* ]] && { [ "$word" = conf/local.conf ] || [[ $word == *.bbappend ]]; }; then
			word=${word//<kernel>/$kernel_pn}
			word=${word//<module>/$module_pn}
			case $word in
			conf/local.conf) file=$conf ;;
			*/*) fail "$name: README file header '$word' is not a bbappend name"; return 1 ;;
			*) file=$dir/$word ;;
			esac
			echo "   README -> $word"
			continue
		fi
		[ -n "$file" ] || { fail "$name: README line before any file header: $line"; return 1; }
		printf '%s\n' "$line" >>"$file"
	done <<<"$lines"
}

# bb COMBO LOG ARGS...: bitbake ARGS in COMBO's build dir, as $user, with a
# PATH of BitBake, our shim and the host's tools only.
bb() {
	local c=$1 log=$2 t0=$EPOCHREALTIME rc
	shift 2
	(cd "$work/$c/build" && as_user env -i HOME="$(eval echo "~$user")" LANG=en_US.UTF-8 \
		PATH="$work/$c/bitbake/bin:$work/bin:/usr/local/bin:/usr/bin:/bin" bitbake "$@") >"$log" 2>&1
	rc=$?
	echo "   bitbake $*: exit $rc, $(seconds_since "$t0") s"
	[ $rc -eq 0 ] || { sed 's/^/    | /' "$log" | tail -n 25; return 1; }
}

# var FILE NAME: NAME's final value in a bitbake -e dump (plain or exported).
var() { python3 - "$1" "$2" <<'PY'
import re, sys
pat = re.compile(r'^(?:export )?' + re.escape(sys.argv[2]) + r'="(.*)"$')
val = None
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = pat.match(line.rstrip("\n"))
    if m:
        val = m.group(1)
if val is None:
    sys.exit(1)
print(val)
PY
}

# make_calls FILE FUNC: one line per make that FUNC runs (through
# oe_runmake, whose make line carries EXTRA_OEMAKE), "LD<TAB>CC", each the
# last assignment on that command line, as make would take it.
make_calls() { python3 - "$1" "$2" <<'PY'
import re, shlex, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
def body(name):
    m = re.search(r'^' + re.escape(name) + r'\(\) \{\n(.*?)^\}$', text, re.S | re.M)
    return m.group(1).replace("\\\n", " ") if m else None
func = body(sys.argv[2])
runmake = body("oe_runmake_call")
if func is None or runmake is None:
    sys.exit(1)
base = [l.strip() for l in runmake.splitlines() if re.match(r'\s*make\s', l)]
if len(base) != 1:
    sys.exit(1)
for line in func.splitlines():
    line = line.strip()
    if not line.startswith("oe_runmake "):
        continue
    words = shlex.split(base[0].replace('"$@"', ""), posix=True) + shlex.split(line, posix=True)[1:]
    last = {}
    for w in words:
        k, eq, v = w.partition("=")
        if eq and k in ("LD", "CC"):
            last[k] = v
    print(last.get("LD", "(none)") + "\t" + last.get("CC", "(none)"))
PY
}

# staged_native DOT PN: the recipes whose do_populate_sysroot is staged into
# PN's recipe sysroots: PN's do_prepare_recipe_sysroot dependencies, and
# for native and cross ones their own, recursively (staging.bbclass follows
# native/cross chains, not target ones).
staged_native() { python3 - "$1" "$2" <<'PY'
import re, sys
deps = {}
for line in open(sys.argv[1]):
    m = re.match(r'^"([^"]+)\.do_prepare_recipe_sysroot" -> "([^"]+)\.do_populate_sysroot"', line)
    if m:
        deps.setdefault(m.group(1), set()).add(m.group(2))
staged, todo = set(), list(deps.get(sys.argv[2], ()))
while todo:
    r = todo.pop()
    if r in staged:
        continue
    staged.add(r)
    if r.endswith("-native") or "-cross-" in r:
        todo.extend(deps.get(r, ()))
print("\n".join(sorted(staged)))
PY
}

# shell_env FILE OUT: the exported variables of a bitbake -e dump, as the
# task's run script sets them, into OUT.
shell_env() {
	awk '/^export [A-Za-z_][A-Za-z0-9_]*=/ { cont = 1 } cont { print; if ($0 !~ /\\$/) cont = 0 }' "$1" >"$2"
}

# check_recipe COMBO PN KIND EDUMP DOT: every assertion for one recipe.
check_recipe() {
	local c=$1 pn=$2 kind=$3 e=$4 dot=$5 v b hosttools funcs f calls ld cc last n bad
	local workdir bindir tooldir prefix staged found which rc path ver
	local tag="$c $pn"
	v=$(var "$e" KERNEL_LD) || v="(unset)"
	if [[ $v == kbuild-ld-shim || $v == "kbuild-ld-shim "* ]]; then pass "$tag: KERNEL_LD=\"$v\""
	else fail "$tag: KERNEL_LD=\"$v\", not the shim"; fi

	v=$(var "$e" HOSTTOOLS) || v=
	hosttools=$(var "$e" HOSTTOOLS_DIR) || hosttools=
	if [[ " $v " == *" kbuild-ld-shim "* ]] && [ -n "$hosttools" ] &&
		[ "$(readlink -f "$hosttools/kbuild-ld-shim")" = "$shim" ]; then
		pass "$tag: HOSTTOOLS has kbuild-ld-shim; BitBake linked $hosttools/kbuild-ld-shim to it"
	else
		fail "$tag: HOSTTOOLS ${v:+does not let }the shim in (HOSTTOOLS_DIR=$hosttools, link -> $(readlink -f "$hosttools/kbuild-ld-shim" 2>/dev/null || echo none))"
	fi

	case $kind in
	kernel) funcs="kernel_do_compile do_compile_kernelmodules" ;;
	module) funcs=module_do_compile ;;
	scripts) funcs=do_configure ;;
	esac
	for f in $funcs; do
		calls=$(make_calls "$e" "$f") || { fail "$tag: no $f() or oe_runmake_call() in bitbake -e"; continue; }
		n=0 bad=0 last=
		while IFS=$'\t' read -r ld cc; do
			[ -n "$ld" ] || continue
			n=$((n + 1)) last=$ld
			[[ $ld == "kbuild-ld-shim"* && $cc == clang* ]] || { bad=$((bad + 1)); echo "    | $f: make LD=\"$ld\" CC=\"${cc:0:40}...\""; }
		done <<<"$calls"
		if [ $n -gt 0 ] && [ $bad -eq 0 ]; then pass "$tag: $f: all $n make call(s) get LD=\"$last\" and CC=clang"
		else fail "$tag: $f: $bad of $n make call(s) without LD=kbuild-ld-shim and CC=clang"; fi
	done
	# The do_compile of kernel and module is the class's function, not replaced by a bbappend.
	case $kind in
	kernel|module)
		if awk '/^do_compile\(\) \{$/,/^\}$/' "$e" | grep -qw "${kind}_do_compile"; then pass "$tag: do_compile runs ${kind}_do_compile"
		else fail "$tag: do_compile does not run ${kind}_do_compile"; fi
		v=$(grep -m1 '^export KBUILD_LD_SHIM_RECORD=' "$e" | sed 's/^export KBUILD_LD_SHIM_RECORD="\(.*\)"$/\1/')
		b=$(var "$e" B) || b=
		if [ -n "$v" ] && [ -n "$b" ] && [[ $v == "$b"/* ]]; then pass "$tag: exports KBUILD_LD_SHIM_RECORD=$v"
		else fail "$tag: KBUILD_LD_SHIM_RECORD not exported into \${B} (got '${v}', B=$b)"; fi ;;
	esac

	# The stand-in native sysroot, staged as the graph says.
	workdir=$(var "$e" WORKDIR) && bindir=$(var "$e" STAGING_BINDIR_NATIVE) && tooldir=$(var "$e" STAGING_BINDIR_TOOLCHAIN) &&
		prefix=$(var "$e" TARGET_PREFIX) || { fail "$tag: WORKDIR/STAGING_BINDIR_* missing in bitbake -e"; return; }
	rm -rf "$workdir/recipe-sysroot-native"
	mkdir -p "$bindir" "$tooldir"
	staged=$(staged_native "$dot" "$pn")
	[ -n "$staged" ] || { fail "$tag: task-depends.dot has no do_prepare_recipe_sysroot dependencies for $pn"; return; }
	found=
	if grep -qx "$lld_provider" <<<"$staged"; then
		ln -s "$real_lld" "$bindir/ld.lld"
		found="ld.lld (from $lld_provider)"
	fi
	# clang-cross links ${TARGET_PREFIX}ld.lld only to an ld.lld staged in its own sysroot.
	if grep -qx "$cross_pn" <<<"$staged" && grep -qx "$lld_provider" <<<"$(staged_native "$dot" "$cross_pn")"; then
		ln -s "$real_lld" "$tooldir/${prefix}ld.lld"
		found="$found ${prefix}ld.lld (from $cross_pn)"
	fi
	echo "   $tag: staged native: $(paste -sd' ' <<<"$staged"); linkers: ${found:-none}"
	chown -R "$user" "$workdir/recipe-sysroot-native"

	shell_env "$e" "$work/$c/env.$pn"
	chmod 0644 "$work/$c/env.$pn"
	which=$(as_user env -i bash --noprofile --norc -c '. "$1" || exit 90; command -v kbuild-ld-shim >&2 || exit 91
		exec kbuild-ld-shim --shim-which' _ "$work/$c/env.$pn" 2>"$work/$c/which-err.$pn")
	rc=$?
	path=$(head -n1 <<<"$which")
	if [ $rc -eq 0 ] && [[ $path == "$workdir/recipe-sysroot-native/"* ]] && [ "$(readlink -f "$path")" = "$(readlink -f "$real_lld")" ]; then
		ver=$("$path" --version 2>&1 | head -n1)
		if [[ $ver == *LLD* ]]; then pass "$tag: shim on the task's PATH ($(head -n1 "$work/$c/which-err.$pn")) finds $path ($(sed -n 2p <<<"$which")): $ver"
		else fail "$tag: $path --version says '$ver', not LLD"; fi
	else
		sed 's/^/    | /' "$work/$c/which-err.$pn"
		fail "$tag: kbuild-ld-shim --shim-which in the task's environment: exit $rc${path:+, $path}"
	fi
}

for c in "${combos[@]}"; do
	phase "$c: unpack, layer, README lines"
	case $c in
	scarthgap) tarballs=(openembedded-core-scarthgap-*.tar.xz bitbake-2.8-*.tar.xz meta-clang-scarthgap-*.tar.xz)
		layers="oe-core/meta meta-clang"
		# meta-clang's clang builds lld (LLVM_PROJECTS); clang-native's ld.lld is the bare one.
		lld_provider=clang-native ;;
	master) tarballs=(openembedded-core-master-*.tar.xz bitbake-master-*.tar.xz)
		layers="oe-core/meta"
		# master's clang builds no lld; the lld recipe does.
		lld_provider=lld-native ;;
	esac
	cross_pn=clang-cross-aarch64
	cw=$work/$c
	mkdir -p "$cw"
	for t in "${tarballs[@]}"; do
		tb=$(compgen -G "$snapshots/$c/$t") || { fail "$c: no $snapshots/$c/$t"; continue 2; }
		d=$(tar -tJf "$tb" | head -n1); d=${d%%/*}
		if [ ! -f "$cw/.unpacked-$(basename "$tb")" ]; then
			rm -rf "${cw:?}/$d"
			tar -C "$cw" -xJf "$tb" || die "$c: unpacking $tb failed"
			touch "$cw/.unpacked-$(basename "$tb")"
		fi
		echo "   $(basename "$tb") -> $d"
	done
	case $c in
	scarthgap) grep -q '^LLVM_PROJECTS ?= "clang;clang-tools-extra;lld' "$cw/meta-clang/recipes-devtools/clang/clang_git.bb" ||
		die "$c: meta-clang's clang no longer builds lld; the stand-in sysroot's ld.lld provider is wrong" ;;
	master) grep -q '^BBCLASSEXTEND = "native' "$cw/oe-core/meta/recipes-devtools/clang/lld_git.bb" ||
		die "$c: no lld-native in openembedded-core; the stand-in sysroot's ld.lld provider is wrong" ;;
	esac
	# A fresh layer and conf every run; BitBake's parse cache stays, and notices.
	rm -rf "$cw/layer" "$cw/build/conf" "$cw"/build/tmp*/work "$cw"/build/*.dot
	cp -r "$here/yocto/meta-kbuild-ld-shim-test" "$cw/layer"
	mkdir -p "$cw/build/conf"
	cat >"$cw/build/conf/local.conf" <<-EOF
		# integration/yocto.sh: the minimal build of ../shared/yocto/README.txt; no DISTRO.
		MACHINE = "qemuarm64"
		BB_NO_NETWORK = "1"
		CONF_VERSION = "2"
		PREFERRED_PROVIDER_virtual/kernel = "$kernel_pn"
		# The README's lines:
	EOF
	bblayers=
	for l in $layers; do bblayers="$bblayers $cw/$l"; done
	printf 'BBPATH = "${TOPDIR}"\nBBFILES ?= ""\nBBLAYERS = "%s %s"\n' "${bblayers# }" "$cw/layer" >"$cw/build/conf/bblayers.conf"
	apply_lines "$c" "$cw/build/conf/local.conf" "$cw/layer/recipes-kernel/readme" || continue
	chown -R "$user" "$cw"

	phase "$c: bitbake -e and -g"
	ok=1
	for pn in "$kernel_pn" "$module_pn" make-mod-scripts; do
		bb "$c" "$cw/e.$pn.log" -e "$pn" || { fail "$c: bitbake -e $pn failed"; ok=0; continue; }
		cp "$cw/e.$pn.log" "$cw/e.$pn"
	done
	bb "$c" "$cw/g.log" -g "$kernel_pn" "$module_pn" make-mod-scripts || { fail "$c: bitbake -g failed"; ok=0; }
	[ $ok = 1 ] || continue
	pass "$c: BitBake parsed the README's lines (bitbake -e of $kernel_pn, $module_pn, make-mod-scripts; -g)"

	phase "$c: assertions"
	check_recipe "$c" "$kernel_pn" kernel "$cw/e.$kernel_pn" "$cw/build/task-depends.dot"
	check_recipe "$c" "$module_pn" module "$cw/e.$module_pn" "$cw/build/task-depends.dot"
	check_recipe "$c" make-mod-scripts scripts "$cw/e.make-mod-scripts" "$cw/build/task-depends.dot"
done

phase_summary
echo "yocto: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
