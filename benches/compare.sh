#!/usr/bin/env bash
# Whole-process cost of kbuild-ld-shim, side by side with every alternative,
# measured INTERLEAVED in one run (each round runs every command once, in a
# shuffled order), so background load hits all of them alike and the ratios
# stay meaningful on a busy machine.
#
#   bash benches/compare.sh
#
# Compared, on the same files and arguments:
#   - ld.lld-19 --version: direct, through the shim, through a naive bash wrapper
#   - the unfixed kernel's per-object relink `ld.lld-19 -r -o D/.tmp_N D/N` of
#     an 88 KB ThinLTO object (kernel/fork.o-sized) and of a 5 MB one, versus
#     the shim's passthrough of the same call (KBUILD_LD_SHIM_MODE=force: the
#     real evaluate + copy path, /proc walk included), versus `cp`, versus the
#     naive wrapper's passthrough
#   - /bin/true, the cost of starting any process at all (the floor)
#   - the physical limit of a forward: a three-line static C program that only
#     execv's its target (built here with gcc -static -O2), forwarding to
#     /bin/true and to ld.lld-19 --version like the shim; the shim's added cost
#     is reported as a ratio of this wrapper's added cost
#
# The C wrapper needs gcc and the static libc (libc6-dev).
#
# Environment (defaults in brackets):
#   REPS [200]            rounds of the cheap calls (everything but relinks)
#   RELINK_REPS [10]      relinks of the 88 KB object, spread over the rounds
#   BIG_RELINK_REPS [1]   relinks of the 5 MB object (about a minute each on
#                         a loaded 2-core machine; 0 skips them)
#   LLD [ld.lld-19]  SHIM [target/<host triple>/release/kbuild-ld-shim]
#   SHIM_BEFORE           another shim binary (e.g. the previous build) run
#                         as extra rows in the same interleaving, for a
#                         before/after taken in one run
#   SHIM_VARIANTS         more shims for the same interleaving, as
#                         space-separated LABEL=PATH (e.g. two build flavours)
#   ONLY=forward          only the forward-to-/bin/true rows (the shim's, its
#                         variants', the static exec wrapper's and the base):
#                         2 ms each, so thousands of rounds fit in a minute
#                         and the added-cost ratio gets tight bounds
#   KEEP=1                keep the scratch directory
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
: "${REPS:=200}" "${RELINK_REPS:=10}" "${BIG_RELINK_REPS:=1}"
: "${LLD:=ld.lld-19}" "${SHIM:=$here/target/$(rustc -vV | sed -n 's/^host: //p')/release/kbuild-ld-shim}"
data=${CARGO_TARGET_DIR:-$here/target}/bench-data

command -v "$LLD" >/dev/null || { echo "compare.sh: $LLD not found" >&2; exit 1; }
command -v gcc >/dev/null || { echo "compare.sh: gcc not found (Debian: gcc, libc6-dev)" >&2; exit 1; }
if [ ! -x "$SHIM" ]; then
    cargo build --release --quiet
fi
lld_path=$(command -v "$LLD")

echo "preparing bitcode (clang-19, cached in $data)..." >&2
bash benches/gen-bitcode.sh "$data/fn170x10.o" 170 10     # ~88 KB, like kernel/fork.o
bash benches/gen-bitcode.sh "$data/fn3000x40.o" 3000 40   # ~5 MB

work=$(mktemp -d "${TMPDIR:-/tmp}/kbuild-ld-shim-compare.XXXXXX")
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work/kernel"
cp "$data/fn170x10.o" "$work/kernel/fork.o"
cp "$data/fn3000x40.o" "$work/kernel/big.o"

# The ten-line wrapper a user would write instead of the shim: copy any
# `-r` call with one input whose output is a .tmp_ file, exec ld.lld otherwise.
cat > "$work/naive-ld" <<EOF
#!/bin/bash
args=("\$@") r= out= in= n=0
while [ \$# -gt 0 ]; do
  case \$1 in
    -r|--relocatable) r=1 ;;
    -o) out=\$2; shift ;;
    -z|-m|-mllvm) shift ;;
    -*) ;;
    *) in=\$1; n=\$((n + 1)) ;;
  esac; shift
done
if [ -n "\$r" ] && [ \$n = 1 ] && [[ \${out##*/} == .tmp_* ]]; then exec cp "\$in" "\$out"; fi
exec "\${NAIVE_REAL_LD:-$lld_path}" "\${args[@]}"
EOF
chmod +x "$work/naive-ld"

# The limit: one more exec and nothing else, statically linked so it pays
# no dynamic loader either.
cat > "$work/exec-wrapper.c" <<'EOF'
#include <unistd.h>
int main(int argc, char **argv) { (void)argc; execv(argv[1], argv + 1); return 127; }
EOF
gcc -static -O2 -o "$work/exec-wrapper.built" "$work/exec-wrapper.c" \
    || { echo "compare.sh: gcc -static failed (Debian: libc6-dev has the static libc)" >&2; exit 1; }

export WORK=$work LLD_PATH=$lld_path SHIM REPS RELINK_REPS BIG_RELINK_REPS \
    SHIM_BEFORE=${SHIM_BEFORE:-} SHIM_VARIANTS=${SHIM_VARIANTS:-} ONLY=${ONLY:-}
python3 - <<'PY'
import os, random, statistics, subprocess, sys, time

work, lld, shim = os.environ["WORK"], os.environ["LLD_PATH"], os.environ["SHIM"]
reps = int(os.environ["REPS"])
relink_reps = int(os.environ["RELINK_REPS"])
big_relink_reps = int(os.environ["BIG_RELINK_REPS"])
naive = os.path.join(work, "naive-ld")
wrapper = os.path.join(work, "exec-wrapper")
variants = [("before", os.environ["SHIM_BEFORE"])] if os.environ["SHIM_BEFORE"] else []
variants += [tuple(v.split("=", 1)) for v in os.environ["SHIM_VARIANTS"].split()]

def placed(path, name):
    """A fresh `cp` of the executable into the scratch directory. The same
    bytes at two paths were measured 0.08 apart in the added-cost ratio (how
    a file was written decides how its page cache is laid out: a linker's
    scattered writes, cp's sequential ones), so every program under test is
    written the same way before it is timed."""
    dest = os.path.join(work, "bin", name)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    subprocess.run(["cp", path, dest], check=True)
    return dest

shim = placed(shim, "shim")
wrapper = placed(wrapper + ".built", "exec-wrapper")
variants = [(label, placed(path, f"shim-{label}")) for label, path in variants]
only = os.environ["ONLY"]
if only not in ("", "forward"):
    sys.exit(f"compare.sh: ONLY={only}: the one subset is 'forward'")
os.chdir(work)

base_env = {k: v for k, v in os.environ.items() if not k.startswith("KBUILD_LD_SHIM")}
env_shim = dict(base_env, KBUILD_LD_SHIM_REAL_LD=lld)
env_force = dict(env_shim, KBUILD_LD_SHIM_MODE="force")
flags = ["-z", "noexecstack", "-r", "-o"]
small = flags + ["kernel/.tmp_fork.o", "kernel/fork.o"]
big = flags + ["kernel/.tmp_big.o", "kernel/big.o"]

# name -> (argv, env, kind); kind: cheap | relink | bigrelink
cmds = {
    "true": (["/bin/true"], base_env, "cheap"),
    # What every forward to /bin/true below runs in the end.
    "true --version": (["/bin/true", "--version"], base_env, "cheap"),
    "version: ld.lld direct": ([lld, "--version"], base_env, "cheap"),
    "version: shim": ([shim, "--version"], env_shim, "cheap"),
    "version: bash wrapper": ([naive, "--version"], base_env, "cheap"),
    "version: static exec wrapper": ([wrapper, lld, "--version"], base_env, "cheap"),
    # The same forward with /bin/true as the "linker": ld.lld's own 30 ms
    # start-up (and its noise) is gone, what is left is the wrapper itself.
    "fwd to true: shim": ([shim, "--version"],
                          dict(base_env, KBUILD_LD_SHIM_REAL_LD="/bin/true"), "cheap"),
    "fwd to true: bash wrapper": ([naive, "--version"],
                                  dict(base_env, NAIVE_REAL_LD="/bin/true"), "cheap"),
    "fwd to true: static exec wrapper": ([wrapper, "/bin/true", "--version"], base_env,
                                         "cheap"),
    "88KB: ld.lld -r relink": ([lld] + small, base_env, "relink"),
    "88KB: shim passthrough": ([shim] + small, env_force, "cheap"),
    "88KB: bash wrapper cp": ([naive] + small, base_env, "cheap"),
    "88KB: cp": (["/bin/cp", "kernel/fork.o", "kernel/.tmp_fork.o"], base_env, "cheap"),
    "5MB: ld.lld -r relink": ([lld] + big, base_env, "bigrelink"),
    "5MB: shim passthrough": ([shim] + big, env_force, "cheap"),
    "5MB: bash wrapper cp": ([naive] + big, base_env, "cheap"),
    "5MB: cp": (["/bin/cp", "kernel/big.o", "kernel/.tmp_big.o"], base_env, "cheap"),
}
for label, path in variants:
    cmds[f"version: shim {label}"] = ([path, "--version"], env_shim, "cheap")
    cmds[f"fwd to true: shim {label}"] = ([path, "--version"],
                                          dict(base_env, KBUILD_LD_SHIM_REAL_LD="/bin/true"),
                                          "cheap")
if only == "forward":
    cmds = {n: c for n, c in cmds.items() if n == "true --version" or n.startswith("fwd to true:")}
devnull = os.open(os.devnull, os.O_WRONLY)

def run(name):
    """Wall time and CPU time (user + system of the child, whatever it
    exec'd into), both in ms. On a loaded machine the wall time is mostly
    waiting for a CPU; the CPU time is what the process itself cost."""
    argv, env, _ = cmds[name]
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, env,
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
    _, status, usage = os.wait4(pid, 0)
    dt = time.perf_counter_ns() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"compare.sh: '{name}' failed: {' '.join(argv)}")
    return dt / 1e6, (usage.ru_utime + usage.ru_stime) * 1e3

def spread(n):
    """Rounds (out of reps) on which to run a command that gets n runs."""
    if n <= 0:
        return set()
    return {int(i * reps / n) for i in range(n)}

relink_rounds, big_rounds = spread(relink_reps), spread(big_relink_reps)
times = {name: [] for name in cmds}
cpu_times = {name: [] for name in cmds}
random.seed(1)
for name in cmds:  # warm-up: page cache, dynamic loader
    if cmds[name][2] == "cheap":
        run(name)
t_start = time.time()
for r in range(reps):
    order = [n for n, c in cmds.items()
             if c[2] == "cheap"
             or (c[2] == "relink" and r in relink_rounds)
             or (c[2] == "bigrelink" and r in big_rounds)]
    random.shuffle(order)
    for name in order:
        wall, cpu = run(name)
        times[name].append(wall)
        cpu_times[name].append(cpu)
    if r % 50 == 49:
        print(f"  round {r + 1}/{reps}", file=sys.stderr)

med = {n: statistics.median(t) for n, t in times.items() if t}
cpu_med = {n: statistics.median(t) for n, t in cpu_times.items() if t}
def q(n, p):
    t = sorted(times[n]); return t[min(len(t) - 1, int(p * len(t)))]

print(f"\nwhole-process wall time, interleaved, {reps} rounds "
      f"({time.time() - t_start:.0f} s), load average {os.getloadavg()[0]:.1f}")
print(f"| command | runs | median ms | p10 ms | p90 ms | CPU median ms |")
print(f"|---|---:|---:|---:|---:|---:|")
for n in cmds:
    if times[n]:
        print(f"| {n} | {len(times[n])} | {med[n]:.3f} | {q(n, .1):.3f} | {q(n, .9):.3f} "
              f"| {cpu_med[n]:.3f} |")

def ratio(label, a, b, note=""):
    if a in med and b in med:
        print(f"| {label} | {med[a] / med[b]:.2f} | {med[a] - med[b]:+.3f} | {note} |")

print("\n| ratio (medians) | value | difference ms | target |")
print("|---|---:|---:|---|")
ratio("shim / direct (--version, forward)", "version: shim", "version: ld.lld direct",
      "overhead < 1 ms/call")
ratio("shim / bash wrapper (--version, forward)", "version: shim", "version: bash wrapper",
      "< 1")
ratio("shim / true --version (forward to /bin/true): the shim's own cost",
      "fwd to true: shim", "true --version", "difference < 1 ms")
ratio("shim / bash wrapper (forward to /bin/true)", "fwd to true: shim",
      "fwd to true: bash wrapper", "< 1")
for size in ("88KB", "5MB"):
    ratio(f"{size}: relink / shim passthrough", f"{size}: ld.lld -r relink",
          f"{size}: shim passthrough", ">= 50")
    ratio(f"{size}: shim passthrough / cp", f"{size}: shim passthrough", f"{size}: cp",
          "<= 2")
    ratio(f"{size}: shim / bash wrapper (passthrough)", f"{size}: shim passthrough",
          f"{size}: bash wrapper cp", "< 1")
ratio("process start floor: direct --version / true", "version: ld.lld direct", "true")

def bounds(shim, wrap, base, m_of):
    """95% bootstrap interval of the added-cost ratio: rounds resampled with
    replacement, each row's median taken again. Every cheap row ran once
    per round, so a resampled round keeps its rows together (whatever
    slowed that round slowed all of them)."""
    rows = [m_of[n] for n in (shim, wrap, base)]
    if len({len(r) for r in rows}) != 1:
        return "n/a"
    rng, n, out = random.Random(2), len(rows[0]), []
    for _ in range(400):
        idx = [rng.randrange(n) for _ in range(n)]
        s, w, b = (statistics.median(r[i] for i in idx) for r in rows)
        if w > b:
            out.append((s - b) / (w - b))
    out.sort()
    if len(out) < 100:
        return "n/a"
    return f"{out[len(out) // 40]:.2f}-{out[len(out) * 39 // 40]:.2f}"

def added(label, shim, wrap, base, note):
    """The shim's added cost over `base` as a multiple of the static exec
    wrapper's added cost over the same base, all from one run: on wall-time
    medians and on CPU-time medians (the one to read on a loaded machine),
    each with its bootstrap interval."""
    if shim in med and wrap in med and base in med:
        cells = []
        for m, samples in ((med, times), (cpu_med, cpu_times)):
            s, w = m[shim] - m[base], m[wrap] - m[base]
            cells += [f"{s / w:.2f}" if w > 0 else "n/a", bounds(shim, wrap, base, samples),
                      f"{s:+.3f}", f"{w:+.3f}"]
        print(f"| {label} | {' | '.join(cells)} | {note} |")

print("\n| added cost vs the static exec wrapper (medians) | wall: shim / wrapper "
      "| 95% interval | shim adds ms | wrapper adds ms | CPU: shim / wrapper | 95% interval "
      "| shim adds ms | wrapper adds ms | target |")
print("|---|---:|---|---:|---:|---:|---|---:|---:|---|")
added("forward to /bin/true --version", "fwd to true: shim",
      "fwd to true: static exec wrapper", "true --version", "<= 1.25")
added("forward to ld.lld --version", "version: shim", "version: static exec wrapper",
      "version: ld.lld direct", "<= 1.25 (ld.lld's own noise is larger)")
for label, _ in variants:
    added(f"{label}: forward to /bin/true --version", f"fwd to true: shim {label}",
          "fwd to true: static exec wrapper", "true --version", "")
    added(f"{label}: forward to ld.lld --version", f"version: shim {label}",
          "version: static exec wrapper", "version: ld.lld direct", "")
PY
