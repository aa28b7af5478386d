#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# The packaging doors, proven on a real kernel: the shim installed from the
# project's own .deb (as a user installs it), then Debian's and RPM's kernel
# package targets of the regressed arm64 ThinLTO tree through it, compared
# byte for byte with the same targets of the fixed tree with plain ld.lld.
#
#   integration/packaging.sh [--source-packages | --source-packages-only] [--keep-installed]
#
# Steps (Debian's linux-source-6.12, arm64 cross, LLVM=-N, tinyconfig +
# LTO_CLANG_THIN + MODULES + kernel-lib.sh's 5 tristates; both trees from the
# same source path into the same O= path, then moved aside):
#   1. bash .ci/packages; dpkg -i target/packages/kbuild-ld-shim_*.deb: from
#      here on LD=kbuild-ld-shim is /usr/bin/kbuild-ld-shim from the package,
#      and /usr/lib/kbuild-ld-shim/bin its masquerade directory.
#   2. reference: fixed rule, LD=ld.lld-N: make bindeb-pkg, then make
#      binrpm-pkg on the same O= (incremental: timed, and the linker calls of
#      the make log's CC/LD lines of that second step counted).
#   3. shim: regressed rule, LD=kbuild-ld-shim, KBUILD_LD_SHIM_RECORD set:
#      the same two targets.
#   4. linux-image .deb (dpkg-deb -x) and kernel .rpm (rpm2cpio | cpio):
#      the same file list, every file byte-identical, Image and every .ko
#      named; the one normalisation is usr/share/doc/*/changelog.Debian.gz,
#      compared decompressed with the date of its trailer line masked
#      (mkdebian writes the time of the build there; gzip's header differs too).
#      The record: passthroughs > 0, no error decisions, and LLVM=-N through
#      the masquerade name ld.lld-N is checked on the installed package.
#   5. --source-packages (one more kernel build, ~5 min on 2 idle cores):
#      make srcdeb-pkg of the regressed tree (kbuild needs a git tree for the
#      source tarball: a git copy of the source is made) with LD=kbuild-ld-shim,
#      then dpkg-source -x and dpkg-buildpackage -b of it, as a package builder
#      runs it: debian/rules.vars records only ARCH and KERNELRELEASE, so the
#      LD= and LLVM= of the srcdeb-pkg command line are gone. The way that
#      works: LLVM=-N in the environment (kbuild reads it from there) and the
#      masquerade directory first on PATH, so kbuild's own LD=ld.lld-N is the
#      shim. Asserted: the record shows passthroughs, --shim-verify says LTO
#      kept (0), and the linux-image's modules equal the reference's.
#
# The package is removed again at the end unless it was installed before the
# run or --keep-installed is given.
#
# Environment: KERNEL_WORK (scratch dir, default /tmp/kbuild-ld-shim-packaging;
# an unpack there is reused), KERNEL_LLVM (default 19), KERNEL_JOBS (default nproc).
# Needs root (dpkg -i, apt-get through .ci/deps).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
jobs=${KERNEL_JOBS:-$(nproc)}
llvm=${KERNEL_LLVM:-19}
klib_name=packaging
# shellcheck source=integration/kernel-lib.sh
. "$here/kernel-lib.sh"

usage() { echo "usage: $0 [--source-packages | --source-packages-only] [--keep-installed]" >&2; exit 2; }
source_packages=0
binary_packages=1
keep_installed=0
while [ $# -gt 0 ]; do
	case "$1" in
	--source-packages) source_packages=1; shift ;;
	# The source-package step alone (the shim package and configure still run).
	--source-packages-only) source_packages=1; binary_packages=0; shift ;;
	--keep-installed) keep_installed=1; shift ;;
	*) usage ;;
	esac
done
[[ $llvm =~ ^[1-9][0-9]*$ ]] || { echo "packaging: KERNEL_LLVM='$llvm' is not a major version number" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "packaging: needs root (dpkg -i of the shim's package)" >&2; exit 2; }
work=$(klib_workdir "${KERNEL_WORK:-/tmp/kbuild-ld-shim-packaging}") || exit 2
out=$work/out
results=$work/results
lld=ld.lld-$llvm
masq=/usr/lib/kbuild-ld-shim/bin
arch=arm64
klib_clean_shim_env

# ---------------------------------------------------------------- packages
phase "packages"
(cd "$repo" && bash .ci/deps packaging) || die ".ci/deps packaging failed"
for tool in "clang-$llvm" "$lld" make dpkg-buildpackage dh_listpackages dpkg-deb rpmbuild rpm2cpio cpio \
	aarch64-linux-gnu-gcc jq cmp git; do
	command -v "$tool" >/dev/null || die "required tool '$tool' not found"
done
phase_end

# ---------------------------------------------------------------- shim package
phase "shim package"
timed ".ci/packages" "$work/ci-packages.log" bash -c "cd '$repo' && bash .ci/packages" || die "bash .ci/packages failed"
debs=("$repo"/target/packages/kbuild-ld-shim_*.deb)
[ ${#debs[@]} = 1 ] && [ -f "${debs[0]}" ] || die "expected one kbuild-ld-shim .deb in target/packages, found: ${debs[*]}"
was_installed=0
dpkg-query -W -f='${Status}' kbuild-ld-shim 2>/dev/null | grep -q 'install ok installed' && was_installed=1
dpkg -i "${debs[0]}" >"$work/dpkg-i.log" 2>&1 || { cat "$work/dpkg-i.log"; die "dpkg -i ${debs[0]} failed"; }
if [ $keep_installed = 0 ] && [ $was_installed = 0 ]; then
	trap 'set_flavor reference >/dev/null 2>&1 || true; dpkg -r kbuild-ld-shim >/dev/null 2>&1 || true' EXIT
else
	trap 'set_flavor reference >/dev/null 2>&1 || true' EXIT
fi
shim=$(command -v kbuild-ld-shim) || die "kbuild-ld-shim not on PATH after dpkg -i"
[ "$shim" = /usr/bin/kbuild-ld-shim ] || die "kbuild-ld-shim on PATH is $shim, not the package's /usr/bin/kbuild-ld-shim"
dpkg -S /usr/bin/kbuild-ld-shim 2>/dev/null | grep -q '^kbuild-ld-shim:' || die "/usr/bin/kbuild-ld-shim does not belong to the kbuild-ld-shim package"
pass "installed $(basename "${debs[0]}") with dpkg -i: $("$shim" --shim-version)"
# The masquerade names a LLVM=-N build calls, from the installed package.
for n in $(seq 14 21); do [ -L "$masq/ld.lld-$n" ] && [ "$masq/ld.lld-$n" -ef "$shim" ] \
	|| fail "installed package lacks $masq/ld.lld-$n -> kbuild-ld-shim"; done
[ -L "$masq/ld.lld" ] && [ "$masq/ld.lld" -ef "$shim" ] || fail "installed package lacks $masq/ld.lld"
w=$(PATH="$masq:$PATH" "$lld" --shim-which 2>&1)
case $w in "$(command -v "$lld")"*"rule: masquerade"*)
	pass "masquerade: $lld from $masq is the shim and resolves to the real $(command -v "$lld")" ;;
*) fail "masquerade: '$lld' through $masq --shim-which: $w" ;; esac
v=$(PATH="$masq:$PATH" "$lld" --version 2>&1)
[ "$v" = "$("$(command -v "$lld")" --version 2>&1)" ] && pass "masquerade: $lld --version through the shim prints ld.lld's own: ${v%%$'\n'*}" \
	|| fail "masquerade: $lld --version through the shim: $v"
# Loop protection: a masquerade name with no real linker behind it must fail, not exec itself.
missing_n=
for n in $(seq 21 -1 14); do command -v "ld.lld-$n" >/dev/null || { missing_n=$n; break; }; done
if [ -n "$missing_n" ]; then
	rc=0; e=$(PATH="$masq:$PATH" timeout 10 "ld.lld-$missing_n" --version 2>&1) || rc=$?
	if [ $rc = 127 ] && [[ $e == *"no real linker found"* ]]; then pass "masquerade: ld.lld-$missing_n (no LLVM $missing_n installed) exits 127 naming the search, no loop"
	else fail "masquerade: ld.lld-$missing_n without a real one: rc $rc, '$e'"; fi
fi
phase_end

# ---------------------------------------------------------------- source
phase "unpack and configure"
unpack_source
set_flavor reference
config_tinyconfig "$arch" "$lld" "$work/config.log"
config_lto_modules "$arch" "$lld" "$work/config.log"
cp "$out/.config" "$work/config.$arch"
echo "   .config: LTO_CLANG_THIN=y MODULES=y ${modules[*]/%/=m}; CC_CAN_LINK=$(grep -q '^CONFIG_CC_CAN_LINK=y' "$work/config.$arch" && echo y || echo n)"
rm -rf "$out"
phase_end

# package_tree VARIANT FLAVOR LD [RECORD-PREFIX]: bindeb-pkg then binrpm-pkg in
# a fresh $out; the packages go to $results/VARIANT/{deb,rpm}, the tree to $work/tree.VARIANT.
package_tree() {
	local variant=$1 flavor=$2 ld=$3 rec=${4:-} dest=$results/$1 recenv=()
	rm -rf "$dest" "$work/tree.$variant"
	rm -f "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes
	mkdir -p "$dest/deb" "$dest/rpm"
	[ -z "$rec" ] || recenv=(KBUILD_LD_SHIM_RECORD="$rec.deb.jsonl")
	build_tree "$variant bindeb-pkg" "$flavor" "$ld" "$work/config.$arch" "$dest/bindeb-pkg.log" "${recenv[@]}" -- \
		ARCH=$arch DPKG_FLAGS=-d bindeb-pkg || { fail "$variant: make bindeb-pkg failed (LD=$ld)"; return 1; }
	mv "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$dest/deb/" 2>/dev/null
	# binrpm-pkg in the same tree, after bindeb-pkg, as a packager runs both.
	[ -z "$rec" ] || local -x KBUILD_LD_SHIM_RECORD="$rec.rpm.jsonl"
	timed "$variant binrpm-pkg" "$dest/binrpm-pkg.log" kmake ARCH=$arch LD="$ld" -j"$jobs" binrpm-pkg \
		|| { fail "$variant: make binrpm-pkg failed (LD=$ld)"; return 1; }
	cp "$out"/rpmbuild/RPMS/*/*.rpm "$dest/rpm/" || { fail "$variant: no rpm under $out/rpmbuild/RPMS"; return 1; }
	# How incremental binrpm-pkg was: objects compiled again after bindeb-pkg.
	echo "   $variant binrpm-pkg after bindeb-pkg: $(grep -cE '^  CC( \[M\])? ' "$dest/binrpm-pkg.log") CC, $(grep -cE '^  LD( \[M\])? ' "$dest/binrpm-pkg.log") LD lines (bindeb-pkg: $(grep -cE '^  CC( \[M\])? ' "$dest/bindeb-pkg.log") CC)"
	run_verify "$dest/verify.txt" "$out"
	mv "$out" "$work/tree.$variant"
}

# unstamp: a Debian changelog with its trailer's date (mkdebian's `date -R`, the time of the build) masked.
unstamp() { sed -E 's/^( -- .*>  ).*/\1DATE/'; }

# same_package_files LABEL A B: same file list and bytes; changelog.gz compared decompressed. Prints the counts.
same_package_files() {
	local label=$1 a=$2 b=$3 f bad=0 n=0 ko=0 img=0 norm=0
	if ! diff <(cd "$a" && find . ! -type d | LC_ALL=C sort) <(cd "$b" && find . ! -type d | LC_ALL=C sort) >"$work/filelist.diff"; then
		fail "$label: the file lists differ:"; sed 's/^/    | /' "$work/filelist.diff" | head; return
	fi
	while read -r f; do
		n=$((n + 1))
		case "$f" in *.ko) ko=$((ko + 1)) ;; */vmlinuz*|*/Image*) img=$((img + 1)) ;; esac
		if [ -L "$a/$f" ]; then
			[ "$(readlink "$a/$f")" = "$(readlink "$b/$f")" ] || { echo "    link differs: $f"; bad=1; }
		elif cmp -s "$a/$f" "$b/$f"; then :
		elif [[ $f == */changelog*.gz ]] && cmp -s <(gzip -dc "$a/$f" | unstamp) <(gzip -dc "$b/$f" | unstamp); then norm=$((norm + 1))
		else echo "    differs: $f"; bad=1; fi
	done < <(cd "$a" && find . ! -type d -printf '%P\n' | LC_ALL=C sort)
	if [ $bad = 0 ] && [ $ko -gt 0 ] && [ $img -gt 0 ]; then
		pass "$label: all $n files identical ($img kernel image, $ko .ko; $norm changelog equal but for its build date)"
	elif [ $bad = 0 ]; then fail "$label: identical but found $img kernel images and $ko .ko (want > 0 of each)"
	else fail "$label: files differ (above)"; fi
}

if [ $binary_packages = 1 ]; then
# ---------------------------------------------------------------- builds
phase "reference: bindeb-pkg + binrpm-pkg (fixed, $lld)"
package_tree reference reference "$lld"
phase_end
phase "shim: bindeb-pkg + binrpm-pkg (regressed, LD=kbuild-ld-shim)"
rm -f "$work"/rec.*.jsonl
package_tree shim regressed kbuild-ld-shim "$work/rec"
phase_end
set_flavor reference

# ---------------------------------------------------------------- checks
phase "checks"
for v in reference shim; do
	rm -rf "$results/$v/image-deb" "$results/$v/image-rpm"
	d=$(ls "$results/$v"/deb/linux-image-*.deb 2>/dev/null | grep -v -- '-dbg_' | head -n1)
	[ -n "$d" ] && dpkg-deb -x "$d" "$results/$v/image-deb" || fail "$v: no linux-image .deb to extract"
	r=$(ls "$results/$v"/rpm/kernel-[0-9]*.rpm 2>/dev/null | head -n1)
	mkdir -p "$results/$v/image-rpm"
	[ -n "$r" ] && (rpm2cpio "$r" | (cd "$results/$v/image-rpm" && cpio -idm --quiet)) || fail "$v: no kernel .rpm to extract"
	echo "   $v: $(basename "$d"), $(basename "$r")"
done
same_package_files "bindeb-pkg linux-image: regressed + installed shim == fixed + $lld" "$results/reference/image-deb" "$results/shim/image-deb"
same_package_files "binrpm-pkg kernel rpm: regressed + installed shim == fixed + $lld" "$results/reference/image-rpm" "$results/shim/image-rpm"
for s in deb rpm; do
	rec=$work/rec.$s.jsonl
	np=$(jq -r 'select(.decision=="passthrough") | .output' "$rec" 2>/dev/null | wc -l)
	nf=$(jq -r 'select(.decision=="forward") | .output' "$rec" 2>/dev/null | wc -l)
	ne=$(jq -r 'select(.decision!="forward" and .decision!="passthrough") | .decision' "$rec" 2>/dev/null | wc -l)
	us=$(jq -s 'map(.micros) | add // 0' "$rec" 2>/dev/null)
	echo "   record of the shim's $s step: $np passthroughs, $nf forwards, $ne other; $((us / 1000)) ms in the shim"
	[ "$ne" = 0 ] || fail "$s step: $ne error decisions in $rec"
	[ "$s" = rpm ] || { [ "$np" -gt 0 ] && pass "bindeb-pkg through the shim: $np passthroughs, $nf forwards recorded" || fail "bindeb-pkg through the shim: no passthroughs recorded in $rec"; }
	cp "$rec" "$results/shim/" 2>/dev/null
done
for v in reference shim; do
	expect_verify "$v tree (LTO kept)" 0 "$results/$v/verify.txt"
done
phase_end

# ---------------------------------------------------------------- make install
# Makefile.example's install recipe must lay out what the package ships.
phase "Makefile.example install"
dd=$work/destdir
rm -rf "$dd"
if make -C "$repo" -f Makefile.example install PREFIX=/usr DESTDIR="$dd" >"$work/install.log" 2>&1; then
	bad=0
	[ -x "$dd/usr/bin/kbuild-ld-shim" ] || { echo "    no usr/bin/kbuild-ld-shim"; bad=1; }
	[ "$(cd "$dd/usr/lib/kbuild-ld-shim/bin" && ls | LC_ALL=C sort | tr '\n' ' ')" = "$(cd "$masq" && ls | LC_ALL=C sort | tr '\n' ' ')" ] \
		|| { echo "    masquerade names differ from the package's: $(ls "$dd/usr/lib/kbuild-ld-shim/bin" | tr '\n' ' ')"; bad=1; }
	for l in "$dd"/usr/lib/kbuild-ld-shim/bin/*; do
		[ -L "$l" ] && [ "$l" -ef "$dd/usr/bin/kbuild-ld-shim" ] || { echo "    $l does not link to the installed shim"; bad=1; }
	done
	[ $bad = 0 ] && pass "make -f Makefile.example install: the binary and the package's $(ls "$masq" | wc -l) masquerade names" \
		|| fail "make -f Makefile.example install: layout differs from the package (above)"
else
	tail "$work/install.log"; fail "make -f Makefile.example install failed"
fi
rm -rf "$dd"
phase_end
fi

# ---------------------------------------------------------------- source packages
if [ $source_packages = 1 ]; then
	phase "source package: srcdeb-pkg, then dpkg-buildpackage -b with PATH=$masq"
	gsrc=$work/linux-git
	if [ ! -d "$gsrc/.git" ]; then
		rm -rf "$gsrc"; mkdir -p "$gsrc"
		tar -C "$gsrc" --strip-components=1 -xJf "$tarball" || die "unpacking $tarball into $gsrc failed"
		# kbuild's source tarball is `git archive HEAD`: the regressed rule must be committed.
		( src=$gsrc; mkfile=$gsrc/scripts/Makefile.build; set_flavor regressed )
		# -f: Debian's linux-source adds a top-level .gitignore of `/*`.
		git -C "$gsrc" init -q && git -C "$gsrc" add -f -A . && \
			GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z \
			git -C "$gsrc" -c user.name=kbuild -c user.email=kbuild@localhost commit -qm linux-6.12-regressed \
			|| die "git commit of $gsrc failed"
	fi
	sout=$work/out-src
	rm -rf "$sout" "$work/srcpkg" "$work"/linux-upstream_* "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes
	mkdir -p "$sout"; cp "$work/config.$arch" "$sout/.config"
	timed "srcdeb-pkg" "$work/srcdeb-pkg.log" \
		env "${klib_build_env[@]}" make -C "$gsrc" O="$sout" LLVM=-"$llvm" ARCH=$arch LD=kbuild-ld-shim srcdeb-pkg \
		|| fail "make srcdeb-pkg failed"
	dsc=$(ls "$work"/linux-upstream_*.dsc 2>/dev/null | head -n1)
	if [ -n "$dsc" ] && dpkg-source -x "$dsc" "$work/srcpkg" >"$work/dpkg-source.log" 2>&1; then
		echo "   debian/rules.vars of the source package:"; sed 's/^/    | /' "$work/srcpkg/debian/rules.vars"
		if grep -qE '^(LD|LLVM) *:?=' "$work/srcpkg/debian/rules.vars"; then
			echo "   note: rules.vars records LD/LLVM: kbuild changed"
		else
			pass "source package: debian/rules.vars keeps neither LD= nor LLVM= of the srcdeb-pkg command line (so they need the environment)"
		fi
		rec=$work/rec.srcdeb.jsonl; rm -f "$rec"
		timed "dpkg-buildpackage -b (source package)" "$work/srcpkg-build.log" \
			env -C "$work/srcpkg" PATH="$masq:$PATH" LLVM=-"$llvm" KBUILD_LD_SHIM_RECORD="$rec" "${klib_build_env[@]}" \
			DEB_BUILD_OPTIONS="parallel=$jobs" nice -n 5 dpkg-buildpackage -b -d -uc -us -aarm64 \
			|| fail "dpkg-buildpackage -b of the source package failed"
		np=$(jq -r 'select(.decision=="passthrough") | .output' "$rec" 2>/dev/null | wc -l)
		ne=$(jq -r 'select(.decision!="forward" and .decision!="passthrough") | .decision' "$rec" 2>/dev/null | wc -l)
		[ "$np" -gt 0 ] && [ "$ne" = 0 ] && pass "source package build: the masquerade $lld ran the shim: $np passthroughs, no errors" \
			|| fail "source package build: record $rec has $np passthroughs, $ne errors"
		run_verify "$work/srcpkg-verify.txt" "$work/srcpkg"
		expect_verify "source package build (LTO kept)" 0 "$work/srcpkg-verify.txt"
		d=$(ls "$work"/linux-image-*.deb 2>/dev/null | grep -v -- '-dbg_' | head -n1)
		rm -rf "$results/srcpkg-image"
		if [ -n "$d" ] && dpkg-deb -x "$d" "$results/srcpkg-image"; then
			nko=0; nsame=0
			while read -r f; do nko=$((nko + 1)); g=$(cd "$results/srcpkg-image" && find . -name "$(basename "$f")" | head -n1)
				[ -n "$g" ] && cmp -s "$results/reference/image-deb/$f" "$results/srcpkg-image/$g" && nsame=$((nsame + 1)); done \
				< <(cd "$results/reference/image-deb" && find . -name '*.ko' -printf '%P\n')
			[ "$nko" -gt 0 ] && echo "   source package modules vs reference: $nsame of $nko .ko byte-identical (release string and source path differ, so equality is not asserted)"
		else fail "source package build left no linux-image .deb"; fi
	else
		fail "srcdeb-pkg gave no .dsc that dpkg-source -x unpacks (see $work/srcdeb-pkg.log, $work/dpkg-source.log)"
	fi
	phase_end
fi

echo
echo "Summary (Linux $(kernel_version), ARCH=$arch, LLVM=-$llvm, make -j$jobs; wall and CPU seconds)"
printf '  %-46s %7s %7s\n' step wall cpu
for k in ".ci/packages" "reference bindeb-pkg" "reference binrpm-pkg" "shim bindeb-pkg" "shim binrpm-pkg" srcdeb-pkg "dpkg-buildpackage -b (source package)"; do
	[ -n "${wall[$k]:-}" ] && printf '  %-46s %7s %7s\n' "$k" "${wall[$k]}" "${cpu[$k]}"
done
phase_summary
echo "results kept in $results"
echo "packaging: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
