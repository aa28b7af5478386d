# SPDX-License-Identifier: MIT OR Apache-2.0
#
# The one phase timer of the CI runners (.ci/run, .ci/fresh, .ci/packages)
# and the real-kernel scripts (through integration/kernel-lib.sh), so every
# log shows its phases, and their summary, the same way.
#
# Source it (do not run it); optionally set first:
#   phase_label  the word every line starts with (e.g. ".ci/run")
#   phase_fd     where the start and end lines go (default 1; .ci/fresh: 2)
# then:
#   phase NAME       end the running phase, if any, and start NAME
#   phase_end        end the running phase
#   phase_summary    end the running phase; print every phase's wall
#                    seconds and the total since this file was sourced
# Wall time comes from bash's EPOCHREALTIME: no bc or date, so it also runs
# in .ci/fresh's bare root and before .ci/deps has installed anything.

phase_label=${phase_label:-}
phase_fd=${phase_fd:-1}
declare -a phase_names=()
declare -A phase_secs=()
phase_name=
phase_t0=
phase_t_all=$EPOCHREALTIME

# seconds_since T0 [DIGITS]: wall seconds since T0 (an $EPOCHREALTIME),
# with DIGITS (0 or 1, default 1) decimals.
seconds_since() {
	# EPOCHREALTIME always has six decimals; its separator follows the locale.
	local us=$((${EPOCHREALTIME/[.,]/} - ${1/[.,]/})) t
	if [ "${2:-1}" = 0 ]; then
		echo $(((us + 500000) / 1000000))
	else
		t=$(((us + 50000) / 100000))
		echo "$((t / 10)).$((t % 10))"
	fi
}

phase_end() {
	[ -n "$phase_name" ] || return 0
	phase_names+=("$phase_name")
	phase_secs[$phase_name]=$(seconds_since "$phase_t0")
	echo "== ${phase_label:+$phase_label: }$phase_name: ${phase_secs[$phase_name]} s" >&"$phase_fd"
	phase_name=
}

phase() {
	phase_end
	phase_name=$1
	phase_t0=$EPOCHREALTIME
	echo "== ${phase_label:+$phase_label: }$phase_name (at $(seconds_since "$phase_t_all" 0) s)" >&"$phase_fd"
}

phase_summary() {
	local p width=5
	phase_end
	for p in "${phase_names[@]}"; do [ "${#p}" -le "$width" ] || width=${#p}; done
	echo "== ${phase_label:+$phase_label: }phases (wall seconds)"
	for p in "${phase_names[@]}"; do printf '  %-*s %8s\n' "$width" "$p" "${phase_secs[$p]}"; done
	printf '  %-*s %8s\n' "$width" total "$(seconds_since "$phase_t_all")"
}
