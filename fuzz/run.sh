#!/usr/bin/env bash
# Runs every fuzz target for a bounded time and fails on the first crash,
# hang or out-of-memory.
#
#   fuzz/run.sh [SECONDS] [TARGET...]     default: 60 s each, all targets
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly compiler for
# -Zsanitizer=address. A `nightly` rustup toolchain is used when installed;
# otherwise the stable compiler runs with RUSTC_BOOTSTRAP=1, as cargo-fuzz
# users do on stable-only machines (the stable toolchain ships the ASan
# runtime). Seeds come from fuzz/seed.sh on the first run; what the fuzzer
# adds stays in fuzz/corpus/<target>, crashes land in fuzz/artifacts/<target>.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(classify recipe recipe_shapes record bitcode)

command -v cargo-fuzz >/dev/null || { echo "run.sh: cargo-fuzz missing: cargo install cargo-fuzz" >&2; exit 2; }
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
	cargo=(cargo +nightly)
else
	export RUSTC_BOOTSTRAP=1
	cargo=(cargo)
fi
[ -d corpus/bitcode ] || ./seed.sh

status=0
for t in "${targets[@]}"; do
	echo "run.sh: fuzzing $t for ${seconds}s"
	mkdir -p "corpus/$t" "artifacts/$t"
	# -timeout: one input taking over 10 s is a hang; -rss_limit_mb: 2 GB
	# is an unbounded allocation; -max_len covers the seed bitcode files.
	if ! "${cargo[@]}" fuzz run "$t" "corpus/$t" -- \
		-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 2>"artifacts/$t.log"; then
		status=1
		echo "run.sh: $t FAILED; last lines of artifacts/$t.log:" >&2
		tail -n 40 "artifacts/$t.log" >&2
		ls -1 "artifacts/$t" >&2 || true
	else
		grep -E '^stat::number_of_executed_units|^stat::new_units_added|^Done' "artifacts/$t.log" | sed "s/^/run.sh: $t: /"
	fi
done
exit $status
