"""The timing and statistics half of benches/compare.sh.

compare.sh prepares the scratch directory (bitcode objects, the naive bash
wrapper, the static exec wrapper) and passes its paths and settings in the
environment; this file runs every command interleaved, in shuffled order
each round, and prints the tables BENCHMARKS.md quotes.

    python3 benches/compare.py               # as compare.sh calls it
    python3 benches/compare.py --self-test   # the statistics, checked on known samples

The statistics are plain functions so the self-test can check them; the
measuring loop is `main`.
"""

import os
import random
import statistics
import subprocess
import sys
import time
import unittest


def spread(n, reps):
    """The rounds (out of `reps`) on which a command that gets `n` runs
    runs: evenly spaced, so a slow phase of the machine does not hit all the
    relinks at once."""
    if n <= 0:
        return set()
    return {int(i * reps / n) for i in range(n)}


def quantile(samples, p):
    """The sample at fraction `p` of the sorted samples (no interpolation)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def added_ratio(shim, wrap, base):
    """The shim's cost over `base` as a multiple of the exec wrapper's cost
    over the same base; None when the wrapper adds nothing measurable."""
    w = wrap - base
    return (shim - base) / w if w > 0 else None


def median_ratio(a, b):
    """The first median as a multiple of the second."""
    return a / b if b > 0 else None


def bootstrap_interval(rows, statistic=added_ratio, resamples=400, seed=2):
    """95% bootstrap interval of `statistic` over the medians of `rows`
    (by default the added-cost ratio of (shim, wrapper, base)), all sampled
    in the same rounds: rounds are resampled with replacement and each row's
    median taken again. A resampled round keeps its rows together, since
    whatever slowed that round slowed all of them. None when the rows are
    not from the same rounds or too few resamples give a ratio."""
    if len({len(r) for r in rows}) != 1 or not rows[0]:
        return None
    rng, n, out = random.Random(seed), len(rows[0]), []
    for _ in range(resamples):
        idx = [rng.randrange(n) for _ in range(n)]
        ratio = statistic(*(statistics.median(r[i] for i in idx) for r in rows))
        if ratio is not None:
            out.append(ratio)
    out.sort()
    if len(out) < resamples // 4:
        return None
    return out[len(out) // 40], out[len(out) * 39 // 40]


def placed(work, path, name):
    """A fresh `cp` of the executable into the scratch directory. The same
    bytes at two paths were measured 0.08 apart in the added-cost ratio (how
    a file was written decides how its page cache is laid out: a linker's
    scattered writes, cp's sequential ones), so every program under test is
    written the same way before it is timed."""
    dest = os.path.join(work, "bin", name)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    subprocess.run(["cp", path, dest], check=True)
    return dest


def commands(work, lld, shim, wrapper, naive, variants, only):
    """name -> (argv, env, kind); kind: cheap | relink | bigrelink."""
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("KBUILD_LD_SHIM")}
    env_shim = dict(base_env, KBUILD_LD_SHIM_REAL_LD=lld)
    env_force = dict(env_shim, KBUILD_LD_SHIM_MODE="force")
    env_true = dict(base_env, KBUILD_LD_SHIM_REAL_LD="/bin/true")
    flags = ["-z", "noexecstack", "-r", "-o"]
    small = flags + ["kernel/.tmp_fork.o", "kernel/fork.o"]
    big = flags + ["kernel/.tmp_big.o", "kernel/big.o"]
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
        "fwd to true: shim": ([shim, "--version"], env_true, "cheap"),
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
        cmds[f"fwd to true: shim {label}"] = ([path, "--version"], env_true, "cheap")
        cmds[f"88KB: shim {label} passthrough"] = ([path] + small, env_force, "cheap")
        cmds[f"5MB: shim {label} passthrough"] = ([path] + big, env_force, "cheap")
    if only == "forward":
        cmds = {n: c for n, c in cmds.items()
                if n == "true --version" or n.startswith("fwd to true:")}
    return cmds


def main():
    work, lld, shim = os.environ["WORK"], os.environ["LLD_PATH"], os.environ["SHIM"]
    reps = int(os.environ["REPS"])
    relink_reps = int(os.environ["RELINK_REPS"])
    big_relink_reps = int(os.environ["BIG_RELINK_REPS"])
    only = os.environ["ONLY"]
    if only not in ("", "forward"):
        sys.exit(f"compare.sh: ONLY={only}: the one subset is 'forward'")
    variants = [("before", os.environ["SHIM_BEFORE"])] if os.environ["SHIM_BEFORE"] else []
    variants += [tuple(v.split("=", 1)) for v in os.environ["SHIM_VARIANTS"].split()]

    shim = placed(work, shim, "shim")
    wrapper = placed(work, os.path.join(work, "exec-wrapper.built"), "exec-wrapper")
    variants = [(label, placed(work, path, f"shim-{label}")) for label, path in variants]
    naive = os.path.join(work, "naive-ld")
    os.chdir(work)
    cmds = commands(work, lld, shim, wrapper, naive, variants, only)
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

    relink_rounds = spread(relink_reps, reps)
    big_rounds = spread(big_relink_reps, reps)
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

    print(f"\nwhole-process wall time, interleaved, {reps} rounds "
          f"({time.time() - t_start:.0f} s), load average {os.getloadavg()[0]:.1f}")
    print("| command | runs | median ms | p10 ms | p90 ms | CPU median ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for n in cmds:
        if times[n]:
            print(f"| {n} | {len(times[n])} | {med[n]:.3f} | {quantile(times[n], .1):.3f} "
                  f"| {quantile(times[n], .9):.3f} | {cpu_med[n]:.3f} |")

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

    def added(label, shim, wrap, base, note):
        """The shim's added cost over `base` as a multiple of the static
        exec wrapper's added cost over the same base, all from one run: on
        wall-time medians and on CPU-time medians (the one to read on a
        loaded machine), each with its bootstrap interval."""
        if not (shim in med and wrap in med and base in med):
            return
        cells = []
        for m, samples in ((med, times), (cpu_med, cpu_times)):
            r = added_ratio(m[shim], m[wrap], m[base])
            interval = bootstrap_interval([samples[n] for n in (shim, wrap, base)])
            cells += [f"{r:.2f}" if r is not None else "n/a",
                      f"{interval[0]:.2f}-{interval[1]:.2f}" if interval else "n/a",
                      f"{m[shim] - m[base]:+.3f}", f"{m[wrap] - m[base]:+.3f}"]
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

    compared = [(label, size) for label, _ in variants for size in ("88KB", "5MB")
                if f"{size}: shim {label} passthrough" in med]
    if compared:
        print("\n| passthrough, this shim against another (medians) | wall: this / other "
              "| 95% interval | CPU: this / other | 95% interval |")
        print("|---|---:|---|---:|---|")
    for label, size in compared:
        this, other = f"{size}: shim passthrough", f"{size}: shim {label} passthrough"
        cells = []
        for m, samples in ((med, times), (cpu_med, cpu_times)):
            r = median_ratio(m[this], m[other])
            interval = bootstrap_interval([samples[this], samples[other]], median_ratio)
            cells += [f"{r:.2f}" if r is not None else "n/a",
                      f"{interval[0]:.2f}-{interval[1]:.2f}" if interval else "n/a"]
        print(f"| {size}: shim / shim {label} | {' | '.join(cells)} |")


class SelfTest(unittest.TestCase):
    def test_spread_is_even_and_bounded(self):
        self.assertEqual(spread(0, 200), set())
        self.assertEqual(spread(4, 200), {0, 50, 100, 150})
        self.assertEqual(len(spread(200, 200)), 200)

    def test_quantile_picks_a_sample(self):
        samples = [5, 1, 4, 2, 3]
        self.assertEqual(quantile(samples, 0), 1)
        self.assertEqual(quantile(samples, .5), 3)
        self.assertEqual(quantile(samples, 1), 5)

    def test_added_ratio_is_relative_to_the_wrapper(self):
        # base 1.0 ms, wrapper adds 0.4, shim adds 0.5: 1.25x.
        self.assertAlmostEqual(added_ratio(1.5, 1.4, 1.0), 1.25)
        self.assertIsNone(added_ratio(1.5, 1.0, 1.0))

    def test_interval_brackets_a_constant_ratio(self):
        rng = random.Random(7)
        base = [1.0 + rng.random() * 0.01 for _ in range(300)]
        wrap = [b + 0.4 for b in base]
        shim = [b + 0.6 for b in base]
        low, high = bootstrap_interval([shim, wrap, base])
        self.assertAlmostEqual(low, 1.5, places=6)
        self.assertAlmostEqual(high, 1.5, places=6)

    def test_interval_widens_with_noise_and_needs_aligned_rounds(self):
        rng = random.Random(9)
        base = [1.0 for _ in range(300)]
        wrap = [1.4 + rng.gauss(0, 0.05) for _ in range(300)]
        shim = [1.6 + rng.gauss(0, 0.05) for _ in range(300)]
        low, high = bootstrap_interval([shim, wrap, base])
        self.assertLess(low, 1.5)
        self.assertGreater(high, 1.5)
        self.assertLess(high - low, 0.2)
        self.assertIsNone(bootstrap_interval([shim[:10], wrap, base]))

    def test_interval_of_a_plain_ratio(self):
        rng = random.Random(11)
        other = [2.0 + rng.random() * 0.01 for _ in range(300)]
        this = [o * 1.5 for o in other]
        low, high = bootstrap_interval([this, other], median_ratio)
        self.assertAlmostEqual(low, 1.5, places=6)
        self.assertAlmostEqual(high, 1.5, places=6)
        self.assertIsNone(median_ratio(1.0, 0.0))


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        unittest.main(argv=[sys.argv[0]], verbosity=1)
    elif sys.argv[1:]:
        sys.exit(f"usage: {sys.argv[0]} [--self-test]")
    else:
        main()
